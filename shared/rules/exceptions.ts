/**
 * License exceptions of part 740 a reviewer weighs for a finding: TSR, STA, TMP, GOV and ENC, each
 * with the conditions the regulation sets and the entry's own "N/A" flags. A hint never clears a
 * finding; only a `licenses:` entry that cites an eligible exception with its assurance does.
 */
import type { Classification } from './classification.ts';
import { eccnTable } from './classification.ts';
import { countryName, inCountryGroup } from './countries.ts';

export const EXCEPTION_CODES = ['TSR', 'STA', 'TMP', 'GOV', 'ENC'] as const;
export type ExceptionCode = (typeof EXCEPTION_CODES)[number];

export interface ExceptionHint {
  exception: ExceptionCode;
  section: string;
  /** May be available on what the monitor knows (classification, destination, reasons). */
  eligible: boolean;
  /** What a reviewer must still confirm, from part 740. */
  conditions: string;
  /** Why it is not available, when it is not. */
  why?: string;
}

/** The part of a license answer the exceptions look at. */
interface Requirement { column: string; required: boolean }

const SECTION: Record<ExceptionCode, string> = { TSR: '§740.6', STA: '§740.20', TMP: '§740.9', GOV: '§740.11', ENC: '§740.17' };

/** NS1 → NS; prose rows carry the reason itself; fn10 and EMBARGO stay as they are. */
// Stryker disable next-line Regex: column labels are two capitals and a digit, or words without one (EMBARGO, fn10, 0Y521)
const reasonOf = (column: string) => (/^[A-Z]{2}\d$/.test(column) ? column.slice(0, 2) : column);
// Stryker disable next-line Regex,MethodExpression: the generator writes flags trimmed, with N/A only at the start
const notAvailable = (flag: string | undefined) => !!flag && /^N\/A\b/i.test(flag.trim());

/**
 * Does the entry's STA paragraph bar STA for the whole entry to this Country Group? "may not be used
 * for 0E977"; "may not be used to ship any item in this ECCN to … Country Group A:5 or A:6";
 * "Paragraph (c)(2) … may not be used for any technology in 9E610". Limits on some paragraphs stay quoted.
 */
function staBarred(flag: string | undefined, eccn: string, group: 'A:5' | 'A:6'): boolean {
  if (!flag) return false;
  // Stryker disable next-line Regex: the generator writes single spaces; this only guards hand-written data
  const text = flag.replace(/\s+/g, ' ');
  if (new RegExp(`^License Exception STA may not be used for ${eccn}\\.?$`).test(text)) return true;
  const toGroups = /may not be used to ship (?:or transmit )?any (?:item|technology) in this (?:ECCN|entry) to any of the destinations listed in Country Group (A:5 or A:6|A:6)\b/.exec(text)?.[1];
  if (toGroups?.includes(group)) return true;
  const paragraph = group === 'A:5' ? 1 : 2;
  return new RegExp(`Paragraph \\(c\\)\\(${paragraph}\\) of License Exception STA \\(§ 740\\.20\\(c\\)\\(${paragraph}\\)(?: of the EAR)?\\) may not be used for any technology in (?:ECCN )?${eccn}\\b`).test(text);
}

