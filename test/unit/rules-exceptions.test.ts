import { describe, expect, it } from 'vitest';
import { assess } from '#shared/assess/index.ts';
import type { DatasetRule, Policy } from '#shared/config/index.ts';
import type { AccessEvent } from '#shared/model/index.ts';
import { exceptionEligibility, hintText, licenseRequired, parseClassification } from '#shared/rules/index.ts';
import { PEOPLE_HEADER, configProblems, policyFrom } from '#test/helpers.ts';

const hint = (c: string, country: string, code: string, deemed = false) => licenseRequired(c, country, { deemed }).hints.find((h) => h.exception === code)!;

describe('license-exception hints (part 740 and the entry\'s flags)', () => {
  it('TSR (§740.6): NS-only technology to Country Group B, with the written assurance of §740.6(a)(3)', () => {
    const h = hint('3E004', 'JP', 'TSR');
    expect(h).toMatchObject({ eligible: true, section: '§740.6' });
    expect(h.conditions).toMatch(/written assurance.*§740\.6\(a\)\(3\)/);
    expect(hint('3E004', 'CN', 'TSR')).toMatchObject({ eligible: false, why: expect.stringMatching(/Country Group B only/) });
  });
  it('TSR is not available where the entry says N/A, or where another reason than NS needs a license', () => {
    expect(hint('0E501', 'IN', 'TSR').why).toMatch(/lists TSR as N\/A/);
    expect(hint('3E001', 'DE', 'TSR').why).toMatch(/MT reasons may not use a license exception \(§740\.2\(a\)\(5\)\(i\)\)/);
    expect(hint('1E002', 'AR', 'TSR').why).toMatch(/MT/);
  });
  it('STA (§740.20): (c)(1) to A:5, (c)(2) NS-only to A:6; nowhere else; the entry\'s limits are quoted', () => {
    expect(hint('9E003.h', 'GB', 'STA')).toMatchObject({ eligible: true, conditions: expect.stringMatching(/§740\.20\(c\)\(1\)/) });
    expect(hint('3E004', 'IL', 'STA')).toMatchObject({ eligible: true, conditions: expect.stringMatching(/§740\.20\(c\)\(2\)/) });
    expect(hint('3E004', 'IN', 'STA').eligible).toBe(true);
    expect(hint('3E004', 'BR', 'STA').eligible).toBe(false);
    expect(hint('9E515', 'DE', 'STA').eligible).toBe(false); // MT1 reaches Germany; (c)(1) does not cover MT
  });
  it('TMP (§740.9) is for temporary exports abroad, never for a deemed export', () => {
    expect(hint('3E004', 'DE', 'TMP').eligible).toBe(true);
    expect(hint('3E004', 'DE', 'TMP', true).why).toMatch(/not a release to a foreign person/);
    expect(hint('3E004', 'IR', 'TMP').eligible).toBe(false);
  });
  it('GOV (§740.11) names its conditions; ENC (§740.17) only for EI items, with §740.17(a)(2) for a deemed export', () => {
    expect(hint('3E004', 'DE', 'GOV').conditions).toMatch(/§740\.11\(b\)\(2\)/);
    expect(hint('3E001', 'DE', 'GOV').eligible).toBe(false); // MT1 reaches Germany: §740.2(a)(5)(i)
    expect(hint('5E002', 'GB', 'ENC', true)).toMatchObject({ eligible: true, conditions: expect.stringMatching(/§740\.17\(a\)\(2\)/) });
    expect(hint('3E001', 'DE', 'ENC').eligible).toBe(false);
    expect(hint('5E002', 'IR', 'ENC').eligible).toBe(false);
  });
  it('§740.2 restrictions: MT items get none, SL items GOV only; 0Y521 items GOV only; embargoed destinations none', () => {
    expect(licenseRequired('9E515.y', 'CN').hints.filter((h) => h.eligible)).toEqual([]);
    expect(licenseRequired('5E980', 'GB').hints.filter((h) => h.eligible).map((h) => h.exception)).toEqual(['GOV']);
    expect(licenseRequired('0E521', 'GB').hints.filter((h) => h.eligible).map((h) => h.exception)).toEqual(['GOV']);
    expect(licenseRequired('3E001', 'CU').hints.filter((h) => h.eligible)).toEqual([]);
  });
  it('no license needed: no hints', () => {
    expect(licenseRequired('3E004', 'CA').hints).toEqual([]);
    expect(exceptionEligibility('TSR', parseClassification('3E004'), 'JP', [{ column: 'NS1', required: true }]).eligible).toBe(true);
  });
});

