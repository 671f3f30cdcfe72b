import { describe, expect, it } from 'vitest';
import { assess, findAllow, findLicense, type AssessContext } from '#shared/assess/index.ts';
import type { AllowRule, DatasetRule, LicenseRule, Person } from '#shared/config/index.ts';
import type { AccessEvent } from '#shared/model/index.ts';
import type { Place } from '#shared/geo/index.ts';
import { parseClassification } from '#shared/rules/index.ts';

// Everything is built inside the tests (functions, not a beforeAll): Stryker activates a mutant only once tests run.
const datasets = () => ({
  itar: { id: 'hgv', name: 'HGV', jurisdiction: 'ITAR', classification: parseClassification('XV(e)'), match: { paths: [], names: [], tags: {}, labels: [] } } as DatasetRule,
  eccn: { id: 'chips', name: 'Chips', jurisdiction: 'EAR', classification: parseClassification('3E001'), match: { paths: [], names: [], tags: {}, labels: [] } } as DatasetRule,
  ear99: { id: 'manuals', name: 'Manuals', jurisdiction: 'EAR', classification: parseClassification('EAR99'), match: { paths: [], names: [], tags: {}, labels: [] } } as DatasetRule,
});
const person = (id: string, name: string, citizenships: string[], over: Partial<Person> = {}): Person => ({ id, name, accounts: [`github:${id}`], citizenships, usPerson: false, groups: [], ...over });
const people = {
  george: person('p-gb', 'George Brit', ['GB']),
  gemma: person('p-gb2', 'Gemma Brit', ['GB']), // a second British national, named on no license
  indira: person('p-in', 'Indira Rao', ['IN']),
  ishan: person('p-in2', 'Ishan Mehta', ['IN']),
  una: person('p-us', 'Una States', ['US'], { usPerson: true }),
  ulf: person('p-us2', 'Ulf Olsen', ['US'], { usPerson: true }),
  dual: person('p-cn-ru', 'Dmitri Chen', ['CN', 'RU']),
  gbcn: person('p-gb-cn', 'Grace Chen', ['GB', 'CN']),
  stateless: person('p-none', 'Sam Nobody', [], { permanentResidency: 'DE' }),
};
const licenses = (): LicenseRule[] => [
  { id: 'DSP5-GB', datasets: ['hgv'], classifications: [], persons: ['p-gb', 'p-gb-cn'], countries: ['GB'], expires: '2026-06-30' },
  { id: 'L-IN', datasets: [], classifications: ['3E001'], persons: ['p-in'], countries: ['IN'], expires: '2026-09-30' },
  { id: 'DSP5-DE-TRIP', datasets: ['hgv'], classifications: [], countries: ['DE'], expires: '2026-12-31' }, // anyone travelling to Germany
  { id: 'L-UNA-CN', datasets: ['chips'], classifications: [], persons: ['p-us'], countries: ['CN'], expires: '2026-12-31' },
];
const allow = (): AllowRule[] => [
  { account: 'github:CI-Bot', reason: 'release mirror', expires: '2026-03-31' },
  { account: 'email:scanner@northfield.edu', reason: 'virus scanner' }, // no expiry
];
const ctx = (over: Partial<AssessContext> = {}): AssessContext => ({ home: 'US', licenses: licenses(), allow: allow(), ...over });
const ev = (account: string | null, time = '2026-03-01T10:00:00Z', over: Partial<AccessEvent> = {}): AccessEvent => ({
  id: 'e1', source: 'github', time, action: 'clone', release: true,
  actor: account ? { candidates: [account] } : { candidates: [], anonymous: true },
  resource: { uri: 'github://acme/hgv' }, origin: { file: 'f', line: 1 }, ...over,
});
const run = (ds: keyof ReturnType<typeof datasets>, who: Person | string | null, opts: { time?: string; place?: Place; ip?: string; c?: Partial<AssessContext> } = {}) => {
  const p = typeof who === 'object' && who !== null ? who : undefined;
  const account = p ? p.accounts[0]! : (who as string | null);
  return assess(ev(account, opts.time, opts.ip ? { ip: opts.ip } : {}), datasets()[ds], p, opts.place, ctx(opts.c));
};
/** An EAR finding's explanation: the finding, pinned exactly, then the license-exception hint (issue 14). */
const expectFindingThenHint = (explanation: string, finding: string, hint: RegExp) => {
  expect(explanation.slice(0, finding.length)).toBe(finding);
  expect(explanation.slice(finding.length)).toMatch(hint);
};
const noException = /^\. No license exception of TSR, STA, TMP, GOV or ENC is available$/;
const codes = (a: ReturnType<typeof run>) => a.reasons.map((r) => [r.code, r.country ?? null, r.severity]);
const clears = (a: ReturnType<typeof run>) => a.cleared.map((c) => [c.code, c.country, c.license]);

