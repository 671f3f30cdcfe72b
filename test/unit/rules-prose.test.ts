import { describe, expect, it } from 'vitest';
import sections from '#shared/rules/data/sections.json' with { type: 'json' };
import { eccnTable, licenseRequired, type LicenseAnswer } from '#shared/rules/index.ts';

// Each case is read from the regulation: the CCL row (Supp. No. 1 to part 774) and the section it cites.
const required = (a: LicenseAnswer, citation: string) => a.reasons.find((r) => r.citation === citation)?.required;
const answer = (c: string, country: string, deemed = false, home?: string) => licenseRequired(c, country, { deemed, ...(home ? { home } : {}) });

describe('paragraph scope: rows for some paragraphs only reach those paragraphs', () => {
  it('9E515.f: NS1 applies, the .x (NS2/RS2) and .y (§742.6(a)(7)) rows do not', () => {
    const a = answer('9E515.f', 'CN');
    const byCitation = (c: string) => a.reasons.filter((r) => r.citation === c);
    expect(a.reasons.find((r) => r.column === 'NS1')!.required).toBe(true);
    expect(a.reasons.filter((r) => ['NS2', 'RS2'].includes(r.column)).every((r) => r.notForParagraph)).toBe(true);
    expect(byCitation('§742.6(a)(7)')[0]!.notForParagraph).toBe(true);
  });
  it('9E515.y: only the .y row (§742.6(a)(7)) and the entire-entry rows reach it', () => {
    expect(answer('9E515.y', 'DE').reasons.filter((r) => r.required).map((r) => r.column)).toEqual(['MT1']);
    expect(answer('9E515.y', 'VE').reasons.find((r) => r.citation === '§742.6(a)(7)')!.required).toBe(true);
    expect(answer('9E515.y', 'DE').reasons.find((r) => r.column === 'NS1')!.notForParagraph).toBe(true);
  });
  it('3E001.a: rows scoped by items of other entries are applied to any paragraph, and the answer says so', () => {
    const a = answer('3E001.a', 'CN');
    expect(a.reasons.find((r) => r.column === 'MT1')!.basis).toMatch(/scoped by items, not paragraphs, so it is applied to \.a/);
    expect(a.licenseRequired).toBe(true);
  });
  it('0E501.y and 0E606.y: .y is its own paragraph only where the entry says so', () => {
    expect(answer('0E501.y', 'CN').reasons.filter((r) => r.required).map((r) => r.column)).toEqual(['NS1', 'RS1']);
    expect(answer('0E606.y', 'DE').licenseRequired).toBe(false); // NS1/RS1/UN except .y; .y: China, Russia, Venezuela only
    expect(answer('0E606', 'DE').licenseRequired).toBe(true);
  });
  it('without a paragraph every row applies, and the answer says the dataset names none', () => {
    const a = answer('9E515', 'CN');
    expect(a.reasons.every((r) => !r.notForParagraph)).toBe(true);
    expect(a.reasons.find((r) => r.citation === '§742.6(a)(7)')!.basis).toMatch(/dataset names none, so it applies/);
    expect(answer('9E003.h', 'GB').licenseRequired).toBe(true);
    expect(answer('9E003.b', 'GB').licenseRequired).toBe(false);
  });
});

describe('worldwide rows', () => {
  it('§742.4(a)(5): NS worldwide for 3B001.q-class items reaches Canada, which NS1 does not', () => {
    const a = answer('3D001', 'CA');
    expect(required(a, '§742.4(a)(5)')).toBe(true);
    expect(a.reasons.find((r) => r.column === 'NS1')!.required).toBe(false);
  });
  it('§742.13(a): SL items (5E980) need a license to every destination, the United Kingdom included', () => {
    expect(required(answer('5E980', 'GB'), '§742.13(a)')).toBe(true);
    expect(required(answer('5E980', 'CA'), '§742.13(a)')).toBe(true);
  });
  it('§742.6(a)(6)(iii)(A): RS to or within any destination worldwide (5E002 .z technology) reaches Canada', () => {
    expect(answer('5E002', 'CA').licenseRequired).toBe(true);
    expect(answer('5E002', 'CA').explanation).toMatch(/§742\.6\(a\)\(6\)\(iii\)/);
  });
  it('§742.6(a)(6)(ii): the worldwide row for 3A090 technology reaches only exports from Macau or D:5', () => {
    expect(required(answer('3E001', 'DE'), '§742.6(a)(6)(ii)')).toBe(false);
    expect(required(answer('3E001', 'DE', false, 'CN'), '§742.6(a)(6)(ii)')).toBe(true);
    expect(required(answer('3E001', 'DE', false, 'MO'), '§742.6(a)(6)(ii)')).toBe(true);
  });
});

