import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config/index.ts';
import { PEOPLE_HEADER, policyFrom } from '#test/helpers.ts';

const people = `${PEOPLE_HEADER}
p-001,Alice Moreno,alice@x.edu,github:amoreno,US,,,hgv-team
p-002,Li Wei,li.wei@x.edu,github:lwei,CN,,,
p-005,Olena Kovalenko,,github:okovalenko,UA,US,,
p-006,Daniel Cohen,,github:dcohen,US;IL,,,
p-011,Sam Explicit,,github:sam,GB,,true,
`;
const good = `home: US
directory: people.csv
datasets:
  - id: asic
    name: ASIC
    jurisdiction: EAR
    classification: 3E001
    match: { paths: ["s3://b/asic/**"] }
    authorized: ["group:hgv-team", "p-002"]
licenses:
  - { id: L1, datasets: [asic], countries: [China], expires: 2027-12-31 }
`;

async function problems(files: Record<string, string>): Promise<string[]> {
  try {
    await policyFrom(files);
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    throw e;
  }
  return [];
}

describe('loadPolicy', () => {
  it('loads a good configuration; unquoted ECCNs stay ECCNs; country names become codes', async () => {
    const p = await policyFrom({ 'ittmon.yaml': good, 'people.csv': people });
    expect(p.datasets[0]!.classification.display).toBe('3E001');
    expect(p.licenses[0]!.countries).toEqual(['CN']);
    expect(p.people).toHaveLength(5);
  });

  it('derives US-person status: citizens and green-card holders are US persons, a blank is computed, an explicit value wins', async () => {
    const p = await policyFrom({ 'ittmon.yaml': good, 'people.csv': people });
    const us = Object.fromEntries(p.people.map((x) => [x.id, x.usPerson]));
    expect(us).toEqual({ 'p-001': true, 'p-002': false, 'p-005': true, 'p-006': true, 'p-011': true });
  });

  it('names file, line, field and fix, for every problem at once', async () => {
    const bad = `home: US
directory: people.csv
datasets:
  - id: asic
    name: ASIC
    jurisdiction: ITAR
    classification: "9E099"
    match: { paths: ["s3://b/**"] }
  - id: Bad_Id
    name: x
    jurisdiction: EAR
    classification: 3E001
    reasons: [NS1, ZZ9]
    match: {}
licenses:
  - { id: L1, datasets: [nope], countries: [Atlantis], expires: 2027-12-31 }
`;
    const out = await problems({ 'ittmon.yaml': bad, 'people.csv': people });
    expect(out).toEqual(expect.arrayContaining([expect.stringMatching(/^ittmon\.yaml:9 datasets\[1\]\.id: expected lower-case/)]));
    // zod problems come first; fix them and the semantic ones show, again all together
    const fixed = bad.replace('Bad_Id', 'bad-id');
    const out2 = await problems({ 'ittmon.yaml': fixed, 'people.csv': people });
    expect(out2).toEqual(expect.arrayContaining([
      'ittmon.yaml:6 datasets[0].jurisdiction: ITAR does not fit classification "9E099", which is EAR — ECCNs and EAR99 are EAR; write jurisdiction: EAR',
      'ittmon.yaml:7 datasets[0].classification: unknown ECCN "9E099" — add reasons: [...] with the reasons for control from its CCL entry (e.g. [NS1, AT1])',
      expect.stringMatching(/^ittmon\.yaml:13 datasets\[1\]\.reasons\[1\]: unknown reason for control "ZZ9"/),
      'ittmon.yaml:14 datasets[1].match: matches nothing — give at least one of paths, names, tags, labels',
      'ittmon.yaml:16 licenses[0].datasets[0]: no dataset "nope" — use a dataset id from datasets:',
      expect.stringMatching(/^ittmon\.yaml:16 licenses\[0\]\.countries\[0\]: unknown country "Atlantis"/),
    ]));
  });

  it('rejects unknown keys with a hint (typos must not be silently ignored)', async () => {
    const out = await problems({ 'ittmon.yaml': good.replace('authorized:', 'authorised:'), 'people.csv': people });
    expect(out[0]).toMatch(/^ittmon\.yaml:4 datasets\[0\]: .*authorised.*— remove it, or check its spelling/);
  });

  it('reports YAML syntax errors with their line', async () => {
    const out = await problems({ 'ittmon.yaml': 'home: US\ndatasets: [\n  - x: : y\n', 'people.csv': people });
    expect(out[0]).toMatch(/^ittmon\.yaml:\d+ \(yaml\): /);
  });

  it('reports a missing directory file with the path and a hint', async () => {
    const out = await problems({ 'ittmon.yaml': good });
    expect(out[0]).toMatch(/^people\.csv \(file\): cannot read: .* — check the path in ittmon\.yaml/);
  });

  it('checks people.csv rows: countries, us_person, accounts, duplicates, authorized references', async () => {
    const csv = `${PEOPLE_HEADER}
p-001,A,,github:a,Narnia,,,
p-001,B,,nokind,US,,maybe,
`;
    const out = await problems({ 'ittmon.yaml': good, 'people.csv': csv });
    expect(out).toEqual(expect.arrayContaining([
      expect.stringMatching(/^people\.csv:2 citizenships: unknown country "Narnia"/),
      'people.csv:3 id: duplicate id "p-001"',
      'people.csv:3 us_person: "maybe" is not true, false or blank',
      expect.stringMatching(/^people\.csv:3 accounts: "nokind" is not kind:value/),
      'ittmon.yaml:9 datasets[0].authorized[0]: no one in the directory is in group "hgv-team" — check the groups column of people.csv',
      'ittmon.yaml:9 datasets[0].authorized[1]: no person "p-002" in the directory — use a person id from people.csv or group:NAME',
    ]));
  });

  it('checks the header of people.csv', async () => {
    const out = await problems({ 'ittmon.yaml': good, 'people.csv': 'id,name\np-1,x\n' });
    expect(out).toContain('people.csv:1 (header): missing columns email, accounts, citizenships, permanent_residency, us_person, groups — the header is id,name,email,accounts,citizenships,permanent_residency,us_person,groups');
  });

  it('reads the catalog: tags k=v;k=v and labels a;b, with errors by line', async () => {
    const cfg = `${good}catalog: catalog.csv\n`;
    const p = await policyFrom({ 'ittmon.yaml': cfg, 'people.csv': people, 'catalog.csv': 'resource,tags,labels\ns3://b/x/**,export-control=ITAR;owner=lab,ITAR;Secret\n' });
    expect(p.catalog).toEqual([{ resource: 's3://b/x/**', tags: { 'export-control': 'ITAR', owner: 'lab' }, labels: ['ITAR', 'Secret'] }]);
    const out = await problems({ 'ittmon.yaml': cfg, 'people.csv': people, 'catalog.csv': 'resource,tags,labels\ns3://b/x,broken,\n' });
    expect(out).toContain('catalog.csv:2 tags: "broken" is not key=value — write tags as k=v;k=v');
  });

  it('validates networks and licenses that cover nothing', async () => {
    const cfg = `${good}networks:\n  - { cidr: 10.0.0.0/33, country: US }\n`;
    expect(await problems({ 'ittmon.yaml': cfg, 'people.csv': people })).toContain('ittmon.yaml:13 networks[0].cidr: "10.0.0.0/33" is not a CIDR block — write e.g. 10.0.0.0/8 or 2001:db8::/32');
  });

  it('USML classifications must be ITAR; EAR99 takes no reasons', async () => {
    const cfg = good.replace('jurisdiction: EAR\n    classification: 3E001', 'jurisdiction: EAR\n    classification: "XV(e)"');
    expect((await problems({ 'ittmon.yaml': cfg, 'people.csv': people }))[0]).toMatch(/datasets\[0\]\.jurisdiction: EAR does not fit classification "XV\(e\)", which is ITAR/);
  });
});
