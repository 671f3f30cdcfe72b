import { describe, expect, it } from 'vitest';
import { ittmon } from './cli.ts';
import { policyChange } from '../e2e/lookback-setup.ts';

const flagsOf = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; status: string; dataset: string; actor: { key: string }; foundBy?: string; policyVersion?: string; eventCount: number });

describe('look back on a laptop: ittmon diff --apply, then ittmon scan --look-back', () => {
  it('supersedes the flags the new policy no longer supports, then finds the past releases it now flags, labelled', async () => {
    const { dir, logs } = policyChange();
    expect((await ittmon(['scan', logs, '--config', 'old/ittmon.yaml', '--store', 'st'], { cwd: dir })).code).toBe(0);
    const live = flagsOf((await ittmon(['flags', '--store', 'st', '--json'], { cwd: dir })).stdout);

    const applied = await ittmon(['diff', 'old/ittmon.yaml', 'new/ittmon.yaml', '--apply', '--store', 'st'], { cwd: dir });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/re-evaluated \d+ stored flags under policy version [0-9a-f]{12}: 2 superseded, 0 strengthened, 0 restored, 0 noted/);
    expect(applied.stdout).toMatch(/superseded +flag [0-9a-f]{16} +rad-hard-asic +p-002 +2026-10-14 +\(open → superseded\): DEEMED_EXPORT CN no longer applies: p-002 is a US person/);
    const version = /policy version ([0-9a-f]{12})/.exec(applied.stdout)![1]!;

    const scanned = await ittmon(['scan', logs, '--config', 'new/ittmon.yaml', '--store', 'st', '--look-back', '--json'], { cwd: dir });
    expect(scanned.code).toBe(0);
    expect(scanned.stderr).toContain(`look-back: policy version ${version}`);
    expect(scanned.stderr).toMatch(/store: +st: 1 flag raised/);
    const stored = flagsOf((await ittmon(['flags', '--store', 'st', '--json'], { cwd: dir })).stdout);
    const found = stored.filter((f) => f.foundBy === 'look-back');
    expect(found.map((f) => [f.dataset, f.actor.key, f.policyVersion])).toEqual([['hgv-cfd', 'p-004', version]]);
    // Live flags keep their counts (the replayed events are the ones already counted) and their label.
    for (const f of live) {
      const now = stored.find((s) => s.id === f.id)!;
      expect([now.eventCount, now.foundBy ?? 'live']).toEqual([f.eventCount, 'live']);
    }
    const table = await ittmon(['flags', '--store', 'st', '--status', 'open'], { cwd: dir });
    expect(table.stdout).toMatch(new RegExp(`found: raised on look-back after policy version ${version} on \\d{4}-\\d{2}-\\d{2}`));

    // Everything again: nothing more (the look-back is done; the re-evaluation finds nothing new).
    const again = await ittmon(['scan', logs, '--config', 'new/ittmon.yaml', '--store', 'st', '--look-back'], { cwd: dir });
    expect(again.stderr).toMatch(/store: +st: 0 flags raised, 0 updated/);
    expect((await ittmon(['diff', 'old/ittmon.yaml', 'new/ittmon.yaml', '--apply', '--store', 'st'], { cwd: dir })).stdout).toMatch(/0 superseded, 0 strengthened, 0 restored, 0 noted \(decided: the decision stands\), \d+ unchanged\n$/);
  });

  it('--store without --apply is a usage error that says what to add', async () => {
    const { dir } = policyChange();
    const r = await ittmon(['diff', 'old/ittmon.yaml', 'new/ittmon.yaml', '--store', 'st'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--store names the store that --apply re-evaluates: add --apply');
  });
});
