import type { Flag } from '#shared/model/index.ts';
import { total, type ScanSummary } from '#shared/pipeline/index.ts';

const counts = (c: Record<string, number>) => Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} (${n})`).join(', ');
/** Terminal output must not carry control characters from the logs (file names are attacker-controlled). */
export const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

export function formatSummary(s: ScanSummary): string {
  const skipped = total(s.skipped);
  const rejected = total(s.rejected);
  const lines = [
    `ittmon scan: ${s.files} file${s.files === 1 ? '' : 's'}, ${s.records} records → ${s.events} events, ${skipped} skipped, ${rejected} rejected`,
  ];
  if (skipped) lines.push(`  skipped:  ${counts(s.skipped)}`);
  if (rejected) lines.push(`  rejected: ${counts(s.rejected)}`);
  const sources = Object.entries(s.bySource).map(([k, n]) => `${k} ${n}`).join(', ');
  if (sources) lines.push(`  sources:  ${sources}`);
  lines.push(`  releases: ${s.releases}, on controlled data: ${s.controlledEvents}`);
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
    out.push(`${status}${f.severity.toUpperCase().padEnd(8)} ${f.day}  ${f.dataset} [${f.classification}]  ${actor}  —  ${reasons}  (${f.eventCount} event${f.eventCount === 1 ? '' : 's'}, flag ${f.id})`);
    for (const r of f.reasons) out.push(`    why: ${r.explanation}`);
    for (const c of f.cleared ?? []) out.push(`    cleared: ${c.explanation}`);
    for (const e of f.events.slice(0, 3)) out.push(`    ${e.time}  ${e.source} ${e.action}  ${e.resource}${e.ip ? `  from ${e.ip}${e.country ? ` (${e.country})` : ''}` : ''}`);
    if (f.eventCount > 3) out.push(`    … ${f.eventCount - 3} more`);
    out.push('');
  }
  return `${out.map(printable).join('\n')}`;
}
