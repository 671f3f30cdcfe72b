import { describe, expect, it } from 'vitest';
import { countryGroups, countryName, inCountryGroup, isCountryOfConcern, licenseRequired, resolveCountry } from '#shared/rules/index.ts';

/**
 * Values from the regulation (/work/shared/reference/export-control/): Supp. 1 to part 738 (the chart
 * and its footnotes, eCFR 2026-07-23), §746.1(b), §772.1 "United States", 22 CFR 126.1.
 */
describe('the UN column: chart footnote 1 (§746.1(b))', () => {
  // Footnote 1 marks these seven rows of the chart, and no others.
  const footnote1 = ['CD', 'ER', 'IQ', 'LB', 'LY', 'SO', 'SD'];
  const un = (country: string) => licenseRequired('6E001', country, { reasons: ['UN'] });

  it.each(footnote1)('UN-controlled items to %s need a license (footnote 1)', (country) => {
    const a = un(country);
    expect(a.licenseRequired).toBe(true);
    // §746.1(b) is the UN rule for every footnote-1 row; §746.3 is Iraq's own section, not the basis for the others.
    expect(a.reasons).toEqual([{
      column: 'UN', required: true, citation: '§746.1(b)',
      basis: `footnote 1 of the Country Chart (§746.1(b)): a license is required to the destinations marked with footnote 1 in the Country Chart — ${countryName(country)} is one`,
    }]);
  });
  it.each(['DE', 'GB', 'CA', 'IN', 'CN', 'SS'])('UN-controlled items to %s need no license for UN reasons (no footnote 1)', (country) => {
    expect(un(country).licenseRequired).toBe(false);
    expect(un(country).reasons).toEqual([expect.objectContaining({ column: 'UN', required: false, citation: '§746.1(b)', basis: expect.stringMatching(new RegExp(`footnote 1 in the Country Chart — ${countryName(country)} is not$`)) })]);
  });
  it('the embargoed destinations with no chart marks (Cuba, Iran, North Korea, Syria) need one too', () => {
    for (const country of ['CU', 'IR', 'KP', 'SY']) expect(un(country).reasons[0], country).toMatchObject({ column: 'UN', required: true });
  });
  it('6E001 to the United Kingdom: no X in its chart columns and no footnote 1, so no license; to Iraq, one', () => {
    expect(licenseRequired('6E001', 'GB').licenseRequired).toBe(false);
    expect(licenseRequired('6E001', 'IQ').reasons.filter((r) => r.required).map((r) => r.column)).toEqual(['NS1', 'MT1', 'NP1', 'RS1', 'CC1', 'UN']);
  });
});

describe('US territories are the United States (§772.1)', () => {
  it.each([['PR', 'Puerto Rico'], ['GU', 'Guam'], ['VI', 'Virgin Islands (U.S.)'], ['AS', 'American Samoa'], ['MP', 'Northern Mariana Islands'], ['UM', 'United States Minor Outlying Islands']])(
    'a release in %s is not an export, for ITAR data and an ECCN', (code) => {
      for (const classification of ['XV(e)', '3E001']) {
        const a = licenseRequired(classification, code);
        expect(a.licenseRequired, `${classification} ${code}`).toBe(false);
        expect(a.reasons.map((r) => r.column)).toEqual(['HOME']);
        expect(a.explanation).toMatch(/is the home country; no export license question arises\.$/);
      }
    },
  );
  it('the territories are home only when home is the United States', () => {
    expect(licenseRequired('XV(e)', 'GU', { home: 'GB' }).licenseRequired).toBe(true);
    expect(licenseRequired('XV(e)', 'PR', { home: 'GB' }).licenseRequired).toBe(true);
    expect(licenseRequired('XV(e)', 'US', { home: 'GB' }).licenseRequired).toBe(true);
    expect(licenseRequired('XV(e)', 'GB', { home: 'GB' }).licenseRequired).toBe(false);
  });
  it('a US territory is not a country of concern; Guam is not a foreign row of the chart', () => {
    expect(licenseRequired('XV(e)', 'GU').countryOfConcern).toBe(false);
    expect(licenseRequired('EAR99', 'VI').licenseRequired).toBe(false);
  });
});

