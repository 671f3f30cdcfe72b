import { describe, expect, it } from 'vitest';
import chart from '#shared/rules/data/country-chart.json' with { type: 'json' };
import groups from '#shared/rules/data/country-groups.json' with { type: 'json' };
import eccn from '#shared/rules/data/eccn.json' with { type: 'json' };
import itar from '#shared/rules/data/itar.json' with { type: 'json' };
import embargoes from '#shared/rules/data/embargoes.json' with { type: 'json' };
import {
  RulesError, isCountryCode, licenseRequired, parseClassification, resolveCountry, rulesTextDate, countryGroups, eccnTable,
} from '#shared/rules/index.ts';

// [classification, country, licence required?, country of concern?, why (from the regulation)]
const vectors: [string, string, boolean, boolean, string][] = [
  // NS1 items: Canada, Australia and the UK have no X in NS1 (AUKUS rule 2024); everyone else does.
  ['3E001', 'CA', false, false, 'NS1/MT1/NP1: no X for Canada'],
  ['3E001', 'GB', false, false, 'NS1/MT1/NP1: no X for the UK'],
  ['3E001', 'AU', false, false, 'no X for Australia'],
  ['3E001', 'CN', true, false, 'NS1 X for China'],
  ['3E001', 'IN', true, false, 'NS1 X for India'],
  ['3E001', 'DE', true, false, 'NS1 X for Germany (unmarked only in NS2)'],
  ['3E001', 'JP', true, false, 'NS1 X for Japan'],
  ['3E001', 'IL', true, false, 'NS1 X for Israel'],
  ['3E001', 'IR', true, true, 'embargo row → part 746'],
  ['3E001', 'RU', true, false, 'NS1 X; §746.8'],
  ['3E001', 'US', false, false, 'home country'],
  ['3D001', 'KR', true, false, 'NS1 X for South Korea'],
  ['3D001', 'BR', true, false, 'NS1 X for Brazil'],
  ['3D001', 'CA', true, false, 'no X in NS1 for Canada, but the RS row for .z software reaches every destination (§742.6(a)(6)(iii)(A)); without a paragraph every row applies'],
  ['3D001.a', 'CA', true, false, 'the NS worldwide row (§742.4(a)(5)) is scoped by items, so it reaches .a too'],
  // EI: every destination except Canada (§742.15)
  ['5E002', 'CA', true, false, 'EI excludes Canada and NS1 has no X, but the RS row for .z technology reaches every destination (§742.6(a)(6)(iii)(A))'],
  ['5E002', 'GB', true, false, 'EI §742.15'],
  ['5E002', 'FR', true, false, 'NS1 X + EI'],
  ['5D002', 'CN', true, false, 'NS1 X + EI'],
  // SI (§742.14), conservative
  ['9E003', 'CA', false, false, 'no X; SI excludes Canada'],
  ['9E003', 'MX', true, false, 'NS1 X + SI'],
  ['9E003', 'GB', true, false, 'NS1 no X for GB, but SI applies'],
  ['9E515', 'AU', false, false, 'no X in NS1/RS1/MT1 for Australia'],
  ['9E515', 'TW', true, false, 'NS1, RS1 X'],
  ['9E515', 'CN', true, false, 'NS1, RS1 X'],
  ['7E004', 'CA', false, false, 'no X'],
  ['7E004', 'VN', true, false, 'NS1 X'],
  ['4E001', 'NO', true, false, 'NS1 X'],
  ['4E001', 'PK', true, false, 'NS1 X'],
  ['6E001', 'GB', false, false, 'no X in NS1/MT1/NP1/RS1/CC1; GB has no UN footnote'],
  ['6E001', 'SG', true, false, 'NS1 X'],
  ['1E001', 'AU', true, false, 'CB1 has an X in every row, Australia included (NS1/MT1 do not)'],
  ['1E002', 'AU', false, false, 'NS1/NS2/MT1/NP1: no X for Australia'],
  ['1E001', 'TR', true, false, 'NS1 X'],
  ['2E001', 'SA', true, false, 'NS1 X'],
  // AT-only items: the AT columns carry no X anywhere; embargoes bite through part 746.
  ['3E991', 'CN', false, false, 'AT1 only, no X'],
  ['3E991', 'DE', false, false, 'AT1 only'],
  ['3E991', 'SY', true, true, '§746.9'],
  ['3E991', 'CU', true, true, '§746.2'],
  ['3E991', 'KP', true, true, '§§742.19, 746.4'],
  ['3E991', 'IR', true, true, '§746.7'],
  ['3E991', 'RU', true, false, '§746.8 every CCL item (conservative for deemed exports)'],
  ['5E992', 'CN', true, false, 'RS for .z technology: worldwide, and D:1/D:4/D:5 (§742.6(a)(6)(iii))'],
  ['3E991', 'JP', false, false, 'AT1 only'],
  // Dual-reason items where only one column has an X
  ['1E002', 'AR', true, false, 'Argentina: NS1 X, NP1 no X'],
  ['2E001', 'BR', true, false, 'Brazil: NS1 X, NP1 no X'],
  ['3E001', 'KZ', true, false, 'Kazakhstan: NS1 X, NP1 no X'],
  ['2D202', 'BR', false, false, 'NP1 only: Brazil has no X in NP1'],
  ['2D202', 'IL', true, false, 'NP1 X for Israel'],
  ['2E301', 'DE', false, false, 'CB2: Germany has no X'],
  ['2E301', 'CN', true, false, 'CB2 X for China'],
  ['1E351', 'DE', true, false, 'CB1: every row has an X'],
  ['4D001', 'AL', true, false, 'Albania: NS1 X (CC1 no X)'],
  // EAR99: embargoed destinations only
  ['EAR99', 'CN', false, false, 'no chart column'],
  ['EAR99', 'CU', true, true, '§746.2'],
  ['EAR99', 'IR', true, true, '§746.7'],
  ['EAR99', 'KP', true, true, '§746.4'],
  ['EAR99', 'SY', true, true, '§746.9 (conservative)'],
  ['EAR99', 'RU', true, false, '§746.8 supplements'],
  ['EAR99', 'BY', true, false, '§746.8 supplements'],
  ['EAR99', 'GB', false, false, 'no chart column'],
  // ITAR: every foreign country; §126.1 are countries of concern.
  ['USML XV(e)', 'CA', true, false, 'ITAR: any foreign person'],
  ['XI(d)', 'IN', true, false, 'ITAR'],
  ['Cat. IV(i)', 'CN', true, true, '§126.1(d)(1)'],
  ['USML XV(e)', 'GB', true, false, 'ITAR'],
  ['XV(e)', 'RU', true, true, '§126.1(d)(2)'],
  ['XII(f)', 'VE', true, true, '§126.1(d)(1)'],
  ['XIX(g)', 'CY', true, true, '§126.1(d)(2)'],
  ['VIII(i)', 'KH', true, false, 'Cambodia removed from §126.1 in 2025'],
  ['XV(e)', 'HK', true, true, 'Hong Kong treated as the PRC'],
  ['XV(e)', 'US', false, false, 'home country'],
  ['XV(e)', 'PR', false, false, 'Puerto Rico is the United States'],
];

