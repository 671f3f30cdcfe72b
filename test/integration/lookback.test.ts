import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '#shared/config/index.ts';
import { policyVersion } from '#shared/diff/index.ts';
import { reevaluateStoredFlags } from '#shared/flags/reevaluate.ts';
import { ingestObject, memoryReader, parseIngestMessage, type IngestContext, type ObjectRef } from '#shared/ingest/index.ts';
import type { BusEvent } from '#shared/publish/events.ts';
import { decisionSchema, prepareDecision, refuseSystemOnly, ReviewError, SystemOnlyError } from '#shared/review/index.ts';
import type { DynamoFlagStore, StoredFlag } from '#shared/store/index.ts';
import { startLocalStore, type LocalStore } from '#shared/store/local.ts';
import { clone, geoDatabase, person, policy, WIND_TUNNEL } from '../unit/lookback-helpers.ts';

const DAY1 = '2026-10-14T10:00:00Z';
const DAY2 = '2026-10-15T10:00:00Z';
/** Two days of a GitHub audit log, as the live ingestion read them. */
const OBJECTS: Record<string, string[]> = {
  'github/2026-10-14.jsonl': [
    clone('d1-praman', 'praman', 'hgv-solver', '10.20.31.8', DAY1), // p-003, IN: DEEMED_EXPORT IN
    clone('d1-gkim', 'gkim', 'hgv-solver', '10.20.31.9', DAY1), // p-010, US: NOT_AUTHORIZED
    clone('d1-ghost', 'quantum-gh0st', 'hgv-solver', '10.20.31.10', DAY1), // UNKNOWN_ACCOUNT
    clone('d1-tunnel', 'lwei', 'tunnel-runs', '10.20.31.7', DAY1), // not controlled (yet)
  ],
  'github/2026-10-15.jsonl': [
    clone('d2-jw', 'jwhitfield', 'hgv-solver', '10.20.33.2', DAY2), // p-004, GB: cleared by DSP5-123456
    clone('d2-tunnel', 'praman', 'tunnel-runs', '10.20.31.8', DAY2), // not controlled (yet)
    clone('d2-praman', 'praman', 'hgv-solver', '10.20.31.8', DAY2),
  ],
};
const body = (key: string) => Buffer.from(`${OBJECTS[key]!.join('\n')}\n`);
const etag = (key: string) => `etag-${key.slice(7, 17)}`;

let local: LocalStore;
let store: DynamoFlagStore;
const published: BusEvent[] = [];
const ctx = (p: Policy, key: string): IngestContext => ({
  policy: p, geoDatabase, store, reader: memoryReader(body(key)), quarantine: { put: async () => {} },
  publisher: { publish: async (events) => { published.push(...events); } }, linkBase: 'https://review.example',
});
const ref = (key: string, lookBack?: ObjectRef['lookBack']): ObjectRef => ({ bucket: 'nfu-logs', key, etag: etag(key), ...(lookBack ? { lookBack } : {}) });
/** The work a replay message names, as the state machine sends it (through the ingest message parser). */
const replayed = (key: string, lookBack?: { policyVersion: string; at: string }) => parseIngestMessage(JSON.stringify({ replay: { bucket: 'nfu-logs', key, etag: `"${etag(key)}"`, ...(lookBack ? { lookBack } : {}) } }))[0]!.ref;
const all = async () => (await store.allFlags()).sort((a, b) => a.id.localeCompare(b.id));
const one = async (actor: string, dataset: string, day: string) => (await all()).find((f) => f.actor.key === actor && f.dataset === dataset && f.day === day);
const lastAudit = async (id: string) => (await store.auditTrail(id)).at(-1);

let old: Policy;
beforeAll(async () => {
  old = await policy();
});
afterAll(async () => local?.close());

async function freshStore(): Promise<void> {
  await local?.close();
  local = await startLocalStore();
  store = local.store;
  published.length = 0;
  for (const key of Object.keys(OBJECTS)) await ingestObject(ctx(old, key), ref(key));
}

