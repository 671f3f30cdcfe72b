import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPolicy, type Policy } from '#shared/config/index.ts';
import { diffPolicies } from '#shared/diff/index.ts';
import { examples } from '#test/helpers.ts';

const base = { yaml: readFileSync(examples('ittmon.yaml'), 'utf8'), people: readFileSync(examples('people.csv'), 'utf8'), catalog: readFileSync(examples('catalog.csv'), 'utf8') };

/** The example policy with its files edited as a user would edit them. */
function policy(edit: { yaml?: (y: string) => string; people?: (p: string) => string; catalog?: (c: string) => string } = {}): Promise<Policy> {
  const files: Record<string, string> = {
    'ittmon.yaml': (edit.yaml ?? ((y) => y))(base.yaml),
    'people.csv': (edit.people ?? ((p) => p))(base.people),
    'catalog.csv': (edit.catalog ?? ((c) => c))(base.catalog),
  };
  return loadPolicy('ittmon.yaml', async (path) => files[path.replace(/^.*\//, '')] ?? '');
}

const ALL_DATASETS = ['hgv-cfd', 'lab-ops', 'rad-hard-asic'];

describe('ittmon diff: what changed and what it touches', () => {
  it('the same policy: no change, nothing touched', async () => {
    const d = diffPolicies(await policy(), await policy());
    expect([d.datasets, d.people, d.licenses, d.allow, d.networks, d.catalog].flat()).toEqual([]);
    expect(d.touches).toEqual({ datasets: [], people: [], accounts: [], sources: [] });
  });

  it('a dataset newly classified (added) touches that dataset and the sources its paths are written by', async () => {
    const after = await policy({ yaml: (y) => y.replace('licenses:', `  - id: wind-tunnel\n    name: Wind tunnel runs\n    jurisdiction: EAR\n    classification: 9E003\n    match:\n      paths: ["github://nfu-aero/tunnel-*", "box://9912"]\n\nlicenses:`) });
    const d = diffPolicies(await policy(), after);
    expect(d.datasets).toEqual([{ id: 'wind-tunnel', change: 'added', fields: [] }]);
    expect(d.touches.datasets).toEqual(['wind-tunnel']);
    expect(d.touches.sources).toEqual(['github', 'box']);
  });

  it('a reclassified dataset (EAR99 → 3E001) says the field and both values; path-only datasets touch their schemes\' sources', async () => {
    const d = diffPolicies(await policy(), await policy({ yaml: (y) => y.replace('classification: EAR99', 'classification: 3E001') }));
    expect(d.datasets).toEqual([{ id: 'lab-ops', change: 'changed', fields: [{ field: 'classification', before: 'EAR99', after: '3E001' }] }]);
    expect(d.touches.datasets).toEqual(['lab-ops']);
    expect(d.touches.sources).toEqual(['s3-access', 'cloudtrail', 'github']);
  });

  it('a dataset matched by names or labels can appear in every source', async () => {
    const d = diffPolicies(await policy(), await policy({ yaml: (y) => y.replace('names: ["*HGV*.step"]', 'names: ["*HGV*.step", "*glide*"]') }));
    expect(d.datasets[0]!.fields).toEqual([{ field: 'match.names', before: ['*HGV*.step'], after: ['*HGV*.step', '*glide*'] }]);
    expect(d.touches.datasets).toEqual(['hgv-cfd']);
    expect(d.touches.sources.length).toBe(9);
  });

  it('a retitled dataset changes nothing that decides a finding', async () => {
    const d = diffPolicies(await policy(), await policy({ yaml: (y) => y.replace('Lab operating procedures and test manuals', 'Lab SOPs') }));
    expect(d.datasets[0]!.fields.map((f) => f.field)).toEqual(['name']);
    expect(d.touches.datasets).toEqual([]);
  });

  it('a corrected citizenship touches that person, every dataset and every source', async () => {
    const d = diffPolicies(await policy(), await policy({ people: (p) => p.replace('p-004,James Whitfield,james.whitfield@northfield.edu,github:jwhitfield,GB', 'p-004,James Whitfield,james.whitfield@northfield.edu,github:jwhitfield,GB;IR') }));
    expect(d.people).toEqual([{ id: 'p-004', change: 'changed', fields: [{ field: 'citizenships', before: ['GB'], after: ['GB', 'IR'] }] }]);
    expect(d.touches.people).toEqual(['p-004']);
    expect(d.touches.datasets).toEqual(ALL_DATASETS);
    expect(d.touches.sources.length).toBe(9);
  });

  it('a US-person status change is a change that decides findings (second person)', async () => {
    const d = diffPolicies(await policy(), await policy({ people: (p) => p.replace(/^(p-002,Li Wei,[^\n]*?),CN,,,asic-team$/m, '$1,CN,,true,asic-team') }));
    expect(d.people.map((p) => p.id)).toEqual(['p-002']);
    expect(d.people[0]!.fields.map((f) => f.field)).toEqual(['usPerson']);
    expect(d.touches.people).toEqual(['p-002']);
  });

  it('a person who leaves a TCP group touches the datasets that list that group', async () => {
    const d = diffPolicies(await policy(), await policy({ people: (p) => p.replace('p-003,Priya Raman,priya.raman@northfield.edu,github:praman;aws:arn:aws:iam::111122223333:user/praman,IN,,,hgv-team', 'p-003,Priya Raman,priya.raman@northfield.edu,github:praman;aws:arn:aws:iam::111122223333:user/praman,IN,,,') }));
    expect(d.people[0]!.fields).toEqual([{ field: 'groups', before: ['hgv-team'], after: [] }]);
    expect(d.touches.datasets).toContain('hgv-cfd');
  });

  it('a license whose date changed, or that is removed, touches the datasets it covers', async () => {
    const moved = diffPolicies(await policy(), await policy({ yaml: (y) => y.replace('expires: 2027-12-31', 'expires: 2026-06-30') }));
    expect(moved.licenses).toEqual([{ id: 'DSP5-123456', change: 'changed', fields: [{ field: 'expires', before: '2027-12-31', after: '2026-06-30' }] }]);
    expect(moved.touches.datasets).toEqual(['hgv-cfd']);
    const removed = diffPolicies(await policy(), await policy({ yaml: (y) => y.replace(/  - id: DSP5-123456[\s\S]*?expires: 2027-12-31\n/, '  - id: EAR-L-1\n    classifications: ["3E001"]\n    countries: [CN]\n    expires: 2027-01-01\n') }));
    expect(removed.licenses.map((l) => `${l.change} ${l.id}`)).toEqual(['removed DSP5-123456', 'added EAR-L-1']);
    expect(removed.touches.datasets).toEqual(['hgv-cfd', 'rad-hard-asic']); // by dataset id, and by classification
  });

  it('an allow entry added or expiring touches its account', async () => {
    const d = diffPolicies(await policy(), await policy({ yaml: (y) => y.replace('expires: 2027-06-30 }', 'expires: 2026-01-31 }') }));
    expect(d.allow).toEqual([{ id: 'github:nfu-ci-bot', change: 'changed', fields: [{ field: 'expires', before: '2027-06-30', after: '2026-01-31' }] }]);
    expect(d.touches.accounts).toEqual(['github:nfu-ci-bot']);
  });

  it('a network or home change moves the ground under every finding', async () => {
    const d = diffPolicies(await policy(), await policy({ yaml: (y) => y.replace('{ cidr: 128.101.0.0/16, country: US, label: campus VPN }', '{ cidr: 128.101.0.0/16, country: DE, label: Berlin office }') }));
    expect(d.networks.map((n) => n.id)).toEqual(['128.101.0.0/16']);
    expect(d.touches.datasets).toEqual(ALL_DATASETS);
    expect(d.touches.sources.length).toBe(9);
  });
});
