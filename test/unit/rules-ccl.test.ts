import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import eccn from '#shared/rules/data/eccn.json' with { type: 'json' };
import corrections from '#shared/rules/data/eccn-corrections.json' with { type: 'json' };
import { eccnTable, licenseRequired, RulesError } from '#shared/rules/index.ts';
import { DEFAULT_SOURCE, generate, generateFromFiles, parseControl, parseParagraphs, parseRule, type Source } from '../../scripts/generate-eccn.ts';

// The generator reads ccl.json beside the repository (../shared/reference/export-control/data/ccl.json);
// ITTMON_CCL_SOURCE points elsewhere. Without it, the checks that need the source are skipped and
// the pinned counts below still hold the checked-in table to it.
const sourcePath = process.env.ITTMON_CCL_SOURCE ?? DEFAULT_SOURCE;
const haveSource = existsSync(sourcePath);

describe('the generated ECCN table', () => {
  it('pins the source: its date and its entry count (an update is a conscious act)', () => {
    expect(eccn.textDate).toBe('2026-07-23');
    expect(eccn.sourceEntryCount).toBe(633);
    expect(Object.keys(eccn.eccns)).toHaveLength(eccn.sourceEntryCount);
  });
  it.skipIf(!haveSource)('counts as many entries as the source, of the same date', () => {
    const source = JSON.parse(readFileSync(sourcePath, 'utf8')) as Source;
    expect(source.ecfrIssueDate).toBe(eccn.textDate);
    expect(source.entries).toHaveLength(source.entryCount);
    expect(Object.keys(eccn.eccns).sort()).toEqual(source.entries.map((e) => e.eccn).sort());
  });
  it.skipIf(!haveSource)('is exactly what the script makes from the source and the corrections (no hand edits)', () => {
    expect(JSON.parse(JSON.stringify(generateFromFiles(sourcePath)))).toEqual(eccn);
  });
  it('every correction names the fault and the regulation text it follows, and is applied', () => {
    expect(corrections.corrections.map((c) => c.eccns).flat()).toEqual(expect.arrayContaining(['3E001', '0E521']));
    for (const c of corrections.corrections) {
      expect(c.fault.length, c.eccns.join()).toBeGreaterThan(30);
      expect(c.basis, c.eccns.join()).toMatch(/§|part 774/);
      for (const id of c.eccns) expect(eccnTable[id]!.corrected, id).toBe(c.basis);
    }
  });
  it('3E001 carries all five reasons of the regulation, not only the NS and AT rows of the source', () => {
    expect(eccnTable['3E001']!.controls).toEqual(['NS', 'MT', 'NP', 'RS', 'AT']);
    expect(licenseRequired('3E001', 'KZ').reasons.filter((r) => r.required).map((r) => r.column)).toEqual(['NS1', 'MT1', 'RS', 'RS2']);
    expect(licenseRequired('3E001', 'IL').reasons.find((r) => r.column === 'MT1')!.required).toBe(true);
  });
  it('0E521 has its §742.6(a)(8) row: every destination except Canada', () => {
    expect(licenseRequired('0E521', 'CA').licenseRequired).toBe(false);
    expect(licenseRequired('0E521', 'GB').explanation).toMatch(/§742\.6\(a\)\(8\)/);
    expect(licenseRequired('0D521', 'MX').licenseRequired).toBe(true);
  });
  it('an unknown ECCN stays an error that says how to supply reasons; an ITAR pointer says to use the USML', () => {
    expect(() => licenseRequired('9E099', 'CN')).toThrowError(expect.objectContaining({ code: 'UNKNOWN_ECCN', hint: expect.stringMatching(/reasons: \[/) }));
    expect(() => licenseRequired('9A005', 'CN')).toThrowError(expect.objectContaining({ hint: expect.stringMatching(/USML/) }));
    expect(() => licenseRequired('9E018', 'CN')).toThrow(RulesError);
    expect(licenseRequired('9E099', 'DE', { reasons: ['NS1'] }).licenseRequired).toBe(true);
  });
  it('an entry whose rows the source lost is a license until reviewed, never a silent "no license"', () => {
    const e = eccnTable['1C395']!;
    expect(e.rows.every((r) => r.rule.kind === 'review')).toBe(true);
    expect(licenseRequired('1C395', 'CA').licenseRequired).toBe(true);
  });
});

describe('the generator reads the CCL\'s words', () => {
  it('paragraph lists, ranges and siblings of the entry itself', () => {
    expect(parseParagraphs('9E003.a.1 through a.8, .h, .i, and .l', '9E003')).toEqual(['a.1', 'a.2', 'a.3', 'a.4', 'a.5', 'a.6', 'a.7', 'a.8', 'h', 'i', 'l']);
    expect(parseParagraphs('3B001.a.4, c, d, k to n', '3B001')).toEqual(['a.4', 'c', 'd', 'k', 'l', 'm', 'n']);
    expect(parseParagraphs('items controlled by 1C351.d.15 and .16', '1C351')).toEqual(['d.15', 'd.16']);
    expect(parseParagraphs('9E515.x and .y', '9E515')).toEqual(['x', 'y']);
    expect(parseParagraphs('technology for items in 9A515.d, .e.2', '9E515')).toBeUndefined();
  });
  it('the scope of a row: entire entry, except, only, or by items of other entries', () => {
    expect(parseControl('NS applies to entire entry', '3E001')).toEqual({ reason: 'NS' });
    expect(parseControl('NS applies to entire entry except 9E515.x and .y', '9E515')).toEqual({ reason: 'NS', paragraphs: { except: ['x', 'y'] } });
    expect(parseControl('RS applies to 9E515.y, except to Russia for use in, with, or for the ISS', '9E515')).toEqual({ reason: 'RS', paragraphs: { only: ['y'] } });
    expect(parseControl('MT applies to technology for items in 9A515.d controlled for MT reasons', '9E515')).toEqual({ reason: 'MT', itemScoped: true });
  });
  it('the rule of a row, with its section', () => {
    expect(parseRule('NS Column 1.', 'NS')).toMatchObject({ rule: { kind: 'column', column: 'NS1' } });
    expect(parseRule('China, Russia, or Venezuela (see § 742.6(a)(7)).', 'RS')).toEqual({ rule: { kind: 'destinations', countries: ['CN', 'RU', 'VE'], groups: [], excludeGroups: [] }, basis: '§742.6(a)(7)' });
    expect(parseRule('To or within Macau or a destination specified in Country Group D:5 of supplement no. 1 to part 740 of the EAR. See § 742.4(a)(4) of the EAR.', 'NS'))
      .toEqual({ rule: { kind: 'destinations', countries: ['MO'], groups: ['D:5'], excludeGroups: [] }, basis: '§742.4(a)(4)' });
    expect(parseRule('See § 742.14 of the EAR for additional information.', 'SI')).toEqual({ rule: { kind: 'allExcept', except: ['CA'] }, basis: '§742.14(a)' });
    expect(() => parseRule('Something the regulation never says.', 'NS')).toThrow(/cannot read/);
  });
  it('a row it cannot read stops the run and names the ECCN', () => {
    const source: Source = { ecfrIssueDate: '2026-07-23', entryCount: 1, entries: [{ eccn: '1E999', heading: 'x', reasonForControl: 'NS', countryChart: [{ control: 'NS applies to entire entry', countryChart: 'Ask a friend.' }], licenceExceptionFlags: {} }] };
    expect(() => generate(source, { corrections: [] }, '0')).toThrow(/1E999: cannot read the Country Chart cell/);
  });
});