describe('licenses: for whom, where and until when', () => {
  it('a license naming one person does not clear a second, unlicensed national of the same country', () => {
    expect(clears(run('itar', people.george))).toEqual([['DEEMED_EXPORT', 'GB', 'DSP5-GB']]);
    expect(codes(run('itar', people.gemma))).toEqual([['DEEMED_EXPORT', 'GB', 'high']]);
    expect(run('itar', people.gemma).cleared).toEqual([]);
    // the second case: a license by classification naming one Indian national
    expect(clears(run('eccn', people.indira))).toEqual([['DEEMED_EXPORT', 'IN', 'L-IN']]);
    expect(codes(run('eccn', people.ishan))).toEqual([['DEEMED_EXPORT', 'IN', 'high']]);
  });
  it('a license naming persons never clears an account that resolves to no one', () => {
    const gb: Place = { country: 'GB' };
    expect(codes(run('itar', 'github:p-gb-lookalike', { place: gb }))).toEqual([['UNKNOWN_ACCOUNT', null, 'high'], ['FOREIGN_LOCATION', 'GB', 'high']]);
    expect(codes(run('itar', null, { place: gb }))).toEqual([['ANONYMOUS_ACCESS', null, 'critical'], ['FOREIGN_LOCATION', 'GB', 'high']]);
  });
  it('a license clears FOREIGN_LOCATION for the country it names, and only that one', () => {
    const fromDe = run('itar', people.una, { place: { country: 'DE' }, ip: '203.0.113.5' });
    expect(fromDe.reasons).toEqual([]);
    expect(clears(fromDe)).toEqual([['FOREIGN_LOCATION', 'DE', 'DSP5-DE-TRIP']]);
    expect(fromDe.cleared[0]!.explanation).toMatch(/from an IP address placed in DE \(203\.0\.113\.5\).*\. Cleared by license DSP5-DE-TRIP \(expires 2026-12-31\)$/);
    expect(codes(run('itar', people.una, { place: { country: 'FR' } }))).toEqual([['FOREIGN_LOCATION', 'FR', 'high']]);
    // the second case: a license naming a person clears her access from China, not a colleague's from the same place
    expect(clears(run('eccn', people.una, { place: { country: 'CN' } }))).toEqual([['FOREIGN_LOCATION', 'CN', 'L-UNA-CN']]);
    expect(codes(run('eccn', people.ulf, { place: { country: 'CN' } }))).toEqual([['FOREIGN_LOCATION', 'CN', 'high']]);
  });
  it('a dual national licensed for one country is cleared for that one and flagged for the other', () => {
    const a = run('itar', people.gbcn);
    expect(clears(a)).toEqual([['DEEMED_EXPORT', 'GB', 'DSP5-GB']]);
    expect(codes(a)).toEqual([['DEEMED_EXPORT', 'CN', 'critical']]);
  });
  it('a license still counts on its expiry day and no longer the day after', () => {
    expect(clears(run('itar', people.george, { time: '2026-06-30T23:59:59Z' }))).toEqual([['DEEMED_EXPORT', 'GB', 'DSP5-GB']]);
    expect(codes(run('itar', people.george, { time: '2026-07-01T00:00:00Z' }))).toEqual([['DEEMED_EXPORT', 'GB', 'high']]);
    // the second license and its boundary
    expect(clears(run('eccn', people.indira, { time: '2026-09-30T00:00:00Z' }))).toEqual([['DEEMED_EXPORT', 'IN', 'L-IN']]);
    expect(codes(run('eccn', people.indira, { time: '2026-10-01T00:00:01Z' }))).toEqual([['DEEMED_EXPORT', 'IN', 'high']]);
  });
  it('findLicense: dataset or classification, person, country and date must all fit', () => {
    const { itar, eccn } = datasets();
    expect(findLicense(licenses(), itar, people.george, 'GB', '2026-01-01T00:00:00Z')?.id).toBe('DSP5-GB');
    expect(findLicense(licenses(), eccn, people.george, 'GB', '2026-01-01T00:00:00Z')).toBeUndefined(); // not its dataset
    expect(findLicense(licenses(), itar, people.george, 'IN', '2026-01-01T00:00:00Z')).toBeUndefined(); // not its country
    expect(findLicense(licenses(), itar, undefined, 'DE', '2026-01-01T00:00:00Z')?.id).toBe('DSP5-DE-TRIP'); // names no one: anyone
    expect(findLicense(licenses(), itar, undefined, 'GB', '2026-01-01T00:00:00Z')).toBeUndefined();
    expect(findLicense(licenses(), eccn, people.indira, 'IN', '2026-01-01T00:00:00Z')?.id).toBe('L-IN'); // by classification
  });
});

