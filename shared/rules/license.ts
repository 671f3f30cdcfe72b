import chart from './data/country-chart.json' with { type: 'json' };
import eccnData from './data/eccn.json' with { type: 'json' };
import embargoes from './data/embargoes.json' with { type: 'json' };
import itar from './data/itar.json' with { type: 'json' };
import { eccnEntry, parseClassification, type Classification } from './classification.ts';
import { countryName, inCountryGroup, resolveCountry } from './countries.ts';
import { RulesError } from './errors.ts';

export interface ReasonResult { column: string; required: boolean; basis: string }

export interface LicenseAnswer {
  classification: string;
  jurisdiction: 'ITAR' | 'EAR';
  country: string;
  licenseRequired: boolean;
  /** One entry per reason for control considered, with the rule it rests on. */
  reasons: ReasonResult[];
  /** ITAR §126.1 for ITAR; Country Group E:1/E:2 for the EAR. */
  countryOfConcern: boolean;
  explanation: string;
}

export interface LicenseOptions {
  /** Reasons for control that override the ECCN table (a dataset under only some paragraphs). */
  reasons?: readonly string[];
  /** The exporting country: a release there is not an export. */
  home?: string;
}

interface SpecialReason { basis: string; rule: 'all' | 'allExcept' | 'footnote'; except?: string[]; footnote?: number; text: string }
interface ChartRow { name: string; x: string[]; footnotes?: number[] }

export const chartColumns: readonly string[] = chart.columns;
const specialReasons: Record<string, SpecialReason> = eccnData.special as Record<string, SpecialReason>;
const rows: Record<string, ChartRow> = chart.rows;
const pointerRows: Record<string, { name: string; see: string }> = chart.pointerRows;
const sameAs: Record<string, { row: string; basis: string }> = chart.sameAs;
const cclEmbargo: Record<string, string> = embargoes.ccl;
const ear99Embargo: Record<string, string> = embargoes.ear99;
const itarConcern = new Map<string, string>([
  ...itar.section126_1.d1.countries.map((c): [string, string] => [c, itar.section126_1.d1.label]),
  ...itar.section126_1.d2.countries.map((c): [string, string] => [c, itar.section126_1.d2.label]),
]);
const itarSameAs: Record<string, string> = itar.sameAs;
/** US territories are the United States for export purposes (§772.1 "United States"). */
const usTerritories = new Set(['PR', 'GU', 'VI', 'AS', 'MP', 'UM']);

export const knownReasons: readonly string[] = [...chart.columns, ...Object.keys(specialReasons)];

export function isKnownReason(reason: string): boolean {
  return knownReasons.includes(reason);
}

/** Normalises `NS 1`, `ns1` → `NS1`; throws on anything that is not a reason for control. */
export function normaliseReason(reason: string): string {
  const r = reason.replace(/\s+/g, '').toUpperCase();
  if (!isKnownReason(r)) {
    throw new RulesError('UNKNOWN_REASON', `unknown reason for control "${reason}"`, `use Country Chart columns (${chart.columns.join(', ')}) or ${Object.keys(specialReasons).join(', ')}`);
  }
  return r;
}

export function isCountryOfConcern(jurisdiction: 'ITAR' | 'EAR', country: string): boolean {
  if (jurisdiction === 'ITAR') return itarConcern.has(itarSameAs[country] ?? country);
  return inCountryGroup(country, 'E:1') || inCountryGroup(country, 'E:2');
}

/**
 * Does releasing data of this classification to this country need a license?
 * ITAR: every foreign country. EAR: an X in the Commerce Country Chart under one of the ECCN's
 * columns, its special reasons, and the part 746 embargoes (EAR99: embargoes only).
 */
export function licenseRequired(classification: string | Classification, countryInput: string, options: LicenseOptions = {}): LicenseAnswer {
  const c = typeof classification === 'string' ? parseClassification(classification) : classification;
  const country = resolveCountry(countryInput);
  const home = options.home ?? 'US';
  const atHome = country === home || (home === 'US' && usTerritories.has(country));
  const reasons = atHome ? [{ column: 'HOME', required: false, basis: `${countryName(country)} is the home country: a release there is not an export` }]
    : c.jurisdiction === 'ITAR' ? itarReasons(country)
    : earReasons(c.eccn, country, options.reasons);
  const required = reasons.some((r) => r.required);
  const concern = isCountryOfConcern(c.jurisdiction, country);
  return {
    classification: c.display,
    jurisdiction: c.jurisdiction,
    country,
    licenseRequired: required,
    reasons,
    countryOfConcern: concern,
    explanation: explain(c, country, required, reasons, concern),
  };
}

