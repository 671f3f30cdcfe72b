import { describe, expect, it } from 'vitest';
import { policyVersion } from '#shared/diff/index.ts';
import { flagId, lookBackText } from '#shared/flags/index.ts';
import { judgeFlag } from '#shared/flags/reevaluate.ts';
import type { Policy } from '#shared/config/index.ts';
import type { Flag } from '#shared/model/index.ts';
import { clone, geoDatabase, person, policy, scanLines, WIND_TUNNEL } from './lookback-helpers.ts';

const T = '2026-10-15T10:00:00Z';
const LOGS = [
  clone('ev-lwei', 'lwei', 'hgv-solver', '10.20.31.7', T), // p-002, CN, not on the HGV TCP list
  clone('ev-praman', 'praman', 'hgv-solver', '10.20.31.8', T), // p-003, IN, on the list
  clone('ev-gkim', 'gkim', 'hgv-solver', '10.20.31.9', T), // p-010, US, not on the list
  clone('ev-ghost', 'quantum-gh0st', 'hgv-solver', '10.20.31.10', T), // no one
  clone('ev-ghost-ops', 'quantum-gh0st', 'lab-ops', '10.20.31.10', T), // EAR99, paths only
  clone('ev-tunnel', 'lwei', 'tunnel-runs', '10.20.31.7', T), // not controlled yet
];

let stored: Flag[] | undefined;
async function flagsOf(): Promise<Flag[]> {
  stored ??= (await scanLines(await policy(), LOGS)).map((e) => e.flag);
  return stored;
}
async function flagOf(actor: string, dataset = 'hgv-cfd'): Promise<Flag> {
  const f = (await flagsOf()).find((x) => x.actor.key === actor && x.dataset === dataset);
  if (!f) throw new Error(`no stored flag of ${actor} on ${dataset}`);
  return f;
}
const judge = async (actor: string, p: Policy, dataset = 'hgv-cfd') => {
  const f = await flagOf(actor, dataset);
  return judgeFlag(f, f.events, p, geoDatabase);
};