describe('allow-list entries', () => {
  it('an entry still counts on its expiry day and no longer the day after', () => {
    const onDay = run('itar', 'github:ci-bot', { time: '2026-03-31T23:59:59Z' });
    expect(onDay.reasons).toEqual([]);
    expect(onDay.allowedBy).toEqual(allow()[0]);
    const after = run('itar', 'github:ci-bot', { time: '2026-04-01T00:00:00Z' });
    expect(codes(after)).toEqual([['UNKNOWN_ACCOUNT', null, 'high']]);
    expect(after.allowedBy).toBeUndefined();
    expect(findAllow(allow(), ['github:ci-bot'], '2026-03-31T23:59:59Z')).toEqual({ rule: allow()[0], expired: false });
    expect(findAllow(allow(), ['github:ci-bot'], '2026-04-01T00:00:00Z')).toEqual({ rule: allow()[0], expired: true });
  });
  it('an entry without an expiry never expires; any candidate of the account can match, in any case', () => {
    expect(findAllow(allow(), ['github:scanbot', 'email:Scanner@Northfield.edu'], '2099-01-01T00:00:00Z')).toEqual({ rule: allow()[1], expired: false });
    expect(findAllow(allow(), ['GITHUB:ci-bot'], '2026-01-01T00:00:00Z')?.rule.reason).toBe('release mirror');
    expect(findAllow(allow(), ['github:other-bot'], '2026-01-01T00:00:00Z')).toBeUndefined();
    const scanner = assess(ev('github:scanbot', '2099-01-01T00:00:00Z', { actor: { candidates: ['github:scanbot', 'email:scanner@northfield.edu'] } }), datasets().itar, undefined, undefined, ctx());
    expect(scanner).toEqual({ reasons: [], cleared: [], allowedBy: allow()[1] });
  });
  it('an allow entry does not excuse an anonymous request or a place abroad', () => {
    expect(codes(run('itar', 'github:ci-bot', { place: { country: 'CN' } }))).toEqual([['FOREIGN_LOCATION', 'CN', 'critical']]);
  });
});

