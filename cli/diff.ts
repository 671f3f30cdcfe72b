import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { diffPolicies, nothingTouched, policyVersion, type EntityChange, type PolicyDiff } from '#shared/diff/index.ts';
import { reevaluateStoredFlags, type ReevaluationReport } from '#shared/flags/reevaluate.ts';
import { loadGeoDatabase } from '#shared/geo/index.ts';
import { printable } from './format.ts';
import { EXIT, UsageError, type Io } from './io.ts';
import { loadPolicyFromDisk } from './policy.ts';
import { DEFAULT_STORE, LocalSession } from './store.ts';
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

/** What re-evaluation did, one line per flag it changed or noted, then the counts. */
export function formatReevaluation(r: ReevaluationReport): string {
  const counts = { superseded: 0, strengthened: 0, restored: 0, noted: 0, unchanged: 0 };
  const lines: string[] = [];
  for (const f of r.flags) {
    counts[f.outcome] += 1;
    if (f.outcome !== 'unchanged') lines.push(`  ${f.outcome.padEnd(12)} flag ${f.id}  ${f.dataset}  ${f.actor}  ${f.day}  (${f.from.replace('_', ' ')} → ${f.to.replace('_', ' ')}): ${f.why}`);
  }
  return `re-evaluated ${r.flags.length} stored flag${r.flags.length === 1 ? '' : 's'} under policy version ${r.policyVersion}: `
    + `${counts.superseded} superseded, ${counts.strengthened} strengthened, ${counts.restored} restored, ${counts.noted} noted (decided: the decision stands), ${counts.unchanged} unchanged\n`
    + lines.map((l) => `${printable(l)}\n`).join('');
}

/**
 * `ittmon diff old/ittmon.yaml new/ittmon.yaml`: what changed, and what it touches. With `--apply`,
 * the stored flags are re-evaluated under the new policy (as AWS does on a new config version).
 */
export async function diff(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, apply: { type: 'boolean' }, store: { type: 'string' } } });
  if (positionals.length !== 2) throw new UsageError(`usage: ${DIFF_USAGE}`);
  if (values.store !== undefined && !values.apply) throw new UsageError('--store names the store that --apply re-evaluates: add --apply (or leave out --store to only compare the two policies)');
  const [before, after] = await Promise.all(positionals.map((p) => loadPolicyFromDisk(p, io.cwd)));
  const result = diffPolicies(before!, after!);
  if (!values.apply) {
    io.out(values.json ? `${JSON.stringify(result)}\n` : formatDiff(result));
    return EXIT.ok;
  }
  let geoDatabase: Buffer;
  try {
    geoDatabase = loadGeoDatabase(after!.geoip && resolve(io.cwd, after!.geoip));
  } catch (e) {
    throw new UsageError(`${after!.files.config}: geoip: cannot read ${after!.geoip}: ${(e as Error).message}`);
  }
  const session = await LocalSession.open(values.store ?? DEFAULT_STORE, io.cwd, { create: false, command: 'diff --apply' });
  try {
    const report = await reevaluateStoredFlags(session.store, {
      config: after!, policyVersion: policyVersion(after!), geoDatabase, publisher: session.sinks.publisher!, linkBase: session.sinks.linkBase,
    });
    if (values.json) io.out(`${JSON.stringify({ diff: result, reevaluation: { policyVersion: report.policyVersion, flags: report.flags } })}\n`);
    else io.out(`${formatDiff(result)}\n${formatReevaluation(report)}`);
  } finally {
    await session.close();
  }
  return EXIT.ok;
}