describe('licenseRequired — vectors derived from the regulation', () => {
  it.each(vectors)('%s to %s → %s', (classification, country, required, concern, why) => {
    const answer = licenseRequired(classification, country);
    expect(answer.licenseRequired).toBe(required);
    expect(answer.countryOfConcern).toBe(concern);
    // The explanation states the answer and cites the section the vector rests on.
    expect(answer.explanation).toMatch(required ? /needs authorization \(22 CFR 120\.50, 125\.2\)|: license required — / : /: no license required by its License Requirements \([^)]+ checked\) or part 746;|is the home country; no export license question arises/);
    for (const section of why.match(/§7\d\d\.\d+/g) ?? []) expect(answer.explanation).toContain(section);
    if (answer.jurisdiction === 'ITAR' && concern) expect(answer.explanation).toContain('is a proscribed country under 22 CFR 126.1');
  });
});

describe('licenseRequired — details', () => {
  it('names each row with its basis', () => {
    const a = licenseRequired('3E001', 'CN');
    expect(a.reasons.map((r) => [r.column, r.required])).toEqual([['NS1', true], ['MT1', true], ['NP1', true], ['RS', false], ['RS', true], ['RS', true], ['RS2', true], ['AT1', false]]);
    expect(a.reasons[0]!.basis).toContain('X in NS1 for China');
    expect(a.reasons[3]!.basis).toMatch(/when exported from Macau or Country Group D:5 — China is not/);
    expect(a.explanation).toMatch(/^3E001 to China \(CN\): license required — NS1, MT1, NP1 and RS2 require a license for CN \(Supp\. No\. 1 to part 738\); RS \(§742\.6\(a\)\(6\)\(iii\)\)/);
  });
  it('explicit reasons override the ECCN table', () => {
    expect(licenseRequired('3E001', 'GB', { reasons: ['RS2'] }).licenseRequired).toBe(false);
    expect(licenseRequired('3E001', 'CN', { reasons: ['NS2'] }).reasons).toEqual([expect.objectContaining({ column: 'NS2', required: true })]);
    expect(licenseRequired('9E099', 'DE', { reasons: ['ns 1', 'at1'] }).licenseRequired).toBe(true);
  });
  it('explains an AT-only item to Syria by the embargo', () => {
    const a = licenseRequired('3E991', 'Syria');
    expect(a.reasons.find((r) => r.column === 'EMBARGO')?.basis).toMatch(/§746\.9/);
  });
  it('Hong Kong takes the China row, Liechtenstein the Swiss one', () => {
    expect(licenseRequired('3E001', 'HK').reasons[0]!.basis).toMatch(/China/);
    // The Swiss row has no X in CB2 (Supp. 1 to part 738), and footnote 5 sends Liechtenstein there.
    expect(licenseRequired('2E301', 'LI').licenseRequired).toBe(false);
    expect(licenseRequired('2E301', 'LI').reasons[0]!.basis).toMatch(/^no X in CB2 for Switzerland \(Footnote 5/);
  });
  it('a place with no chart row that is no territory of a country with one is treated as requiring a license (conservative)', () => {
    const a = licenseRequired('3E001', 'AQ');
    expect(a.licenseRequired).toBe(true);
    expect(a.reasons[0]!.basis).toMatch(/no row/);
  });
  it('takes another home country', () => {
    expect(licenseRequired('XV(e)', 'GB', { home: 'GB' }).licenseRequired).toBe(false);
  });
  it('dual-reason item where only one column has an X names just that column', () => {
    const a = licenseRequired('1E002', 'AR');
    expect(a.reasons.filter((r) => r.required).map((r) => r.column)).toEqual(['NS1', 'MT1']);
  });
});

describe('typed errors', () => {
  it('unknown ECCN without reasons', () => {
    expect(() => licenseRequired('9E099', 'CN')).toThrowError(expect.objectContaining({ code: 'UNKNOWN_ECCN', hint: expect.stringMatching(/reasons/) }));
  });
  it('unknown USML category', () => {
    expect(() => parseClassification('XXV(a)')).toThrowError(expect.objectContaining({ code: 'UNKNOWN_USML_CATEGORY' }));
  });
  it('not a classification', () => {
    expect(() => parseClassification('secret stuff')).toThrow(RulesError);
  });
  it('unknown country', () => {
    expect(() => licenseRequired('3E001', 'Atlantis')).toThrowError(expect.objectContaining({ code: 'UNKNOWN_COUNTRY' }));
    expect(() => resolveCountry('ZZ')).toThrow(RulesError);
  });
  it('unknown reason', () => {
    expect(() => licenseRequired('3E001', 'CN', { reasons: ['XX9'] })).toThrowError(expect.objectContaining({ code: 'UNKNOWN_REASON' }));
  });
});

describe('classification parser', () => {
  it.each([
    ['3E001', 'EAR', '3E001'], ['3e001', 'EAR', '3E001'], ['9E003.a.1', 'EAR', '9E003.a.1'], ['ECCN 5D002', 'EAR', '5D002'],
    ['EAR99', 'EAR', 'EAR99'], ['ear 99', 'EAR', 'EAR99'], ['XV(e)', 'ITAR', 'USML XV(e)'], ['USML XV(e)', 'ITAR', 'USML XV(e)'],
    ['Cat. XV(e)', 'ITAR', 'USML XV(e)'], ['Category XI(a)(5)', 'ITAR', 'USML XI(a)(5)'], ['IV(i)', 'ITAR', 'USML IV(i)'], ['usml xxi', 'ITAR', 'USML XXI'],
  ])('%s → %s %s', (input, jurisdiction, display) => {
    const c = parseClassification(input);
    expect(c.jurisdiction).toBe(jurisdiction);
    expect(c.display).toBe(display);
  });
});

describe('countries', () => {
  it('by code or name, case-insensitive', () => {
    expect(resolveCountry('cn')).toBe('CN');
    expect(resolveCountry('China')).toBe('CN');
    expect(resolveCountry('korea, south')).toBe('KR');
    expect(resolveCountry('United Kingdom')).toBe('GB');
    expect(resolveCountry('Burma')).toBe('MM');
    expect(resolveCountry('Türkiye')).toBe('TR');
  });
  it('Country Groups E:1, E:2 and D:5 as encoded', () => {
    expect(groups.groups['E:1']).toEqual(['IR', 'KP', 'SY']);
    expect(groups.groups['E:2']).toEqual(['CU']);
    expect(countryGroups('CN')).toEqual(expect.arrayContaining(['D:1', 'D:3', 'D:4', 'D:5']));
    expect(groups.groups['D:5']).not.toContain('MO');
    expect(groups.groups['D:5']).not.toContain('KH');
  });
});

describe('data completeness', () => {
  it('the chart has 196 graded rows, 4 pointer rows and 16 columns', () => {
    expect(Object.keys(chart.rows)).toHaveLength(196);
    expect(Object.keys(chart.pointerRows).sort()).toEqual(['CU', 'IR', 'KP', 'SY']);
    expect(chart.columns).toEqual(['CB1', 'CB2', 'CB3', 'NP1', 'NP2', 'NS1', 'NS2', 'MT1', 'RS1', 'RS2', 'FC1', 'CC1', 'CC2', 'CC3', 'AT1', 'AT2']);
  });
  it('every chart row maps to a real ISO code, and no code twice', () => {
    const codes = [...Object.keys(chart.rows), ...Object.keys(chart.pointerRows)];
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(isCountryCode(code), code).toBe(true);
    const names = [...Object.values(chart.rows), ...Object.values(chart.pointerRows)].map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });
  it('every mark is a known column', () => {
    for (const row of Object.values(chart.rows)) for (const x of row.x) expect(chart.columns).toContain(x);
  });
  it('per-column X counts match the regulation', () => {
    const count = (col: string) => Object.values(chart.rows).filter((r) => r.x.includes(col)).length;
    expect([count('NS1'), count('MT1'), count('RS1'), count('CB1'), count('AT1'), count('AT2'), count('NP2'), count('FC1')]).toEqual([193, 193, 193, 196, 0, 0, 9, 33]);
    const noNs1 = Object.entries(chart.rows).filter(([, r]) => !r.x.includes('NS1')).map(([c]) => c).sort();
    expect(noNs1).toEqual(['AU', 'CA', 'GB']);
  });
  it('every group member is a real code', () => {
    for (const members of Object.values(groups.groups)) for (const c of members) expect(isCountryCode(c), c).toBe(true);
  });
  it('§126.1 lists and embargo sets are real codes', () => {
    for (const c of [...itar.section126_1.d1.countries, ...itar.section126_1.d2.countries, ...Object.keys(embargoes.ccl), ...Object.keys(embargoes.ear99)]) expect(isCountryCode(c), c).toBe(true);
    expect(itar.section126_1.d2.countries).not.toContain('KH');
  });
  it('the ECCN table covers every entry of the CCL, D and E in every category, 600-series and 9x515, with known reasons', () => {
    const ids = Object.keys(eccn.eccns);
    expect(ids).toHaveLength(633);
    for (const cat of '0123456789') {
      expect(ids.some((id) => id.startsWith(cat + 'D')), `${cat}D`).toBe(true);
      expect(ids.some((id) => id.startsWith(cat + 'E')), `${cat}E`).toBe(true);
    }
    expect(ids.filter((id) => /^\d[DE]6\d\d$/.test(id)).length).toBeGreaterThanOrEqual(6);
    expect(ids).toEqual(expect.arrayContaining(['9D515', '9E515', '0E521', '3E001']));
    for (const [id, e] of Object.entries(eccnTable)) {
      expect(id).toMatch(/^\d[A-E]\d{3}$/);
      for (const r of e.rows) if (r.rule.kind === 'column') expect(chart.columns, `${id} ${r.rule.column}`).toContain(r.rule.column);
    }
  });
  it('the rows of common research ECCNs are as the CCL states them', () => {
    const labels = (id: string) => eccnTable[id]!.rows.map((r) => r.label);
    expect(eccnTable['3E001']!.controls).toEqual(['NS', 'MT', 'NP', 'RS', 'AT']);
    expect(labels('3E001')).toEqual(['NS1', 'MT1', 'NP1', 'RS', 'RS', 'RS', 'RS2', 'AT1']);
    expect(labels('4E001')).toEqual(expect.arrayContaining(['NS1', 'MT1', 'CC1', 'AT1']));
    expect(labels('5E002')).toEqual(['NS1', 'RS', 'RS', 'AT1', 'EI']);
    expect(labels('3E991')).toEqual(['AT1']);
  });
  it('USML has categories I to XXI', () => {
    expect(Object.keys(itar.usml)).toHaveLength(21);
  });
  it('pins the date of the regulation text: an update must be a conscious act', () => {
    // Update the data, then this date, and the README's "Updating the export-control data" section.
    expect(rulesTextDate).toBe('2026-07-23');
    for (const file of [chart, groups, eccn, itar, embargoes]) expect(file.textDate).toBe('2026-07-23');
  });
});