const people = `${PEOPLE_HEADER},most_recent_citizenship
p-us,Una States,,github:una,US,,,,
p-jp,Jun Ito,,github:jun,JP,,,,
p-ca,Ravi Canada,,github:ravi,IN;CA,,,,CA
p-two,Two Passports,,github:two,IN;CA,,,,
p-ru,Rita,,github:rita,RU,,,,
`;
const config = (extra: string, licenses = '') => `home: US
directory: people.csv
${extra}
datasets:
  - { id: asic, name: A, jurisdiction: EAR, classification: 3E004, match: { paths: ["s3://b/asic/**"] } }
  - { id: sat, name: S, jurisdiction: EAR, classification: 9E515.f, match: { paths: ["s3://b/sat/**"] } }
  - { id: old, name: O, jurisdiction: EAR, classification: 3E991, match: { paths: ["s3://b/old/**"] } }
  - { id: hyp, name: H, jurisdiction: ITAR, classification: "XV(e)", match: { paths: ["s3://b/hyp/**"] } }
licenses:
${licenses || '  []'}
`;
const problems = configProblems;

describe('licenses[].exception in ittmon.yaml', () => {
  it('check accepts an eligible exception with its assurance', async () => {
    const p = await policyFrom({ 'ittmon.yaml': config('', '  - { id: TSR-JP, datasets: [asic], countries: [JP], expires: 2027-12-31, exception: TSR, assurance: "WA-2026-014" }'), 'people.csv': people });
    expect(p.licenses[0]).toMatchObject({ exception: 'TSR', assurance: 'WA-2026-014' });
  });
  it('check rejects an exception that is not eligible, with the reason', async () => {
    const out = await problems({ 'ittmon.yaml': config('', '  - { id: TSR-CN, datasets: [asic, sat], countries: [CN, JP], expires: 2027-12-31, exception: TSR, assurance: A1 }'), 'people.csv': people });
    expect(out.join('\n')).toMatch(/licenses\[0\]\.exception.*TSR is not available for dataset asic \(3E004\) to CN: TSR reaches Country Group B only/);
    expect(out.join('\n')).toMatch(/TSR is not available for dataset sat \(9E515\.f\) to JP: items controlled for MT reasons may not use a license exception/);
  });
  it('check rejects STA where the entry bars it (3E901 to Japan), and accepts it where only some paragraphs are barred (9E619 to Germany)', async () => {
    const yaml = (classification: string, country: string) => config('', `  - { id: STA-1, datasets: [old], countries: [${country}], expires: 2027-12-31, exception: STA, assurance: PS-1 }`).replace('classification: 3E991', `classification: ${classification}`);
    expect((await problems({ 'ittmon.yaml': yaml('3E901', 'JP'), 'people.csv': people })).join('\n')).toMatch(/licenses\[0\]\.exception.*STA is not available for dataset old \(3E901\) to JP: the entry 3E901 bars STA to Country Group A:5/);
    expect(await problems({ 'ittmon.yaml': yaml('9E619', 'DE'), 'people.csv': people })).toEqual([]);
  });
  it('check rejects an exception without an assurance, and an assurance without an exception', async () => {
    expect((await problems({ 'ittmon.yaml': config('', '  - { id: X, datasets: [asic], countries: [JP], expires: 2027-12-31, exception: TSR }'), 'people.csv': people })).join('\n')).toMatch(/licenses\[0\]\.assurance.*needs the reference/);
    expect((await problems({ 'ittmon.yaml': config('', '  - { id: X, datasets: [asic], countries: [JP], expires: 2027-12-31, assurance: A }'), 'people.csv': people })).join('\n')).toMatch(/assurance: belongs to an entry that cites a license exception/);
    expect((await problems({ 'ittmon.yaml': config('', '  - { id: X, datasets: [asic], countries: [JP], expires: 2027-12-31, exception: XYZ, assurance: A }'), 'people.csv': people })).join('\n')).toMatch(/exception/);
  });
});