describe('deemed exports: one reason per country', () => {
  it("a dual national's two DEEMED_EXPORT reasons stay two, for ITAR and for an ECCN", () => {
    expect(codes(run('itar', people.dual))).toEqual([['DEEMED_EXPORT', 'CN', 'critical'], ['DEEMED_EXPORT', 'RU', 'critical']]); // §126.1(d)(1), (d)(2)
    expect(codes(run('eccn', people.dual))).toEqual([['DEEMED_EXPORT', 'CN', 'high'], ['DEEMED_EXPORT', 'RU', 'high']]); // NS1 X for both
  });
  it('a country the person shares with home is not an export; citizenship and residency in one country count once', () => {
    expect(codes(run('itar', person('p-x', 'X', ['GB', 'FR'], { permanentResidency: 'GB' }), { c: { home: 'GB' } }))).toEqual([['DEEMED_EXPORT', 'FR', 'high']]);
    expect(run('itar', person('p-y', 'Y', ['FR'], { permanentResidency: 'FR' })).reasons).toHaveLength(1);
  });
  it('a US person is never a deemed export, whatever the citizenships', () => {
    expect(run('itar', person('p-z', 'Z', ['US', 'CN'], { usPerson: true })).reasons).toEqual([]);
    expect(run('eccn', person('p-w', 'W', ['IR'], { usPerson: true, permanentResidency: 'US' })).reasons).toEqual([]);
  });
});

describe('identity reasons', () => {
  it('NOT_AUTHORIZED: on the list by id or by group, else a reason naming the list', () => {
    const tcp = { ...datasets().itar, authorized: ['p-us2', 'group:hgv-team'] };
    const inGroup = person('p-us3', 'Ursula', ['US'], { usPerson: true, groups: ['other', 'hgv-team'] });
    const outside = person('p-us4', 'Victor', ['US'], { usPerson: true, groups: ['hgv-team-alumni'] });
    const at = (p: Person) => assess(ev(p.accounts[0]!), tcp, p, undefined, ctx()).reasons;
    expect(at(people.ulf)).toEqual([]);
    expect(at(inGroup)).toEqual([]);
    expect(at(outside)).toEqual([{ code: 'NOT_AUTHORIZED', severity: 'medium', explanation: 'Victor (p-us4) cloned USML XV(e) data (hgv, ITAR): github://acme/hgv, but is not on its Technology Control Plan list (p-us2, group:hgv-team)' }]);
    expect(at(person('hgv-team', 'Named Like The Group', ['US'], { usPerson: true }))).toHaveLength(1); // "group:" names a group, not a person
    const otherPrefix = { ...tcp, authorized: ['x-tcp:hgv-team'] }; // only "group:" names a group
    expect(assess(ev(inGroup.accounts[0]!), otherPrefix, inGroup, undefined, ctx()).reasons.map((r) => r.code)).toEqual(['NOT_AUTHORIZED']);
  });
  it('ANONYMOUS_ACCESS says where the request came from, when known', () => {
    expect(run('eccn', null, { ip: '198.51.100.7' }).reasons).toEqual([{ code: 'ANONYMOUS_ACCESS', severity: 'high', explanation: 'An unauthenticated request from 198.51.100.7 cloned 3E001 data (chips, EAR): github://acme/hgv; without an account no one can be screened for an export authorization' }]);
    expect(run('ear99', null).reasons[0]!.explanation).toBe('An unauthenticated request cloned EAR99 data (manuals, EAR): github://acme/hgv; without an account no one can be screened for an export authorization');
  });
  it('UNKNOWN_ACCOUNT says whether an allow entry expired or none exists', () => {
    expect(run('itar', 'github:ci-bot', { time: '2026-05-01T00:00:00Z' }).reasons[0]!.explanation).toBe('Account github:ci-bot cloned USML XV(e) data (hgv, ITAR): github://acme/hgv; its allow-list entry ("release mirror") expired on 2026-03-31');
    expect(run('eccn', 'github:ghost').reasons[0]!.explanation).toBe('Account github:ghost cloned 3E001 data (chips, EAR): github://acme/hgv; it matches no one in the directory and no allow-list entry, so the recipient\'s citizenship is unknown');
  });
});