describe('all destinations except Canada', () => {
  it('§742.14(a): SI (9E003.h) — Mexico and the United Kingdom yes, Canada no', () => {
    expect(required(answer('9E003.h', 'MX'), '§742.14(a)')).toBe(true);
    expect(required(answer('9E003.h', 'GB'), '§742.14(a)')).toBe(true);
    expect(required(answer('9E003.h', 'CA'), '§742.14(a)')).toBe(false);
    expect(answer('9E003.h', 'GB').explanation).toMatch(/SI \(§742\.14\(a\)\): a license is required to every destination except Canada/);
  });
  it('§742.15(a): EI (5E002) — the United Kingdom yes, Canada no', () => {
    expect(required(answer('5E002', 'GB'), '§742.15(a)')).toBe(true);
    expect(required(answer('5E002', 'CA'), '§742.15(a)')).toBe(false);
    expect(required(answer('5D002', 'JP'), '§742.15(a)')).toBe(true);
  });
  it('§742.6(a)(8): 0Y521 (0E521) — every destination but Canada', () => {
    expect(required(answer('0E521', 'GB'), '§742.6(a)(8)')).toBe(true);
    expect(required(answer('0E521', 'AU'), '§742.6(a)(8)')).toBe(true);
    expect(required(answer('0E521', 'CA'), '§742.6(a)(8)')).toBe(false);
  });
  it('§742.7(a): CC technology of 0E982 — every destination but Canada', () => {
    expect(required(answer('0E982', 'DE'), '§742.7(a)')).toBe(true);
    expect(required(answer('0E982', 'CA'), '§742.7(a)')).toBe(false);
    expect(required(answer('0E982', 'GB'), '§742.7(a)')).toBe(true);
  });
});

describe('China, Russia or Venezuela (§742.6(a)(7))', () => {
  it('9E515.y to China, Russia and Venezuela', () => {
    for (const c of ['CN', 'RU', 'VE']) expect(required(answer('9E515.y', c), '§742.6(a)(7)'), c).toBe(true);
  });
  it('9E515.y is not controlled for RS to Germany, Japan or India', () => {
    for (const c of ['DE', 'JP', 'IN']) expect(required(answer('9E515.y', c), '§742.6(a)(7)'), c).toBe(false);
  });
  it('600-series .y: 9E610.y and 0E606.y to China yes, to Brazil no; Hong Kong takes the China row', () => {
    expect(required(answer('9E610.y', 'CN'), '§742.6(a)(7)')).toBe(true);
    expect(required(answer('0E606.y', 'BR'), '§742.6(a)(7)')).toBe(false);
    expect(required(answer('0E606.y', 'HK'), '§742.6(a)(7)')).toBe(true);
  });
});

describe('"to or within" Country Group rows', () => {
  it('§742.6(a)(6)(iii): D:1, D:4, D:5 excluding A:5/A:6 — China yes; Israel (D:4 and A:6) no; Germany no', () => {
    expect(required(answer('3E001', 'CN'), '§742.6(a)(6)(iii)')).toBe(true);
    expect(required(answer('3E001', 'IL'), '§742.6(a)(6)(iii)')).toBe(false);
    expect(required(answer('3E001', 'DE'), '§742.6(a)(6)(iii)')).toBe(false);
  });
  it('§742.6(a)(6)(iii)(B): the United Arab Emirates is named, though it is in A:5', () => {
    const rows = answer('5E002', 'AE').reasons.filter((r) => r.citation?.startsWith('§742.6(a)(6)(iii)'));
    expect(rows.map((r) => r.required)).toEqual([true, true]);
    expect(answer('5E002', 'BR').reasons.filter((r) => r.citation?.startsWith('§742.6(a)(6)(iii)')).map((r) => r.citation)).toEqual(['§742.6(a)(6)(iii)(A)', '§742.6(a)(6)(iii)(B)']);
    expect(answer('5E002', 'BR').reasons.filter((r) => r.citation?.startsWith('§742.6(a)(6)(iii)')).map((r) => r.required)).toEqual([true, false]);
  });
  it('§742.4(a)(4) and §742.6(a)(6)(i): Macau or D:5 — Macau and China (D:5) yes, Japan no', () => {
    expect(required(answer('3E992', 'MO'), '§742.4(a)(4)')).toBe(true);
    expect(required(answer('3E992', 'CN'), '§742.4(a)(4)')).toBe(true);
    expect(required(answer('3E992', 'JP'), '§742.4(a)(4)')).toBe(false);
    expect(required(answer('3E001', 'MO'), '§742.6(a)(6)(i)(B)')).toBe(true);
  });
  it('§742.6(a)(12): Pakistan rows reach Pakistan only', () => {
    expect(required(answer('2B999', 'PK'), '§742.6(a)(12)')).toBe(true);
    expect(required(answer('2B999', 'IN'), '§742.6(a)(12)')).toBe(false);
    expect(required(answer('2B999.h.2', 'PK'), '§742.6(a)(12)')).toBe(false); // "other than 2B999.h.2"
  });
});

