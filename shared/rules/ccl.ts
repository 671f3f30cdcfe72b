/**
 * The shape of one ECCN's License Requirements as the generator (scripts/generate-eccn.ts) writes it
 * into data/eccn.json, and the paragraph arithmetic both sides share.
 */

/** Who a License Requirements row reaches. */
export type Rule =
  /** A Country Chart column: an X in the destination's row (Supp. No. 1 to part 738). */
  | { kind: 'column'; column: string }
  /** Every destination ("worldwide control", "to or within any destination worldwide"). */
  | { kind: 'worldwide'; exportedFrom?: { countries: string[]; groups: string[] } }
  /** Every destination except these ("all destinations, except Canada"). */
  | { kind: 'allExcept'; except: string[] }
  /** Named countries and Country Groups, less the destinations also in excludeGroups. */
  | { kind: 'destinations'; countries: string[]; groups: string[]; excludeGroups: string[] }
  /** The chart rows that carry this footnote (1: UN sanctions; 10: firearms to Australia and the UK). */
  | { kind: 'footnote'; footnote: number }
  /** The row refers to a provision the monitor does not encode: a license until reviewed. */
  | { kind: 'review' };

export interface LicenseRow {
  /** The reason for control as the entry names it (NS, RS, EI…); empty for a chart footnote row. */
  reason: string;
  /** How the row is shown: the chart column (NS1), the reason (RS), or the footnote (fn10). */
  label: string;
  /** The paragraphs the row applies to; absent = the entire entry. */
  paragraphs?: { only?: string[]; except?: string[] };
  /** The row is scoped by items of other entries, which a paragraph cannot decide: applied to every paragraph. */
  itemScoped?: true;
  rule: Rule;
  /** The section the requirement rests on. */
  basis: string;
  /** Set where the regulation carves deemed exports out of the row. */
  deemedExports?: { excluded: true; basis: string };
  /** The row's words in the CCL. */
  text: string;
}

export interface EccnEntry {
  title: string;
  /** The reasons for control the entry names (NS, MT, …). */
  controls: string[];
  /** The labels of its rows: Country Chart columns and special reasons, for `reasons:` overrides. */
  reasons: string[];
  rows: LicenseRow[];
  /** License-exception paragraph of the entry (TSR: "N/A", STA: "…"). */
  exceptions: Record<string, string>;
  /** The CCL says the items are subject to the ITAR, not the EAR. */
  subjectToItar?: true;
  /** The CCL lists no license requirement under this number (a pointer to another entry, or reserved). */
  noItems?: true;
  /** Set when the row set was corrected by hand (data/eccn-corrections.json). */
  corrected?: string;
}

const segments = (p: string) => p.split('.').filter(Boolean);
/** Past the end of `b`, `b[i]` is undefined and no segment matches it: a longer `a` is no prefix. */
const isPrefix = (a: string[], b: string[]) => a.every((s, i) => s === b[i]);

/**
 * Does a row apply to a dataset classified under `paragraph` (`.f`, `.a.3`, or '' for the entry)?
 * Without a paragraph every row applies. A row for `.a.1` applies to a dataset under `.a` (it may
 * hold `.a.1`), and a row "except .y" still applies to `.a`.
 */
export function rowApplies(row: LicenseRow, paragraph: string): boolean {
  const p = segments(paragraph);
  if (!p.length || !row.paragraphs) return true;
  const { only, except } = row.paragraphs;
  if (except?.some((x) => isPrefix(segments(x), p))) return false;
  if (only) return only.some((x) => isPrefix(segments(x), p) || isPrefix(p, segments(x)));
  return true;
}
