import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '#test/helpers.ts';
import { ittmon } from './cli.ts';

const config = join(repoRoot, 'examples/ittmon.yaml');
const stable = (jsonLines: string) => jsonLines.trim().split('\n').map((l) => {
  const { createdAt: _c, updatedAt: _u, ...rest } = JSON.parse(l);
  return rest;
});

/** Many distinct log objects: each copy of the examples shifted to its own day. */
function corpus(copies: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'ittmon-corpus-'));
  const files = ['s3-access', 'github'].flatMap((d) => readdirSync(join(repoRoot, 'examples/logs', d)).map((f) => join('examples/logs', d, f)));
  for (let i = 0; i < copies; i++) {
    mkdirSync(join(dir, String(i)));
    const day = String((i % 28) + 1).padStart(2, '0');
    for (const f of files) {
      const text = readFileSync(join(repoRoot, f), 'utf8').replace(/14\/Oct\/2026/g, `${day}/Oct/2026`).replace(/REQ|EXAMPLE/g, (m) => `${m}${i}`)
        .replace(/"_document_id": "([^"]+)"/g, `"_document_id": "$1-${i}"`);
      writeFileSync(join(dir, String(i), f.split('/').pop()!), text);
    }
  }
  return dir;
}

describe('the store keeps flags exactly once', () => {
  it('scanning the same logs three times gives identical flags; a second scan adds nothing', async () => {
    const store = mkdtempSync(join(tmpdir(), 'ittmon-store-'));
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const scan = await ittmon(['scan', 'examples/logs', '--config', config, '--store', store]);
      expect(scan.code).toBe(0);
      if (i > 0) expect(scan.stderr).toMatch(/store: .*: 0 flags raised, 0 updated/);
      runs.push((await ittmon(['flags', '--store', store, '--json'])).stdout);
    }
    expect(runs[1]).toBe(runs[0]);
    expect(runs[2]).toBe(runs[0]);
    expect(stable(runs[0]!)).toHaveLength(19);
    const events = readFileSync(join(store, 'events.jsonl'), 'utf8').trim().split('\n');
    expect(events.filter((e) => e.includes('Export Review Flag Raised'))).toHaveLength(19);
    expect(readdirSync(join(store, 'quarantine')).length).toBe(7);
    const objects = (await ittmon(['flags', '--store', store, '--objects', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects).toHaveLength(7);
    for (const o of objects) expect(o.records).toBe(o.events + o.skipped + o.rejected);
    expect(objects.reduce((n: number, o: { records: number }) => n + o.records, 0)).toBe(52);
    expect((await ittmon(['flags', '--store', store, '--objects'])).stdout).toMatch(/^14 records = 9 events \+ 4 skipped \+ 1 rejected; \d+ flags? {2}file:\/\/.*s3-access/m);
  });

  it('a scan killed in the middle and run again ends identical to a clean run', async () => {
    const logs = corpus(60);
    const clean = mkdtempSync(join(tmpdir(), 'ittmon-clean-'));
    await ittmon(['scan', logs, '--config', config, '--store', clean]);
    const expected = stable((await ittmon(['flags', '--store', clean, '--json'])).stdout);

    const killed = mkdtempSync(join(tmpdir(), 'ittmon-killed-'));
    const child = spawn(process.execPath, [join(repoRoot, 'cli/bin.mjs'), 'scan', logs, '--config', config, '--store', killed], { stdio: 'ignore', env: { ...process.env } });
    const events = join(killed, 'events.jsonl');
    const started = Date.now();
    while (!(existsSync(events) && readFileSync(events, 'utf8').split('\n').length > 40) && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const partial = stable((await ittmon(['flags', '--store', killed, '--json'])).stdout);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(expected.length);

    await ittmon(['scan', logs, '--config', config, '--store', killed]);
    expect(stable((await ittmon(['flags', '--store', killed, '--json'])).stdout)).toEqual(expected);
  }, 120_000);

  it('a file that grows replaces its old evidence instead of adding to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ittmon-grow-'));
    const store = join(dir, 'store');
    cpSync(join(repoRoot, 'examples/logs/github'), join(dir, 'logs'), { recursive: true });
    const file = join(dir, 'logs', 'nfu-aero-audit-2026-10-15.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, lines.slice(0, 3).join('\n'));
    await ittmon(['scan', join(dir, 'logs'), '--config', config, '--store', store]);
    writeFileSync(file, lines.join('\n'));
    await ittmon(['scan', join(dir, 'logs'), '--config', config, '--store', store]);
    const fromStore = stable((await ittmon(['flags', '--store', store, '--json'])).stdout).map((f) => [f.id, f.eventCount]).sort();
    const fresh = join(dir, 'fresh');
    await ittmon(['scan', join(dir, 'logs'), '--config', config, '--store', fresh]);
    expect(fromStore).toEqual(stable((await ittmon(['flags', '--store', fresh, '--json'])).stdout).map((f) => [f.id, f.eventCount]).sort());
  });

  it('ittmon flags without a store says how to make one', async () => {
    const r = await ittmon(['flags', '--store', join(tmpdir(), 'no-such-store-here')]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/no flag store in .*: run ittmon scan PATH --store/)]);
  });
});
