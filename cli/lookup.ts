import { parseArgs } from 'node:util';
import { RulesError, licenseRequired } from '#shared/rules/index.ts';
import { LOOKUP_USAGE } from './usage.ts';
import { EXIT, UsageError, type Io } from './io.ts';

/** `ittmon lookup 9E515.f CN`: is a license required, why, and which license exceptions may apply. */
export function lookup(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({ args, options: { reasons: { type: 'string' }, json: { type: 'boolean' }, deemed: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length < 2) throw new UsageError(`usage: ${LOOKUP_USAGE}`);
  const [classification, ...countryWords] = positionals;
  const reasons = values.reasons?.split(',').map((r) => r.trim()).filter(Boolean);
  const deemed = values.deemed ?? false;
  let answer;
  let other;
  try {
    const ask = (d: boolean) => licenseRequired(classification!, countryWords.join(' '), { ...(reasons ? { reasons } : {}), deemed: d });
    answer = ask(deemed);
    other = ask(!deemed);
  } catch (e) {
    if (e instanceof RulesError) {
      // The rules' hint for an unknown ECCN is written for ittmon.yaml; here the reasons come from --reasons.
      const hint = e.code === 'UNKNOWN_ECCN' && e.hint?.startsWith('add reasons: [')
        ? `give its reasons for control from its CCL entry with --reasons, e.g. ittmon lookup ${classification} ${countryWords.join(' ')} --reasons NS1,AT1`
        : e.hint;
      io.err(`ittmon lookup: ${e.message}${hint ? ` — ${hint}` : ''}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  if (values.json) {
    io.out(`${JSON.stringify(answer)}\n`);
    return EXIT.ok;
  }
  io.out(`${answer.licenseRequired ? 'LICENSE REQUIRED' : 'no license required'}: ${answer.classification} (${answer.jurisdiction}) to ${answer.country}${deemed ? ' as a deemed export' : ''}${answer.countryOfConcern ? ' — country of concern' : ''}\n`);
  io.out(`${answer.explanation}\n`);
  for (const r of answer.reasons) io.out(`  ${r.required ? 'X' : '-'} ${r.column.padEnd(8)} ${r.basis}\n`);
  if (other.licenseRequired !== answer.licenseRequired) {
    io.out(`As ${deemed ? 'an export to the country' : 'a deemed export (a release to its national in the home country)'}: ${other.licenseRequired ? 'license required' : 'no license required'} — ${other.explanation}\n`);
  }
  if (answer.hints.length) {
    io.out('License exceptions (hints: a reviewer confirms the conditions; a hint never clears a flag):\n');
    for (const h of answer.hints) io.out(`  ${h.eligible ? '?' : '-'} ${h.exception.padEnd(4)} ${h.section.padEnd(8)} ${h.eligible ? `may be available if ${h.conditions}` : `not available: ${h.why}`}\n`);
  }
  return EXIT.ok;
}
