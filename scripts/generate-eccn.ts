/**
 * Generates shared/rules/data/eccn.json (and its packed form for the bundles, eccn-packed.ts) — every ECCN of the Commerce Control List (Supp. No. 1 to
 * 15 CFR part 774) with its License Requirements rows — from the eCFR-derived ccl.json, then applies
 * the hand corrections of shared/rules/data/eccn-corrections.json, each recorded with its basis.
 *
 *   node --import tsx scripts/generate-eccn.ts [path/to/ccl.json]
 *
 * The default source is ../shared/reference/export-control/data/ccl.json (beside the repository).
 * A row the parser cannot read stops the run: it must be read into a rule or corrected by hand.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import type { EccnEntry, LicenseRow, Rule } from '../shared/rules/ccl.ts';
import { resolveCountry } from '../shared/rules/countries.ts';

export interface SourceRow { control: string; countryChart: string }
export interface SourceEntry {
  eccn: string;
  heading: string;
  reasonForControl: string | null;
  countryChart: SourceRow[];
  licenceExceptionFlags: Record<string, string>;
  staSpecialConditions?: string | null;
}
export interface Source { ecfrIssueDate: string; entryCount: number; entries: SourceEntry[] }

export interface Correction {
  eccns: string[];
  /** What is wrong in the source. */
  fault: string;
  /** Where the right text comes from: the regulation's section and date. */
  basis: string;
  controls?: string;
  /** Rows transcribed from the regulation, replacing the source's rows. */
  rows?: SourceRow[];
  /** Rows added to the source's rows. */
  addRows?: SourceRow[];
  /** Replaces the named license-exception paragraphs. */
  exceptions?: Record<string, string>;
}
export interface Corrections { corrections: Correction[] }

const COLUMN = /\b(CB|NP|NS|MT|RS|FC|CC|AT)\s+Column\s+(\d)/g;
const SECTION = /§+\s*(\d{3}\.\d+(?:\([A-Za-z0-9]+\))*)/;
/** States Parties are listed in Supp. No. 2 to part 745; these are the destinations that are not. */
const CWC_NON_STATES_PARTIES = ['EG', 'IL', 'KP', 'SS'];

export class UnreadRow extends Error {}

/** Paragraph references of the entry's own paragraphs ("9E003.a.1 through a.8, .h, .i, and .l"). */
export function parseParagraphs(text: string, eccn: string): string[] | undefined {
  const cleaned = text
    .replace(/\(.*?\)/g, ' ')
    .replace(new RegExp(`\\b${eccn}`, 'g'), ' ')
    .replace(/\b(?:items|commodities|“?technology”?|“?software”?) (?:controlled )?(?:by|in)\b/g, ' ')
    .replace(/\bECCN\b/g, ' ')
    .replace(/[.;]\s*$/, '');
  if (/\d[A-E]\d{3}/.test(cleaned)) return undefined;
  const tokens = cleaned.split(/,|\band\b|\bor\b/).map((t) => t.trim()).filter(Boolean);
  const out: string[] = [];
  let previous: string[] = [];
  for (const token of tokens) {
    const range = /^\.?([a-z0-9.]+)\s+(?:through|to)\s+\.?([a-z0-9.]+)$/.exec(token);
    if (range) {
      const [from, to] = [range[1]!.split('.'), range[2]!.split('.')];
      const head = from.slice(0, -1);
      const a = from.at(-1)!;
      const b = to.at(-1)!;
      if (head.join('.') !== to.slice(0, -1).join('.')) return undefined;
      const numeric = /^\d+$/.test(a);
      const start = numeric ? Number(a) : a.charCodeAt(0);
      const end = numeric ? Number(b) : b.charCodeAt(0);
      if (!(end >= start) || end - start > 40) return undefined;
      for (let i = start; i <= end; i++) out.push([...head, numeric ? String(i) : String.fromCharCode(i)].join('.'));
      previous = from;
      continue;
    }
    const t = token.replace(/^\./, '');
    if (/^\d+$/.test(t) && previous.length > 1) {
      out.push([...previous.slice(0, -1), t].join('.'));
      continue;
    }
    if (!/^[a-z](?:\.[a-z0-9]+)*$/.test(t)) return undefined;
    out.push(t);
    previous = t.split('.');
  }
  return out.length ? out : undefined;
}

