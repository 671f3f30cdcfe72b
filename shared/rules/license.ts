import chart from './data/country-chart.json' with { type: 'json' };
import embargoes from './data/embargoes.json' with { type: 'json' };
import itar from './data/itar.json' with { type: 'json' };
import { rowApplies, type LicenseRow, type Rule } from './ccl.ts';
import { eccnEntry, parseClassification, type Classification } from './classification.ts';
import { countryName, inCountryGroup, resolveCountry } from './countries.ts';
import { RulesError } from './errors.ts';
import { exceptionHints, type ExceptionHint } from './exceptions.ts';

export interface ReasonResult {
  /** The chart column (NS1), the reason for control of a prose row (RS), EMBARGO, ITAR or HOME. */
  column: string;
  required: boolean;
  /** The rule and the section it rests on, in a sentence. */
  basis: string;
  /** The section alone, for reviewers and tests (Supp. No. 1 to part 738, §742.6(a)(7), …). */
  citation?: string;
  /** The row does not reach the dataset's paragraph. */
  notForParagraph?: true;
  /** The regulation carves deemed exports out of this requirement, and this is one. */
  deemedExportExcluded?: string;
}

export interface LicenseAnswer {
  classification: string;
  jurisdiction: 'ITAR' | 'EAR';
  country: string;
  licenseRequired: boolean;
  /** Whether the release was judged as a deemed export (to a foreign person in the home country). */
  deemedExport: boolean;
  /** One entry per License Requirements row considered, with the rule it rests on. */
  reasons: ReasonResult[];
  /** ITAR §126.1 for the ITAR; Country Group E:1/E:2 for the EAR. */
  countryOfConcern: boolean;
  explanation: string;
  /** License exceptions that may be available. A hint never clears a finding. */
  hints: ExceptionHint[];
}

export interface LicenseOptions {
  /** Reasons for control that replace the ECCN table (a dataset under only some paragraphs). */
  reasons?: readonly string[];
  /** The exporting country: a release there is not an export. */
  home?: string;
  /** A release to a foreign person in the home country (§734.13(b)), not an export to a place. */
  deemed?: boolean;
}

interface ChartRow { name: string; x: string[]; footnotes?: number[] }

export const chartColumns: readonly string[] = chart.columns;
const rows: Record<string, ChartRow> = chart.rows;
const pointerRows: Record<string, { name: string; see: string }> = chart.pointerRows;
const sameAs: Record<string, { row: string; basis: string }> = chart.sameAs;
const cclEmbargo: Record<string, string> = embargoes.ccl;
const cclDeemedExcluded: Record<string, string> = embargoes.cclDeemedExportsExcluded;
const ear99Embargo: Record<string, string> = embargoes.ear99;
const itarConcern = new Map<string, string>([
  ...itar.section126_1.d1.countries.map((c): [string, string] => [c, itar.section126_1.d1.label]),
  ...itar.section126_1.d2.countries.map((c): [string, string] => [c, itar.section126_1.d2.label]),
]);
const itarSameAs: Record<string, string> = itar.sameAs;
/** US territories are the United States for export purposes (§772.1 "United States"). */
const usTerritories = new Set(['PR', 'GU', 'VI', 'AS', 'MP', 'UM']);

/** Reasons a dataset may list by hand that are not Country Chart columns, with the rule each follows. */
const SPECIAL_REASONS: Record<string, Pick<LicenseRow, 'reason' | 'rule' | 'basis'>> = {
  EI: { reason: 'EI', rule: { kind: 'allExcept', except: ['CA'] }, basis: '§742.15(a)' },
  SI: { reason: 'SI', rule: { kind: 'allExcept', except: ['CA'] }, basis: '§742.14(a)' },
  SL: { reason: 'SL', rule: { kind: 'worldwide' }, basis: '§742.13(a)' },
  UN: { reason: 'UN', rule: { kind: 'footnote', footnote: 1 }, basis: '§746.1(b)' },
  '0Y521': { reason: 'RS', rule: { kind: 'allExcept', except: ['CA'] }, basis: '§742.6(a)(8)' },
};

