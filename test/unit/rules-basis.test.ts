import { describe, expect, it } from 'vitest';
import { describeRule, licenseRequired, normaliseReason, isCountryOfConcern } from '#shared/rules/license.ts';

// The sentence each License Requirements row gives a reviewer, for each way the regulation reaches
// (or does not reach) a destination. Facts from Supp. No. 1 to part 738, part 742, part 746 and the
// CCL entries (reference/export-control); each with its second case.
const basis = (c: string, country: string, opts: Parameters<typeof licenseRequired>[2] = {}) => licenseRequired(c, country, opts).reasons.map((r) => `${r.column} ${r.required ? 'required' : 'not required'}: ${r.basis}`);

describe('the basis of each row', () => {
  it('Cuba, Iran, North Korea and Syria have no marks: their rows refer to part 746, and every column counts as marked', () => {
    expect(basis('3E001', 'IR')[0]).toBe('NS1 required: the Iran row has no marks and refers to §746.7 (Supp. No. 1 to part 738)');
    expect(basis('3E991', 'SY')[0]).toBe('AT1 required: the Syria row has no marks and refers to §746.9 (Supp. No. 1 to part 738)');
  });
  it('a place with no row of its own is treated as requiring a license, and says why', () => {
    expect(basis('3E991', 'AQ')[0]).toBe('AT1 required: Antarctica has no row in the Commerce Country Chart and is not listed as a territory, possession or department of a country that has one (§738.3(b)), so it is treated as requiring a license until reviewed');
    expect(licenseRequired('3E991', 'DE').licenseRequired).toBe(false); // a country with a row and no X in AT1
  });
  it('an X and no X in a column name the country\'s row', () => {
    expect(basis('1E002', 'AR', {}).slice(0, 1)).toEqual(['NS1 required: X in NS1 for Argentina (Supp. No. 1 to part 738); the row is for some paragraphs only (not .g) and the dataset names none, so it applies']);
    expect(basis('3E001', 'CN', { reasons: ['AT1'] })).toEqual(['AT1 not required: no X in AT1 for China (Supp. No. 1 to part 738)']);
  });
  it('1E002: NS1 applies to all but .g, NS2 and MT1 only to their paragraphs; a row scoped by items is applied to the paragraph', () => {
    expect(basis('1E002.g', 'AR')).toEqual([
      'NS1 not required: NS1 (Supp. No. 1 to part 738) applies to all but .g, not to .g',
      'NS2 not required: no X in NS2 for Argentina (Supp. No. 1 to part 738)',
      'MT1 not required: MT1 (Supp. No. 1 to part 738) applies to only .e, not to .g',
      'NP1 not required: no X in NP1 for Argentina (Supp. No. 1 to part 738); the row is scoped by items, not paragraphs, so it is applied to .g',
      'AT1 not required: no X in AT1 for Argentina (Supp. No. 1 to part 738)',
    ]);
    expect(basis('1E002.e', 'AR').slice(0, 3)).toEqual([
      'NS1 required: X in NS1 for Argentina (Supp. No. 1 to part 738)',
      'NS2 not required: NS2 (Supp. No. 1 to part 738) applies to only .g, not to .e',
      'MT1 required: X in MT1 for Argentina (Supp. No. 1 to part 738)',
    ]);
    expect(basis('1E002', 'AR')[1]).toBe('NS2 not required: no X in NS2 for Argentina (Supp. No. 1 to part 738); the row is for some paragraphs only (.g) and the dataset names none, so it applies');
  });
  it('UN: footnote 1 of the Country Chart (§746.1(b)) reaches Iraq and not Germany', () => {
    expect(basis('0E501', 'IQ')[2]).toBe('UN required: footnote 1 of the Country Chart (§746.1(b)): a license is required to the destinations marked with footnote 1 in the Country Chart — Iraq is one');
    expect(basis('0E501', 'DE')[2]).toBe('UN not required: footnote 1 of the Country Chart (§746.1(b)): a license is required to the destinations marked with footnote 1 in the Country Chart — Germany is not');
  });
  it('footnote 10 (firearms) reaches Australia and the United Kingdom only, never a row without marks', () => {
    const fn10 = (country: string) => licenseRequired('0E501', country).reasons.find((r) => r.column === 'fn10')!;
    for (const country of ['AU', 'GB']) expect(fn10(country).required, country).toBe(true);
    for (const country of ['CU', 'IR', 'DE']) expect(fn10(country).required, country).toBe(false);
  });
  it('EI (§742.15(a)) reaches every destination but Canada; a reason listed by hand is judged by its own rule', () => {
    expect(basis('5E002', 'CA', { reasons: ['EI'] })).toEqual(['EI not required: EI (§742.15(a)): a license is required to every destination except Canada — Canada is not']);
    expect(basis('5E002', 'DE', { reasons: ['EI', 'NS2'] })).toEqual([
      'EI required: EI (§742.15(a)): a license is required to every destination except Canada — Germany is one',
      'NS2 not required: no X in NS2 for Germany (Supp. No. 1 to part 738)',
    ]);
    expect(basis('5E002', 'JP', { reasons: ['SL'] })).toEqual(['SL required: SL (§742.13(a)): a license is required to every destination — Japan is one']);
  });
  it('RS for 3E001: §742.6(a)(6)(iii) reaches D:1, D:4 and D:5 unless also in A:5 or A:6; (a)(6)(ii) only when exported from Macau or D:5', () => {
    const cn = basis('3E001', 'CN');
    expect(cn[4]).toBe('RS required: RS (§742.6(a)(6)(iii)): a license is required to or within Country Groups D:1, D:4 or D:5, excluding destinations also in Country Group A:5 or A:6 — China is one');
    expect(basis('3E001', 'DE')[4]).toBe('RS not required: RS (§742.6(a)(6)(iii)): a license is required to or within Country Groups D:1, D:4 or D:5, excluding destinations also in Country Group A:5 or A:6 — Germany is not');
    expect(cn[3]).toBe('RS not required: RS (§742.6(a)(6)(ii)): a license is required to every destination, when exported from Macau or Country Group D:5 — China is not');
    expect(basis('3E001', 'DE', { home: 'CN' })[3]).toBe('RS required: RS (§742.6(a)(6)(ii)): a license is required to every destination, when exported from Macau or Country Group D:5 — Germany is one');
  });
  it('a deemed export is outside the rows that exclude it (§742.6(a)(6)(iv)), and outside the Russia embargo (§746.8(a)(1))', () => {
    const cn = licenseRequired('3E001', 'CN', { deemed: true });
    expect(cn.reasons[4]).toEqual({ column: 'RS', required: false, citation: '§742.6(a)(6)(iii)', deemedExportExcluded: '§742.6(a)(6)(iv)', basis: 'RS (§742.6(a)(6)(iii)): a license is required to or within Country Groups D:1, D:4 or D:5, excluding destinations also in Country Group A:5 or A:6 — China is one; but §742.6(a)(6)(iv) excludes deemed exports from this requirement' });
    expect(cn.explanation).toBe('3E001 to China (CN) (deemed export): license required — NS1, MT1, NP1 and RS2 require a license for CN (Supp. No. 1 to part 738); RS (§742.6(a)(6)(i)(B)): a license is required to or within Macau or Country Group D:5 — China is one; as a deemed export it is outside RS (§742.6(a)(6)(iv)).');
    const ru = licenseRequired('3E001', 'RU', { deemed: true });
    expect(ru.reasons.at(-1)).toEqual({ column: 'EMBARGO', required: false, citation: '§746.8(a)(1)', deemedExportExcluded: '§746.8(a)(1)', basis: '§746.8(a)(1): Russia, a license for every item on the CCL; but §746.8(a)(1) excludes deemed exports and deemed reexports, so it does not reach this release' });
    expect(ru.explanation).toMatch(/; as a deemed export it is outside RS \(§742\.6\(a\)\(6\)\(iv\)\) and the part 746 embargo \(§746\.8\(a\)\(1\)\)\.$/);
    // The same releases abroad are exports: the exclusions do not apply.
    expect(licenseRequired('3E001', 'RU').reasons.at(-1)).toEqual({ column: 'EMBARGO', required: true, citation: '§746.8(a)(1)', basis: '§746.8(a)(1): Russia, a license for every item on the CCL' });
    expect(licenseRequired('3E001', 'CN').reasons[4]!.required).toBe(true);
  });
  it('an entry whose RS row the monitor cannot read (3E993, §742.6(a)(11)) is treated as reaching every destination until reviewed', () => {
    expect(basis('3E993', 'DE')[0]).toBe('RS required: RS (§742.6(a)(11)): a license is required to destinations the monitor cannot read from the entry (treated as every destination until reviewed) — Germany is one');
    expect(basis('3E993', 'JP')[0]).toBe('RS required: RS (§742.6(a)(11)): a license is required to destinations the monitor cannot read from the entry (treated as every destination until reviewed) — Japan is one');
  });
  it('AT-only data to a Russian national in the US: the §746.8(a)(1) carve-out is named, and the embargo is not a row "checked"', () => {
    expect(licenseRequired('3E991', 'RU', { deemed: true }).explanation).toBe('3E991 to Russia (RU): no license required by its License Requirements (AT1 checked) or part 746; as a deemed export it is outside the part 746 embargo (§746.8(a)(1)); part 744 end-user and end-use rules are not evaluated.');
    expect(licenseRequired('3E991', 'RU').licenseRequired).toBe(true);
  });
  it('EAR99 needs a license only under part 746: to Cuba (§746.2), not to Germany', () => {
    const cu = licenseRequired('EAR99', 'CU');
    expect(cu.explanation).toBe('EAR99 to Cuba (CU): license required — §746.2: Cuba, a license for EAR99 items too; Cuba (CU) is a country of concern (Country Group E).');
    expect(cu.reasons[0]).toEqual({ column: 'EAR99', required: false, citation: '§734.3(c)', basis: 'EAR99 is on no Country Chart column (§734.3(c)); a license follows only from part 746 embargoes or part 744 end-user and end-use rules' });
    expect(licenseRequired('EAR99', 'DE').explanation).toBe('EAR99 to Germany (DE): no license required by its License Requirements (EAR99 checked) or part 746; part 744 end-user and end-use rules are not evaluated.');
  });
});