/** Is this exception available for one finding? */
export function exceptionEligibility(code: ExceptionCode, c: Classification, country: string, requirements: readonly Requirement[], opts: { deemed?: boolean } = {}): ExceptionHint {
  const section = SECTION[code];
  const required = [...new Set(requirements.filter((r) => r.required).map((r) => reasonOf(r.column)))];
  const name = countryName(country);
  const no = (why: string, conditions = ''): ExceptionHint => ({ exception: code, section, eligible: false, conditions, why });
  const uncovered = (allowed: string[]) => required.filter((r) => !allowed.includes(r));
  if (c.jurisdiction !== 'EAR') return no('license exceptions are part of the EAR; the ITAR has exemptions instead (22 CFR part 125)');
  const flags = eccnTable[c.eccn]?.exceptions ?? {};
  if (required.includes('EMBARGO') || inCountryGroup(country, 'E:1') || inCountryGroup(country, 'E:2')) {
    return no(`${name} is under a part 746 embargo or in Country Group E; §740.2 and part 746 leave no room for ${code} here`);
  }
  // Stryker disable next-line Regex: an ECCN is five characters, so 0Y521 cannot be part of a longer one
  if (/^0[A-E]521$/.test(c.eccn) && code !== 'GOV') return no('0Y521 items may use License Exception GOV only (§740.2(a)(15))');
  // §740.2: restrictions on every license exception, whatever the entry says.
  if (required.includes('MT')) return no('items controlled for MT reasons may not use a license exception (§740.2(a)(5)(i))');
  if (required.includes('SL') && code !== 'GOV') return no('surreptitious-listening items may use only GOV, for the official use of a U.S. Government agency (§740.2(a)(3))');
  if (required.includes('CC') && code !== 'GOV' && code !== 'STA') return no('items under the §742.7 crime-control requirements may use only GOV or STA, or go to Australia, Japan, New Zealand or a NATO member (§740.2(a)(4))');
  switch (code) {
    case 'TSR': {
      const flag = flags.TSR;
      const conditions = 'a written assurance from the recipient before the release that the technology will not be reexported or released to a national of Country Group D:1 or E (§740.6(a)(3))';
      if (!flag) return no(`the entry ${c.eccn} does not list TSR among its License Exceptions`, conditions);
      if (notAvailable(flag)) return no(`the entry ${c.eccn} lists TSR as N/A`, conditions);
      if (!inCountryGroup(country, 'B')) return no(`TSR reaches Country Group B only (§740.6(a)(1)); ${name} is not in it`, conditions);
      const other = uncovered(['NS', 'AT']);
      if (other.length) return no(`TSR overcomes NS requirements only; this release also needs a license for ${other.join(', ')} (§738.4(a)(2): each requirement is overcome separately)`, conditions);
      return { exception: code, section, eligible: true, conditions: `${conditions}${/except/i.test(flag) ? `; the entry limits it: "${flag}"` : ''}` };
    }
    case 'STA': {
      const flag = flags.STA;
      const conditions = 'the consignee\'s prior statement and the ECCN notice to it (§740.20(d)(1)–(2))';
      if (notAvailable(flag)) return no(`the entry ${c.eccn} lists STA as N/A`, conditions);
      const limits = flag ? `; the entry limits it: "${flag}"` : '';
      const group = inCountryGroup(country, 'A:5') ? 'A:5' : inCountryGroup(country, 'A:6') ? 'A:6' : undefined;
      if (group && staBarred(flag, c.eccn, group)) return no(`the entry ${c.eccn} bars STA to Country Group ${group}: "${flag}"`, conditions);
      if (group === 'A:5') {
        const other = uncovered(['NS', 'CB', 'NP', 'RS', 'CC', 'SI', 'AT']);
        if (other.length) return no(`§740.20(c)(1) covers NS, CB, NP, RS, CC and SI requirements only; this release also needs a license for ${other.join(', ')}`, conditions + limits);
        return { exception: code, section, eligible: true, conditions: `§740.20(c)(1) to Country Group A:5: ${conditions}${limits}` };
      }
      if (group === 'A:6') {
        const other = uncovered(['NS', 'AT']);
        if (other.length) return no(`§740.20(c)(2) covers items controlled only for NS to Country Group A:6; this release also needs a license for ${other.join(', ')}`, conditions + limits);
        return { exception: code, section, eligible: true, conditions: `§740.20(c)(2) to Country Group A:6: ${conditions}${limits}` };
      }
      return no(`STA reaches Country Groups A:5 and A:6 only (§740.20(c)); ${name} is in neither`, conditions);
    }
    case 'TMP': {
      const conditions = 'technology taken abroad by the exporter\'s own U.S.-person employees as a tool of trade, kept under their effective control, and returned or destroyed within one year (§740.9(a)(3))';
      if (opts.deemed) return no('TMP covers temporary exports abroad, not a release to a foreign person in the home country', conditions);
      return { exception: code, section, eligible: true, conditions };
    }
    case 'GOV': {
      const conditions = 'for the official use of a U.S. Government agency or its personnel (§740.11(b)(2)), or of a cooperating government of Country Group A:1 for items controlled only for NS (§740.11(c))';
      return { exception: code, section, eligible: true, conditions };
    }
    case 'ENC': {
      const flag = flags.ENC;
      const conditions = opts.deemed
        ? 'release to the company\'s own employees, contractors or interns for developing or producing new products (§740.17(a)(2))'
        : 'the §740.17(b) classification or self-classification steps for the item, and its reporting';
      if (!flag || notAvailable(flag)) return no(`the entry ${c.eccn} does not list ENC; ENC is for encryption (EI) items`, conditions);
      const other = uncovered(['NS', 'EI', 'AT']);
      if (other.length) return no(`ENC overcomes the NS and EI requirements of encryption items only; this release also needs a license for ${other.join(', ')}`, conditions);
      return { exception: code, section, eligible: true, conditions: `${conditions}; the entry says: "${flag}"` };
    }
  }
}

/** One hint per exception, eligible ones first. */
export function exceptionHints(c: Classification, country: string, requirements: readonly Requirement[], opts: { deemed?: boolean } = {}): ExceptionHint[] {
  const hints = EXCEPTION_CODES.map((code) => exceptionEligibility(code, c, country, requirements, opts));
  return [...hints.filter((h) => h.eligible), ...hints.filter((h) => !h.eligible)];
}

/** A sentence for a flag: the exceptions that may be available, and what they need. */
export function hintText(hints: readonly ExceptionHint[]): string {
  const open = hints.filter((h) => h.eligible);
  if (!open.length) return 'No license exception of TSR, STA, TMP, GOV or ENC is available';
  return `License exceptions that may be available (a hint, not a clearance): ${open.map((h) => `${h.exception} (${h.section}) if ${h.conditions}`).join('; ')}`;
}
