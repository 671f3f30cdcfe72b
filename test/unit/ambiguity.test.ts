import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Person, Policy } from '#shared/config/index.ts';
import { Directory } from '#shared/directory/index.ts';
import type { Flag } from '#shared/model/index.ts';
import { Scan } from '#shared/pipeline/index.ts';
import { pseudonym, pseudonymiseFlag } from '#shared/review/pseudonym.ts';
import { bytes, PEOPLE_HEADER, policyFrom } from '#test/helpers.ts';

const config = `home: US
directory: people.csv
networks:
  - { cidr: 198.51.100.0/24, country: CN }
  - { cidr: 203.0.113.0/24, country: GB }
datasets:
  - { id: itar, name: I, jurisdiction: ITAR, classification: "XV(e)", match: { paths: ["github://acme/itar-*"] }, authorized: ["group:tcp"] }
  - { id: eccn, name: E, jurisdiction: EAR, classification: 3E001, match: { paths: ["github://acme/eccn-*"] } }
  - { id: ear99, name: N, jurisdiction: EAR, classification: EAR99, match: { paths: ["github://acme/ops-*"] } }
licenses:
  - { id: DSP5-1, datasets: [itar], persons: [p-2], countries: [GB], expires: 2027-12-31 }
`;

/** A GitHub clone by login, with the SAML e-mail when given (the e-mail is an \`email:\` candidate). */
const clone = (n: number, login: string, repo: string, opts: { email?: string; ip?: string } = {}) => JSON.stringify({
  '@timestamp': Date.parse('2026-10-15T10:00:00Z') + n * 60_000, _document_id: `doc-${n}`, action: 'git.clone', actor: login,
  org: 'acme', repo: `acme/${repo}`, ...(opts.email ? { external_identity_nameid: opts.email } : {}), ...(opts.ip ? { actor_ip: opts.ip } : {}),
});

async function scanFlags(policy: Policy, lines: string[]): Promise<Flag[]> {
  const scan = new Scan(policy);
  await scan.add(bytes(lines.map((l) => `${l}\n`).join('')), 'github.jsonl');
  return scan.flags(true);
}

// The reported case: two rows with one e-mail, a German national first and a US person second.
const shared = `${PEOPLE_HEADER}
p-1,Hans Becker,hans@x.edu,github:hbecker,DE,,,
p-2,Jane Roe,HANS@x.edu,github:jroe,US,,,tcp
`;

describe('AMBIGUOUS_IDENTITY: an account that names more than one person', () => {
  it('an SSO e-mail two rows share raises AMBIGUOUS_IDENTITY on the account, naming both, at the German national\'s severity', async () => {
    const policy = await policyFrom({ 'ittmon.yaml': config, 'people.csv': shared });
    expect(policy.identityConflicts?.length).toBe(1);
    const flags = await scanFlags(policy, [clone(1, 'someone', 'itar-solver', { email: 'hans@x.edu' })]);
    expect(flags).toHaveLength(1);
    const [f] = flags;
    expect(f!.actor).toEqual({ key: 'github:someone', accounts: ['github:someone'], candidates: [{ person: 'p-1', name: 'Hans Becker' }, { person: 'p-2', name: 'Jane Roe' }] });
    expect(f!.severity).toBe('high'); // Hans's DEEMED_EXPORT DE on ITAR data (and NOT_AUTHORIZED): high
    expect(f!.reasons.map((r) => r.code)).toEqual(['AMBIGUOUS_IDENTITY']);
    const why = f!.reasons[0]!.explanation;
    expect(why).toContain('matches 2 people in the directory');
    expect(why).toContain('Hans Becker (p-1, citizen of DE) — DEEMED_EXPORT DE (high), NOT_AUTHORIZED (medium)');
    expect(why).toContain('Jane Roe (p-2, citizen of US) — no finding');
  });

  it('the severity is the highest a candidate would get: a Chinese national makes it critical', async () => {
    const csv = shared.replace('hbecker,DE', 'hbecker,CN');
    const [f] = await scanFlags(await policyFrom({ 'ittmon.yaml': config, 'people.csv': csv }), [clone(1, 'someone', 'itar-solver', { email: 'hans@x.edu' })]);
    expect([f!.severity, f!.reasons[0]!.code]).toEqual(['critical', 'AMBIGUOUS_IDENTITY']);
  });

  it('and at least the UNKNOWN_ACCOUNT row: two US persons on ECCN data is medium, on EAR99 low', async () => {
    const csv = shared.replace('hbecker,DE', 'hbecker,US');
    const policy = await policyFrom({ 'ittmon.yaml': config, 'people.csv': csv });
    const flags = await scanFlags(policy, [clone(1, 'x', 'eccn-chip', { email: 'hans@x.edu' }), clone(2, 'x', 'ops-manual', { email: 'hans@x.edu' })]);
    expect(flags.map((f) => [f.dataset, f.severity, f.reasons.map((r) => r.code).join()])).toEqual([
      ['eccn', 'medium', 'AMBIGUOUS_IDENTITY'], ['ear99', 'low', 'AMBIGUOUS_IDENTITY'],
    ]);
  });

  it('two candidates of one event that name two different people are ambiguous too (login of one, e-mail of the other)', async () => {
    const policy = await policyFrom({ 'ittmon.yaml': config, 'people.csv': `${PEOPLE_HEADER}\np-1,Hans Becker,hans@x.edu,github:hbecker,DE,,,\np-2,Jane Roe,jane@x.edu,github:jroe,US,,,tcp\n` });
    const [f] = await scanFlags(policy, [clone(1, 'jroe', 'itar-solver', { email: 'hans@x.edu' })]);
    expect([f!.actor.key, f!.reasons[0]!.code]).toEqual(['github:jroe', 'AMBIGUOUS_IDENTITY']);
  });

  it('a foreign location stays the account\'s own finding; a license naming one candidate clears nothing', async () => {
    const policy = await policyFrom({ 'ittmon.yaml': config, 'people.csv': shared });
    const [f] = await scanFlags(policy, [clone(1, 'someone', 'itar-solver', { email: 'hans@x.edu', ip: '203.0.113.9' })]);
    expect(f!.reasons.map((r) => `${r.code} ${r.country ?? ''}`.trim())).toEqual(['AMBIGUOUS_IDENTITY', 'FOREIGN_LOCATION GB']);
    expect(f!.reasons[1]!.explanation).toMatch(/^Account github:someone cloned/);
    expect(f!.cleared).toBeUndefined();
  });

  it('the flag lists the candidates; under pseudonyms, the review page hides each of them, in the explanation too', async () => {
    const policy = await policyFrom({ 'ittmon.yaml': config, 'people.csv': shared });
    const [f] = await scanFlags(policy, [clone(1, 'someone', 'itar-solver', { email: 'hans@x.edu' })]);
    expect(f!.actor.candidates).toEqual([{ person: 'p-1', name: 'Hans Becker' }, { person: 'p-2', name: 'Jane Roe' }]);
    const hidden = pseudonymiseFlag(f!, 'secret');
    const text = JSON.stringify(hidden);
    for (const s of ['Hans Becker', 'Jane Roe', 'p-1', 'p-2']) expect(text).not.toContain(s);
    expect(hidden.actor.candidates).toEqual([{ person: pseudonym('secret', 'p-1'), name: pseudonym('secret', 'p-1') }, { person: pseudonym('secret', 'p-2'), name: pseudonym('secret', 'p-2') }]);
    expect(hidden.reasons[0]!.explanation).toContain(`${pseudonym('secret', 'p-1')} (${pseudonym('secret', 'p-1')}, citizen of DE)`);
  });

  it('resolve() gives no one for an ambiguity; identify() lists the people by id, whatever the row order', () => {
    const a: Person = { id: 'p-2', name: 'B', email: 'x@y', accounts: [], citizenships: ['US'], usPerson: true, groups: [] };
    const b: Person = { id: 'p-1', name: 'A', email: 'X@Y', accounts: ['github:a'], citizenships: ['DE'], usPerson: false, groups: [] };
    for (const rows of [[a, b], [b, a]]) {
      const d = new Directory(rows);
      expect(d.resolve(['email:x@y'])).toBeUndefined();
      expect(d.identify(['email:x@y'])).toEqual({ kind: 'ambiguous', people: [b, a] });
      expect(d.identify(['github:A'])).toEqual({ kind: 'person', person: b });
      expect(d.identify(['github:a', 'email:nobody@y'])).toEqual({ kind: 'person', person: b });
      expect(d.identify(['github:zz'])).toEqual({ kind: 'unknown' });
    }
  });
});

