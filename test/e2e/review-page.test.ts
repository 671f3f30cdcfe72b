import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { main } from '#cli/main.ts';
import { bytes, repoRoot } from '#test/helpers.ts';
import { ittmon } from '../integration/cli.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Chromium (.ci/run); a developer machine without it skips these tests, CI never does.
const run = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

/** Hostile file names in an S3 access log, in the controlled prefix. */
function hostileLog(dir: string): string {
  const owner = 'a3c1f0e29b7d4c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a';
  const line = (req: string, key: string, user = 'mbianchi') => `${owner} nfu-aero-research [16/Oct/2026:10:00:00 +0000] 10.20.31.7 arn:aws:iam::111122223333:user/${user} ${req} REST.GET.OBJECT ${encodeURIComponent(key)} "GET /x HTTP/1.1" 200 - 1000 1000 4 2 "-" "curl/8" - hostid SigV4 suite AuthHeader host TLSv1.2`;
  mkdirSync(join(dir, 'hostile'), { recursive: true });
  writeFileSync(join(dir, 'hostile', 'nfu-aero-research-2026-10-16.log'), `${line('HOSTILE1', 'hgv/drop/<img src=x onerror=alert(1)>.pdf')}\n${line('HOSTILE2', 'hgv/drop/=HYPERLINK("http://x")', 'contractor-x')}\n${line('HOSTILE0', 'hgv/drop/=HYPERLINK("evil").pdf', 'contractor-x')}\n`);
  return join(dir, 'hostile');
}

run('review page in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let base: string;
  const dialogs: string[] = [];
  const stop = new AbortController();
  let served: Promise<number>;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ittmon-e2e-'));
    const store = join(dir, 'store');
    const config = join(repoRoot, 'examples/ittmon.yaml');
    expect((await ittmon(['scan', join(repoRoot, 'examples/logs'), hostileLog(dir), '--config', config, '--store', store])).code).toBe(0);
    let announce = '';
    served = main(['serve', '--config', config, '--store', store, '--port', '0', '--user', 'rita'], {
      out: (t) => { announce += t; }, err: () => {}, tty: false, cwd: repoRoot, stdin: bytes(),
    }, stop.signal);
    for (let i = 0; i < 200 && !announce.includes('http://'); i++) await new Promise((r) => setTimeout(r, 25));
    base = /http:\/\/127\.0\.0\.1:\d+/.exec(announce)![0];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    page = await browser.newPage();
    page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    stop.abort();
    await served;
  });

  it('filters the queue, closes a flag with a disposition, and the flag leaves the open queue with its audit entry', async () => {
    await page.goto(`${base}/`);
    expect(await page.locator('h1').textContent()).toBe('Flags for export-license review');
    await page.selectOption('select[name=dataset]', 'rad-hard-asic');
    await page.click('button:has-text("Filter")');
    const rows = page.locator('table[aria-label="Review queue"] tbody tr');
    const datasets = await rows.locator('td:nth-child(4) a').allTextContents();
    expect(datasets.length).toBeGreaterThan(1);
    expect(new Set(datasets)).toEqual(new Set(['rad-hard-asic']));
    const marco = rows.filter({ hasText: 'Marco Bianchi' }).filter({ hasText: '2026-10-14' });
    await marco.locator('td:nth-child(4) a').click();
    const url = page.url();
    const id = url.split('/flags/')[1]!;
    await page.selectOption('select[name=action]', 'close');
    await page.selectOption('select[name=disposition]', 'license_on_file');
    await page.fill('input[name=reference]', 'D-987654');
    await page.fill('textarea[name=justification]', 'A BIS deemed-export license for this student is on file.');
    await page.click('button:has-text("Record decision")');
    await expect.poll(() => page.locator('p.msg').textContent()).toMatch(/Recorded: close → closed/);
    const audit = page.locator('table[aria-label="Audit trail"] tbody tr');
    expect(await audit.count()).toBe(1);
    expect(await audit.first().textContent()).toMatch(/rita.*close.*open → closed.*license on file \(D-987654\).*BIS deemed-export license/s);
    await page.goto(`${base}/?status=open`);
    expect(await page.locator(`a[href="/flags/${id}"]`).count()).toBe(0);
    await page.goto(`${base}/?status=closed`);
    expect(await page.locator(`a[href="/flags/${id}"]`).count()).toBe(1);
  });

  it('a stale decision is refused with a clear message', async () => {
    await page.goto(`${base}/?status=open&dataset=lab-ops`);
    await page.locator('table[aria-label="Review queue"] tbody tr td:nth-child(4) a').first().click();
    const other = await browser.newPage();
    await other.goto(page.url());
    await other.selectOption('select[name=action]', 'assign');
    await other.click('button:has-text("Record decision")');
    await page.selectOption('select[name=action]', 'assign');
    await page.click('button:has-text("Record decision")');
    await expect.poll(() => page.locator('p.msg.err').textContent()).toMatch(/changed since you loaded it \(version 0, now 1\)/);
    await other.close();
  });

  it('renders hostile file names as text and exports them safely', async () => {
    await page.goto(`${base}/?status=open&dataset=hgv-cfd`);
    await page.locator('table[aria-label="Review queue"] tbody tr').filter({ hasText: 'Marco Bianchi' }).locator('td:nth-child(4) a').click();
    const resources = await page.locator('main table').first().locator('tbody td:nth-child(4)').allTextContents();
    expect(resources).toEqual(['s3://nfu-aero-research/hgv/drop/<img src=x onerror=alert(1)>.pdf']);
    expect(await page.locator('main img').count()).toBe(0);
    const csv = await (await page.request.get(`${base}/api/flags.csv?status=open&dataset=hgv-cfd`)).text();
    const cells = csv.split('\r\n').filter(Boolean).flatMap((row) => row.match(/"(?:[^"]|"")*"/g) ?? []);
    expect(cells.length).toBeGreaterThan(50);
    for (const c of cells) expect(c).not.toMatch(/^"[=+\-@\t\r]/);
    // the file names (first: a formula without slashes) are text, not formulas
    expect(cells).toContain('"\'=HYPERLINK(""evil"").pdf | x"")"');
    await page.goto(`${base}/?status=open&dataset=hgv-cfd`);
    await page.locator('table[aria-label="Review queue"] tbody tr').filter({ hasText: 'contractor-x' }).locator('td:nth-child(4) a').click();
    expect(await page.locator('main table').first().locator('tbody td:nth-child(4)').allTextContents()).toEqual(['s3://nfu-aero-research/hgv/drop/=HYPERLINK("evil").pdf', 's3://nfu-aero-research/hgv/drop/=HYPERLINK("http://x")']);
    expect(dialogs).toEqual([]);
  });
});
