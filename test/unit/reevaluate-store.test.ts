import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '#shared/config/index.ts';
import { policyVersion } from '#shared/diff/index.ts';
import { reevaluateStoredFlags } from '#shared/flags/reevaluate.ts';
import type { BusEvent } from '#shared/publish/events.ts';
import { prepareDecision } from '#shared/review/index.ts';
import { DynamoFlagStore, type FlagQuery, type StoredFlag } from '#shared/store/index.ts';
import { ensureTable, startLocalStore, type LocalStore } from '#shared/store/local.ts';
import { clone, geoDatabase, person, policy, scanLines } from './lookback-helpers.ts';

/**
 * How re-evaluation applies each verdict through the store port, on dynalite (a real DynamoDB
 * implementation on loopback): which status, which audit entry, which announcement.
 */
const T = '2026-10-15T10:00:00Z';
const LOGS = [
  clone('a', 'praman', 'hgv-solver', '10.20.31.8', T), // p-003 IN: DEEMED_EXPORT IN (high)
  clone('b', 'praman', 'hgv-solver', '10.20.31.8', '2026-10-16T10:00:00Z'), // the next day: a second flag of p-003
  clone('c', 'praman', 'hgv-solver', '10.20.31.8', '2026-10-17T10:00:00Z'), // and a third
  clone('d', 'gkim', 'hgv-solver', '10.20.31.9', T), // p-010 US: NOT_AUTHORIZED (medium)
  clone('e', 'gkim', 'hgv-solver', '10.20.31.9', '2026-10-16T10:00:00Z'),
];
const US_PERSON_P3 = person('p-003', (r) => r.replace(',IN,,,', ',IN,US,,'));
const GB_P10 = person('p-010', (r) => r.replace(',US,,,', ',GB,,false,'));

let local: LocalStore;
let tables = 0;
// One dynalite for the file; each test its own table, seeded alike: Stryker runs a test alone
// (by name), so no test may rest on what another left behind.
beforeAll(async () => { local = await startLocalStore(); });
afterAll(async () => local.close());

interface Seeded { store: DynamoFlagStore; old: Policy; day: (actor: string, d: string) => Promise<StoredFlag>; trail: (f: StoredFlag) => Promise<string[]> }

/** A fresh table with the flags of LOGS under the example policy. p-003: one flag open, one in review (assigned), one closed; p-010: one open, one escalated. */
async function seeded(Store: typeof DynamoFlagStore = DynamoFlagStore): Promise<Seeded> {
  const table = `reevaluate-${++tables}`;
  await ensureTable(local.client, table);
  const store = new Store(local.client, table);
  const old = await policy();
  const day = async (actor: string, d: string) => (await store.allFlags()).find((f) => f.actor.key === actor && f.day === d)!;
  const trail = async (f: StoredFlag) => (await store.auditTrail(f.id)).map((a) => `${a.who} ${a.action} ${a.from}→${a.to}: ${a.justification ?? ''}`);
  const decide = async (f: StoredFlag, d: Parameters<typeof prepareDecision>[1]) => (await store.applyDecision(f.id, f.version, prepareDecision(f, d, 'alice', '2026-10-20T00:00:00.000Z'))).after;
  const counts = { records: 5, events: 5, skipped: 0, rejected: 0, flags: 5, processedAt: '2026-10-18T00:00:00.000Z' };
  await store.saveObject({ key: 's3://logs/github.jsonl', etag: '1' }, await scanLines(old, LOGS), counts);
  await decide(await day('p-003', '2026-10-16'), { action: 'assign', version: 0 });
  await decide(await day('p-003', '2026-10-17'), { action: 'close', version: 0, disposition: 'license_on_file', reference: 'DSP5-1', justification: 'license on file for this student' });
  await decide(await day('p-010', '2026-10-16'), { action: 'escalate', version: 0, justification: 'possible violation: counsel' });
  return { store, old, day, trail };
}

/** A store that answers each query with one flag a page, as DynamoDB does when a page reaches 1 MB. */
class OneFlagPages extends DynamoFlagStore {
  override queryFlags(query: FlagQuery) { return super.queryFlags({ ...query, limit: 1 }); }
}

