import { describe, expect, it } from 'vitest';
import { assess, type AssessContext } from '#shared/assess/index.ts';
import type { DatasetRule, LicenseRule, Person } from '#shared/config/index.ts';
import type { AccessEvent } from '#shared/model/index.ts';
import { parseClassification } from '#shared/rules/index.ts';

/**
 * Which `licenses:` entry clears a finding when several cover it (a license, or a license exception of
 * part 740 that is eligible), and which countries a deemed export reaches under `ear_deemed_export`
 * (§734.13(b)). Built inside the tests: Stryker activates a mutant only once tests run.
 */
const dataset = (classification: string): DatasetRule => ({ id: 'd', name: 'D', jurisdiction: classification.startsWith('XV') ? 'ITAR' : 'EAR', classification: parseClassification(classification), match: { paths: [], names: [], tags: {}, labels: [] } } as DatasetRule);
const person = (citizenships: string[], over: Partial<Person> = {}): Person => ({ id: 'p-1', name: 'Jun Ito', accounts: ['github:jun'], citizenships, usPerson: false, groups: [], ...over });
const event = (over: Partial<AccessEvent> = {}): AccessEvent => ({
  id: 'e1', source: 'github', time: '2026-03-01T10:00:00Z', action: 'clone', release: true,
  actor: { candidates: ['github:jun'] }, resource: { uri: 'github://acme/d' }, origin: { file: 'f', line: 1 }, ...over,
});
const entry = (id: string, over: Partial<LicenseRule> = {}): LicenseRule => ({ id, datasets: ['d'], classifications: [], countries: ['JP'], expires: '2027-12-31', ...over });
const ctx = (licenses: LicenseRule[], over: Partial<AssessContext> = {}): AssessContext => ({ home: 'US', licenses, allow: [], ...over });

describe('several licenses entries cover one finding', () => {
  it('an ineligible exception does not stop the search: a later license clears, and the refusal is not shown', () => {
    // TMP (§740.9) is for exports abroad, never a deemed export; the DSP license that follows clears.
    const a = assess(event(), dataset('3E004'), person(['JP']), undefined, ctx([entry('TMP-1', { exception: 'TMP', assurance: 'T-1' }), entry('BIS-L-9')]));
    expect(a.reasons).toEqual([]);
    expect(a.cleared.map((c) => [c.code, c.country, c.license])).toEqual([['DEEMED_EXPORT', 'JP', 'BIS-L-9']]);
    expect(a.cleared[0]!.explanation).toMatch(/\. Cleared by license BIS-L-9 \(expires 2027-12-31\)$/);
  });
  it('the first eligible entry clears, in the order written: TSR before a license', () => {
    const a = assess(event(), dataset('3E004'), person(['JP']), undefined, ctx([entry('TSR-JP', { exception: 'TSR', assurance: 'WA-7' }), entry('BIS-L-9')]));
    expect(a.cleared[0]!.license).toBe('TSR-JP');
    expect(a.cleared[0]!.explanation).toMatch(/\. Cleared by License Exception TSR \(TSR-JP, assurance WA-7, review by 2027-12-31\)$/);
  });
  it('two ineligible exceptions: the finding stays and names both, each with why, before the hints', () => {
    // 9E515.f is MT-controlled (§740.2(a)(5)(i)): no exception at all.
    const a = assess(event(), dataset('9E515.f'), person(['JP']), undefined, ctx([entry('TSR-1', { exception: 'TSR', assurance: 'A' }), entry('GOV-1', { exception: 'GOV', assurance: 'B' })]));
    expect(a.cleared).toEqual([]);
    expect(a.reasons[0]!.explanation).toMatch(/\. TSR-1 cites License Exception TSR, which does not clear it: items controlled for MT reasons may not use a license exception \(§740\.2\(a\)\(5\)\(i\)\); GOV-1 cites License Exception GOV, which does not clear it: items controlled for MT reasons .*\. No license exception of TSR, STA, TMP, GOV or ENC is available$/);
  });
  it('an exception entry that reached the scan without its assurance (an AWS reload) says so when it clears', () => {
    const a = assess(event(), dataset('3E004'), person(['JP']), undefined, ctx([entry('GOV-2', { exception: 'GOV' })]));
    expect(a.cleared[0]!.explanation).toMatch(/Cleared by License Exception GOV \(GOV-2, assurance none on file, review by 2027-12-31\)$/);
  });
  it('an ITAR finding carries no license-exception hint (the ITAR has exemptions, part 125)', () => {
    const a = assess(event(), dataset('XV(e)'), person(['JP']), undefined, ctx([]));
    expect(a.reasons[0]!.explanation).not.toMatch(/License exception|No license exception/);
  });
});

describe('ear_deemed_export (§734.13(b)): the countries a release to a foreign person reaches', () => {
  const countries = (p: Person, setting?: AssessContext['earDeemedExport'], c = '3E004') =>
    assess(event(), dataset(c), p, undefined, ctx([], setting ? { earDeemedExport: setting } : {})).reasons.map((r) => r.country);
  it('most-recent with the directory\'s answer: that country only, named in the explanation; a second person the other way round', () => {
    const both = (recent: string) => person(['IN', 'JP'], { mostRecentCitizenship: recent });
    expect(countries(both('JP'), 'most-recent')).toEqual(['JP']);
    expect(countries(both('IN'), 'most-recent')).toEqual(['IN']);
    const a = assess(event(), dataset('3E004'), both('JP'), undefined, ctx([], { earDeemedExport: 'most-recent' }));
    expect(a.reasons[0]!.explanation).toMatch(/EAR §734\.13\(b\): a deemed export to the person's most recent country of citizenship or permanent residency, which the directory gives as Japan; /);
  });
  it('most-recent with one country on file: that country, without a word about choosing', () => {
    const a = assess(event(), dataset('3E004'), person(['IN']), undefined, ctx([], { earDeemedExport: 'most-recent' }));
    expect(a.reasons.map((r) => r.country)).toEqual(['IN']);
    expect(a.reasons[0]!.explanation).toMatch(/EAR §734\.13\(b\): a deemed export to the person's most recent country of citizenship or permanent residency; 3E004/);
  });
  it('all (the default) judges every citizenship and says so; the ITAR always does (§120.50(b))', () => {
    const a = assess(event(), dataset('3E004'), person(['IN', 'JP'], { mostRecentCitizenship: 'JP' }), undefined, ctx([]));
    expect(a.reasons.map((r) => r.country).sort()).toEqual(['IN', 'JP']);
    expect(a.reasons[0]!.explanation).toMatch(/this policy judges every citizenship and permanent residency \(ear_deemed_export: all\)/);
    expect(countries(person(['IN', 'JP'], { mostRecentCitizenship: 'JP' }), 'most-recent', 'XV(e)').sort()).toEqual(['IN', 'JP']);
  });
});

describe('a place that is no country', () => {
  it('a log\'s EU or ZZ is an unknown location, not a FOREIGN_LOCATION and not an error; a real country code is one', () => {
    const us = person(['US'], { usPerson: true });
    for (const code of ['EU', 'ZZ']) expect(assess(event(), dataset('3E004'), us, { country: code }, ctx([])).reasons, code).toEqual([]);
    expect(assess(event(), dataset('3E004'), us, { country: 'CN' }, ctx([])).reasons.map((r) => r.code)).toEqual(['FOREIGN_LOCATION']);
  });
});
