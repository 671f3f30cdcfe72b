import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '#test/helpers.ts';
import { ittmon } from './cli.ts';

function twoPolicies() {
  const dir = mkdtempSync(join(tmpdir(), 'diff-'));
  for (const v of ['old', 'new']) cpSync(join(repoRoot, 'examples'), join(dir, v), { recursive: true, filter: (src) => !src.includes('/logs') });
  const people = join(dir, 'new', 'people.csv');
  writeFileSync(people, readFileSync(people, 'utf8').replace(',github:jwhitfield,GB,', ',github:jwhitfield,GB;IR,'));
  const yaml = join(dir, 'new', 'ittmon.yaml');
  writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('expires: 2027-12-31', 'expires: 2026-06-30'));
  return dir;
}

describe('ittmon diff', () => {
  it('prints each change with both values, and what to look back over', async () => {
    const dir = twoPolicies();
    const { code, stdout } = await ittmon(['diff', 'old/ittmon.yaml', 'new/ittmon.yaml'], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toContain('  ~ p-004: citizenships GB → GB, IR');
    expect(stdout).toContain('  ~ DSP5-123456: expires 2027-12-31 → 2026-06-30');
    expect(stdout).toContain('  people:   p-004');
    expect(stdout).toContain('--look-back');
  });

  it('--json gives the same diff as data', async () => {
    const dir = twoPolicies();
    const { stdout } = await ittmon(['diff', 'old/ittmon.yaml', 'new/ittmon.yaml', '--json'], { cwd: dir });
    const d = JSON.parse(stdout);
    expect(d.people).toEqual([{ id: 'p-004', change: 'changed', fields: [{ field: 'citizenships', before: ['GB'], after: ['GB', 'IR'] }] }]);
    expect(d.touches.people).toEqual(['p-004']);
  });

  it('the same file twice: nothing to look back over', async () => {
    const dir = twoPolicies();
    const { stdout } = await ittmon(['diff', 'old/ittmon.yaml', 'old/ittmon.yaml'], { cwd: dir });
    expect(stdout).toBe('no changes\nNothing that decides a finding changed: no look-back needed.\n');
  });

  it('one argument is a usage error (exit 2)', async () => {
    const { code, stderr } = await ittmon(['diff', 'ittmon.yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain('ittmon diff OLD_CONFIG NEW_CONFIG [--json]');
  });
});