describe('explanations a reviewer can check against the regulation', () => {
  it('DEEMED_EXPORT under the ITAR cites §120.50(b) (every country of current or former citizenship), and §126.1 for a proscribed country', () => {
    const [cn, ru] = run('itar', people.dual).reasons;
    expect(cn!.explanation).toBe('Dmitri Chen (p-cn-ru, citizen of CN and RU) cloned USML XV(e) data (hgv, ITAR): github://acme/hgv — ITAR §120.50(b): a deemed export to every country of current or former citizenship and of permanent residency; USML XV(e) is ITAR technical data: releasing it to China (CN) needs authorization (22 CFR 120.50, 125.2); China (CN) is a proscribed country under 22 CFR 126.1 (policy of denial)');
    expect(ru!.explanation).toMatch(/; USML XV\(e\) is ITAR technical data: releasing it to Russia \(RU\) needs authorization \(22 CFR 120\.50, 125\.2\); Russia \(RU\) is a proscribed country/);
  });
  it('DEEMED_EXPORT under the EAR cites §734.13(b); a person with no citizenship on file is described as such', () => {
    const [de] = run('eccn', people.stateless).reasons;
    // §734.13(b) names the most recent country; the default policy (ear_deemed_export: all) judges every one and says so (issue 14).
    const sentence = 'Sam Nobody (p-none, citizen of no country on file, permanent resident of DE) cloned 3E001 data (chips, EAR): github://acme/hgv — EAR §734.13(b): a deemed export to the person\'s most recent country of citizenship or permanent residency; this policy judges every citizenship and permanent residency (ear_deemed_export: all); 3E001 to Germany (DE) (deemed export): license required — NS1 and MT1 require a license for DE (Supp. No. 1 to part 738)';
    // MT1 rules out every license exception (§740.2(a)(5)(i)); the hint follows the finding.
    expectFindingThenHint(de!.explanation, sentence, noException);
  });
  it('a cleared DEEMED_EXPORT keeps the explanation and names the license and its expiry', () => {
    expect(run('itar', people.george).cleared[0]!.explanation).toBe('George Brit (p-gb, citizen of GB) cloned USML XV(e) data (hgv, ITAR): github://acme/hgv — ITAR §120.50(b): a deemed export to every country of current or former citizenship and of permanent residency; USML XV(e) is ITAR technical data: releasing it to United Kingdom (GB) needs authorization (22 CFR 120.50, 125.2). Cleared by license DSP5-GB (expires 2026-06-30)');
  });
  it('FOREIGN_LOCATION names who, from where (an IP, or the source\'s own report), and the regulation', () => {
    // A release from China is an export, not a deemed export: the §742.6(a)(6) RS rows reach it too (issue 14, prose rows).
    const fromChina = 'Account github:ghost cloned 3E001 data (chips, EAR): github://acme/hgv from an IP address placed in CN (198.51.100.9): an export to CN wherever the person is a citizen; 3E001 to China (CN): license required — NS1, MT1, NP1 and RS2 require a license for CN (Supp. No. 1 to part 738); RS (§742.6(a)(6)(iii)): a license is required to or within Country Groups D:1, D:4 or D:5, excluding destinations also in Country Group A:5 or A:6 — China is one; RS (§742.6(a)(6)(i)(B)): a license is required to or within Macau or Country Group D:5 — China is one';
    expectFindingThenHint(run('eccn', 'github:ghost', { place: { country: 'CN' }, ip: '198.51.100.9' }).reasons[1]!.explanation, fromChina, noException);
    expect(run('ear99', null, { place: { country: 'CU' } }).reasons[1]).toEqual({ code: 'FOREIGN_LOCATION', country: 'CU', severity: 'critical', explanation: expect.stringMatching(/^An unauthenticated user cloned EAR99 data \(manuals, EAR\): github:\/\/acme\/hgv from CU, as the source reports: an export to CU wherever the person is a citizen; EAR99 to Cuba \(CU\): license required — .*§746\.2/) });
    expect(run('itar', people.una, { place: { country: 'FR' } }).reasons[0]!.explanation).toMatch(/^Una States \(p-us\) cloned USML XV\(e\) data \(hgv, ITAR\): github:\/\/acme\/hgv from FR, as the source reports/);
  });
  it('each action has its own verb', () => {
    const verb = (action: AccessEvent['action']) => assess(ev(null, undefined, { action }), datasets().itar, undefined, undefined, ctx()).reasons[0]!.explanation.split(' ')[3];
    expect(['download', 'clone', 'fetch', 'view', 'preview', 'sync', 'copy', 'label', 'write', 'delete', 'list', 'other'].map((a) => verb(a as AccessEvent['action'])))
      .toEqual(['downloaded', 'cloned', 'fetched', 'viewed', 'previewed', 'synced', 'copied', 'labelled', 'wrote', 'deleted', 'listed', 'accessed']);
  });
});

