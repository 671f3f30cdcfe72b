import { parseArgs } from 'node:util';
import { RulesError, licenseRequired } from '#shared/rules/index.ts';
import { LOOKUP_USAGE } from './usage.ts';
import { EXIT, UsageError, type Io } from './io.ts';

/** `ittmon lookup 3E001 CN`: is a license required, and why. */
export function lookup(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({ args, options: { reasons: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length < 2) throw new UsageError(`usage: ${LOOKUP_USAGE}`);
  const [classification, ...countryWords] = positionals;
  const reasons = values.reasons?.split(',').map((r) => r.trim()).filter(Boolean);
  let answer;
  try {
    answer = licenseRequired(classification!, countryWords.join(' '), reasons ? { reasons } : {});
  } catch (e) {
    if (e instanceof RulesError) {
      // The rules' hint for an unknown ECCN is written for ittmon.yaml; here the reasons come from --reasons.
      const hint = e.code === 'UNKNOWN_ECCN'
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
  io.out(`${answer.licenseRequired ? 'LICENSE REQUIRED' : 'no license required'}: ${answer.classification} (${answer.jurisdiction}) to ${answer.country}${answer.countryOfConcern ? ' — country of concern' : ''}\n`);
  io.out(`${answer.explanation}\n`);
  for (const r of answer.reasons) io.out(`  ${r.required ? 'X' : '-'} ${r.column.padEnd(8)} ${r.basis}\n`);
  return EXIT.ok;
}