describe('re-evaluation of stored flags after a policy change (dynalite, through the store port)', () => {
  beforeAll(freshStore);

  it('supersedes what the new policy no longer supports and restates what it makes stronger, each on the audit trail; again changes nothing', async () => {
    const p3 = (await one('p-003', 'hgv-cfd', '2026-10-14'))!;
    const p10 = (await one('p-010', 'hgv-cfd', '2026-10-14'))!;
    const ghost = (await one('github:quantum-gh0st', 'hgv-cfd', '2026-10-14'))!;
    // A reviewer already closed the unknown account's flag.
    await store.applyDecision(ghost.id, 0, prepareDecision(ghost, { action: 'close', version: 0, disposition: 'not_a_release', justification: 'vendor test account, checked with IT' }, 'alice', '2026-10-20T00:00:00.000Z'));
    const next = await policy({
      people: (c) => person('p-010', (r) => r.replace(',US,,,', ',GB,,false,'))(person('p-003', (r) => r.replace(',IN,,,', ',IN,US,,'))(c)),
      yaml: (y) => y.replace('allow:\n', 'allow:\n  - { account: "github:quantum-gh0st", reason: "vendor test account", expires: 2027-01-01 }\n'),
    });
    published.length = 0;
    const report = await reevaluateStoredFlags(store, { config: next, policyVersion: 'v2', now: '2026-11-29T09:00:00.000Z', geoDatabase, publisher: { publish: async (e) => { published.push(...e); } }, linkBase: 'https://review.example' });

    const byId = new Map(report.flags.map((f) => [f.id, f]));
    expect(byId.get(p3.id)).toMatchObject({ outcome: 'superseded', from: 'open', to: 'superseded' });
    expect(await store.getFlag(p3.id)).toMatchObject({ status: 'superseded', version: 1, eventCount: 1, reasons: p3.reasons }); // kept, never deleted
    expect(await lastAudit(p3.id)).toMatchObject({ who: 'system', action: 'supersede', from: 'open', to: 'superseded', justification: 'superseded by policy version v2: DEEMED_EXPORT IN no longer applies: p-003 is a US person' });
    // The other day's flag of p-003 too (second case: every flag, not the first found).
    expect((await one('p-003', 'hgv-cfd', '2026-10-15'))!.status).toBe('superseded');

    const strong = (await store.getFlag(p10.id))!;
    expect(strong).toMatchObject({ status: 'open', severity: 'high', rev: p10.rev + 1, version: 0 });
    expect(strong.reasons.map((r) => `${r.code}${r.country ? ` ${r.country}` : ''}`)).toEqual(['DEEMED_EXPORT GB', 'NOT_AUTHORIZED']);
    expect(await lastAudit(p10.id)).toMatchObject({ who: 'system', action: 'strengthen', from: 'open', to: 'open', justification: 'strengthened by policy version v2: severity medium → high; new reason DEEMED_EXPORT GB' });
    const updated = published.filter((e) => e.detail.flagId === p10.id);
    expect(updated.map((e) => [e.detailType, e.detail.severity, e.detail.revision])).toEqual([['Export Review Flag Updated', 'high', strong.rev + strong.version]]);
    expect(JSON.stringify(updated)).not.toMatch(/Grace|GB national|p-010/); // no personal data on the bus

    // A reviewer's decision stands; the trail says the new policy no longer supports the flag.
    expect(await store.getFlag(ghost.id)).toMatchObject({ status: 'closed', disposition: 'not_a_release' });
    expect(await lastAudit(ghost.id)).toMatchObject({ who: 'system', action: 'policy-change', from: 'closed', to: 'closed', justification: expect.stringMatching(/^no longer supported by policy version v2: UNKNOWN_ACCOUNT no longer applies: github:quantum-gh0st is allowed/) });

    // Running it again under the same version changes nothing: no write, no audit entry, no event.
    const before = await Promise.all((await all()).map(async (f) => [f, await store.auditTrail(f.id)]));
    published.length = 0;
    const again = await reevaluateStoredFlags(store, { config: next, policyVersion: 'v2', now: '2026-11-29T10:00:00.000Z', geoDatabase, publisher: { publish: async (e) => { published.push(...e); } } });
    expect(again.flags.every((f) => f.outcome === 'unchanged')).toBe(true);
    expect(again.changes).toEqual([]);
    expect(published).toEqual([]);
    expect(await Promise.all((await all()).map(async (f) => [f, await store.auditTrail(f.id)]))).toEqual(before);
  });

  it('a reviewer may reopen a superseded flag, but not decide it otherwise (409 in the API); the system never lets a reviewer supersede', async () => {
    const f = (await one('p-003', 'hgv-cfd', '2026-10-15'))! as StoredFlag;
    expect(f.status).toBe('superseded');
    const reviewer = { roles: ['reviewer' as const], isSubject: false };
    expect(() => prepareDecision(f, { action: 'assign', version: f.version }, 'bob', 't', reviewer)).toThrow(new ReviewError('cannot assign a flag that is superseded'));
    expect(() => prepareDecision(f, { action: 'close', version: f.version, disposition: 'misclassified', justification: 'not this dataset at all' }, 'bob', 't', reviewer)).toThrow(/cannot close a flag that is superseded/);
    expect(() => refuseSystemOnly({ action: 'supersede', version: f.version })).toThrow(SystemOnlyError);
    expect(() => refuseSystemOnly({ action: 'close', version: f.version })).not.toThrow();
    expect(decisionSchema.safeParse({ action: 'supersede', version: f.version, justification: 'no longer needed here' }).success).toBe(false);
    const { after } = await store.applyDecision(f.id, f.version, prepareDecision(f, { action: 'reopen', version: f.version, justification: 'the residency record is disputed' }, 'bob', '2026-11-29T11:00:00.000Z', reviewer));
    expect(after.status).toBe('open');
    expect(await lastAudit(f.id)).toMatchObject({ who: 'bob', action: 'reopen', from: 'superseded', to: 'open' });
  });

  it('a later policy that supports a superseded flag again reopens it, by the system, on the record', async () => {
    const p3 = (await one('p-003', 'hgv-cfd', '2026-10-14'))!;
    expect(p3.status).toBe('superseded');
    const report = await reevaluateStoredFlags(store, { config: old, now: '2026-11-30T09:00:00.000Z', geoDatabase });
    expect(report.policyVersion).toBe(policyVersion(old));
    expect(report.flags.find((f) => f.id === p3.id)).toMatchObject({ outcome: 'restored', from: 'superseded', to: 'open' });
    expect(await lastAudit(p3.id)).toMatchObject({ who: 'system', action: 'reopen', from: 'superseded', to: 'open', justification: `supported again by policy version ${policyVersion(old)}: still supported by DEEMED_EXPORT IN` });
    // The strengthened flag under the old policy is weaker, not unsupported: it stays as restated.
    expect(report.flags.find((f) => f.actor === 'p-010')!.outcome).toBe('unchanged');
  });

  it('new evidence on a superseded flag reopens it, as for a closed one', async () => {
    const next = await policy({ people: person('p-003', (r) => r.replace(',IN,,,', ',IN,US,,')) });
    await reevaluateStoredFlags(store, { config: next, policyVersion: 'v3', geoDatabase });
    const f = (await one('p-003', 'hgv-cfd', '2026-10-14'))!;
    expect(f.status).toBe('superseded');
    OBJECTS['github/2026-10-14-late.jsonl'] = [clone('d1-praman-2', 'praman', 'hgv-solver', '10.20.31.8', '2026-10-14T18:00:00Z')];
    await ingestObject(ctx(old, 'github/2026-10-14-late.jsonl'), ref('github/2026-10-14-late.jsonl'));
    expect(await store.getFlag(f.id)).toMatchObject({ status: 'open', eventCount: 2 });
    expect(await lastAudit(f.id)).toMatchObject({ who: 'system', action: 'reopen', from: 'superseded', to: 'open' });
    delete OBJECTS['github/2026-10-14-late.jsonl'];
  });
});