describe('chart footnote 10: firearms technology to Australia and the United Kingdom', () => {
  const fn10 = 'Supp. No. 1 to part 738, footnote 10';
  it('0E501 to Australia and the United Kingdom, which NS1 and RS1 leave unmarked', () => {
    expect(required(answer('0E501', 'AU'), fn10)).toBe(true);
    expect(required(answer('0E501', 'GB'), fn10)).toBe(true);
    expect(answer('0E501', 'AU').reasons.find((r) => r.column === 'NS1')!.required).toBe(false);
  });
  it('not to Canada, whose row has no footnote 10', () => {
    expect(required(answer('0E501', 'CA'), fn10)).toBe(false);
    expect(answer('0E501', 'CA').licenseRequired).toBe(false);
  });
  it('as the footnote scopes it: 0D501 except .y software; 0E504 whole; not 0E502', () => {
    expect(required(answer('0D501.y', 'AU'), fn10)).toBe(false);
    expect(answer('0D501.y', 'AU').reasons.find((r) => r.column === 'fn10')!.notForParagraph).toBe(true);
    expect(required(answer('0E504', 'GB'), fn10)).toBe(true);
    expect(answer('0E502', 'AU').reasons.some((r) => r.column === 'fn10')).toBe(false);
  });
});

describe('§742.6(a)(9) rows: 9E515.f', () => {
  it('to every destination except Australia, Canada and the United Kingdom', () => {
    expect(required(answer('9E515.f', 'CN'), '§742.6(a)(9)')).toBe(true);
    expect(required(answer('9E515.f', 'DE'), '§742.6(a)(9)')).toBe(true);
    for (const c of ['AU', 'CA', 'GB']) expect(required(answer('9E515.f', c), '§742.6(a)(9)'), c).toBe(false);
  });
  it('9E515.f is judged under §742.6(a)(9), not the RS Column 1 row of §742.6(a)(1)', () => {
    expect(answer('9E515.f', 'CN').reasons.find((r) => r.column === 'RS1')!.notForParagraph).toBe(true);
    expect(answer('9E515.a', 'CN').reasons.find((r) => r.citation === '§742.6(a)(9)')!.notForParagraph).toBe(true);
  });
  it('the explanation cites §742.6(a)(9)', () => {
    expect(answer('9E515.f', 'CN').explanation).toMatch(/RS \(§742\.6\(a\)\(9\)\)/);
    expect(answer('9E515.f', 'GB').licenseRequired).toBe(false);
    expect(answer('9E515.f', 'IN').licenseRequired).toBe(true);
  });
});

describe('deemed-export carve-out: §742.6(a)(6)(iv)', () => {
  it('5E002 to a Canadian national in the US: the (a)(6)(iii) rows do not reach a deemed export', () => {
    const a = answer('5E002', 'CA', true);
    expect(a.licenseRequired).toBe(false);
    expect(a.reasons.filter((r) => r.deemedExportExcluded === '§742.6(a)(6)(iv)')).toHaveLength(1);
    expect(a.explanation).toMatch(/as a deemed export it is outside RS \(§742\.6\(a\)\(6\)\(iv\)\)/);
  });
  it('5E992 to a Chinese national in the US: no license; shipped to China: license', () => {
    expect(answer('5E992', 'CN', true).licenseRequired).toBe(false);
    expect(answer('5E992', 'CN', false).licenseRequired).toBe(true);
  });
  it('3E001 to a Chinese national: the (a)(6)(iii) row drops out, the chart rows and §742.6(a)(6)(i) stay', () => {
    const a = answer('3E001', 'CN', true);
    expect(required(a, '§742.6(a)(6)(iii)')).toBe(false);
    expect(required(a, '§742.6(a)(6)(i)(B)')).toBe(true);
    expect(a.licenseRequired).toBe(true);
  });
});

