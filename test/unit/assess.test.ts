import { beforeEach, describe, expect, it } from 'vitest';
import { assess } from '#shared/assess/index.ts';
import type { DatasetRule, Policy } from '#shared/config/index.ts';
import { Directory } from '#shared/directory/index.ts';
import { Geo } from '#shared/geo/index.ts';
import type { AccessEvent } from '#shared/model/index.ts';
import { PEOPLE_HEADER, policyFrom } from '#test/helpers.ts';

const config = `home: US
directory: people.csv
networks:
  - { cidr: 203.0.113.0/24, country: DE, label: Munich office }
  - { cidr: 198.51.100.0/24, country: CN }
  - { cidr: 192.0.2.0/24, country: CA }
datasets:
  - { id: itar, name: I, jurisdiction: ITAR, classification: "XV(e)", match: { paths: ["s3://b/itar/**"] }, authorized: ["group:tcp"] }
  - { id: eccn, name: E, jurisdiction: EAR, classification: 3E001, match: { paths: ["s3://b/eccn/**"] }, authorized: ["p-us"] }
  - { id: ear99, name: N, jurisdiction: EAR, classification: EAR99, match: { paths: ["s3://b/ear99/**"] }, authorized: ["p-us"] }
  - { id: partial, name: P, jurisdiction: EAR, classification: 3E001, reasons: [RS2], match: { paths: ["s3://b/partial/**"] } }
licenses:
  - { id: DSP5-1, datasets: [itar], persons: [p-gb], countries: [GB], expires: 2026-06-30 }
  - { id: L-ANY, classifications: [3E001], countries: [IN], expires: 2027-01-01 }
allow:
  - { account: "github:ci-bot", reason: "mirror", expires: 2026-12-31 }
  - { account: "github:old-bot", reason: "retired", expires: 2025-01-01 }
`;
const people = `${PEOPLE_HEADER}
p-us,Una States,,github:una,US,,,tcp
p-cn,Chen Li,,github:chen,CN,,,tcp
p-gb,George Brit,,github:george,GB,,,tcp
p-in,Indira,,github:indira,IN,,,tcp
p-dual,Dana Dual,,github:dana,US;CN,,,tcp
p-gc,Gary Card,,github:gary,IR,US,,tcp
p-fr-ca,Fran,,github:fran,FR,CA,,tcp
p-cu,Carlos,,github:carlos,CU,,,tcp
`;

let policy: Policy;
let directory: Directory;
let geo: Geo;
// Per test, not beforeAll: Stryker counts what a beforeAll builds as covered by no test.
beforeEach(async () => {
  policy = await policyFrom({ 'ittmon.yaml': config, 'people.csv': people });
  directory = new Directory(policy.people);
  geo = new Geo(policy.networks, 'US');
});

const ds = (id: string) => policy.datasets.find((d) => d.id === id) as DatasetRule;
function run(dataset: string, account: string | null, opts: { ip?: string; time?: string; anonymous?: boolean } = {}) {
  const event: AccessEvent = {
    id: 'e1', source: 'github', time: opts.time ?? '2026-03-01T10:00:00Z', action: 'clone', release: true,
    actor: account ? { candidates: [account] } : { candidates: [], anonymous: true },
    ...(opts.ip ? { ip: opts.ip } : {}), resource: { uri: `s3://b/${dataset}/f` }, origin: { file: 'f', line: 1 },
  };
  const person = account ? directory.resolve(event.actor.candidates) : undefined;
  return assess(event, ds(dataset), person, opts.ip ? geo.place(opts.ip) : undefined, policy);
}
const codes = (a: ReturnType<typeof run>) => a.reasons.map((r) => [r.code, r.country ?? null, r.severity]);

