import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ittmon } from '../integration/cli.ts';
import { policyChange } from './lookback-setup.ts';
import { CHROMIUM, launch, startServe } from './serve.ts';

// CI installs Chromium (.ci/run); a developer machine without it skips these tests, CI never does.
const run = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;
const queueRows = (page: Page) => page.locator('table[aria-label="Review queue"] tbody tr');

run('look-back and superseded flags on the review page, in headless Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let page: Page;
  let base: string;
  let stop: () => Promise<number>;
  let version: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    // The officer's sequence on a laptop: live scan, policy change re-evaluated, look-back over the old logs.
    const { dir, logs } = policyChange();
    const store = join(dir, 'st');
    for (const args of [
      ['scan', logs, '--config', join(dir, 'old/ittmon.yaml'), '--store', store],
      ['diff', join(dir, 'old/ittmon.yaml'), join(dir, 'new/ittmon.yaml'), '--apply', '--store', store],
      ['scan', logs, '--config', join(dir, 'new/ittmon.yaml'), '--store', store, '--look-back'],
    ]) {
      const r = await ittmon(args);
      if (r.code !== 0) throw new Error(`${args[0]} failed: ${r.stderr}`);
      version ??= /policy version ([0-9a-f]{12})/.exec(r.stdout)?.[1] as string;
    }
    ({ base, stop } = await startServe(['--config', join(dir, 'new/ittmon.yaml'), '--store', store, '--port', '0', '--user', 'rita']));
    browser = await launch();
    page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`); });
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  it('the queue filters to what the look-back uncovered, and the flag says when and after which policy version', async () => {
    await page.goto(`${base}/`);
    const all = await queueRows(page).count();
    await page.selectOption('select[name=foundBy]', 'look-back');
    await page.click('button:has-text("Filter")');
    expect(page.url()).toContain('foundBy=look-back');
    expect(await queueRows(page).count()).toBe(1);
    expect(all).toBeGreaterThan(1);
    const row = queueRows(page).first();
    expect(await row.textContent()).toMatch(/James Whitfield.*DEEMED_EXPORT CN/s);
    expect(await row.locator('.lookback').textContent()).toBe('look-back');
    await row.locator('td:nth-child(4) a').click();
    expect(await page.locator('p.found').textContent()).toMatch(new RegExp(`^This flag was raised on look-back after policy version ${version} on \\d{4}-\\d{2}-\\d{2}\\.$`));
    // The other way round: live only leaves it out.
    await page.goto(`${base}/?foundBy=live`);
    expect(await queueRows(page).filter({ hasText: 'James Whitfield' }).count()).toBe(0);
    expect(await queueRows(page).count()).toBe(all - 1);
  });

  it('a superseded flag shows why, offers only reopen, and reopening puts it back in the open queue on the record', async () => {
    await page.goto(`${base}/`);
    await page.click('header a:has-text("Superseded")');
    const rows = queueRows(page);
    expect(await rows.count()).toBe(2);
    expect(await rows.allTextContents()).toEqual([expect.stringMatching(/superseded.*rad-hard-asic.*Li Wei/s), expect.stringMatching(/superseded.*rad-hard-asic.*Li Wei/s)]);
    await rows.first().locator('td:nth-child(4) a').click();
    const id = page.url().split('/flags/')[1]!;
    expect(await page.locator('p.msg.superseded').textContent()).toBe(`Superseded: superseded by policy version ${version}: DEEMED_EXPORT CN no longer applies: p-002 is a US person. It is kept with its record; reopen it if the finding still needs review.`);
    expect(await page.locator('select[name=action] option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual(['reopen']);
    await page.fill('textarea[name=justification]', 'The residency card is not yet issued: review it.');
    await page.click('button:has-text("Record decision")');
    await expect.poll(() => page.locator('p.msg').first().textContent()).toBe('Recorded: reopen → open (version 2)');
    const audit = await page.locator('table[aria-label="Audit trail"] tbody tr').allTextContents();
    expect(audit).toEqual([expect.stringMatching(/system.*supersede.*open → superseded.*superseded by policy version/s), expect.stringMatching(/rita.*reopen.*superseded → open.*residency card/s)]);
    await page.goto(`${base}/?status=open`);
    expect(await page.locator(`a[href="/flags/${id}"]`).count()).toBe(1);
    expect(consoleErrors).toEqual([]);
  });
});
