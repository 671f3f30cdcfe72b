import { parseArgs } from 'node:util';
import { diffPolicies, nothingTouched, type EntityChange, type PolicyDiff } from '#shared/diff/index.ts';
import { EXIT, UsageError, type Io } from './io.ts';
import { loadPolicyFromDisk } from './policy.ts';
import { DIFF_USAGE } from './usage.ts';


const show = (v: unknown) => (v === undefined ? '(none)' : Array.isArray(v) ? (v.length ? v.join(', ') : '(none)') : typeof v === 'object' ? JSON.stringify(v) : String(v));

function section(title: string, changes: EntityChange[]): string {
  if (!changes.length) return '';
  const lines = changes.map((c) => {
    if (c.change !== 'changed') return `  ${c.change === 'added' ? '+' : '-'} ${c.id} (${c.change})`;
    return `  ~ ${c.id}: ${c.fields.map((f) => `${f.field} ${show(f.before)} → ${show(f.after)}`).join('; ')}`;
  });
  return `${title}:\n${lines.join('\n')}\n`;
}

export function formatDiff(d: PolicyDiff): string {
  const out = [
    d.home ? `home: ${show(d.home.before)} → ${show(d.home.after)}\n` : '',
    section('datasets', d.datasets), section('people', d.people), section('licenses', d.licenses),
    section('allow', d.allow), section('networks', d.networks), section('catalog', d.catalog),
  ].join('');
  if (nothingTouched(d)) return `${out || 'no changes\n'}Nothing that decides a finding changed: no look-back needed.\n`;
  const t = d.touches;
  return `${out}\nlook back over:\n`
    + `  datasets: ${show(t.datasets)}\n`
    + (t.people.length ? `  people:   ${show(t.people)}\n` : '')
    + (t.accounts.length ? `  accounts: ${show(t.accounts)}\n` : '')
    + `  sources:  ${show(t.sources)}\n`
    + 'Re-read past logs under the new policy: `ittmon scan OLD_LOGS --config NEW_CONFIG --look-back` on a laptop.\n';
}

/** `ittmon diff old/ittmon.yaml new/ittmon.yaml`: what changed, and what it touches. */
export async function diff(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 2) throw new UsageError(`usage: ${DIFF_USAGE}`);
  const [before, after] = await Promise.all(positionals.map((p) => loadPolicyFromDisk(p, io.cwd)));
  const result = diffPolicies(before!, after!);
  io.out(values.json ? `${JSON.stringify(result)}\n` : formatDiff(result));
  return EXIT.ok;
}