describe('look-back over the past logs through the ingest path (the replay message, dynalite)', () => {
  beforeAll(freshStore);

  it('a replay of already-processed logs changes nothing: same flags, same trail, no events', async () => {
    const before = await all();
    published.length = 0;
    for (const key of Object.keys(OBJECTS)) {
      const r = await ingestObject(ctx(old, key), replayed(key));
      expect(r).toMatchObject({ changes: [], records: 0 }); // done before: not even read
    }
    // A look-back under the very policy the live ingestion used reads every object again: still nothing changes.
    for (const key of Object.keys(OBJECTS)) await ingestObject(ctx(old, key), replayed(key, { policyVersion: policyVersion(old), at: '2026-11-29T09:00:00.000Z' }));
    expect(await all()).toEqual(before);
    expect(published).toEqual([]);
  });

  it('finds the past releases of a newly classified dataset and of a person whose status changed, labelled; what was stored live is not counted twice', async () => {
    const live = await all();
    const next = await policy({ yaml: WIND_TUNNEL, people: person('p-004', (r) => r.replace(',GB,,,', ',GB;CN,,,')) });
    const V = policyVersion(next);
    const lookBack = { policyVersion: V, at: '2026-11-29T09:00:00.000Z' };
    for (const key of Object.keys(OBJECTS)) await ingestObject(ctx(next, key), replayed(key, lookBack));
    const found = (await all()).filter((f) => f.foundBy === 'look-back');
    expect(found.map((f) => [f.dataset, f.actor.key, f.day, f.reasons.map((r) => `${r.code}${r.country ? ` ${r.country}` : ''}`).join(',')]).sort()).toEqual([
      ['hgv-cfd', 'p-004', '2026-10-15', 'DEEMED_EXPORT CN'], // a person whose status changed
      ['wind-tunnel', 'p-002', '2026-10-14', 'DEEMED_EXPORT CN'], // the newly classified dataset, both days and people
      ['wind-tunnel', 'p-003', '2026-10-15', 'DEEMED_EXPORT IN'],
    ]);
    for (const f of found) expect(f).toMatchObject({ policyVersion: V, foundAt: lookBack.at, status: 'open' });
    // The flags stored live keep their label, counts and evidence: the replayed events are the same events.
    for (const f of live) {
      const now = (await store.getFlag(f.id))!;
      expect(now).toMatchObject({ eventCount: f.eventCount, bytes: f.bytes, firstSeen: f.firstSeen, lastSeen: f.lastSeen });
      expect(now.foundBy).toBeUndefined();
    }
    // The same look-back again (a redelivered replay message) is done: nothing read, nothing changed.
    const after = await all();
    for (const key of Object.keys(OBJECTS)) expect(await ingestObject(ctx(next, key), replayed(key, lookBack))).toMatchObject({ changes: [], records: 0 });
    expect(await all()).toEqual(after);
  });

  it('the look-back label survives a continuation message (the rest of a large object)', () => {
    const lookBack = { policyVersion: 'abc123def456', at: '2026-11-29T09:00:00.000Z' };
    const [work] = parseIngestMessage(JSON.stringify({ continuation: { ref: { bucket: 'b', key: 'k', etag: 'e', lookBack }, resume: { bytes: 10, line: 2 } } }));
    expect(work!.ref.lookBack).toEqual(lookBack);
    expect(parseIngestMessage(JSON.stringify({ replay: { bucket: 'b', key: 'k', lookBack: null } }))[0]!.ref.lookBack).toBeUndefined(); // a backfill: live
  });
});