describe('deemed-export carve-out: §746.8(a)(1) (Russia and Belarus, excluding deemed exports)', () => {
  it('3E991 to a Russian national in the US: no license (AT1 has no X); to Russia: license', () => {
    expect(answer('3E991', 'RU', true).licenseRequired).toBe(false);
    expect(answer('3E991', 'RU', true).reasons.find((r) => r.column === 'EMBARGO')!.deemedExportExcluded).toBe('§746.8(a)(1)');
    expect(answer('3E991', 'RU', false).licenseRequired).toBe(true);
  });
  it('Belarus the same', () => {
    expect(answer('3E991', 'BY', true).licenseRequired).toBe(false);
    expect(answer('3E991', 'BY', false).explanation).toMatch(/§746\.8\(a\)\(1\)/);
  });
  it('the carve-out leaves the chart: 3E001 to a Russian national still needs a license (NS1 X)', () => {
    const a = answer('3E001', 'RU', true);
    expect(a.licenseRequired).toBe(true);
    expect(a.reasons.find((r) => r.column === 'NS1')!.required).toBe(true);
  });
  it('it does not reach the other embargoes: Cuba, Iran, North Korea, Syria stay', () => {
    for (const c of ['CU', 'IR', 'KP', 'SY']) expect(answer('3E991', c, true).licenseRequired, c).toBe(true);
  });
});

// Evaluate every entry against destinations that exercise every rule kind, as export and as deemed export.
const DESTINATIONS = ['CN', 'RU', 'CA', 'GB', 'AU', 'DE', 'AE', 'MO', 'IR', 'PK', 'IQ', 'VE', 'IL', 'KP', 'AQ', 'BM'];
const REASON = /\b(NS|MT|NP|RS|CB|CW|CC|FC|AT|EI|SI|SL|UN|SS)\d?\b/g;
function everyAnswer(visit: (id: string, a: LicenseAnswer) => void) {
  for (const [id, e] of Object.entries(eccnTable)) {
    if (e.noItems || e.subjectToItar) continue;
    for (const country of DESTINATIONS) for (const deemed of [false, true]) visit(id, answer(id, country, deemed));
  }
}

describe('every generated entry', () => {
  it('names only reasons for control the entry has, in its explanation and in each row', () => {
    const wrong: string[] = [];
    everyAnswer((id, a) => {
      const has = new Set(eccnTable[id]!.controls);
      const named = [a.explanation, ...a.reasons.filter((r) => r.column !== 'EMBARGO').map((r) => `${r.column} ${r.basis}`)].flatMap((t) => [...t.matchAll(REASON)].map((m) => m[1]!));
      for (const r of named) if (!has.has(r)) wrong.push(`${id} → ${a.country}: ${r} (${eccnTable[id]!.controls.join(', ')})`);
    });
    expect([...new Set(wrong)].slice(0, 20)).toEqual([]);
  });
  it('cites only sections that exist in the knowledge base (shared/rules/data/sections.json)', () => {
    const known = new Set(Object.keys(sections.sections).map((k) => `§${k.replace(/^\d+ CFR /, '')}`));
    const missing = new Set<string>();
    const check = (text: string) => {
      for (const m of text.matchAll(/§+\s?(\d{3}\.\d+(?:\([A-Za-z0-9]+\))*)/g)) if (!known.has(`§${m[1]}`)) missing.add(m[1]!);
    };
    everyAnswer((_id, a) => {
      check(a.explanation);
      for (const r of a.reasons) check(r.basis);
      for (const h of a.hints) check(`${h.section} ${h.conditions} ${h.why ?? ''}`);
    });
    for (const c of ['EAR99', 'XV(e)']) for (const country of DESTINATIONS) check(answer(c, country).explanation);
    expect([...missing]).toEqual([]);
  });
  it('the knowledge base holds the sections the issue named, with what they say', () => {
    const s = sections.sections as Record<string, string>;
    expect(s['15 CFR 734.13(b)']).toMatch(/most recent country of citizenship or permanent residency/);
    expect(s['22 CFR 120.50(b)']).toMatch(/all countries/);
    expect(s['15 CFR 742.14(a)']).toMatch(/all destinations, except Canada/);
    expect(s['15 CFR 742.6(a)(7)']).toMatch(/\.y/);
    expect(s['15 CFR 742.6(a)(8)']).toMatch(/0Y521/);
    expect(s['15 CFR 746.8(a)(1)']).toMatch(/excluding deemed exports/);
  });
});
