import type { Flag } from '#shared/model/index.ts';
import { lookBackText } from '#shared/flags/index.ts';
import { total, type ScanSummary } from '#shared/pipeline/index.ts';

const counts = (c: Record<string, number>) => Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} (${n})`).join(', ');
/** "1 record", "2 records"; `many` for irregular plurals ("1 US person", "2 US persons"). */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** Terminal output must not carry control characters from the logs (file names are attacker-controlled). */
export const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/**
 * The summary on stderr. Every record is accounted for: records = events + skipped + rejected, and
 * the sources line adds up to the records (those no source read are said to be).
 */
export function formatSummary(s: ScanSummary): string {
  const skipped = total(s.skipped);
  const rejected = total(s.rejected);
  const lines = [
    `ittmon scan: ${plural(s.files, 'file')}, ${plural(s.records, 'record')} → ${plural(s.events, 'event')}, ${skipped} skipped, ${rejected} rejected`,
  ];
  if (skipped) lines.push(`  skipped:  ${counts(s.skipped)}`);
  if (rejected) lines.push(`  rejected: ${counts(s.rejected)}`);
  const bySource = Object.entries(s.bySource).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`);
  const unread = s.records - total(s.bySource as Record<string, number>);
  if (unread > 0) bySource.push(`none ${unread} (in no log format or not a record; counted above as skipped or rejected)`);
  if (bySource.length) lines.push(`  sources:  ${bySource.join(', ')}`);
  lines.push(`  releases: ${s.releases} of the ${plural(s.events, 'event')} put content in someone's hands (a download, clone, view); ${s.controlledEvents} of them touched controlled data`);
  const f = s.flagsBySeverity;
  lines.push(`  flags:    ${f.critical} critical, ${f.high} high, ${f.medium} medium, ${f.low} low; cleared by license: ${s.clearedByLicense}`);
  return `${lines.map(printable).join('\n')}\n`;
}

export function formatFlags(flags: Flag[]): string {
  if (!flags.length) return 'No flags: no release of controlled data needs review.\n';
  const out: string[] = [];
  for (const f of flags) {
    const actor = f.actor.name ? `${f.actor.name} (${f.actor.key})` : f.actor.key;
    const reasons = f.reasons.map((r) => (r.country ? `${r.code} ${r.country}` : r.code)).join(', ') || 'cleared by license';
    const status = 'status' in f ? `[${String(f.status).replace('_', ' ')}] ` : '';
    // A flag whose every finding a license cleared has no severity to show: it says so instead.
    const level = f.reasons.length ? f.severity.toUpperCase() : 'CLEARED';
    out.push(`${status}${level.padEnd(8)} ${f.day}  ${f.dataset} [${f.classification}]  ${actor}  —  ${reasons}  (${plural(f.eventCount, 'event')}, flag ${f.id})`);
    const found = lookBackText(f);
    if (found) out.push(`    found: ${found}`);
    for (const r of f.reasons) out.push(`    why: ${r.explanation}`);
    for (const c of f.cleared ?? []) out.push(`    cleared: ${c.explanation}`);
    for (const e of f.events.slice(0, 3)) out.push(`    ${e.time}  ${e.source} ${e.action}  ${e.resource}${e.ip ? `  from ${e.ip}${e.country ? ` (${e.country})` : ''}` : ''}`);
    if (f.eventCount > 3) out.push(`    … ${f.eventCount - 3} more`);
    out.push('');
  }
  return `${out.map(printable).join('\n')}`;
}