describe('rows that take another row (§738.3(b), footnote 5)', () => {
  it('Liechtenstein takes the Swiss row: no X in CB2, an X in NS1 — values from the chart, not from Switzerland\'s answer', () => {
    expect(licenseRequired('2E301', 'LI').licenseRequired).toBe(false); // CB2: Switzerland has no X
    const ns1 = licenseRequired('3E001', 'LI').reasons[0]!;
    expect(ns1).toEqual({ column: 'NS1', required: true, citation: 'Supp. No. 1 to part 738', basis: 'X in NS1 for Switzerland (Footnote 5 and §738.3(b): Liechtenstein takes the Switzerland row) (Supp. No. 1 to part 738)' });
  });
  it('the Cayman Islands take the United Kingdom row: no X in NS1 (the AUKUS change), an X in CB1', () => {
    expect(licenseRequired('3E001', 'KY').licenseRequired).toBe(false);
    expect(licenseRequired('1E001', 'KY').reasons.find((r) => r.column === 'CB1')).toMatchObject({ required: true, basis: expect.stringMatching(/United Kingdom/) });
  });
});

describe('countries of concern', () => {
  it('ITAR: 22 CFR 126.1(d)(1) and (d)(2), and Hong Kong as the PRC; not Cambodia (removed 2025)', () => {
    for (const c of ['BY', 'MM', 'CN', 'CU', 'IR', 'KP', 'SY', 'VE', 'AF', 'CY', 'ET', 'HT', 'NI', 'RU', 'SS', 'ZW', 'HK']) expect(isCountryOfConcern('ITAR', c), c).toBe(true);
    for (const c of ['KH', 'GB', 'IN', 'MO']) expect(isCountryOfConcern('ITAR', c), c).toBe(false);
  });
  it('EAR: Country Groups E:1 and E:2 only (Iran, North Korea, Syria; Cuba)', () => {
    for (const c of ['IR', 'KP', 'SY', 'CU']) expect(isCountryOfConcern('EAR', c), c).toBe(true);
    for (const c of ['CN', 'RU', 'VE']) expect(isCountryOfConcern('EAR', c), c).toBe(false);
  });
});

describe('special reasons for control', () => {
  it('EI (§742.15(a)): every destination except Canada, Canada itself included in the exception only', () => {
    expect(licenseRequired('5E002', 'GB', { reasons: ['EI'] }).reasons).toEqual([{ column: 'EI', required: true, citation: '§742.15(a)', basis: 'EI (§742.15(a)): a license is required to every destination except Canada — United Kingdom is one' }]);
    expect(licenseRequired('5E002', 'CA', { reasons: ['EI'] }).reasons).toEqual([{ column: 'EI', required: false, citation: '§742.15(a)', basis: 'EI (§742.15(a)): a license is required to every destination except Canada — Canada is not' }]);
    expect(licenseRequired('5E002', 'CA', { reasons: ['EI'] }).licenseRequired).toBe(false);
  });
  it('SL (§742.13): every destination, Canada included', () => {
    expect(licenseRequired('5E001', 'CA', { reasons: ['SL'] }).licenseRequired).toBe(true);
    expect(licenseRequired('5E001', 'AU', { reasons: ['SL'] }).licenseRequired).toBe(true);
  });
});

describe('explanations', () => {
  it('an ITAR answer cites 22 CFR 120.50 and 125.2, and 126.1 only for a proscribed country', () => {
    expect(licenseRequired('XV(e)', 'GB').explanation).toBe('USML XV(e) is ITAR technical data: releasing it to United Kingdom (GB) needs authorization (22 CFR 120.50, 125.2).');
    expect(licenseRequired('XV(e)', 'VE').explanation).toBe('USML XV(e) is ITAR technical data: releasing it to Venezuela (VE) needs authorization (22 CFR 120.50, 125.2); Venezuela (VE) is a proscribed country under 22 CFR 126.1 (policy of denial).');
    expect(licenseRequired('XV(e)', 'VE').reasons.map((r) => r.column)).toEqual(['ITAR', '§126.1']);
    expect(licenseRequired('XV(e)', 'GB').reasons.map((r) => r.column)).toEqual(['ITAR']);
  });
  it('no license: the rows checked, chart columns and prose rows alike, and what is not evaluated', () => {
    // 3E001's License Requirements (Supp. No. 1 to part 774, and eccn-corrections.json): NS1, MT1, NP1, three RS prose rows (§742.6(a)(6)), RS2, AT1.
    expect(licenseRequired('3E001', 'CA').explanation).toBe('3E001 to Canada (CA): no license required by its License Requirements (NS1, MT1, NP1, RS, RS2, AT1 checked) or part 746; part 744 end-user and end-use rules are not evaluated.');
    expect(licenseRequired('3E001', 'CA').reasons.map((r) => [r.column, r.required, r.citation])).toEqual([
      ['NS1', false, 'Supp. No. 1 to part 738'], ['MT1', false, 'Supp. No. 1 to part 738'], ['NP1', false, 'Supp. No. 1 to part 738'],
      ['RS', false, '§742.6(a)(6)(ii)'], ['RS', false, '§742.6(a)(6)(iii)'], ['RS', false, '§742.6(a)(6)(i)(B)'],
      ['RS2', false, 'Supp. No. 1 to part 738'], ['AT1', false, 'Supp. No. 1 to part 738'],
    ]);
    // The second case: with a paragraph, only the rows that reach it are checked. 9E515.f leaves RS1, NS2, RS2 and the .y row
    // (§742.6(a)(7)) for §742.6(a)(9), every destination except Australia, Canada and the United Kingdom.
    expect(licenseRequired('9E515.f', 'CA').explanation).toBe('9E515.f to Canada (CA): no license required by its License Requirements (NS1, RS, MT1, AT1 checked) or part 746; part 744 end-user and end-use rules are not evaluated.');
  });
  it('one column needs a license: "requires"; an embargo and a country of concern are named', () => {
    expect(licenseRequired('2D202', 'IL').explanation).toBe('2D202 to Israel (IL): license required — NP1 requires a license for IL (Supp. No. 1 to part 738).');
    expect(licenseRequired('EAR99', 'CU').explanation).toBe('EAR99 to Cuba (CU): license required — §746.2: Cuba, a license for EAR99 items too; Cuba (CU) is a country of concern (Country Group E).');
  });
  it('the home country', () => {
    expect(licenseRequired('3E001', 'US').explanation).toBe('3E001: United States (US) is the home country; no export license question arises.');
  });
});

