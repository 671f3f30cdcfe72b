import { brotliDecompressSync } from 'node:zlib';
import eccnPacked from './data/eccn-packed.ts';
import itar from './data/itar.json' with { type: 'json' };
import type { EccnEntry } from './ccl.ts';
import { RulesError } from './errors.ts';

export type { EccnEntry } from './ccl.ts';

export type Classification =
  | { jurisdiction: 'ITAR'; category: string; paragraph: string; display: string }
  | { jurisdiction: 'EAR'; eccn: string; paragraph: string; display: string };

let unpacked: Record<string, EccnEntry> | undefined;
/** The table of data/eccn.json, unpacked from data/eccn-packed.ts (scripts/generate-eccn.ts) on first use. */
const eccns = () => (unpacked ??= JSON.parse(brotliDecompressSync(Buffer.from(eccnPacked, 'base64')).toString('utf8')) as Record<string, EccnEntry>);

/**
 * Every ECCN of the CCL (data/eccn.json), unpacked when first read (a few milliseconds): a bundle
 * carries 48 KB of packed text instead of a 515 KB object literal that every cold start compiles,
 * and a function that looks up no ECCN never builds the table. A read-only view: reads, `in` and
 * Object.keys/entries see the table.
 */
export const eccnTable: Readonly<Record<string, EccnEntry>> = new Proxy({}, {
  get: (_, key) => eccns()[key as string],
  has: (_, key) => key in eccns(),
  ownKeys: () => Reflect.ownKeys(eccns()),
  getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(eccns(), key),
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
});
export const usmlCategories: Readonly<Record<string, string>> = itar.usml;

const ECCN = /^(?:ECCN\s*)?(\d[A-E]\d{3})((?:\.[a-z0-9]+)*)$/i;
const USML = /^(?:USML\s*)?(?:Cat(?:egory)?\.?\s*)?([IVX]+)((?:\s*\([a-z0-9]+\))*)$/i;

/**
 * Reads a classification as users write it: an ECCN (`3E001`, `9E003.a.1`), `EAR99`, or a USML
 * category with or without prefix (`XV(e)`, `USML XV(e)`, `Cat. XV(e)`). The jurisdiction follows from the form.
 */
export function parseClassification(input: string): Classification {
  // Stryker disable next-line StringLiteral: every pattern allows any whitespace where it allows a space
  const text = input.trim().replace(/\s+/g, ' ');
  if (/^EAR ?99$/i.test(text)) return { jurisdiction: 'EAR', eccn: 'EAR99', paragraph: '', display: 'EAR99' };
  const eccn = ECCN.exec(text);
  if (eccn) {
    const code = eccn[1]!.toUpperCase();
    const paragraph = eccn[2]!.toLowerCase();
    return { jurisdiction: 'EAR', eccn: code, paragraph, display: code + paragraph };
  }
  const usml = USML.exec(text);
  if (usml) {
    const category = usml[1]!.toUpperCase();
    if (!Object.hasOwn(usmlCategories, category)) {
      throw new RulesError('UNKNOWN_USML_CATEGORY', `unknown USML category "${category}" in "${input}"`, 'USML categories run from I to XXI (22 CFR 121.1)');
    }
    // Stryker disable next-line Regex: removing each space or each run of spaces is the same
    const paragraph = usml[2]!.replace(/\s+/g, '').toLowerCase();
    return { jurisdiction: 'ITAR', category, paragraph, display: `USML ${category}${paragraph}` };
  }
  throw new RulesError(
    'UNKNOWN_CLASSIFICATION',
    `"${input}" is not a classification`,
    'write an ECCN such as 3E001 or 9E003.a.1, EAR99, or a USML category such as "XV(e)" or "USML XI(d)"',
  );
}

/** The ECCN's entry, or a clear error that tells the user to list the reasons for control. */
export function eccnEntry(eccn: string): EccnEntry {
  const entry = eccns()[eccn];
  if (!entry) {
    throw new RulesError(
      'UNKNOWN_ECCN',
      `unknown ECCN "${eccn}"`,
      'add reasons: [...] with the reasons for control from its CCL entry (e.g. [NS1, AT1])',
    );
  }
  if (entry.subjectToItar || entry.noItems) {
    throw new RulesError(
      'UNKNOWN_ECCN',
      `ECCN ${eccn} holds no license requirement of its own: ${entry.title}`,
      entry.subjectToItar ? 'the CCL says these items are subject to the ITAR: classify the data under its USML category, e.g. "XV(e)"' : 'classify the data under the entry this one refers to, or add reasons: [...] from that entry',
    );
  }
  return entry;
}