describe('assessment — reason codes and the severity table', () => {
  it('a US person on the TCP list at home: nothing', () => expect(run('itar', 'github:una').reasons).toEqual([]));
  it('ANONYMOUS_ACCESS: critical for ITAR, high for an ECCN, low for EAR99', () => {
    expect(codes(run('itar', null))).toEqual([['ANONYMOUS_ACCESS', null, 'critical']]);
    expect(codes(run('eccn', null))).toEqual([['ANONYMOUS_ACCESS', null, 'high']]);
    expect(codes(run('ear99', null))).toEqual([['ANONYMOUS_ACCESS', null, 'low']]);
  });
  it('UNKNOWN_ACCOUNT: high / medium / low', () => {
    expect(codes(run('itar', 'github:nobody'))).toEqual([['UNKNOWN_ACCOUNT', null, 'high']]);
    expect(codes(run('eccn', 'github:nobody'))).toEqual([['UNKNOWN_ACCOUNT', null, 'medium']]);
    expect(codes(run('ear99', 'github:nobody'))).toEqual([['UNKNOWN_ACCOUNT', null, 'low']]);
  });
  it('NOT_AUTHORIZED: medium / low / low', () => {
    const gb = run('itar', 'github:george', { time: '2026-03-01T00:00:00Z' });
    expect(gb.reasons).toEqual([]); // on the TCP list, and the DSP-5 clears GB
    expect(codes(run('eccn', 'github:una'))).toEqual([]);
    const outsider = policy.people.find((p) => p.id === 'p-us')!;
    expect(outsider.groups).toContain('tcp');
    expect(codes(run('eccn', 'github:dana'))).toEqual([['NOT_AUTHORIZED', null, 'low']]);
    expect(codes(run('ear99', 'github:dana'))).toEqual([['NOT_AUTHORIZED', null, 'low']]);
  });
  it('NOT_AUTHORIZED is medium for ITAR', () => {
    const noTcp = { ...ds('itar'), authorized: ['p-cn'] };
    const event = { id: 'e', source: 'github' as const, time: '2026-03-01T10:00:00Z', action: 'clone' as const, release: true, actor: { candidates: ['github:una'] }, resource: { uri: 's3://b/itar/f' }, origin: { file: 'f', line: 1 } };
    expect(assess(event, noTcp, directory.resolve(['github:una']), undefined, policy).reasons.map((r) => [r.code, r.severity])).toEqual([['NOT_AUTHORIZED', 'medium']]);
  });
  it('DEEMED_EXPORT: critical for a country of concern, high otherwise', () => {
    expect(codes(run('itar', 'github:chen'))).toEqual([['DEEMED_EXPORT', 'CN', 'critical']]); // §126.1
    expect(codes(run('itar', 'github:indira'))).toEqual([['DEEMED_EXPORT', 'IN', 'high']]);
    expect(codes(run('eccn', 'github:carlos'))).toEqual([['NOT_AUTHORIZED', null, 'low'], ['DEEMED_EXPORT', 'CU', 'critical']]); // E:2
    expect(codes(run('ear99', 'github:carlos')).find((c) => c[0] === 'DEEMED_EXPORT')).toEqual(['DEEMED_EXPORT', 'CU', 'critical']); // E:2
    expect(codes(run('ear99', 'github:chen')).find((c) => c[0] === 'DEEMED_EXPORT')).toBeUndefined(); // EAR99 to CN: no license
  });
  it('dual nationals with US citizenship and green-card holders are US persons', () => {
    expect(codes(run('itar', 'github:dana'))).toEqual([]);
    expect(codes(run('itar', 'github:gary'))).toEqual([]);
  });
  it('every citizenship and the permanent residency count: one reason per country', () => {
    expect(codes(run('itar', 'github:fran'))).toEqual([['DEEMED_EXPORT', 'FR', 'high'], ['DEEMED_EXPORT', 'CA', 'high']]);
    expect(codes(run('eccn', 'github:fran')).filter((c) => c[0] === 'DEEMED_EXPORT')).toEqual([['DEEMED_EXPORT', 'FR', 'high']]); // 3E001: no X for Canada
  });
  it('explicit reasons narrow the ECCN: RS2 only needs a license where RS2 has an X', () => {
    expect(codes(run('partial', 'github:chen'))).toEqual([['DEEMED_EXPORT', 'CN', 'high']]);
    expect(codes(run('partial', 'github:fran'))).toEqual([]); // France has no X in RS2
  });
  it('FOREIGN_LOCATION for anyone, US persons included; private and home addresses are not', () => {
    expect(codes(run('itar', 'github:una', { ip: '203.0.113.5' }))).toEqual([['FOREIGN_LOCATION', 'DE', 'high']]);
    expect(codes(run('eccn', 'github:una', { ip: '198.51.100.9' }))).toEqual([['FOREIGN_LOCATION', 'CN', 'high']]);
    expect(codes(run('eccn', 'github:una', { ip: '192.0.2.1' }))).toEqual([]); // 3E001 to Canada: no license
    expect(codes(run('itar', 'github:una', { ip: '10.1.2.3' }))).toEqual([]);
    expect(codes(run('itar', null, { ip: '198.51.100.9' }))).toEqual([['ANONYMOUS_ACCESS', null, 'critical'], ['FOREIGN_LOCATION', 'CN', 'critical']]);
    expect(run('itar', 'github:una', { ip: '203.0.113.5' }).reasons[0]!.explanation).toMatch(/Una States \(p-us\) cloned USML XV\(e\) data \(itar, ITAR\): s3:\/\/b\/itar\/f from an IP address placed in DE \(203\.0\.113\.5\)/);
  });
  it('a license clears a finding only while valid, for its person, country and dataset or classification', () => {
    const valid = run('itar', 'github:george', { time: '2026-06-30T23:59:59Z' });
    expect(valid.reasons).toEqual([]);
    expect(valid.cleared).toEqual([expect.objectContaining({ code: 'DEEMED_EXPORT', country: 'GB', license: 'DSP5-1' })]);
    expect(codes(run('itar', 'github:george', { time: '2026-07-01T00:00:00Z' }))).toEqual([['DEEMED_EXPORT', 'GB', 'high']]);
    expect(run('eccn', 'github:indira').cleared.map((c) => c.license)).toEqual(['L-ANY']); // by classification, anyone
    expect(codes(run('itar', 'github:indira'))).toEqual([['DEEMED_EXPORT', 'IN', 'high']]); // L-ANY is not for ITAR data
  });
  it('allow-list entries cover accounts until they expire, and the explanation says so', () => {
    expect(run('itar', 'github:ci-bot').reasons).toEqual([]);
    expect(run('itar', 'github:ci-bot').allowedBy?.reason).toBe('mirror');
    const expired = run('itar', 'github:old-bot');
    expect(codes(expired)).toEqual([['UNKNOWN_ACCOUNT', null, 'high']]);
    expect(expired.reasons[0]!.explanation).toMatch(/allow-list entry \("retired"\) expired on 2025-01-01/);
    expect(codes(run('itar', 'github:ci-bot', { time: '2027-01-01T00:00:00Z' }))).toEqual([['UNKNOWN_ACCOUNT', null, 'high']]);
  });
  it('explanations cite their basis', () => {
    const r = run('eccn', 'github:chen').reasons.find((x) => x.code === 'DEEMED_EXPORT');
    expect(r!.explanation).toMatch(/^Chen Li \(p-cn, citizen of CN\) cloned 3E001 data \(eccn, EAR\): s3:\/\/b\/eccn\/f — EAR §734\.13\(b\): a deemed export to the person's most recent country of citizenship or permanent residency; this policy judges every citizenship and permanent residency \(ear_deemed_export: all\); 3E001 to China \(CN\) \(deemed export\): license required — NS1, MT1, NP1 and RS2 require a license for CN \(Supp\. No\. 1 to part 738\)/);
  });
});
