import { request as httpRequest } from 'node:http';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ittmon } from '../integration/cli.ts';
import { CHROMIUM, exampleConfig, launch, scannedStore, startServe } from './serve.ts';

// CI installs Chromium (.ci/run); a developer machine without it skips these tests, CI never does.
const run = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;
const queueRows = (page: Page) => page.locator('table[aria-label="Review queue"] tbody tr');

run('review page in headless Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  let page: Page;
  let base: string;
  let stop: () => Promise<number>;
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const { store } = await scannedStore();
    ({ base, stop } = await startServe(['--config', exampleConfig, '--store', store, '--port', '0', '--user', 'rita']));
    browser = await launch(['--host-resolver-rules=MAP rebind.example 127.0.0.1']);
    page = await browser.newPage();
    page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
    // A refused form post (409, 400: asserted in their tests) makes Chromium log its status; anything else is a fault.
    page.on('console', (m) => { if (m.type() === 'error' && !/\/decide: Failed to load resource: the server responded with a status of 4(00|09)/.test(`${page.url()}: ${m.text()}`)) consoleErrors.push(`${page.url()}: ${m.text()}`); });
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  it('filters the queue, closes a flag with a disposition, and the flag leaves the open queue with its audit entry', async () => {
    await page.goto(`${base}/`);
    expect(await page.locator('h1').textContent()).toBe('Flags for export-license review');
    await page.selectOption('select[name=dataset]', 'rad-hard-asic');
    await page.click('button:has-text("Filter")');
    const datasets = await queueRows(page).locator('td:nth-child(4) a').allTextContents();
    expect(datasets.length).toBeGreaterThan(1);
    expect(new Set(datasets)).toEqual(new Set(['rad-hard-asic']));
    await queueRows(page).filter({ hasText: 'Marco Bianchi' }).filter({ hasText: '2026-10-14' }).locator('td:nth-child(4) a').click();
    const id = page.url().split('/flags/')[1]!;
    await page.selectOption('select[name=action]', 'close');
    await page.selectOption('select[name=disposition]', 'license_on_file');
    await page.fill('input[name=reference]', 'D-987654');
    await page.fill('textarea[name=justification]', 'A BIS deemed-export license for this student is on file.');
    await page.click('button:has-text("Record decision")');
    await expect.poll(() => page.locator('p.msg').textContent()).toBe('Recorded: close → closed (version 1)');
    const audit = page.locator('table[aria-label="Audit trail"] tbody tr');
    expect(await audit.count()).toBe(1);
    expect(await audit.first().textContent()).toMatch(/rita.*close.*open → closed.*license on file \(D-987654\).*BIS deemed-export license/s);
    await page.goto(`${base}/?status=open`);
    expect(await page.locator(`a[href="/flags/${id}"]`).count()).toBe(0);
    await page.goto(`${base}/?status=closed`);
    expect(await page.locator(`a[href="/flags/${id}"]`).count()).toBe(1);
  });

  it('a stale decision is refused with a clear message; a forbidden transition gets 409 and says why', async () => {
    await page.goto(`${base}/?status=open&dataset=lab-ops`);
    await queueRows(page).locator('td:nth-child(4) a').first().click();
    const other = await browser.newPage();
    await other.goto(page.url());
    await other.selectOption('select[name=action]', 'assign');
    await other.click('button:has-text("Record decision")');
    await page.selectOption('select[name=action]', 'assign');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/decide')), page.click('button:has-text("Record decision")')]);
    expect(res.status()).toBe(409);
    expect(await page.locator('p.msg.err').textContent()).toMatch(/changed since you loaded it \(version 0, now 1\)/);
    await other.close();
  });

  it('the confirmation banner cannot be set from the URL; an over-long field is refused naming it', async () => {
    await page.goto(`${base}/?status=open&dataset=hgv-cfd`);
    await queueRows(page).locator('td:nth-child(4) a').first().click();
    const url = page.url();
    await page.goto(`${url}?msg=Your%20session%20expired%2C%20call%20555-0100&error=Account%20locked&done=999`);
    expect(await page.locator('p.msg').count()).toBe(0);
    expect(await page.content()).not.toMatch(/555-0100|Account locked/);
    await page.selectOption('select[name=action]', 'escalate');
    await page.fill('textarea[name=justification]', 'x'.repeat(4001));
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/decide')), page.click('button:has-text("Record decision")')]);
    expect(res.status()).toBe(400);
    expect(await page.locator('p.msg.err').textContent()).toBe('justification: at most 4000 characters');
    const big = await page.request.post(`${url}/decide`, { headers: { origin: base }, form: { justification: 'y'.repeat(70_000) } });
    expect(big.status()).toBe(413);
  });

  it('renders hostile file names as text, shows bidi controls and lookalikes visibly, and exports them safely', async () => {
    await page.goto(`${base}/?status=open&dataset=hgv-cfd&person=Marco`);
    await queueRows(page).locator('td:nth-child(4) a').first().click();
    expect(await page.locator('table[aria-label="Events"] tbody td:nth-child(4)').allTextContents()).toEqual(['s3://nfu-aero-research/hgv/drop/<img src=x onerror=alert(1)>.pdf']);
    expect(await page.locator('main img').count()).toBe(0);
    await page.goto(`${base}/?status=open&dataset=hgv-cfd&person=contractor-x`);
    await queueRows(page).locator('td:nth-child(4) a').first().click();
    const cells = page.locator('table[aria-label="Events"] tbody td:nth-child(4)');
    const resources = await cells.allTextContents();
    expect(resources).toContain('s3://nfu-aero-research/hgv/drop/report⟨U+202E⟩fdp.exe');
    expect(resources).toContain('s3://nfu-aero-research/hgv/drop/p\u0430ypal-invoice.pdfmixed scripts');
    expect(resources).toContain('s3://nfu-aero-research/hgv/drop/=HYPERLINK("evil").pdf');
    expect(await cells.locator('mark.mixed').getAttribute('title')).toBe('letters from Latin and Cyrillic in one word: possibly a lookalike');
    expect(await cells.locator('span.ctl').textContent()).toBe('⟨U+202E⟩');
    // no raw control character reaches the page, so nothing after it is reordered
    expect(await page.locator('main').textContent()).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/);
    const csvRes = await page.request.get(`${base}/export.csv?status=open&dataset=hgv-cfd`);
    const raw = Buffer.from(await csvRes.body());
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 BOM: Excel shows names in any script
    expect(csvRes.headers()['cache-control']).toBe('no-store');
    const csv = raw.toString('utf8');
    const csvCells = csv.split('\r\n').filter(Boolean).flatMap((row) => row.match(/"(?:[^"]|"")*"/g) ?? []);
    expect(csvCells.length).toBeGreaterThan(50);
    for (const c of csvCells) expect(c).not.toMatch(/^"[=+\-@\t\r]/);
    expect(csv).toContain('report⟨U+202E⟩fdp.exe');
    expect(csv).not.toContain('\u202E');
    expect(dialogs).toEqual([]);
  });

  it('long keys wrap: no page is wider than a phone, and no card clips its text', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      for (const path of ['/?status=open', '/?status=open&dataset=hgv-cfd&person=contractor-x']) {
        await page.goto(`${base}${path}`);
        if (path.includes('person')) await queueRows(page).locator('td:nth-child(4) a').first().click();
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- runs in the page, where the DOM exists
        const widths = await page.evaluate(() => { const document = (globalThis as any).document; const window = globalThis as any; return {
          page: document.documentElement.scrollWidth, window: window.innerWidth,
          clipped: [...document.querySelectorAll('.card, td, dd, h1, p')].filter((e: any) => e.scrollWidth > e.clientWidth + 1 && !e.closest('.scroll')).map((e: any) => e.textContent?.slice(0, 60)) as string[],
        }; });
        expect([path, widths.page, widths.clipped]).toEqual([path, widths.window, []]);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('search finds a person by name or account substring, and says when nothing matches and why', async () => {
    await page.goto(`${base}/?status=open&person=bianch`);
    expect(new Set(await queueRows(page).locator('td:nth-child(5)').allTextContents()).size).toBe(1);
    expect(await queueRows(page).first().locator('td:nth-child(5)').textContent()).toMatch(/Marco Bianchi/);
    await page.goto(`${base}/?status=open&person=spetrova`); // an account
    expect(await queueRows(page).first().locator('td:nth-child(5)').textContent()).toMatch(/Sofia Petrova/);
    await page.fill('input[name=person]', 'nobody-at-all');
    await page.click('button:has-text("Filter")');
    expect(await queueRows(page).first().textContent()).toBe('No open flag has a person or account containing “nobody-at-all”. Try another status or fewer filters.');
  });

  it('the queue shows totals and pages both ways; a flag pages through all its events', async () => {
    await page.goto(`${base}/?status=open&limit=3`);
    const total = Number(/Flags 1–3 of (\d+)/.exec((await page.locator('p.total').textContent())!)![1]);
    expect(total).toBeGreaterThan(6);
    const first = await queueRows(page).locator('td:nth-child(4) a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    await page.click('a[rel=next]');
    expect(await page.locator('p.total').textContent()).toBe(`Flags 4–6 of ${total}`);
    const second = await queueRows(page).locator('td:nth-child(4) a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(second.filter((h) => first.includes(h))).toEqual([]);
    await page.click('a[rel=prev]');
    expect(await page.locator('p.total').textContent()).toBe(`Flags 1–3 of ${total}`);
    expect(await page.locator('a[rel=prev]').count()).toBe(0);

    await page.goto(`${base}/?status=open&person=spetrova&dataset=hgv-cfd`);
    await queueRows(page).locator('td:nth-child(4) a').first().click();
    expect(await page.locator('h2#events').textContent()).toBe('Events (60)');
    // Every event is kept (not a sample of 20 per object): six pages of ten, each event once, in time order.
    expect(await page.locator('h2#events ~ p', { hasText: 'counted but not kept' }).count()).toBe(0);
    const seen: string[] = [];
    for (let from = 1; from <= 60; from += 10) {
      expect(await page.locator('h2#events + p.total').textContent()).toBe(`Events ${from}–${from + 9} of 60`);
      seen.push(...await page.locator('table[aria-label="Events"] tbody td:nth-child(4)').allTextContents());
      if (from < 51) await page.click('a:has-text("Later events")');
    }
    expect(await page.locator('a:has-text("Later events")').count()).toBe(0);
    expect(new Set(seen).size).toBe(60);
    expect([...seen].sort()).toEqual(Array.from({ length: 60 }, (_, i) => `s3://nfu-aero-research/hgv/runs/case-${String(i).padStart(2, '0')}.cgns`).sort());
    // And back: the earlier pages are the same pages.
    for (let from = 41; from >= 1; from -= 10) {
      await page.click('a:has-text("Earlier events")');
      expect(await page.locator('h2#events + p.total').textContent()).toBe(`Events ${from}–${from + 9} of 60`);
      expect(await page.locator('table[aria-label="Events"] tbody td:nth-child(4)').allTextContents()).toEqual(seen.slice(from - 1, from + 9));
    }
    expect(await page.locator('a:has-text("Earlier events")').count()).toBe(0);
  });

  it('has a favicon, sends no-store, and no page logged a console error', async () => {
    await page.goto(`${base}/`);
    expect(await page.locator('link[rel=icon]').getAttribute('href')).toBe('/favicon.svg');
    const icon = await page.request.get(`${base}/favicon.ico`);
    expect([icon.status(), icon.headers()['content-type']]).toEqual([200, 'image/svg+xml']);
    expect((await page.request.get(`${base}/`)).headers()['cache-control']).toBe('no-store');
    expect(consoleErrors).toEqual([]);
  });

  it('refuses a DNS-rebinding page: another host name that resolves to 127.0.0.1 gets 421', async () => {
    const port = new URL(base).port;
    const rebound = await browser.newPage();
    const res = await rebound.goto(`http://rebind.example:${port}/`);
    expect(res!.status()).toBe(421);
    expect(await rebound.locator('body').textContent()).toMatch(/answers only to 127\.0\.0\.1:\d+, localhost:\d+, \[::1\]:\d+, not to "rebind\.example:\d+"/);
    await rebound.close();
    // and a forged Host header on a plain connection
    const status = await new Promise<number>((resolve) => {
      httpRequest({ host: '127.0.0.1', port, path: '/api/flags', headers: { host: `attacker.example:${port}` } }, (r) => { r.resume(); resolve(r.statusCode!); }).end();
    });
    expect(status).toBe(421);
    expect((await page.request.get(`http://localhost:${port}/`)).status()).toBe(200); // localhost is this machine
  });

  it('without sign-in, serve refuses to listen beyond loopback and says why', async () => {
    const r = await ittmon(['serve', '--store', '/nonexistent', '--host', '0.0.0.0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--host 0\.0\.0\.0 would let anyone who reaches this machine record decisions as .*: without sign-in, serve listens on 127\.0\.0\.1 only\. To serve other machines, sign reviewers in with --oidc-issuer URL --oidc-client-id ID/);
  });
});

run('pseudonymised review page in headless Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  let base: string;
  let stop: () => Promise<number>;
  beforeAll(async () => {
    const { store } = await scannedStore();
    ({ base, stop } = await startServe(['--config', exampleConfig, '--store', store, '--port', '0', '--user', 'rita', '--pseudonymise']));
    browser = await launch();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  it('searches by pseudonym, not by real name or id; reveal asks for a reason that goes into the audit trail', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/?status=open&person=Marco`);
    expect(await queueRows(page).first().textContent()).toMatch(/Persons are shown under pseudonyms \(Person-…\): search by pseudonym/);
    await page.goto(`${base}/?status=open&person=p-009`);
    expect(await queueRows(page).first().textContent()).toMatch(/No open flag has a person, account or pseudonym containing “p-009”/);
    await page.goto(`${base}/?status=open&dataset=hgv-cfd`);
    const alias = (await queueRows(page).first().locator('td:nth-child(5)').textContent())!.trim();
    expect(alias).toMatch(/^Person-[0-9A-F]{6}$/);
    expect(await page.locator('main').textContent()).not.toMatch(/Bianchi|mbianchi|contractor-x|Petrova/);
    await page.goto(`${base}/?status=open&person=${alias.slice(-4).toLowerCase()}`);
    expect(new Set(await queueRows(page).locator('td:nth-child(5)').allTextContents())).toEqual(new Set([alias]));
    await queueRows(page).first().locator('td:nth-child(4) a').click();
    await page.fill('input[name=reason]', 'short');
    await page.click('button:has-text("Reveal identity")'); // the browser checks minlength first
    expect(await page.locator('table[aria-label="Audit trail"] tbody tr').first().textContent()).toMatch(/No decisions yet/);
    await page.fill('input[name=reason]', 'Checking whether the DSP-5 covers this person');
    await page.click('button:has-text("Reveal identity")');
    await expect.poll(() => page.locator('p.msg.ok').textContent()).toBe('Identity revealed; this is recorded in the audit trail with your reason.');
    expect(await page.locator('table[aria-label="Audit trail"] tbody tr').first().textContent()).toMatch(/rita.*reveal.*Checking whether the DSP-5 covers this person/s);
    expect(await page.locator('h1').textContent()).not.toContain(alias);
    await page.close();
  });
});
