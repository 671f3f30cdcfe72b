import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '#test/helpers.ts';

/**
 * The example lab before and after a policy change: Li Wei (p-002) becomes a permanent resident
 * (a US person), James Whitfield (p-004) turns out to hold a second citizenship, CN.
 */
export function policyChange(): { dir: string; logs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lookback-'));
  for (const v of ['old', 'new']) cpSync(join(repoRoot, 'examples'), join(dir, v), { recursive: true, filter: (src) => !src.includes('/logs') });
  const people = join(dir, 'new', 'people.csv');
  writeFileSync(people, readFileSync(people, 'utf8')
    .replace('p-002,Li Wei,li.wei@northfield.edu,github:lwei,CN,,,', 'p-002,Li Wei,li.wei@northfield.edu,github:lwei,CN,US,,')
    .replace(',github:jwhitfield,GB,', ',github:jwhitfield,GB;CN,'));
  return { dir, logs: join(repoRoot, 'examples', 'logs') };
}