export const knownReasons: readonly string[] = [...chart.columns, ...Object.keys(SPECIAL_REASONS)];

export function isKnownReason(reason: string): boolean {
  return knownReasons.includes(reason);
}

/** Normalises `NS 1`, `ns1` → `NS1`; throws on anything that is not a reason for control. */
export function normaliseReason(reason: string): string {
  // Stryker disable next-line Regex: taking out each space or each run of spaces is the same
  const r = reason.replace(/\s+/g, '').toUpperCase();
  if (!isKnownReason(r)) {
    throw new RulesError('UNKNOWN_REASON', `unknown reason for control "${reason}"`, `use Country Chart columns (${chart.columns.join(', ')}) or ${Object.keys(SPECIAL_REASONS).join(', ')}`);
  }
  return r;
}

function rowsForReasons(reasons: readonly string[]): LicenseRow[] {
  return reasons.map(normaliseReason).map((r): LicenseRow => {
    const special = SPECIAL_REASONS[r];
    if (special) return { ...special, label: r, text: `${r}, as listed for the dataset` };
    return { reason: r.replace(/\d$/, ''), label: r, rule: { kind: 'column', column: r }, basis: 'Supp. No. 1 to part 738', text: `${r}, as listed for the dataset` };
  });
}

export function isCountryOfConcern(jurisdiction: 'ITAR' | 'EAR', country: string): boolean {
  if (jurisdiction === 'ITAR') return itarConcern.has(itarSameAs[country] ?? country);
  return inCountryGroup(country, 'E:1') || inCountryGroup(country, 'E:2');
}

/**
 * Does releasing data of this classification to this country need a license?
 * ITAR: every foreign country. EAR: each License Requirements row of the ECCN that reaches the
 * dataset's paragraph — a Country Chart column or a rule in prose — and the part 746 embargoes
 * (EAR99: embargoes only). Where the regulation excludes deemed exports from a rule, a deemed
 * export is judged without it.
 */
export function licenseRequired(classification: string | Classification, countryInput: string, options: LicenseOptions = {}): LicenseAnswer {
  const c = typeof classification === 'string' ? parseClassification(classification) : classification;
  const country = resolveCountry(countryInput);
  const home = options.home ?? 'US';
  const deemed = options.deemed ?? false;
  const atHome = country === home || (home === 'US' && usTerritories.has(country));
  const reasons = atHome ? [{ column: 'HOME', required: false, basis: `${countryName(country)} is the home country: a release there is not an export` }]
    : c.jurisdiction === 'ITAR' ? itarReasons(country)
    : earReasons(c.eccn, c.paragraph, country, home, deemed, options.reasons);
  const required = reasons.some((r) => r.required);
  const concern = isCountryOfConcern(c.jurisdiction, country);
  return {
    classification: c.display,
    jurisdiction: c.jurisdiction,
    country,
    licenseRequired: required,
    deemedExport: deemed,
    reasons,
    countryOfConcern: concern,
    explanation: explain(c, country, required, reasons, concern, deemed),
    hints: required && c.jurisdiction === 'EAR' ? exceptionHints(c, country, reasons, { deemed }) : [],
  };
}

function itarReasons(country: string): ReasonResult[] {
  const result: ReasonResult[] = [{ column: 'ITAR', required: true, citation: '§120.50', basis: 'ITAR §120.50, §120.56, §125.2: any release of technical data to a foreign person or destination needs authorization (DSP-5, TAA or an exemption)' }];
  const concern = itarConcern.get(itarSameAs[country] ?? country);
  if (concern) result.push({ column: '§126.1', required: true, citation: '§126.1', basis: `${concern}: ${countryName(country)} is a proscribed country (22 CFR 126.1)` });
  return result;
}