describe('re-evaluation applied through the store port', () => {
  it('not supported: undecided flags superseded (the assignment ends), decided ones keep the decision and get a note; once only', async () => {
    const { store, day, trail } = await seeded();
    const next = await policy({ people: US_PERSON_P3 });
    const events: BusEvent[] = [];
    const report = await reevaluateStoredFlags(store, { config: next, policyVersion: 'v2', now: '2026-11-29T09:00:00.000Z', geoDatabase, publisher: { publish: async (e) => { events.push(...e); } }, linkBase: 'https://r.example' });
    expect(report.policyVersion).toBe('v2');
    const why = 'DEEMED_EXPORT IN no longer applies: p-003 is a US person';
    const open = await day('p-003', '2026-10-15');
    const assigned = await day('p-003', '2026-10-16');
    const closed = await day('p-003', '2026-10-17');
    expect([open.status, assigned.status, assigned.assignee, closed.status]).toEqual(['superseded', 'superseded', undefined, 'closed']);
    expect((await trail(open)).at(-1)).toBe(`system supersede open→superseded: superseded by policy version v2: ${why}`);
    expect((await trail(assigned)).at(-1)).toBe(`system supersede in_review→superseded: superseded by policy version v2: ${why}`);
    expect((await trail(closed)).at(-1)).toBe(`system policy-change closed→closed: no longer supported by policy version v2: ${why} (the decision stands)`);
    expect(report.flags.filter((f) => f.outcome !== 'unchanged').sort((a, b) => a.day.localeCompare(b.day)).map((f) => [f.actor, f.day, f.outcome, f.from, f.to, f.why])).toEqual([
      ['p-003', '2026-10-15', 'superseded', 'open', 'superseded', why],
      ['p-003', '2026-10-16', 'superseded', 'in_review', 'superseded', why],
      ['p-003', '2026-10-17', 'noted', 'closed', 'closed', why],
    ]);
    expect(events.map((e) => [e.detailType, e.detail.status, e.detail.link.startsWith('https://r.example/flags/')])).toEqual([
      ['Export Review Flag Decided', 'superseded', true], ['Export Review Flag Decided', 'superseded', true],
    ]);
    // Again: the note is not written twice, superseded flags stay as they are.
    const again = await reevaluateStoredFlags(store, { config: next, policyVersion: 'v2', geoDatabase });
    expect(again.flags.map((f) => f.outcome)).toEqual(again.flags.map(() => 'unchanged'));
    expect((await trail(closed)).filter((t) => t.includes('policy-change'))).toHaveLength(1);
    // A later version that still does not support it notes it again, under that version.
    await reevaluateStoredFlags(store, { config: next, policyVersion: 'v2b', geoDatabase });
    expect((await trail(closed)).filter((t) => t.includes('policy-change'))).toHaveLength(2);
  });

  it('stronger: restated and announced with its revision; an undecided flag gets a note, a decided one is reopened', async () => {
    const { store, day, trail } = await seeded();
    const next = await policy({ people: (c) => GB_P10(US_PERSON_P3(c)) });
    const events: BusEvent[] = [];
    const before = await day('p-010', '2026-10-15');
    const report = await reevaluateStoredFlags(store, { config: next, policyVersion: 'v3', now: '2026-11-29T10:00:00.000Z', geoDatabase, publisher: { publish: async (e) => { events.push(...e); } } });
    const open = await day('p-010', '2026-10-15');
    const escalated = await day('p-010', '2026-10-16');
    expect(open).toMatchObject({ status: 'open', severity: 'high', rev: before.rev + 1, version: before.version, updatedAt: '2026-11-29T10:00:00.000Z' });
    expect(open.reasons.map((r) => r.code)).toEqual(['DEEMED_EXPORT', 'NOT_AUTHORIZED']);
    const why = 'strengthened by policy version v3: severity medium → high; new reason DEEMED_EXPORT GB';
    expect((await trail(open)).at(-1)).toBe(`system strengthen open→open: ${why}`);
    expect(escalated).toMatchObject({ status: 'open', severity: 'high' });
    expect((await trail(escalated)).at(-1)).toBe(`system reopen escalated→open: ${why}`);
    expect(report.flags.filter((f) => f.actor === 'p-010').sort((a, b) => a.day.localeCompare(b.day)).map((f) => [f.outcome, f.from, f.to])).toEqual([['strengthened', 'open', 'open'], ['strengthened', 'escalated', 'open']]);
    const forOpen = events.filter((e) => e.detail.flagId === open.id);
    expect(forOpen.map((e) => [e.detailType, e.detail.revision])).toEqual([['Export Review Flag Updated', open.rev + open.version]]);
    const forEscalated = events.filter((e) => e.detail.flagId === escalated.id).map((e) => e.detailType);
    expect(forEscalated).toEqual(['Export Review Flag Updated', 'Export Review Flag Decided']);
  });

  it('supported again: a superseded flag is reopened by the system; the people given as the directory are the ones judged by', async () => {
    const { store, old, day, trail } = await seeded();
    await reevaluateStoredFlags(store, { config: await policy({ people: US_PERSON_P3 }), geoDatabase }); // p-003's undecided flags superseded
    expect((await day('p-003', '2026-10-15')).status).toBe('superseded');
    const report = await reevaluateStoredFlags(store, { config: await policy({ people: US_PERSON_P3 }), directory: old.people, now: '2026-11-29T11:00:00.000Z', geoDatabase });
    expect(report.policyVersion).toBe(policyVersion({ ...(await policy({ people: US_PERSON_P3 })), people: old.people }));
    const restored = await day('p-003', '2026-10-15');
    expect(restored.status).toBe('open');
    expect((await trail(restored)).at(-1)).toBe(`system reopen superseded→open: supported again by policy version ${report.policyVersion}: still supported by DEEMED_EXPORT IN`);
    expect(report.flags.find((f) => f.id === restored.id)).toMatchObject({ outcome: 'restored', from: 'superseded', to: 'open' });
    // Without a directory, the policy's own people: p-003 a US person again, superseded again.
    await reevaluateStoredFlags(store, { config: await policy({ people: US_PERSON_P3 }), geoDatabase });
    expect((await day('p-003', '2026-10-15')).status).toBe('superseded');
  });

  it('stronger after a supersede or a close: restated, then reopened by the system, saying why', async () => {
    // p-003 is superseded on the 15th and 16th and closed on the 17th; a second citizenship (CN) is a new, critical reason.
    const { store, day, trail } = await seeded();
    await reevaluateStoredFlags(store, { config: await policy({ people: US_PERSON_P3 }), geoDatabase });
    const report = await reevaluateStoredFlags(store, { config: await policy({ people: person('p-003', (r) => r.replace(',IN,,,', ',IN;CN,,,')) }), policyVersion: 'v4', now: '2026-11-29T12:00:00.000Z', geoDatabase });
    const why = 'strengthened by policy version v4: severity high → critical; new reason DEEMED_EXPORT CN';
    const superseded = await day('p-003', '2026-10-15');
    const closed = await day('p-003', '2026-10-17');
    expect([superseded.status, superseded.severity, closed.status, closed.severity]).toEqual(['open', 'critical', 'open', 'critical']);
    expect((await trail(superseded)).at(-1)).toBe(`system reopen superseded→open: ${why}`);
    expect((await trail(closed)).at(-1)).toBe(`system reopen closed→open: ${why}`);
    expect(report.flags.filter((f) => f.actor === 'p-003').sort((a, b) => a.day.localeCompare(b.day)).map((f) => [f.day, f.outcome, f.from, f.to])).toEqual([
      ['2026-10-15', 'strengthened', 'superseded', 'open'], ['2026-10-16', 'strengthened', 'superseded', 'open'], ['2026-10-17', 'strengthened', 'closed', 'open'],
    ]);
    // Each: the restatement, then the reopening.
    expect(report.changes.filter((c) => c.after.id === closed.id).map((c) => c.after.status)).toEqual(['closed', 'open']);
  });

  it('every flag of every status is judged when the store answers in short pages, reported in the order of their ids whatever the status', async () => {
    const { store, day } = await seeded(OneFlagPages);
    const report = await reevaluateStoredFlags(store, { config: await policy({ people: US_PERSON_P3 }), policyVersion: 'v2', geoDatabase });
    const ids = (await store.allFlags()).map((f) => f.id).sort();
    expect(report.flags.map((f) => f.id)).toEqual(ids);
    expect(report.flags.map((f) => [f.actor, f.day, f.outcome]).sort()).toEqual([
      ['p-003', '2026-10-15', 'superseded'], ['p-003', '2026-10-16', 'superseded'], ['p-003', '2026-10-17', 'noted'],
      ['p-010', '2026-10-15', 'unchanged'], ['p-010', '2026-10-16', 'unchanged'],
    ]);
    expect((await day('p-003', '2026-10-16')).status).toBe('superseded'); // the open page had two flags: the second page was read too
  });

  it('second case: without a link base the announced links are the review page\'s own paths', async () => {
    const { store, day } = await seeded();
    const events: BusEvent[] = [];
    await reevaluateStoredFlags(store, { config: await policy({ people: US_PERSON_P3 }), policyVersion: 'v2', geoDatabase, publisher: { publish: async (e) => { events.push(...e); } } });
    const superseded = [await day('p-003', '2026-10-15'), await day('p-003', '2026-10-16')].map((f) => `/flags/${f.id}`).sort();
    expect(events.map((e) => e.detail.link).sort()).toEqual(superseded);
  });
});