function itarReasons(country: string): ReasonResult[] {
  const result: ReasonResult[] = [{ column: 'ITAR', required: true, basis: 'ITAR §120.50, §120.56, §125.2: any release of technical data to a foreign person or destination needs authorization (DSP-5, TAA or an exemption)' }];
  const concern = itarConcern.get(itarSameAs[country] ?? country);
  if (concern) result.push({ column: '§126.1', required: true, basis: `${concern}: ${countryName(country)} is a proscribed country (22 CFR 126.1)` });
  return result;
}

function earReasons(eccn: string, country: string, explicit?: readonly string[]): ReasonResult[] {
  const name = countryName(country);
  const result: ReasonResult[] = [];
  if (eccn === 'EAR99') {
    result.push({ column: 'EAR99', required: false, basis: 'EAR99 is on no Country Chart column (§734.3(c)); a license follows only from part 746 embargoes or part 744 end-user and end-use rules' });
  } else {
    const reasons = explicit?.length ? explicit.map(normaliseReason) : eccnEntry(eccn).reasons;
    const rowCode = sameAs[country]?.row ?? country;
    const row = rows[rowCode];
    const pointer = pointerRows[rowCode];
    const via = sameAs[country] ? ` (${sameAs[country]!.basis})` : '';
    for (const reason of reasons) {
      const special = specialReasons[reason];
      if (special) result.push(specialResult(reason, special, rowCode));
      else if (pointer) result.push({ column: reason, required: true, basis: `the ${pointer.name} row has no marks and refers to ${pointer.see} (Supp. 1 to part 738)` });
      else if (row) {
        const x = row.x.includes(reason);
        result.push({ column: reason, required: x, basis: `${x ? 'X' : 'no X'} in ${reason} for ${row.name}${via} (Supp. 1 to part 738)` });
      } else {
        result.push({ column: reason, required: true, basis: `${name} has no row in the Commerce Country Chart; §738.3(b) gives no answer, so it is treated as requiring a license until reviewed` });
      }
    }
  }
  const embargo = (eccn === 'EAR99' ? ear99Embargo : cclEmbargo)[country];
  if (embargo) result.push({ column: 'EMBARGO', required: true, basis: embargo });
  return result;
}

function specialResult(reason: string, special: SpecialReason, rowCode: string): ReasonResult {
  const required = special.rule === 'all' ? true
    : special.rule === 'allExcept' ? !(special.except ?? []).includes(rowCode)
    : (rows[rowCode]?.footnotes ?? []).includes(special.footnote ?? -1) || Object.hasOwn(pointerRows, rowCode);
  return { column: reason, required, basis: `${special.basis}: ${special.text}` };
}

function listJoin(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function explain(c: Classification, country: string, required: boolean, reasons: ReasonResult[], concern: boolean): string {
  const name = `${countryName(country)} (${country})`;
  if (reasons[0]?.column === 'HOME') return `${c.display}: ${name} is the home country; no export license question arises.`;
  if (c.jurisdiction === 'ITAR') {
    return `${c.display} is ITAR technical data: releasing it to ${name} needs authorization (22 CFR 120.50, 125.2)${concern ? `; ${name} is a proscribed country under 22 CFR 126.1 (policy of denial)` : ''}.`;
  }
  const hits = reasons.filter((r) => r.required);
  if (!required) {
    const checked = reasons.map((r) => r.column).join(', ');
    return `${c.display} to ${name}: no license required by the Commerce Country Chart (${checked} checked) or part 746; part 744 end-user and end-use rules are not evaluated.`;
  }
  const chartHits = hits.filter((r) => chartColumns.includes(r.column)).map((r) => r.column);
  const parts: string[] = [];
  if (chartHits.length) parts.push(`${listJoin(chartHits)} require${chartHits.length === 1 ? 's' : ''} a license for ${country} (Supp. 1 to part 738)`);
  for (const r of hits) if (!chartColumns.includes(r.column)) parts.push(r.basis);
  return `${c.display} to ${name}: license required — ${parts.join('; ')}${concern ? `; ${name} is a country of concern (Country Group E)` : ''}.`;
}