describe('property: the order of the rows of people.csv never changes the flags', () => {
  const logins = ['u1', 'u2', 'u3', 'u4'];
  const emails = ['a@x.edu', 'b@x.edu', 'c@x.edu'];
  const person = fc.record({
    email: fc.option(fc.constantFrom(...emails, 'A@X.EDU'), { nil: undefined }),
    logins: fc.subarray(logins, { maxLength: 2 }),
    citizenships: fc.subarray(['US', 'DE', 'CN', 'GB'], { minLength: 1, maxLength: 2 }),
    tcp: fc.boolean(),
  });
  const event = fc.record({
    login: fc.constantFrom(...logins),
    email: fc.option(fc.constantFrom(...emails), { nil: undefined }),
    repo: fc.constantFrom('itar-a', 'eccn-b', 'ops-c', 'other'),
    ip: fc.option(fc.constantFrom('10.1.2.3', '198.51.100.7', '203.0.113.9'), { nil: undefined }),
  });

  it('holds for any directory (shared e-mails and logins included) and any events', async () => {
    const base = await policyFrom({ 'ittmon.yaml': config, 'people.csv': `${PEOPLE_HEADER}\np-2,Jane,,github:jroe,US,,,tcp\n` });
    await fc.assert(fc.asyncProperty(
      fc.array(person, { minLength: 1, maxLength: 6 }), fc.array(event, { minLength: 1, maxLength: 8 }), fc.nat(),
      async (specs, evs, seed) => {
        const people: Person[] = specs.map((s, i) => ({
          id: `p-${i + 1}`, name: `Person ${i + 1}`, ...(s.email ? { email: s.email } : {}), accounts: s.logins.map((l) => `github:${l}`),
          citizenships: s.citizenships, usPerson: s.citizenships.includes('US'), groups: s.tcp ? ['tcp'] : [],
        }));
        const shuffled = [...people];
        for (let i = shuffled.length - 1, r = seed; i > 0; i--, r = Math.floor(r / 7) + i) {
          const j = r % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const lines = evs.map((e, n) => clone(n, e.login, e.repo, { ...(e.email ? { email: e.email } : {}), ...(e.ip ? { ip: e.ip } : {}) }));
        const original = await scanFlags({ ...base, people }, lines);
        const reordered = await scanFlags({ ...base, people: shuffled }, lines);
        const reversed = await scanFlags({ ...base, people: [...people].reverse() }, lines);
        expect(reordered).toEqual(original);
        expect(reversed).toEqual(original);
      },
    ), { numRuns: 100 });
  });
});