describe('country names as people write them', () => {
  it.each([
    ['United States of America', 'US'], ['USA', 'US'], ['america', 'US'], ['UK', 'GB'], ['Britain', 'GB'], ['Great Britain', 'GB'],
    ['South Korea', 'KR'], ['Korea, South', 'KR'], ['Republic of Korea', 'KR'], ['North Korea', 'KP'], ['Korea, North', 'KP'], ['DPRK', 'KP'],
    ['PRC', 'CN'], ["People's Republic of China", 'CN'], ['Mainland China', 'CN'], ['Burma', 'MM'], ['Turkey', 'TR'], ['Türkiye', 'TR'], ['Turkiye', 'TR'],
    ['Russia', 'RU'], ['Russian Federation', 'RU'], ['Iran', 'IR'], ['Syria', 'SY'], ['Vietnam', 'VN'], ['Viet Nam', 'VN'], ['Laos', 'LA'], ['Macao', 'MO'], ['Macau', 'MO'], ['Macao SAR China', 'MO'],
    ['Czech Republic', 'CZ'], ['Czechia', 'CZ'], ['Ivory Coast', 'CI'], ["Cote d'Ivoire", 'CI'], ['UAE', 'AE'], ['Hong Kong', 'HK'], ['Taiwan', 'TW'],
    ['DRC', 'CD'], ['Democratic Republic of the Congo', 'CD'], ['Republic of the Congo', 'CG'], ['Vatican City', 'VA'], ['Holy See', 'VA'],
    ['Bolivia', 'BO'], ['Venezuela', 'VE'], ['Tanzania', 'TZ'], ['Moldova', 'MD'], ['Brunei', 'BN'], ['Cape Verde', 'CV'], ['Swaziland', 'SZ'], ['Kosovo', 'XK'],
  ])('%s is %s', (name, code) => {
    expect(resolveCountry(name)).toBe(code);
    expect(resolveCountry(`  ${name.toUpperCase()} `)).toBe(code);
  });
  it('ISO codes in any case; an unknown two-letter code is an error that says what to write', () => {
    expect(resolveCountry(' de ')).toBe('DE');
    expect(() => resolveCountry('QQ')).toThrowError(expect.objectContaining({ code: 'UNKNOWN_COUNTRY', message: 'unknown country "QQ"', hint: 'use an ISO 3166-1 alpha-2 code such as CN, GB or IN, or an English country name' }));
  });
  it('names of chart rows and ISO names resolve too', () => {
    expect(resolveCountry('Germany')).toBe('DE');
    expect(resolveCountry('Congo (Democratic Republic of the)')).toBe('CD');
    expect(countryName('DE')).toBe('Germany');
    expect(countryName('ZZ')).toBe('ZZ'); // no name: the code itself
  });
  it('Country Groups: membership and the groups of a country', () => {
    expect(inCountryGroup('CU', 'E:2')).toBe(true);
    expect(inCountryGroup('CN', 'E:2')).toBe(false);
    expect(inCountryGroup('CN', 'NO:SUCH')).toBe(false);
    expect(countryGroups('CU')).toEqual(expect.arrayContaining(['E:2']));
    expect(countryGroups('CU')).not.toContain('E:1');
  });
});