const listJoin = (items: string[], word = 'and') => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} ${word} ${items.at(-1)}`);

/** The destinations a rule reaches, in words. */
export function describeRule(rule: Rule): string {
  switch (rule.kind) {
    case 'column': return `where the Country Chart shows an X in ${rule.column}`;
    case 'worldwide': return rule.exportedFrom ? `to every destination, when exported from ${listJoin([...rule.exportedFrom.countries.map(countryName), ...rule.exportedFrom.groups.map((g) => `Country Group ${g}`)], 'or')}` : 'to every destination';
    case 'allExcept': return `to every destination except ${listJoin(rule.except.map(countryName))}`;
    case 'destinations': {
      const groups = rule.groups.length ? [`Country Group${rule.groups.length > 1 ? 's' : ''} ${listJoin(rule.groups, 'or')}`] : [];
      const to = listJoin([...rule.countries.map(countryName), ...groups], 'or');
      return `to or within ${to}${rule.excludeGroups.length ? `, excluding destinations also in Country Group ${listJoin(rule.excludeGroups, 'or')}` : ''}`;
    }
    case 'footnote': return `to the destinations marked with footnote ${rule.footnote} in the Country Chart`;
    case 'review': return 'to destinations the monitor cannot read from the entry (treated as every destination until reviewed)';
  }
}

function inAny(codes: string[], groups: string[], ...countries: string[]): boolean {
  return countries.some((c) => codes.includes(c) || groups.some((g) => inCountryGroup(c, g)));
}

function ruleReaches(rule: Rule, country: string, rowCode: string, home: string): boolean {
  switch (rule.kind) {
    case 'column': {
      if (pointerRows[rowCode] || !rows[rowCode]) return true;
      return rows[rowCode]!.x.includes(rule.column);
    }
    case 'worldwide': return !rule.exportedFrom || inAny(rule.exportedFrom.countries, rule.exportedFrom.groups, home);
    case 'allExcept': return !rule.except.includes(country) && !rule.except.includes(rowCode);
    // Named destinations stand on their own; "excluding … A:5 or A:6" trims only the Country Groups.
    case 'destinations': return inAny(rule.countries, [], country, rowCode) || (inAny([], rule.groups, country, rowCode) && !inAny([], rule.excludeGroups, country, rowCode));
    case 'footnote': return (rows[rowCode]?.footnotes ?? []).includes(rule.footnote) || (rule.footnote === 1 && Object.hasOwn(pointerRows, rowCode));
    case 'review': return true;
  }
}

function rowResult(row: LicenseRow, paragraph: string, country: string, home: string, deemed: boolean): ReasonResult {
  const rowCode = sameAs[country]?.row ?? country;
  const name = countryName(country);
  const via = sameAs[country] ? ` (${sameAs[country]!.basis})` : '';
  const citation = row.basis;
  if (!rowApplies(row, paragraph)) {
    const scope = row.paragraphs?.only ? `only .${row.paragraphs.only.join(', .')}` : `all but .${row.paragraphs!.except!.join(', .')}`;
    return { column: row.label, required: false, citation, notForParagraph: true, basis: `${row.label} (${citation}) applies to ${scope}, not to ${paragraph}` };
  }
  const reaches = ruleReaches(row.rule, country, rowCode, home);
  let basis: string;
  if (row.rule.kind === 'column') {
    const chartRow = rows[rowCode];
    const pointer = pointerRows[rowCode];
    basis = pointer ? `the ${pointer.name} row has no marks and refers to ${pointer.see} (Supp. No. 1 to part 738)`
      : !chartRow ? `${name} has no row in the Commerce Country Chart and is not listed as a territory, possession or department of a country that has one (§738.3(b)), so it is treated as requiring a license until reviewed`
      : `${reaches ? 'X' : 'no X'} in ${row.rule.column} for ${chartRow.name}${via} (${citation})`;
  } else {
    const who = row.rule.kind === 'footnote' ? `footnote ${row.rule.footnote} of the Country Chart` : row.reason;
    basis = `${who} (${citation}): a license is required ${describeRule(row.rule)} — ${reaches ? `${name} is one` : `${name} is not`}`;
  }
  if (row.itemScoped && paragraph) basis += `; the row is scoped by items, not paragraphs, so it is applied to ${paragraph}`;
  if (!paragraph && row.paragraphs) basis += `; the row is for some paragraphs only (${row.paragraphs.only ? `.${row.paragraphs.only.join(', .')}` : `not .${row.paragraphs.except!.join(', .')}`}) and the dataset names none, so it applies`;
  if (reaches && deemed && row.deemedExports) {
    return { column: row.label, required: false, citation, deemedExportExcluded: row.deemedExports.basis, basis: `${basis}; but ${row.deemedExports.basis} excludes deemed exports from this requirement` };
  }
  return { column: row.label, required: reaches, citation, basis };
}

function earReasons(eccn: string, paragraph: string, country: string, home: string, deemed: boolean, explicit?: readonly string[]): ReasonResult[] {
  const result: ReasonResult[] = [];
  if (eccn === 'EAR99') {
    result.push({ column: 'EAR99', required: false, citation: '§734.3(c)', basis: 'EAR99 is on no Country Chart column (§734.3(c)); a license follows only from part 746 embargoes or part 744 end-user and end-use rules' });
  } else {
    const licenseRows = explicit?.length ? rowsForReasons(explicit) : eccnEntry(eccn).rows;
    for (const row of licenseRows) result.push(rowResult(row, paragraph, country, home, deemed));
  }
  const embargo = (eccn === 'EAR99' ? ear99Embargo : cclEmbargo)[country];
  if (embargo) {
    const carveOut = eccn !== 'EAR99' && deemed ? cclDeemedExcluded[country] : undefined;
    const citation = /^(§[\d.()a-z]+)/.exec(embargo)?.[1];
    result.push(carveOut
      ? { column: 'EMBARGO', required: false, deemedExportExcluded: carveOut, ...(citation ? { citation } : {}), basis: `${embargo}; but ${carveOut} excludes deemed exports and deemed reexports, so it does not reach this release` }
      : { column: 'EMBARGO', required: true, ...(citation ? { citation } : {}), basis: embargo });
  }
  return result;
}

function explain(c: Classification, country: string, required: boolean, reasons: ReasonResult[], concern: boolean, deemed: boolean): string {
  const name = `${countryName(country)} (${country})`;
  if (reasons[0]?.column === 'HOME') return `${c.display}: ${name} is the home country; no export license question arises.`;
  if (c.jurisdiction === 'ITAR') {
    return `${c.display} is ITAR technical data: releasing it to ${name} needs authorization (22 CFR 120.50, 125.2)${concern ? `; ${name} is a proscribed country under 22 CFR 126.1 (policy of denial)` : ''}.`;
  }
  const excluded = reasons.filter((r) => r.deemedExportExcluded);
  const carve = excluded.length ? `; as a deemed export it is outside ${listJoin(excluded.map((r) => `${r.column === 'EMBARGO' ? 'the part 746 embargo' : r.column} (${r.deemedExportExcluded})`))}` : '';
  const hits = reasons.filter((r) => r.required);
  if (!required) {
    const checked = reasons.filter((r) => !r.notForParagraph && r.column !== 'EMBARGO').map((r) => r.column);
    return `${c.display} to ${name}: no license required by its License Requirements (${[...new Set(checked)].join(', ') || 'none'} checked) or part 746${carve}; part 744 end-user and end-use rules are not evaluated.`;
  }
  const chartHits = [...new Set(hits.filter((r) => chartColumns.includes(r.column)).map((r) => r.column))];
  const parts: string[] = [];
  if (chartHits.length) parts.push(`${listJoin(chartHits)} require${chartHits.length === 1 ? 's' : ''} a license for ${country} (Supp. No. 1 to part 738)`);
  for (const r of hits) if (!chartColumns.includes(r.column)) parts.push(r.basis);
  return `${c.display} to ${name}${deemed ? ' (deemed export)' : ''}: license required — ${parts.join('; ')}${carve}${concern ? `; ${name} is a country of concern (Country Group E)` : ''}.`;
}
