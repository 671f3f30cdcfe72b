import { describe, expect, it } from 'vitest';
import { chartColumns, licenseRequired } from '#shared/rules/index.ts';

/**
 * 15 CFR 738.3(b): a destination that is not listed on the Country Chart but is a territory,
 * possession or department of a country that is gets the same licensing treatment as that country
 * ("if your destination is the Cayman Islands, a dependent territory of the United Kingdom, consult
 * the United Kingdom"). The marks below are the parents' rows of Supp. No. 1 to part 738
 * (eCFR 2026-07-23), typed from the regulation, not read from the monitor's data.
 */
const MARKS: Record<string, { name: string; x: string[]; footnotes: number[] }> = {
  GB: { name: 'United Kingdom', x: ['CB1'], footnotes: [10] },
  AU: { name: 'Australia', x: ['CB1'], footnotes: [10] },
  FR: { name: 'France', x: ['CB1', 'NS1', 'MT1', 'RS1'], footnotes: [3] },
  DK: { name: 'Denmark', x: ['CB1', 'NS1', 'MT1', 'RS1'], footnotes: [3] },
  NO: { name: 'Norway', x: ['CB1', 'NS1', 'MT1', 'RS1'], footnotes: [3] },
  NZ: { name: 'New Zealand', x: ['CB1', 'NS1', 'MT1', 'RS1'], footnotes: [3] },
  NL: { name: 'Netherlands', x: ['CB1', 'NS1', 'MT1', 'RS1'], footnotes: [3] },
  FI: { name: 'Finland', x: ['CB1', 'NS1', 'MT1', 'RS1'], footnotes: [3, 4] },
};

/** Each place and the country it belongs to. */
const TERRITORIES: [string, string][] = [
  // British overseas territories, and the Crown dependencies whose foreign relations are the UK's
  ['KY', 'GB'], ['BM', 'GB'], ['GI', 'GB'], ['VG', 'GB'], ['AI', 'GB'], ['TC', 'GB'], ['MS', 'GB'], ['FK', 'GB'],
  ['SH', 'GB'], ['PN', 'GB'], ['IO', 'GB'], ['GS', 'GB'], ['JE', 'GB'], ['GG', 'GB'], ['IM', 'GB'],
  // overseas departments ("department" is the regulation's word) and collectivities of France
  ['RE', 'FR'], ['GP', 'FR'], ['MQ', 'FR'], ['GF', 'FR'], ['YT', 'FR'], ['NC', 'FR'], ['PF', 'FR'], ['PM', 'FR'],
  ['WF', 'FR'], ['BL', 'FR'], ['MF', 'FR'], ['TF', 'FR'],
  ['GL', 'DK'], ['FO', 'DK'], ['SJ', 'NO'], ['BV', 'NO'],
  ['NF', 'AU'], ['CX', 'AU'], ['CC', 'AU'], ['HM', 'AU'],
  ['TK', 'NZ'], ['BQ', 'NL'], ['AX', 'FI'],
];

const required = (classification: string, country: string, reasons?: readonly string[]) =>
  licenseRequired(classification, country, reasons ? { reasons } : {}).reasons.filter((r) => r.required).map((r) => r.column);

describe('§738.3(b): a territory, possession or department takes the row of its country', () => {
  it.each(TERRITORIES)('%s is read on the %s row, column by column', (place, parent) => {
    // Every chart column at once: the columns that need a license are exactly the parent's marks.
    expect(required('3E001', place, chartColumns)).toEqual(chartColumns.filter((c) => MARKS[parent]!.x.includes(c)));
    const ns1 = licenseRequired('3E001', place, { reasons: ['NS1'] }).reasons[0]!;
    expect(ns1.basis).toMatch(new RegExp(`^(no )?X in NS1 for ${MARKS[parent]!.name} \\(.*§738\\.3\\(b\\)`));
  });

  it('Bermuda and Gibraltar, like the UK, need no license for 3E001 (no X in NS1 since the AUKUS change); Greenland and the Faroe Islands, like Denmark, do', () => {
    expect(licenseRequired('3E001', 'BM').licenseRequired).toBe(false);
    expect(licenseRequired('3E001', 'GI').licenseRequired).toBe(false);
    expect(required('3E001', 'GL')).toEqual(['NS1', 'MT1']);
    expect(required('3E001', 'FO')).toEqual(['NS1', 'MT1']);
  });

  it('the explanation names the parent row and the section, with the place\'s own status', () => {
    expect(licenseRequired('3E001', 'GL').reasons[0]!.basis).toBe('X in NS1 for Denmark (§738.3(b): Greenland is part of the Kingdom of Denmark, so it takes the row of Denmark) (Supp. No. 1 to part 738)');
    expect(licenseRequired('3E001', 'RE').reasons[0]!.basis).toBe('X in NS1 for France (§738.3(b): Réunion is an overseas department of France, so it takes the row of France) (Supp. No. 1 to part 738)');
  });

  it('the parent\'s footnotes come along: footnote 10 (firearms) reaches Bermuda and Norfolk Island, as it reaches the UK and Australia, and not Greenland', () => {
    const fn10 = (country: string) => licenseRequired('0E501', country).reasons.find((r) => r.column === 'fn10')!.required;
    expect(fn10('BM')).toBe(true);
    expect(fn10('NF')).toBe(true);
    expect(fn10('GL')).toBe(false);
    expect(fn10('FO')).toBe(false);
  });

  it('names are resolved too: "Bermuda" and "Réunion" by their English names', () => {
    expect(licenseRequired('1E001', 'Bermuda').country).toBe('BM');
    expect(required('1E001', 'Bermuda')).toEqual(['CB1']);
    expect(required('1E001', 'Réunion')).toEqual(['NS1', 'MT1', 'CB1']);
  });

  it('a place that is nobody\'s territory (Antarctica), or a state in free association that conducts its own foreign relations (the Cook Islands, Niue), has no row to take: a license until reviewed', () => {
    for (const place of ['AQ', 'CK', 'NU']) {
      expect(required('1E001', place), place).toEqual(['NS1', 'NS2', 'MT1', 'NP1', 'CB1', 'CB2', 'RS2', 'AT1']);
      expect(licenseRequired('1E001', place).reasons[0]!.basis, place).toMatch(/has no row in the Commerce Country Chart and is not listed as a territory, possession or department of a country that has one \(§738\.3\(b\)\)/);
    }
  });

  it('the US territories are not foreign at all (§772.1), which is not §738.3(b)', () => {
    expect(licenseRequired('3E001', 'PR').reasons.map((r) => r.column)).toEqual(['HOME']);
    expect(licenseRequired('3E001', 'GU').reasons.map((r) => r.column)).toEqual(['HOME']);
  });
});