describe('the explanation of the answer', () => {
  it('one chart column "requires", several "require"', () => {
    expect(licenseRequired('3E001', 'CN', { reasons: ['NS1'] }).explanation).toBe('3E001 to China (CN): license required — NS1 requires a license for CN (Supp. No. 1 to part 738).');
    expect(licenseRequired('1E002', 'AR').explanation).toBe('1E002 to Argentina (AR): license required — NS1 and MT1 require a license for AR (Supp. No. 1 to part 738).');
  });
  it('no license: the rows checked are named, never the ones for other paragraphs; "none" when no row reaches the paragraph', () => {
    expect(licenseRequired('1E002.g', 'AR').explanation).toBe('1E002.g to Argentina (AR): no license required by its License Requirements (NS2, NP1, AT1 checked) or part 746; part 744 end-user and end-use rules are not evaluated.');
    expect(licenseRequired('0E606.y', 'DE').explanation).toBe('0E606.y to Germany (DE): no license required by its License Requirements (RS, AT1 checked) or part 746; part 744 end-user and end-use rules are not evaluated.');
  });
  it('the ITAR: authorization for every foreign destination; §126.1 countries are proscribed', () => {
    expect(licenseRequired('XV(e)', 'DE').explanation).toBe('USML XV(e) is ITAR technical data: releasing it to Germany (DE) needs authorization (22 CFR 120.50, 125.2).');
    const cn = licenseRequired('XV(e)', 'CN');
    expect(cn.explanation).toBe('USML XV(e) is ITAR technical data: releasing it to China (CN) needs authorization (22 CFR 120.50, 125.2); China (CN) is a proscribed country under 22 CFR 126.1 (policy of denial).');
    expect(cn.reasons[0]).toEqual({ column: 'ITAR', required: true, citation: '§120.50', basis: 'ITAR §120.50, §120.56, §125.2: any release of technical data to a foreign person or destination needs authorization (DSP-5, TAA or an exemption)' });
    expect(cn.reasons[1]).toEqual({ column: '§126.1', required: true, citation: '§126.1', basis: '§126.1(d)(1) policy of denial: China is a proscribed country (22 CFR 126.1)' });
    expect(cn.hints).toEqual([]);
  });
  it('at home: no export question, in the home country and (for the US) in its territories', () => {
    expect(licenseRequired('3E001', 'US').explanation).toBe('3E001: United States (US) is the home country; no export license question arises.');
    expect(licenseRequired('3E001', 'GU').reasons).toEqual([{ column: 'HOME', required: false, basis: 'Guam is the home country: a release there is not an export' }]);
    expect(licenseRequired('3E001', 'GU', { home: 'GB' }).licenseRequired).toBe(true);
  });
});