function countriesNamed(text: string): string[] {
  return text.split(/,|\bor\b|\band\b/).map((s) => s.replace(/^\s*the\s+/i, '').trim()).filter(Boolean).map((name) => resolveCountry(name));
}

const groupsIn = (text: string) => [...text.matchAll(/\b([A-E]:\d)\b/g)].map((m) => m[1]!);

/** The destinations rule of a License Requirements row, with the section it cites. */
export function parseRule(chart: string, reason: string): { rule: Rule; basis: string; label?: string } {
  const text = chart.replace(/\s+/g, ' ').trim();
  const cite = SECTION.exec(text)?.[1];
  const section = cite ? `§${cite}` : undefined;
  const columns = [...text.matchAll(COLUMN)].map((m) => `${m[1]}${m[2]}`);
  if (columns.length) {
    const column = columns.find((c) => c.startsWith(reason)) ?? columns[0]!;
    return { rule: { kind: 'column', column }, basis: section ? `Supp. No. 1 to part 738; ${section}` : 'Supp. No. 1 to part 738', label: column };
  }
  if (/^Column (\d)\.?$/.test(text) && reason) {
    const column = `${reason}${/^Column (\d)/.exec(text)![1]}`;
    return { rule: { kind: 'column', column }, basis: 'Supp. No. 1 to part 738', label: column };
  }
  if (/for UN controls/i.test(text)) return { rule: { kind: 'footnote', footnote: 1 }, basis: '§746.1(b)' };
  if (/^Refer to § 742\.15/.test(text)) return { rule: { kind: 'allExcept', except: ['CA'] }, basis: '§742.15(a)' };
  if (/^See § 742\.14/.test(text)) return { rule: { kind: 'allExcept', except: ['CA'] }, basis: '§742.14(a)' };
  if (/required for all destinations, as specified in § 742\.13/i.test(text)) return { rule: { kind: 'worldwide' }, basis: '§742.13(a)' };
  if (/ALL destinations, except Canada/i.test(text)) return { rule: { kind: 'allExcept', except: ['CA'] }, basis: '§742.7(a)' };
  if (/^China, Russia,? or Venezuela/.test(text)) return { rule: { kind: 'destinations', countries: ['CN', 'RU', 'VE'], groups: [], excludeGroups: [] }, basis: section ?? '§742.6(a)(7)' };
  const from = /^Worldwide control, when exported from (.*?) \(see/i.exec(text);
  if (from && section) {
    const [named = '', groups = ''] = from[1]!.split(/\s+or a destination specified in Country Groups?\s+/);
    return { rule: { kind: 'worldwide', exportedFrom: { countries: countriesNamed(named), groups: groupsIn(groups) } }, basis: section };
  }
  if (/^Worldwide control/.test(text) && section) return { rule: { kind: 'worldwide' }, basis: section };
  if (/^To or within any destination worldwide/i.test(text) && section) return { rule: { kind: 'worldwide' }, basis: section };
  const toOrWithin = /^To or within (.*?)(?:destinations? specified in )?Country Groups? ([^.]*?)(?: of supplement no\. 1 to part 740 of the EAR)?(?:, excluding any destination also specified in Country Groups? ([^.]*))?\. See/i.exec(text);
  if (toOrWithin && section) {
    const named = toOrWithin[1]!.replace(/\b(?:or|and)?\s*(?:a\s+)?$/i, '').trim();
    return {
      rule: { kind: 'destinations', countries: named ? countriesNamed(named) : [], groups: groupsIn(toOrWithin[2]!), excludeGroups: groupsIn(toOrWithin[3] ?? '') },
      basis: section,
    };
  }
  if (/^All destinations except (.*?)\. See/i.test(text) && section) {
    return { rule: { kind: 'allExcept', except: countriesNamed(/^All destinations except (.*?)\. See/i.exec(text)![1]!) }, basis: section };
  }
  const named = /A license is required for items controlled by (?:this entry|paragraph \.\w of this entry)(?:, other than [^,]+,)? (?:for export or reexport )?to (.+?)(?: (?:or|and) transfer within| for anti-terrorism| for regional)/i.exec(text);
  if (named) {
    const basis = /742\.19/.test(text) ? '§742.19' : /§§ 742\.6 and 746\.3/.test(text) ? '§742.6, §746.3' : section ?? '§742.6';
    return { rule: { kind: 'destinations', countries: countriesNamed(named[1]!), groups: [], excludeGroups: [] }, basis };
  }
  if (/^A license is required for export or reexport of these items to North Korea/i.test(text)) {
    return { rule: { kind: 'destinations', countries: ['KP'], groups: [], excludeGroups: [] }, basis: '§742.19' };
  }
  if (/^See § 746\.8/.test(text)) return { rule: { kind: 'destinations', countries: ['RU', 'BY'], groups: [], excludeGroups: [] }, basis: '§746.8' };
  if (/CWC non-States Parties/.test(text)) {
    return { rule: { kind: 'destinations', countries: CWC_NON_STATES_PARTIES.filter((c) => !/except for Israel/.test(text) || c !== 'IL'), groups: [], excludeGroups: [] }, basis: '§742.18' };
  }
  if (/^See § 742\.6\(a\)\(11\)/.test(text) || /^N\/A\.?$/.test(text)) return { rule: { kind: 'review' }, basis: section ?? 'Supp. No. 1 to part 774' };
  throw new UnreadRow(`cannot read the Country Chart cell "${text.slice(0, 120)}"`);
}

/** The reason for control a row names, and the paragraphs it reaches. */
export function parseControl(control: string, eccn: string): Pick<LicenseRow, 'reason' | 'paragraphs' | 'itemScoped'> & { label?: string } {
  const text = control.replace(/\s+/g, ' ').trim();
  if (/^Russian industry sector sanctions? appl/i.test(text)) return { reason: '', label: '§746.8' };
  const m = /^([A-Z]{2})\b(?: Column \d)? appl(?:y|ies)(?:,| to)? ?(.*)$/.exec(text);
  if (!m) throw new UnreadRow(`cannot read the control "${text.slice(0, 120)}"`);
  const reason = m[1]!;
  let rest = m[2]!.replace(/\. A license is required.*$/, '').replace(/\s+(?:NS|MT|NP|RS|CB|CC|FC|AT) Column \d\.?$/, '').trim();
  rest = rest.replace(/^the /, '');
  if (/^unless /.test(rest)) return { reason };
  if (/^entire entry\.?$/i.test(rest) || /^entire entry\. /.test(rest) || /^entire entry\s+[A-Z]{2} appl/.test(rest)) return { reason };
  const except = /^entire entry,? except (.*?)\.?$/i.exec(rest);
  if (except) {
    const list = parseParagraphs(except[1]!, eccn);
    return list ? { reason, paragraphs: { except: list } } : { reason, itemScoped: true };
  }
  const onlyText = rest.replace(/,? except to .*$/, '').replace(/,? unless .*$/, '');
  const list = parseParagraphs(onlyText, eccn);
  // Only a row that names the entry's own paragraphs ("9E515.x", ".y") is scoped by paragraph.
  if (list && new RegExp(`\\b${eccn}\\s*\\.|^\\.`).test(onlyText.trim())) return { reason, paragraphs: { only: list } };
  return { reason, itemScoped: true };
}

/** Regulation rows the chart cannot show, in footnotes of the chart itself. */
const FOOTNOTE_10: Record<string, { only?: string[]; except?: string[]; itemScoped?: true }> = {
  '0A501': { except: ['y'] }, '0A502': { itemScoped: true }, '0A504': { only: ['i'] }, '0A505': { only: ['a', 'x'] },
  '0A506': {}, '0A507': {}, '0A508': { itemScoped: true }, '0A509': {}, '0D501': { except: ['y'] }, '0D505': { itemScoped: true },
  '0E501': {}, '0E504': {}, '0E505': { itemScoped: true },
};

/** Where the regulation carves deemed exports out of a row. */
function deemedCarveOut(basis: string): LicenseRow['deemedExports'] {
  if (basis.startsWith('§742.6(a)(6)(iii)')) return { excluded: true, basis: '§742.6(a)(6)(iv)' };
  return undefined;
}

export function buildEntry(source: SourceEntry, correction?: Correction): EccnEntry {
  const eccn = source.eccn;
  const rowsIn = correction?.rows ?? [...source.countryChart, ...(correction?.addRows ?? [])];
  const rows: LicenseRow[] = [];
  for (const raw of rowsIn) {
    let row: { control: string; countryChart: string } = raw;
    // A cell the source split wrong: the control sentence holds the whole row.
    if (row.control === row.countryChart && /applies to/.test(row.control)) row = { control: row.control, countryChart: row.control.replace(/^.*?\.\s*(?=A license)/, '') };
    const scope = parseControl(row.control, eccn);
    const parsed = parseRule(row.countryChart, scope.reason);
    const label = scope.label ?? parsed.label ?? scope.reason;
    const carve = deemedCarveOut(parsed.basis);
    rows.push({
      reason: scope.reason, label,
      ...(scope.paragraphs ? { paragraphs: scope.paragraphs } : {}),
      ...(scope.itemScoped ? { itemScoped: true as const } : {}),
      rule: parsed.rule, basis: parsed.basis,
      ...(carve ? { deemedExports: carve } : {}),
      text: `${row.control.trim()} — ${row.countryChart.trim()}`.replace(/\s+/g, ' ').slice(0, 400),
    });
  }
  const controlsText = correction?.controls ?? source.reasonForControl ?? '';
  const controls = [...new Set([...controlsText.matchAll(/\b(NS|MT|NP|RS|CB|CW|CC|FC|AT|EI|SI|SL|UN|SS)\b/g)].map((m) => m[1]!))];
  if (!rows.length) {
    // The source kept the Reason for Control but lost the rows: a license until someone reads the entry.
    for (const reason of controls) {
      rows.push({ reason, label: reason, rule: { kind: 'review' }, basis: reason === 'SS' ? 'part 754' : 'Supp. No. 1 to part 774',
        text: `${reason}: the License Requirements rows of ${eccn} are missing from the source; treated as requiring a license until reviewed` });
    }
  }
  const fn10 = FOOTNOTE_10[eccn];
  if (fn10) {
    rows.push({
      reason: '', label: 'fn10',
      ...(fn10.only || fn10.except ? { paragraphs: { ...(fn10.only ? { only: fn10.only } : {}), ...(fn10.except ? { except: fn10.except } : {}) } } : {}),
      ...(fn10.itemScoped ? { itemScoped: true as const } : {}),
      rule: { kind: 'footnote', footnote: 10 }, basis: 'Supp. No. 1 to part 738, footnote 10',
      text: `Country Chart footnote 10: a license is required to Australia and the United Kingdom for ${eccn} as the footnote scopes it`,
    });
  }
  for (const r of rows) if (r.reason && !controls.includes(r.reason)) controls.push(r.reason);
  const subjectToItar = !rows.length && /subject to the ITAR/i.test(source.heading);
  const noItems = !rows.length;
  return {
    title: source.heading.replace(/\s+License Requirements.*$/s, '').replace(/\s+/g, ' ').trim().slice(0, 300),
    controls,
    reasons: [...new Set(rows.map((r) => r.label))],
    rows,
    exceptions: { ...source.licenceExceptionFlags, ...(source.staSpecialConditions && !source.licenceExceptionFlags.STA ? { STA: source.staSpecialConditions } : {}), ...(correction?.exceptions ?? {}) },
    ...(subjectToItar ? { subjectToItar: true as const } : noItems ? { noItems: true as const } : {}),
    ...(correction ? { corrected: correction.basis } : {}),
  };
}

export function generate(source: Source, corrections: Corrections, sourceSha256: string) {
  const byEccn = new Map<string, Correction>();
  for (const c of corrections.corrections) for (const e of c.eccns) byEccn.set(e, c);
  const eccns: Record<string, EccnEntry> = {};
  const unread: string[] = [];
  for (const entry of source.entries) {
    try {
      eccns[entry.eccn] = buildEntry(entry, byEccn.get(entry.eccn));
    } catch (e) {
      unread.push(`${entry.eccn}: ${(e as Error).message}`);
    }
  }
  for (const e of byEccn.keys()) if (!eccns[e] && !unread.some((u) => u.startsWith(e))) unread.push(`${e}: a correction names an ECCN the source does not have`);
  if (unread.length) throw new UnreadRow(`${unread.length} row(s) could not be read; add a correction to shared/rules/data/eccn-corrections.json:\n${unread.join('\n')}`);
  return {
    $source: 'Commerce Control List, Supplement No. 1 to 15 CFR part 774: License Requirements and License Exceptions of every ECCN',
    $generated: 'by scripts/generate-eccn.ts from ccl.json with data/eccn-corrections.json — do not edit by hand',
    textDate: source.ecfrIssueDate,
    sourceEntryCount: source.entryCount,
    sourceSha256,
    eccns,
  };
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SOURCE = resolve(root, '../shared/reference/export-control/data/ccl.json');
export const CORRECTIONS = join(root, 'shared/rules/data/eccn-corrections.json');
export const OUTPUT = join(root, 'shared/rules/data/eccn.json');
/** The same table as the functions load it (shared/rules/classification.ts): see packTable. */
export const PACKED_OUTPUT = join(root, 'shared/rules/data/eccn-packed.ts');

/**
 * The module that carries the table into the bundles: the `eccns` of eccn.json, Brotli-compressed,
 * as one base64 string (about 48 KB, where the table as a JavaScript object is 515 KB that every
 * cold start compiles). It is unpacked and parsed when an ECCN is first looked up.
 */
export function packTable(table: { eccns: Record<string, EccnEntry> }): string {
  const json = Buffer.from(JSON.stringify(table.eccns));
  const packed = brotliCompressSync(json, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: json.length } });
  return [
    '// Generated by scripts/generate-eccn.ts with eccn.json (the reviewed form); do not edit by hand.',
    '// The `eccns` of eccn.json, Brotli-compressed, in base64 (see packTable).',
    `export default '${packed.toString('base64')}';`,
    '',
  ].join('\n');
}

export function generateFromFiles(sourcePath = DEFAULT_SOURCE) {
  const text = readFileSync(sourcePath, 'utf8');
  const corrections = JSON.parse(readFileSync(CORRECTIONS, 'utf8')) as Corrections;
  return generate(JSON.parse(text) as Source, corrections, createHash('sha256').update(text).digest('hex'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const table = generateFromFiles(process.argv[2] ? resolve(process.argv[2]) : DEFAULT_SOURCE);
    writeFileSync(OUTPUT, `${JSON.stringify(table, null, 1)}\n`);
    writeFileSync(PACKED_OUTPUT, packTable(table));
    console.log(`wrote ${Object.keys(table.eccns).length} ECCNs (text of ${table.textDate}) to ${OUTPUT} and ${PACKED_OUTPUT}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
