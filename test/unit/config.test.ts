import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '#shared/config/index.ts';
import { PEOPLE_HEADER, configProblems, policyFrom } from '#test/helpers.ts';

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

const problems = configProblems;

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
      'people.csv:3 id: duplicate id "p-001" (also on line 2) — person ids must be unique',
      'people.csv:3 us_person: "maybe" is not true, false or blank — write true or false, or leave it blank to derive it from citizenships and permanent_residency',
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

  it('reports every problem at once: a missing name, a missing expires and a short CSV row hide nothing', async () => {
    const cfg = `home: US
directory: people.csv
datasets:
  - id: asic
    jurisdiction: EAR
    classification: 3E001
    match: { paths: ["s3://b/asic/[a-"] }
  - id: ops
    name: Ops
    jurisdiction: EAR
    classification: EAR99
    match: { paths: ["s3://b/ops/{a,b"] }
licenses:
  - { id: L1, datasets: [asic], countries: [CN] }
  - { id: L2, datasets: [asic], countries: [CN], expires: 2027-02-30 }
  - { id: L2, datasets: [ops], countries: [GB], expires: 2027-13-45 }
allow:
  - { account: "github:bot", reason: a }
  - { account: "github:BOT", reason: b }
`;
    const csv = `${PEOPLE_HEADER}\np-001,A,,github:a,US,,yes,\np-002,B,,github:b\np-003,C,,github:c,Narnia,,,\n`;
    const out = await problems({ 'ittmon.yaml': cfg, 'people.csv': csv });
    expect(out).toEqual(expect.arrayContaining([
      'ittmon.yaml:4 datasets[0].name: required, but missing — give it a name a reviewer recognises, e.g. name: Hypersonic glide vehicle CFD results',
      'ittmon.yaml:14 licenses[0].expires: required, but missing — write the last day the license is valid, e.g. expires: 2027-12-31',
      'ittmon.yaml:15 licenses[1].expires: "2027-02-30" is not a day of the calendar — write the last day the license is valid, e.g. expires: 2027-12-31',
      'ittmon.yaml:16 licenses[2].expires: "2027-13-45" is not a day of the calendar — write the last day the license is valid, e.g. expires: 2027-12-31',
      expect.stringMatching(/^ittmon\.yaml:16 licenses\[2\]\.id: duplicate license id "L2"/),
      expect.stringMatching(/^ittmon\.yaml:19 allow\[1\]\.account: duplicate allow entry for github:BOT/),
      expect.stringMatching(/^ittmon\.yaml:12 datasets\[1\]\.match\.paths\[0\]: "s3:\/\/b\/ops\/\{a,b" has an unclosed "\{"/),
      'people.csv:2 us_person: "yes" is not true, false or blank — write true or false, or leave it blank to derive it from citizenships and permanent_residency',
      'people.csv:3 (row): 4 fields where the header has 8 — write every column, with empty ones between commas: id,name,email,accounts,citizenships,permanent_residency,us_person,groups',
      expect.stringMatching(/^people\.csv:4 citizenships: unknown country "Narnia"/),
    ]));
    expect(out.some((l) => /received undefined/.test(l))).toBe(false);
  });

  it('rejects globs minimatch would read as literals: an unclosed [ in paths, names, tags and the catalog', async () => {
    const cfg = good.replace('match: { paths: ["s3://b/asic/**"] }', 'match: { paths: ["s3://b/asic/**"], names: ["[a-"], tags: { ec: "ITAR(" } }') + 'catalog: catalog.csv\n';
    const out = await problems({ 'ittmon.yaml': cfg, 'people.csv': people, 'catalog.csv': 'resource,tags,labels\n"s3://b/{x,y",,\n' });
    expect(out).toEqual(expect.arrayContaining([
      'ittmon.yaml:8 datasets[0].match.names[0]: "[a-" has an unclosed "[" — close it, or escape a literal bracket or brace with a backslash (\\[)',
      expect.stringMatching(/^ittmon\.yaml:8 datasets\[0\]\.match\.tags\.ec: "ITAR\(" has an unclosed "\("/),
      expect.stringMatching(/^catalog\.csv:2 resource: "s3:\/\/b\/\{x,y" has an unclosed "\{"/),
    ]));
    // closed and escaped brackets are fine
    const fine = good.replace('match: { paths: ["s3://b/asic/**"] }', 'match: { paths: ["s3://b/asic/[a-z]*/{x,y}/**", "s3://b/\\\\[lit"], names: ["[]x]*", "[!]]*"] }');
    expect(await problems({ 'ittmon.yaml': fine, 'people.csv': people })).toEqual([]);
  });

  it('takes an impossible date nowhere: the leap day exists only in leap years', async () => {
    const at = (d: string) => good.replace('expires: 2027-12-31', `expires: ${d}`);
    expect(await problems({ 'ittmon.yaml': at('2028-02-29'), 'people.csv': people })).toEqual([]);
    expect((await problems({ 'ittmon.yaml': at('2027-02-29'), 'people.csv': people }))[0]).toMatch(/licenses\[0\]\.expires: "2027-02-29" is not a day of the calendar/);
  });

  it('an identifier two people share is named with both rows; alone it does not stop loading, it is kept for check', async () => {
    const csv = `${PEOPLE_HEADER}
p-001,Hans,hans@x.edu,github:hans,DE,,,hgv-team
p-002,Jane,HANS@x.edu,github:jane,US,,,
p-003,Joe,joe@x.edu,github:joe;email:jane@x.edu,US,,,
p-004,Jane Two,jane@x.edu,github:JOE,US,,,
`;
    const p = await policyFrom({ 'ittmon.yaml': good.replace(', "p-002"', ''), 'people.csv': csv });
    expect(p.identityConflicts?.map(formatProblem)).toEqual([
      'people.csv:3 email: e-mail HANS@x.edu belongs to both p-001 (line 2) and p-002 (line 3) — give each account and e-mail to one person: a scan flags events of a shared one as AMBIGUOUS_IDENTITY',
      'people.csv:5 accounts: account github:JOE belongs to both p-003 (line 4) and p-004 (line 5) — give each account and e-mail to one person: a scan flags events of a shared one as AMBIGUOUS_IDENTITY',
      'people.csv:5 email: e-mail jane@x.edu belongs to both p-003 (line 4) and p-004 (line 5) — give each account and e-mail to one person: a scan flags events of a shared one as AMBIGUOUS_IDENTITY',
    ]);
    // with any other problem, they are reported with it
    const out = await problems({ 'ittmon.yaml': good.replace('[China]', '[Atlantis]'), 'people.csv': csv });
    expect(out).toEqual(expect.arrayContaining([expect.stringMatching(/^people\.csv:3 email: e-mail HANS@x\.edu belongs to both p-001/), expect.stringMatching(/countries\[0\]: unknown country "Atlantis"/)]));
  });

  it('asks the caller to check the geoip file, and reports what is wrong with it', async () => {
    const cfg = `${good}geoip: geo/country.mmdb\n`;
    const checked: string[] = [];
    const err = await policyFrom({ 'ittmon.yaml': cfg, 'people.csv': people }, 'ittmon.yaml', { checkGeoip: async (p) => { checked.push(p); return 'not an .mmdb file'; } }).catch((e: ConfigError) => e.message);
    expect(checked).toEqual(['geo/country.mmdb']);
    expect(err).toBe('ittmon.yaml:12 geoip: not an .mmdb file — name a MaxMind-format .mmdb country database (e.g. GeoLite2-Country.mmdb), or remove geoip: to use the bundled one');
  });
});