const event = (account: string, path: string, ip?: string): AccessEvent => ({
  id: 'e1', source: 'github', time: '2026-03-01T10:00:00Z', action: 'clone', release: true,
  actor: { candidates: [`github:${account}`], anonymous: false }, ...(ip ? { ip } : {}),
  resource: { uri: path, kind: 'repository' },
} as unknown as AccessEvent);

describe('a finding is cleared by an exception only where it is eligible', () => {
  it('TSR clears NS-only technology to a Japanese national; the same entry does not clear 9E515.f', async () => {
    const policy = await policyFrom({ 'ittmon.yaml': config('', '  - { id: TSR-JP, classifications: [3E004, 9E515.f], countries: [JP], expires: 2027-12-31, exception: TSR, assurance: WA-1 }').replace(/classifications: \[3E004, 9E515.f\]/, 'classifications: [3E004]'), 'people.csv': people });
    const jp = policy.people.find((p) => p.id === 'p-jp');
    const ok = assess(event('jun', 's3://b/asic/x'), policy.datasets[0]!, jp, undefined, policy);
    expect(ok.reasons).toEqual([]);
    expect(ok.cleared[0]!.explanation).toMatch(/Cleared by License Exception TSR \(TSR-JP, assurance WA-1/);
    const sat = assess(event('jun', 's3://b/sat/x'), policy.datasets[1]!, jp, undefined, policy);
    expect(sat.reasons.map((r) => r.code)).toEqual(['DEEMED_EXPORT']);
    expect(sat.reasons[0]!.explanation).toMatch(/\. No license exception of TSR, STA, TMP, GOV or ENC is available$/);
  });
  it('a hint never clears: without a licenses entry the finding stays, with its hints', async () => {
    const policy = await policyFrom({ 'ittmon.yaml': config(''), 'people.csv': people });
    const a = assess(event('jun', 's3://b/asic/x'), policy.datasets[0]!, policy.people.find((p) => p.id === 'p-jp'), undefined, policy);
    expect(a.reasons[0]!.explanation).toMatch(/\. License exceptions that may be available \(a hint, not a clearance\): TSR \(§740\.6\) if a written assurance/);
    expect(a.cleared).toEqual([]);
  });
  it('an exception made ineligible after check (an AWS reload) is refused by name at scan time', () => {
    const policy = { home: 'US', licenses: [{ id: 'TMP-1', datasets: ['asic'], classifications: [], countries: ['JP'], expires: '2027-01-01', exception: 'TMP', assurance: 'T' }], allow: [] } as unknown as Policy;
    const dataset: DatasetRule = { id: 'asic', name: 'A', jurisdiction: 'EAR', classification: parseClassification('3E004'), match: { paths: [], names: [], tags: {}, labels: [] } };
    const person = { id: 'p-jp', name: 'Jun', accounts: [], citizenships: ['JP'], usPerson: false, groups: [] };
    const a = assess(event('jun', 's3://b/asic/x'), dataset, person, undefined, policy);
    expect(a.reasons[0]!.explanation).toMatch(/TMP-1 cites License Exception TMP, which does not clear it: TMP covers temporary exports abroad/);
  });
});

describe('ear_deemed_export (§734.13(b))', () => {
  const run = async (setting: string, account: string, path = 's3://b/asic/x') => {
    const policy = await policyFrom({ 'ittmon.yaml': config(setting), 'people.csv': people });
    const person = policy.people.find((p) => p.accounts.includes(`github:${account}`));
    const ds = policy.datasets.find((d) => path.includes(`/${d.id}/`))!;
    return assess(event(account, path), ds, person, undefined, policy).reasons.map((r) => r.country);
  };
  it('all (the default): every citizenship counts — an Indian and Canadian citizen is judged for India', async () => {
    expect(await run('', 'ravi')).toEqual(['IN']);
    expect(await run('ear_deemed_export: all', 'ravi')).toEqual(['IN']);
  });
  it('most-recent: only the most recent citizenship the directory gives (Canada: no X in NS1)', async () => {
    expect(await run('ear_deemed_export: most-recent', 'ravi')).toEqual([]);
  });
  it('most-recent without the column for a person with two countries judges both, and says why', async () => {
    const policy = await policyFrom({ 'ittmon.yaml': config('ear_deemed_export: most-recent'), 'people.csv': people });
    const two = policy.people.find((p) => p.id === 'p-two');
    const a = assess(event('two', 's3://b/asic/x'), policy.datasets[0]!, two, undefined, policy);
    expect(a.reasons.map((r) => r.country)).toEqual(['IN']);
    expect(a.reasons[0]!.explanation).toMatch(/does not say which of IN, CA is most recent, so each is judged/);
  });
  it('the ITAR keeps every country (§120.50(b)) whatever the setting', async () => {
    const policy = await policyFrom({ 'ittmon.yaml': config('ear_deemed_export: most-recent'), 'people.csv': people });
    const ravi = policy.people.find((p) => p.id === 'p-ca');
    const a = assess(event('ravi', 's3://b/hyp/x'), policy.datasets[3]!, ravi, undefined, policy);
    expect(a.reasons.map((r) => r.country).sort()).toEqual(['CA', 'IN']);
    expect(a.reasons[0]!.explanation).toMatch(/ITAR §120\.50\(b\)/);
  });
  it('a Russian national in the US and AT-only data: §746.8(a)(1) excludes deemed exports, so no finding', async () => {
    expect(await run('', 'rita', 's3://b/old/x')).toEqual([]);
  });
  it('§742.6(a)(6)(iv) in the scan: 5E992 data to a Chinese national in the US is no finding; from an IP in China it is', async () => {
    const policy = await policyFrom({ 'ittmon.yaml': config('').replace('classification: 3E991', 'classification: 5E992'), 'people.csv': `${people}p-cn,Chen,,github:chen,CN,,,,\n` });
    const chen = policy.people.find((p) => p.id === 'p-cn');
    const una = policy.people.find((p) => p.id === 'p-us');
    expect(assess(event('chen', 's3://b/old/x'), policy.datasets[2]!, chen, undefined, policy).reasons).toEqual([]);
    const abroad = assess(event('una', 's3://b/old/x', '198.51.100.7'), policy.datasets[2]!, una, { country: 'CN' }, policy);
    expect(abroad.reasons.map((r) => [r.code, r.country])).toEqual([['FOREIGN_LOCATION', 'CN']]);
    expect(abroad.reasons[0]!.explanation).toMatch(/§742\.6\(a\)\(6\)\(iii\)/);
  });
  it('check rejects a most_recent_citizenship that is not one of the person\'s countries', async () => {
    const bad = people.replace('p-ca,Ravi Canada,,github:ravi,IN;CA,,,,CA', 'p-ca,Ravi Canada,,github:ravi,IN;CA,,,,FR');
    expect((await problems({ 'ittmon.yaml': config('ear_deemed_export: most-recent'), 'people.csv': bad })).join('\n')).toMatch(/most_recent_citizenship.*FR is not among/);
    expect((await problems({ 'ittmon.yaml': config('ear_deemed_export: newest'), 'people.csv': people })).join('\n')).toMatch(/ear_deemed_export/);
  });
});

// Each entry's License Exceptions paragraph (Supp. No. 1 to part 774) and the §740.2 restrictions,
// with the Country Groups of Supp. No. 1 to part 740: values read from the regulation.
const eligible = (c: string, country: string, deemed = false) => licenseRequired(c, country, { deemed }).hints.filter((h) => h.eligible).map((h) => h.exception);

describe('an entry whose STA paragraph bars STA outright', () => {
  it('0E977 "may not be used for 0E977": not to Argentina (A:5) either, where CC1 leaves GOV or STA (§740.2(a)(4)) — so GOV alone', () => {
    expect(hint('0E977', 'AR', 'STA')).toMatchObject({ eligible: false, why: 'the entry 0E977 bars STA to Country Group A:5: "License Exception STA may not be used for 0E977."' });
    expect(eligible('0E977', 'AR')).toEqual(['GOV']);
  });
  it('"any item in this ECCN to … Country Group A:5 or A:6": 3E901 to Japan (A:5) and 2E903 to Israel (A:6)', () => {
    expect(hint('3E901', 'JP', 'STA').why).toMatch(/^the entry 3E901 bars STA to Country Group A:5: "License Exception STA may not be used to ship any item in this ECCN/);
    expect(hint('2E903', 'IL', 'STA').why).toMatch(/^the entry 2E903 bars STA to Country Group A:6: /);
  });
  it('9E619 bars paragraph (c)(2) for the whole entry (Singapore, A:6), but (c)(1) only for .b and .c: to Germany (A:5) STA stays, with the limit quoted', () => {
    expect(hint('9E619', 'SG', 'STA').why).toMatch(/^the entry 9E619 bars STA to Country Group A:6: "\(1\) Paragraph \(c\)\(1\)/);
    expect(hint('9E619', 'DE', 'STA')).toMatchObject({ eligible: true, conditions: expect.stringMatching(/^§740\.20\(c\)\(1\) to Country Group A:5: .*; the entry limits it: "\(1\) Paragraph \(c\)\(1\) of License Exception STA .* may not be used for 9E619\.b\. or \.c\./) });
  });
  it('a limit on some paragraphs (1E002.e and .f to A:6) does not bar the entry: 1E002.a to Israel fails on NP instead', () => {
    expect(hint('1E002.a', 'IL', 'STA').why).toBe('§740.20(c)(2) covers items controlled only for NS to Country Group A:6; this release also needs a license for NP');
  });
});

describe('§740.2 and part 746 before any exception', () => {
  it('the ITAR has no license exceptions (its exemptions are in 22 CFR part 125), whatever the exception', () => {
    for (const code of ['GOV', 'TMP'] as const) {
      expect(exceptionEligibility(code, parseClassification('XV(e)'), 'DE', [{ column: 'ITAR', required: true }])).toEqual({
        exception: code, section: code === 'GOV' ? '§740.11' : '§740.9', eligible: false, conditions: '',
        why: 'license exceptions are part of the EAR; the ITAR has exemptions instead (22 CFR part 125)',
      });
    }
  });
  it('Russia and Belarus are not in Country Group E, but §746.8 leaves no exception for CCL items', () => {
    for (const country of ['RU', 'BY']) {
      expect(eligible('3E004', country), country).toEqual([]);
      expect(hint('3E004', country, 'GOV').why).toMatch(/is under a part 746 embargo or in Country Group E; §740\.2 and part 746 leave no room for GOV here$/);
    }
  });
  it('crime control (CC, §740.2(a)(4)): GOV or STA only — 3E980 to Brazil (in neither A:5 nor A:6) GOV; 0E982 to India (A:5) STA and GOV', () => {
    expect(eligible('3E980', 'BR')).toEqual(['GOV']);
    expect(hint('3E980', 'BR', 'TSR').why).toMatch(/§742\.7 crime-control requirements may use only GOV or STA.*\(§740\.2\(a\)\(4\)\)$/);
    expect(eligible('0E982', 'IN')).toEqual(['STA', 'GOV']);
  });
  it('0Y521 software as well as technology (§740.2(a)(15)), and surreptitious listening to Japan as to the UK (§740.2(a)(3)): GOV only', () => {
    expect(eligible('0D521', 'GB')).toEqual(['GOV']);
    expect(hint('0D521', 'GB', 'TMP').why).toBe('0Y521 items may use License Exception GOV only (§740.2(a)(15))');
    expect(eligible('5E980', 'JP')).toEqual(['GOV']);
  });
});

describe('ENC (§740.17) and the order of the hints', () => {
  it('ENC overcomes NS and EI (and AT) only; an RS requirement stays; outside a deemed export its conditions are §740.17(b)', () => {
    const c = parseClassification('5E002');
    expect(exceptionEligibility('ENC', c, 'DE', [{ column: 'EI', required: true }, { column: 'RS1', required: true }]).why).toBe('ENC overcomes the NS and EI requirements of encryption items only; this release also needs a license for RS');
    const ok = exceptionEligibility('ENC', c, 'DE', [{ column: 'EI', required: true }, { column: 'NS1', required: true }, { column: 'AT1', required: false }]);
    expect(ok).toMatchObject({ eligible: true, conditions: 'the §740.17(b) classification or self-classification steps for the item, and its reporting; the entry says: "Yes for certain EI controlled technology. See § 740.17 of the EAR for eligibility."' });
  });
  it('the ones that may be available come first, in the order TSR, STA, TMP, GOV, ENC: 3E004 to Brazil (B, not A:5 or A:6)', () => {
    expect(licenseRequired('3E004', 'BR').hints.map((h) => `${h.exception} ${h.eligible}`)).toEqual(['TSR true', 'TMP true', 'GOV true', 'STA false', 'ENC false']);
  });
  it('the sentence for a flag names each open exception with its section and conditions, or says there is none', () => {
    expect(hintText(licenseRequired('5E980', 'JP').hints)).toBe('License exceptions that may be available (a hint, not a clearance): GOV (§740.11) if for the official use of a U.S. Government agency or its personnel (§740.11(b)(2)), or of a cooperating government of Country Group A:1 for items controlled only for NS (§740.11(c))');
    expect(hintText(licenseRequired('0E982', 'IN').hints)).toMatch(/^License exceptions that may be available \(a hint, not a clearance\): STA \(§740\.20\) if §740\.20\(c\)\(1\) to Country Group A:5: .*; GOV \(§740\.11\) if for the official use/);
    expect(hintText(licenseRequired('3E001', 'CU').hints)).toBe('No license exception of TSR, STA, TMP, GOV or ENC is available');
  });
});

describe('why an exception is not available, each in the regulation\'s terms', () => {
  it('Country Group E bars every exception even where no embargo row is passed in: Iran (E:1) and Cuba (E:2)', () => {
    for (const country of ['IR', 'CU']) {
      expect(exceptionEligibility('GOV', parseClassification('3E004'), country, [{ column: 'NS1', required: true }]).why, country).toMatch(/is under a part 746 embargo or in Country Group E/);
    }
  });
  it('TSR is for technology and software (§740.6): a commodity entry such as 1A001 does not list it; 2E003 lists it with a limit, which is quoted', () => {
    expect(hint('1A001', 'BR', 'TSR').why).toBe('the entry 1A001 does not list TSR among its License Exceptions');
    expect(hint('2E003', 'BR', 'TSR')).toMatchObject({ eligible: true, conditions: expect.stringMatching(/\(§740\.6\(a\)\(3\)\); the entry limits it: "Yes, except 2E003\.b, \.e and \.f"$/) });
    expect(hint('3E004', 'BR', 'TSR').conditions).not.toMatch(/limits it/); // "Yes" alone
  });
  it('TSR overcomes NS only: 1E002.a to Israel also needs NP (§738.4(a)(2))', () => {
    expect(hint('1E002.a', 'IL', 'TSR').why).toBe('TSR overcomes NS requirements only; this release also needs a license for NP (§738.4(a)(2): each requirement is overcome separately)');
  });
  it('STA: EI is outside §740.20(c)(1) (5E002 to Germany); Brazil is in neither A:5 nor A:6', () => {
    expect(hint('5E002', 'DE', 'STA').why).toBe('§740.20(c)(1) covers NS, CB, NP, RS, CC and SI requirements only; this release also needs a license for EI');
    expect(hint('3E004', 'BR', 'STA').why).toBe('STA reaches Country Groups A:5 and A:6 only (§740.20(c)); Brazil is in neither');
  });
  it('SL and ENC say why in words a reviewer can check', () => {
    expect(hint('5E980', 'JP', 'TMP').why).toBe('surreptitious-listening items may use only GOV, for the official use of a U.S. Government agency (§740.2(a)(3))');
    expect(hint('3E004', 'BR', 'ENC').why).toBe('the entry 3E004 does not list ENC; ENC is for encryption (EI) items');
  });
});