describe('reasons and rules in words', () => {
  it('reasons are normalised (spaces, case); an unknown one names the columns to use', () => {
    expect(normaliseReason('ns 1')).toBe('NS1');
    expect(normaliseReason('Rs2')).toBe('RS2');
    expect(() => normaliseReason('XX9')).toThrowError(expect.objectContaining({ code: 'UNKNOWN_REASON', message: 'unknown reason for control "XX9"', hint: expect.stringMatching(/^use Country Chart columns \(CB1, .*AT2\) or EI, SI, SL, UN, 0Y521$/) }));
  });
  it('each kind of rule in words', () => {
    expect(describeRule({ kind: 'column', column: 'NS2' })).toBe('where the Country Chart shows an X in NS2');
    expect(describeRule({ kind: 'worldwide' })).toBe('to every destination');
    expect(describeRule({ kind: 'allExcept', except: ['CA', 'GB'] })).toBe('to every destination except Canada and United Kingdom');
    expect(describeRule({ kind: 'destinations', countries: ['CN'], groups: ['D:5'], excludeGroups: [] })).toBe('to or within China or Country Group D:5');
    expect(describeRule({ kind: 'destinations', countries: [], groups: ['E:1'], excludeGroups: ['A:5', 'A:6'] })).toBe('to or within Country Group E:1, excluding destinations also in Country Group A:5 or A:6');
    expect(describeRule({ kind: 'footnote', footnote: 3 })).toBe('to the destinations marked with footnote 3 in the Country Chart');
    expect(describeRule({ kind: 'review' })).toBe('to destinations the monitor cannot read from the entry (treated as every destination until reviewed)');
  });
  it('countries of concern: §126.1 for the ITAR (Hong Kong with China), Country Group E for the EAR', () => {
    expect(isCountryOfConcern('ITAR', 'HK')).toBe(true);
    expect(isCountryOfConcern('ITAR', 'DE')).toBe(false);
    expect(isCountryOfConcern('EAR', 'CU')).toBe(true);
    expect(isCountryOfConcern('EAR', 'CN')).toBe(false);
  });
});