describe('the same classification under other reasons for control', () => {
  it('a dataset narrowed to some reasons gets its own answer, whichever dataset is assessed first', () => {
    const full = datasets().eccn;
    const rs2 = { ...full, id: 'chips-rs2', reasons: ['RS2'] };
    const a = person('p-fr', 'Fran', ['FR']);
    const b = person('p-jp', 'Jun', ['JP']);
    expect(codes(assess(ev('github:p-fr'), full, a, undefined, ctx()))).toEqual([['DEEMED_EXPORT', 'FR', 'high']]); // NS1 X for France
    expect(assess(ev('github:p-fr'), rs2, a, undefined, ctx()).reasons).toEqual([]); // RS2: no X for France
    expect(assess(ev('github:p-jp'), rs2, b, undefined, ctx()).reasons).toEqual([]);
    expect(codes(assess(ev('github:p-jp'), full, b, undefined, ctx()))).toEqual([['DEEMED_EXPORT', 'JP', 'high']]);
  });
  it('two datasets narrowed to different reasons get different answers', () => {
    const a = person('p-fr', 'Fran', ['FR']);
    const ns1 = { ...datasets().eccn, id: 'chips-ns1', reasons: ['NS1'] };
    const rs2 = { ...datasets().eccn, id: 'chips-rs2', reasons: ['RS2'] };
    expect(codes(assess(ev('github:p-fr'), ns1, a, undefined, ctx()))).toEqual([['DEEMED_EXPORT', 'FR', 'high']]); // NS1: X for France
    expect(assess(ev('github:p-fr'), rs2, a, undefined, ctx()).reasons).toEqual([]); // RS2: no X for France
  });
});

describe('an account with no name at all', () => {
  it('is reported as "no account", in UNKNOWN_ACCOUNT and FOREIGN_LOCATION', () => {
    const a = assess(ev(null, undefined, { actor: { candidates: [] } }), datasets().eccn, undefined, { country: 'CN' }, ctx());
    expect(a.reasons.map((r) => r.explanation.slice(0, 37))).toEqual(['Account no account cloned 3E001 data ', 'Account no account cloned 3E001 data ']);
  });
});

describe('places', () => {
  it('home and places where no license is needed raise nothing', () => {
    expect(run('itar', people.una, { place: { country: 'US' } }).reasons).toEqual([]);
    expect(run('eccn', people.una, { place: { country: 'CA' } }).reasons).toEqual([]); // 3E001: no X for Canada
    expect(run('itar', people.una, { place: { country: 'GB' }, c: { home: 'GB' } }).reasons).toEqual([]);
  });
});