describe('re-evaluation of a stored flag under a new policy', () => {
  it('the same policy supports every flag, unchanged', async () => {
    const p = await policy();
    for (const f of await flagsOf()) expect(judgeFlag(f, f.events, p, geoDatabase).outcome).toBe('supported');
  });

  it('a person now known to be a US person: the deemed export falls away, superseded with why', async () => {
    const v = await judge('p-003', await policy({ people: person('p-003', (r) => r.replace(',IN,,,', ',IN,US,,')) }));
    expect(v).toEqual({ outcome: 'superseded', why: 'DEEMED_EXPORT IN no longer applies: p-003 is a US person' });
  });

  it('second case: a US person who is still not on the TCP list stays flagged, for that reason only', async () => {
    const v = await judge('p-002', await policy({ people: person('p-002', (r) => r.replace(',CN,,,', ',CN,US,,')) }));
    expect(v).toEqual({ outcome: 'supported', why: 'still supported by NOT_AUTHORIZED; DEEMED_EXPORT CN no longer applies: p-002 is a US person' });
  });

  it('a license that covers the finding supersedes it; one that expired the day before does not', async () => {
    const lic = (expires: string) => (y: string) => y.replace('sources:', `  - { id: DSP5-777001, datasets: [hgv-cfd], persons: [p-003], countries: [IN], expires: ${expires} }\n\nsources:`);
    expect(await judge('p-003', await policy({ yaml: lic('2027-06-30') }))).toEqual({ outcome: 'superseded', why: 'DEEMED_EXPORT IN is cleared by DSP5-777001' });
    expect((await judge('p-003', await policy({ yaml: lic('2026-10-14') }))).outcome).toBe('supported');
  });

  it('a second citizenship of a country of concern strengthens the flag: new reason, higher severity', async () => {
    const v = await judge('p-003', await policy({ people: person('p-003', (r) => r.replace(',IN,,,', ',IN;CN,,,')) }));
    expect(v.outcome).toBe('strengthened');
    expect(v.why).toBe('severity high → critical; new reason DEEMED_EXPORT CN');
    if (v.outcome !== 'strengthened') return;
    expect(v.findings.severity).toBe('critical');
    expect(v.findings.reasons.map((r) => `${r.code} ${r.country}`)).toEqual(['DEEMED_EXPORT CN', 'DEEMED_EXPORT IN']);
  });

  it('second case: a US citizen found to be a British national (not a US person) — a deemed export is added to NOT_AUTHORIZED', async () => {
    const v = await judge('p-010', await policy({ people: person('p-010', (r) => r.replace(',US,,,', ',GB,,false,')) }));
    expect(v.outcome).toBe('strengthened');
    expect(v.why).toBe('severity medium → high; new reason DEEMED_EXPORT GB');
  });

  it('a new reason at the same or lower severity also strengthens (the person left the group of the TCP list)', async () => {
    const v = await judge('p-003', await policy({ people: person('p-003', (r) => r.replace(',hgv-team', ',')) }));
    expect(v.outcome).toBe('strengthened');
    expect(v.why).toBe('new reason NOT_AUTHORIZED');
    if (v.outcome === 'strengthened') expect(v.findings.severity).toBe('high');
  });

  it('second case: a TCP list that grew by someone else changes nothing for the flag', async () => {
    expect(await judge('p-002', await policy({ yaml: (y) => y.replace('authorized: ["group:hgv-team"]', 'authorized: ["group:hgv-team", "p-003"]') }))).toEqual({ outcome: 'supported', why: 'still supported by DEEMED_EXPORT CN, NOT_AUTHORIZED' });
  });

  it('a dataset removed from the policy: superseded, saying so', async () => {
    const v = await judge('github:quantum-gh0st', await policy({ yaml: (y) => y.replace(/  - id: lab-ops[\s\S]*?github:\/\/nfu-aero\/lab-ops"\]\n/, '') }), 'lab-ops');
    expect(v).toEqual({ outcome: 'superseded', why: 'dataset lab-ops is no longer in the policy' });
  });

  it('a dataset matched only by paths whose paths moved: its resources no longer match', async () => {
    const ghost = (await flagsOf()).find((f) => f.dataset === 'lab-ops')!.actor.key;
    const v = await judge(ghost, await policy({ yaml: (y) => y.replace('"github://nfu-aero/lab-ops"', '"github://nfu-aero/lab-ops-v2"') }), 'lab-ops');
    expect(v).toEqual({ outcome: 'superseded', why: 'its resources no longer match dataset lab-ops (github://nfu-aero/lab-ops)' });
  });

  it('second case: a dataset that also matches on tags or labels keeps its members (stored events do not keep the tags their records carried)', async () => {
    const v = await judge('p-003', await policy({ yaml: (y) => y.replace('"github://nfu-aero/hgv-*"', '"github://nfu-aero/hgv2-*"') }));
    expect(v.outcome).toBe('supported');
  });

  it('a person removed from the directory: the releases now belong to the account, superseded with the new flag named', async () => {
    const v = await judge('p-010', await policy({ people: person('p-010', () => '') }));
    expect(v.outcome).toBe('superseded');
    expect(v.why).toMatch(/^its releases now belong to github:gkim \(flag [0-9a-f]{16}\)$/);
  });

  it('second case: an unknown account that now names a person moves to that person', async () => {
    const v = await judge('github:quantum-gh0st', await policy({ people: (c) => `${c.trimEnd()}\np-011,Quinn Ghost,q.ghost@northfield.edu,github:quantum-gh0st,CN,,,\n` }));
    expect(v.why).toMatch(/^its releases now belong to p-011 \(flag [0-9a-f]{16}\)$/);
  });

  it('an account now on the allow list: UNKNOWN_ACCOUNT superseded; an allow entry that expired before the day is no cover', async () => {
    const allow = (expires: string) => (y: string) => y.replace('allow:\n', `allow:\n  - { account: "github:quantum-gh0st", reason: "vendor test account", expires: ${expires} }\n`);
    expect(await judge('github:quantum-gh0st', await policy({ yaml: allow('2027-01-01') }))).toEqual({ outcome: 'superseded', why: 'UNKNOWN_ACCOUNT no longer applies: github:quantum-gh0st is allowed (vendor test account)' });
    expect((await judge('github:quantum-gh0st', await policy({ yaml: allow('2026-10-14') }))).outcome).toBe('supported');
  });
});

describe('look-back labels and the policy version', () => {
  it('flags found on look-back say so, with the policy version and the date; live flags do not', async () => {
    const p = await policy({ yaml: WIND_TUNNEL });
    const [found] = (await scanLines(p, [LOGS[5]!], { policyVersion: policyVersion(p), at: '2026-11-29T09:00:00.000Z' })).map((e) => e.flag);
    expect(found).toMatchObject({ dataset: 'wind-tunnel', foundBy: 'look-back', policyVersion: policyVersion(p), foundAt: '2026-11-29T09:00:00.000Z' });
    expect(lookBackText(found!)).toBe(`raised on look-back after policy version ${policyVersion(p)} on 2026-11-29`);
    const [live] = (await scanLines(p, [LOGS[5]!])).map((e) => e.flag);
    expect(live!.foundBy).toBeUndefined();
    expect(lookBackText(live!)).toBeUndefined();
  });

  it('the policy version is the content: the same files give the same version, any deciding change another', async () => {
    const a = await policy();
    expect(policyVersion(a)).toMatch(/^[0-9a-f]{12}$/);
    expect(policyVersion(await policy())).toBe(policyVersion(a));
    expect(policyVersion({ ...a, files: { config: '/elsewhere/ittmon.yaml', directory: '/x/people.csv' } })).toBe(policyVersion(a)); // where the files are is not the policy
    expect(policyVersion(await policy({ people: person('p-003', (r) => r.replace(',IN,,,', ',IN,US,,')) }))).not.toBe(policyVersion(a));
    expect(policyVersion(await policy({ yaml: WIND_TUNNEL }))).not.toBe(policyVersion(a));
    // Key order does not matter: the same datasets written in another order of fields.
    const reordered = { ...a, datasets: a.datasets.map((d) => Object.fromEntries(Object.entries(d).reverse()) as typeof d) };
    expect(policyVersion(reordered)).toBe(policyVersion(a));
  });

  it('an anonymous download is judged again by its address: a network now placed at home drops FOREIGN_LOCATION, ANONYMOUS_ACCESS stays', async () => {
    const owner = 'a3c1f0e29b7d4c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a';
    const line = `${owner} nfu-aero-research [15/Oct/2026:10:00:00 +0000] 114.114.114.114 - REQ1 REST.GET.OBJECT hgv/runs/case-01.cgns "GET /x HTTP/1.1" 200 - 1000 1000 4 2 "-" "curl/8" - hostid SigV4 suite AuthHeader host TLSv1.2`;
    const p = await policy();
    const [f] = (await scanLines(p, [line])).map((e) => e.flag);
    expect(f!.actor.key).toBe('anonymous:114.114.114.114');
    expect(judgeFlag(f!, f!.events, p, geoDatabase).outcome).toBe('supported');
    const home = await policy({ yaml: (y) => y.replace('networks:\n', 'networks:\n  - { cidr: 114.114.0.0/16, country: US, label: partner VPN exit }\n') });
    expect(judgeFlag(f!, f!.events, home, geoDatabase)).toEqual({ outcome: 'supported', why: 'still supported by ANONYMOUS_ACCESS; FOREIGN_LOCATION CN no longer applies' });
  });

  it('an event placed by the country its source reported (no address) keeps that country', async () => {
    const line = JSON.stringify({ '@timestamp': Date.parse(T), _document_id: 'no-ip', action: 'git.clone', actor: 'amoreno', actor_location: { country_code: 'DE' }, org: 'nfu-aero', repo: 'nfu-aero/hgv-solver', repository: 'nfu-aero/hgv-solver' });
    const p = await policy();
    const [f] = (await scanLines(p, [line])).map((e) => e.flag);
    expect(f!.reasons.map((r) => `${r.code} ${r.country}`)).toEqual(['FOREIGN_LOCATION DE']);
    expect(f!.events[0]!.ip).toBeUndefined();
    expect(judgeFlag(f!, f!.events, p, geoDatabase).outcome).toBe('supported');
  });

  it('a person whose account was renamed in the directory is still that person (the record may have matched on the e-mail)', async () => {
    const renamed = person('p-003', (r) => r.replace('github:praman', 'github:priya-r'));
    expect((await judge('p-003', await policy({ people: renamed }))).outcome).toBe('supported');
    // Second case: no e-mail either — the person's first account stands in.
    const noEmail = person('p-003', (r) => r.replace('github:praman', 'github:priya-r').replace('priya.raman@northfield.edu', ''));
    expect((await judge('p-003', await policy({ people: noEmail }))).outcome).toBe('supported');
  });

  it('NOT_AUTHORIZED falls away when the dataset has no TCP list any more, or when the person joins it — each said', async () => {
    expect(await judge('p-010', await policy({ yaml: (y) => y.replace('    authorized: ["group:hgv-team"]\n', '') }))).toEqual({ outcome: 'superseded', why: 'NOT_AUTHORIZED no longer applies: hgv-cfd has no TCP list' });
    expect(await judge('p-010', await policy({ people: person('p-010', (r) => r.replace(/,$/, ',hgv-team')) }))).toEqual({ outcome: 'superseded', why: 'NOT_AUTHORIZED no longer applies: p-010 is on the TCP list of hgv-cfd' });
  });

  it('a corrected citizenship: the old country falls away and the new one is a new reason — strengthened, saying both', async () => {
    const v = await judge('p-003', await policy({ people: person('p-003', (r) => r.replace(',IN,,,', ',GB,,,')) }));
    expect(v.outcome).toBe('strengthened');
    expect(v.why).toBe('new reason DEEMED_EXPORT GB; DEEMED_EXPORT IN no longer applies: p-003 is not a citizen or permanent resident of IN');
  });
});

describe('re-evaluation: the second cases', () => {
  const moved = (y: string) => y.replace('"github://nfu-aero/hgv-*"', '"github://nfu-aero/hgv2-*"');
  it('membership stands on tags alone, and on labels alone; with neither, moved paths end it', async () => {
    const noLabels = (y: string) => moved(y).replace('      labels: ["ITAR*"]\n', '');
    const noTags = (y: string) => moved(y).replace('      tags: { export-control: "ITAR*", ExportControl: "ITAR*" }\n', '');
    expect((await judge('p-003', await policy({ yaml: noLabels }))).outcome).toBe('supported');
    expect((await judge('p-003', await policy({ yaml: noTags }))).outcome).toBe('supported');
    expect(await judge('p-003', await policy({ yaml: (y) => noTags(noLabels(y)) }))).toEqual({ outcome: 'superseded', why: 'its resources no longer match dataset hgv-cfd (github://nfu-aero/hgv-solver)' });
  });

  const ear99 = (y: string) => y.replace('jurisdiction: ITAR\n    classification: "IV(i)"', 'jurisdiction: EAR\n    classification: EAR99');
  it('data reclassified EAR99: a deemed export of a citizen falls away without a personal reason; so does one of a permanent resident', async () => {
    expect(await judge('p-003', await policy({ yaml: ear99 }))).toEqual({ outcome: 'superseded', why: 'DEEMED_EXPORT IN no longer applies' });
    // §734.13(b) counts permanent residency too: IN is still one of the person's countries, so the reason is not "not a resident".
    const resident = person('p-003', (r) => r.replace(',IN,,,', ',GB,IN,,'));
    expect(await judge('p-003', await policy({ yaml: ear99, people: resident }))).toEqual({ outcome: 'superseded', why: 'DEEMED_EXPORT IN no longer applies' });
  });

  it('a license for the new country clears it, and says nothing about the old one, which is simply not the person\'s any more', async () => {
    const gb = person('p-003', (r) => r.replace(',IN,,,', ',GB,,,'));
    const lic = (y: string) => y.replace('sources:', '  - { id: DSP5-GB-3, datasets: [hgv-cfd], persons: [p-003], countries: [GB], expires: 2027-06-30 }\n\nsources:');
    expect(await judge('p-003', await policy({ people: gb, yaml: lic }))).toEqual({ outcome: 'superseded', why: 'DEEMED_EXPORT IN no longer applies: p-003 is not a citizen or permanent resident of IN' });
  });

  it('EAR99 data with no TCP list any more: the deemed export falls away for the data, not for the list', async () => {
    const noList = (y: string) => ear99(y).replace('    authorized: ["group:hgv-team"]\n', '');
    expect(await judge('p-003', await policy({ yaml: noList }))).toEqual({ outcome: 'superseded', why: 'DEEMED_EXPORT IN no longer applies' });
  });

  it('two new countries at once are named together ("new reasons"), with the higher severity', async () => {
    const v = await judge('p-003', await policy({ people: person('p-003', (r) => r.replace(',IN,,,', ',IN;CN;RU,,,')) }));
    expect(v.why).toBe('severity high → critical; new reasons DEEMED_EXPORT CN, DEEMED_EXPORT RU');
    if (v.outcome === 'strengthened') expect(v.findings.reasons.map((r) => r.country)).toEqual(['CN', 'RU', 'IN']);
  });
});

describe('re-evaluation: why each finding fell away, for a second dataset, address and person', () => {
  const OWNER = 'a3c1f0e29b7d4c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a';
  /** One S3 server access log GET (the documented space-separated format). */
  const s3Get = (requester: string, ip: string, key: string, req: string) => `${OWNER} nfu-aero-research [15/Oct/2026:10:00:00 +0000] ${ip} ${requester} ${req} REST.GET.OBJECT ${key} "GET /${key} HTTP/1.1" 200 - 1000 1000 4 2 "-" "aws-cli/2" - hostid SigV4 suite AuthHeader host TLSv1.2`;
  const judgeLines = async (lines: string[], actor: string, dataset: string, next: Policy) => {
    const f = (await scanLines(await policy(), lines)).map((e) => e.flag).find((x) => x.actor.key === actor && x.dataset === dataset);
    if (!f) throw new Error(`no flag of ${actor} on ${dataset}`);
    return judgeFlag(f, f.events, next, geoDatabase);
  };
  const CN_IP = '114.114.114.114';
  const homeNetwork = (y: string) => y.replace('networks:\n', `networks:\n  - { cidr: 114.114.0.0/16, country: US, label: partner VPN exit }\n`);

  it('the second dataset (rad-hard-asic, 3E001) losing its TCP list: NOT_AUTHORIZED falls away, said for that dataset', async () => {
    const line = s3Get('arn:aws:iam::111122223333:user/praman', '10.20.31.8', 'asic/layout/top.gds', 'REQ-ASIC1');
    const noList = await policy({ yaml: (y) => y.replace('    authorized: ["group:asic-team"]\n', '') });
    const v = await judgeLines([line], 'p-003', 'rad-hard-asic', noList);
    expect(v).toEqual({ outcome: 'supported', why: 'still supported by DEEMED_EXPORT IN; NOT_AUTHORIZED no longer applies: rad-hard-asic has no TCP list' });
  });

  it('an address now placed at home: FOREIGN_LOCATION falls away without a personal reason, whoever the person (a citizen elsewhere, or of that country)', async () => {
    const p3 = await judgeLines([clone('cn-p3', 'praman', 'hgv-solver', CN_IP, T)], 'p-003', 'hgv-cfd', await policy({ yaml: homeNetwork }));
    expect(p3).toEqual({ outcome: 'supported', why: 'still supported by DEEMED_EXPORT IN; FOREIGN_LOCATION CN no longer applies' });
    // Second case: p-002 (CN) also joins the TCP list: two findings gone, each said, one kept.
    const joined = await policy({ yaml: homeNetwork, people: person('p-002', (r) => r.replace(',asic-team', ',asic-team;hgv-team')) });
    expect(await judgeLines([clone('cn-p2', 'lwei', 'hgv-solver', CN_IP, T)], 'p-002', 'hgv-cfd', joined)).toEqual({
      outcome: 'supported', why: 'still supported by DEEMED_EXPORT CN; FOREIGN_LOCATION CN no longer applies; NOT_AUTHORIZED no longer applies: p-002 is on the TCP list of hgv-cfd',
    });
  });

  it('the address is placed by the geo database, not only by the configured networks', async () => {
    const f = (await scanLines(await policy(), [clone('cn-p3', 'praman', 'hgv-solver', CN_IP, T)])).map((e) => e.flag).find((x) => x.actor.key === 'p-003')!;
    expect(judgeFlag(f, f.events, await policy(), geoDatabase)).toEqual({ outcome: 'supported', why: 'still supported by FOREIGN_LOCATION CN, DEEMED_EXPORT IN' });
  });

  it('an anonymous clone without an address stays anonymous (not an unknown account named "anonymous")', async () => {
    const line = JSON.stringify({ '@timestamp': Date.parse(T), _document_id: 'anon-1', action: 'git.clone', org: 'nfu-aero', repo: 'nfu-aero/hgv-solver', repository: 'nfu-aero/hgv-solver', repository_public: false });
    const f = (await scanLines(await policy(), [line])).map((e) => e.flag)[0]!;
    expect([f.actor.key, f.reasons.map((r) => r.code)]).toEqual(['anonymous', ['ANONYMOUS_ACCESS']]);
    expect(judgeFlag(f, f.events, await policy(), geoDatabase)).toEqual({ outcome: 'supported', why: 'still supported by ANONYMOUS_ACCESS' });
  });

  it('two findings gone at once are both said: a US person now on the TCP list', async () => {
    const both = person('p-002', (r) => r.replace(',CN,,,asic-team', ',CN,US,,asic-team;hgv-team'));
    expect(await judge('p-002', await policy({ people: both }))).toEqual({
      outcome: 'superseded', why: 'DEEMED_EXPORT CN no longer applies: p-002 is a US person; NOT_AUTHORIZED no longer applies: p-002 is on the TCP list of hgv-cfd',
    });
  });

  it('second case, stronger: a corrected citizenship (CN to RU) on the TCP list now — the new reason and both gone findings said', async () => {
    const ru = person('p-002', (r) => r.replace(',CN,,,asic-team', ',RU,,,asic-team;hgv-team'));
    expect(await judge('p-002', await policy({ people: ru }))).toMatchObject({
      outcome: 'strengthened', why: 'new reason DEEMED_EXPORT RU; DEEMED_EXPORT CN no longer applies: p-002 is not a citizen or permanent resident of CN; NOT_AUTHORIZED no longer applies: p-002 is on the TCP list of hgv-cfd',
    });
  });

  it('a person removed from the directory whose account is allowed: nothing moves to the account, each finding simply no longer applies', async () => {
    const allowLwei = (y: string) => y.replace('allow:\n', 'allow:\n  - { account: "github:lwei", reason: "visiting scholar, export counsel cleared", expires: 2027-01-01 }\n');
    expect(await judge('p-002', await policy({ yaml: allowLwei, people: person('p-002', () => '') }))).toEqual({
      outcome: 'superseded', why: 'DEEMED_EXPORT CN no longer applies; NOT_AUTHORIZED no longer applies',
    });
  });

  it('second case of the allow list: an entry after the others, its account name written in other case, is the one named', async () => {
    const last = (y: string) => y.replace(/(allow:\n(?: {2}- .*\n)+)/, '$1  - { account: "github:Quantum-Gh0st", reason: "vendor test account", expires: 2027-01-01 }\n');
    expect(await judge('github:quantum-gh0st', await policy({ yaml: last }))).toEqual({ outcome: 'superseded', why: 'UNKNOWN_ACCOUNT no longer applies: github:Quantum-Gh0st is allowed (vendor test account)' });
  });

  it('an account of the flag\'s person now given to someone else: the releases move to that person, not to both', async () => {
    const moved = (c: string) => `${person('p-003', (r) => r.replace('github:praman;', ''))(c).trimEnd()}\np-012,Pat Raman,pat.raman@northfield.edu,github:praman,GB,,,\n`;
    const v = await judge('p-003', await policy({ people: moved }));
    expect(v.why).toMatch(/^its releases now belong to p-012 \(flag [0-9a-f]{16}\)$/);
  });

  it('a repository moved from one dataset to another: no longer a member of the old one', async () => {
    const ghost = (await flagsOf()).find((f) => f.dataset === 'lab-ops')!.actor.key;
    const toAsic = (y: string) => y.replace('"github://nfu-aero/lab-ops"', '"github://nfu-aero/lab-ops-v2"').replace('"codecommit://us-east-1/radhard-*"', '"codecommit://us-east-1/radhard-*", "github://nfu-aero/lab-ops"');
    expect(await judge(ghost, await policy({ yaml: toAsic }), 'lab-ops')).toEqual({ outcome: 'superseded', why: 'its resources no longer match dataset lab-ops (github://nfu-aero/lab-ops)' });
  });

  it('a higher severity alone strengthens, saying only that: EAR99 procedures reclassified ITAR IV(i) make an unknown account\'s clone high', async () => {
    const ghost = (await flagsOf()).find((f) => f.dataset === 'lab-ops')!;
    const itar = await policy({ yaml: (y) => y.replace('jurisdiction: EAR\n    classification: EAR99', 'jurisdiction: ITAR\n    classification: "IV(i)"') });
    const v = judgeFlag(ghost, ghost.events, itar, geoDatabase);
    expect([v.outcome, v.why]).toEqual(['strengthened', 'severity low → high']);
    if (v.outcome === 'strengthened') expect([v.findings.severity, v.findings.reasons.map((r) => r.code), v.findings.cleared]).toEqual(['high', ['UNKNOWN_ACCOUNT'], undefined]);
  });

  it('second case: a finding a license clears stays cleared in the restated findings (p-004, licensed for GB, found to be a CN citizen too)', async () => {
    const [f] = (await scanLines(await policy(), [clone('p4-cn', 'jwhitfield', 'hgv-solver', CN_IP, T)])).map((e) => e.flag);
    const v = judgeFlag(f!, f!.events, await policy({ people: person('p-004', (r) => r.replace(',GB,,,', ',GB;CN,,,')) }), geoDatabase);
    expect([v.outcome, v.why]).toEqual(['strengthened', 'new reason DEEMED_EXPORT CN']);
    if (v.outcome === 'strengthened') expect(v.findings.cleared?.map((c) => [c.code, c.country, c.license])).toEqual([['DEEMED_EXPORT', 'GB', 'DSP5-123456']]);
  });

  it('resources that no longer match are named, at most three', async () => {
    const lines = ['ops/a.pdf', 'ops/b.pdf', 'ops/c.pdf', 'ops/d.pdf'].map((k, i) => s3Get('-', CN_IP, k, `REQ-OPS${i}`));
    const notOps = await policy({ yaml: (y) => y.replace('paths: ["s3://nfu-aero-research/ops/**", "github://nfu-aero/lab-ops"]', 'paths: ["github://nfu-aero/lab-ops"]') });
    expect(await judgeLines(lines, `anonymous:${CN_IP}`, 'lab-ops', notOps)).toEqual({
      outcome: 'superseded', why: 'its resources no longer match dataset lab-ops (s3://nfu-aero-research/ops/a.pdf, s3://nfu-aero-research/ops/b.pdf, s3://nfu-aero-research/ops/c.pdf)',
    });
  });

  it('second case of releases that moved: a repository in two datasets names only the flag of the same dataset', async () => {
    const twoDatasets = (y: string) => y.replace('"codecommit://us-east-1/radhard-*"', '"codecommit://us-east-1/radhard-*", "github://nfu-aero/hgv-solver"');
    const v = await judge('p-010', await policy({ yaml: twoDatasets, people: person('p-010', () => '') }));
    expect(v).toEqual({ outcome: 'superseded', why: `its releases now belong to github:gkim (flag ${flagId('github:gkim', 'hgv-cfd', '2026-10-15')})` });
  });

  it('a dataset matched by file name alone keeps its members by the name the event kept; a renamed glob ends it', async () => {
    const byName = (glob: string) => (y: string) => y.replace('licenses:', `  - id: turbopump\n    name: Turbopump drawings\n    jurisdiction: ITAR\n    classification: "IV(h)"\n    match:\n      names: ["${glob}"]\n\nlicenses:`);
    const line = s3Get('arn:aws:iam::111122223333:user/praman', '10.20.31.8', 'shared/TURBOPUMP-rev3.step', 'REQ-TP1');
    const f = (await scanLines(await policy({ yaml: byName('*TURBOPUMP*.step') }), [line])).map((e) => e.flag).find((x) => x.dataset === 'turbopump')!;
    expect(judgeFlag(f, f.events, await policy({ yaml: byName('*TURBOPUMP*.step') }), geoDatabase)).toEqual({ outcome: 'supported', why: 'still supported by DEEMED_EXPORT IN' });
    expect(judgeFlag(f, f.events, await policy({ yaml: byName('*TURBINE*.step') }), geoDatabase)).toEqual({ outcome: 'superseded', why: 'its resources no longer match dataset turbopump (s3://nfu-aero-research/shared/TURBOPUMP-rev3.step)' });
  });
});
