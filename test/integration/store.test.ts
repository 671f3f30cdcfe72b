import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Flag, FlagEvent, FlagReason, Severity } from '#shared/model/index.ts';
import { flagId } from '#shared/flags/index.ts';
import { prepareDecision } from '#shared/review/index.ts';
import { ConflictError, DynamoFlagStore, type StoredFlag } from '#shared/store/index.ts';
import { ensureTable, loopbackClient, startLocalStore, type LocalStore } from '#shared/store/local.ts';

/** The same contract suite runs on dynalite (always) and on DynamoDB Local (when CI starts it). */
const targets: [string, () => Promise<{ client: DynamoDBClient; close: () => Promise<void> }>][] = [
  ['dynalite', async () => { const l: LocalStore = await startLocalStore(); return { client: l.client, close: l.close }; }],
];
if (process.env.DYNAMODB_LOCAL_ENDPOINT) {
  targets.push(['DynamoDB Local', async () => { const client = loopbackClient(process.env.DYNAMODB_LOCAL_ENDPOINT!); return { client, close: async () => client.destroy() }; }]);
}

const deemed = (country: string, severity: Severity = 'high'): FlagReason => ({ code: 'DEEMED_EXPORT', country, severity, explanation: `deemed export to ${country}` });
function flag(actor: string, dataset: string, day: string, over: Partial<Flag> = {}, events: FlagEvent[] = []): Flag {
  const evs = events.length ? events : [{ id: `${actor}-${day}-1`, source: 'github', time: `${day}T10:00:00.000Z`, action: 'clone', resource: 'github://acme/x' } as FlagEvent];
  return {
    id: flagId(actor, dataset, day), severity: 'high', dataset, classification: '3E001', jurisdiction: 'EAR', day,
    actor: { key: actor, accounts: [`github:${actor}`] }, reasons: [deemed('CN')], eventCount: evs.length, bytes: 100,
    firstSeen: evs[0]!.time, lastSeen: evs.at(-1)!.time, events: evs, ...over,
  };
}
const counts = { records: 1, events: 1, skipped: 0, rejected: 0, flags: 1, processedAt: '2026-10-15T00:00:00.000Z' };
const entry = (f: Flag, ids = f.events.map((e) => e.id)) => ({ flag: f, eventIds: ids });

describe.each(targets)('flag store contract on %s', (_name, start) => {
  let store: DynamoFlagStore;
  let client: DynamoDBClient;
  let close: () => Promise<void>;
  let table: string;
  beforeAll(async () => {
    ({ client, close } = await start());
    table = `ittmon-test-${randomUUID().slice(0, 8)}`;
    await ensureTable(client, table);
    store = new DynamoFlagStore(client, table);
  });
  afterAll(async () => close());

  it('raises a flag once; saving the same object again changes nothing', async () => {
    const f = flag('p-1', 'ds', '2026-10-01');
    const first = await store.saveObject({ key: 's3://logs/a', etag: 'e1' }, [entry(f)], counts);
    expect(first.map((c) => [c.before, c.after.id, c.after.status, c.after.version])).toEqual([[undefined, f.id, 'open', 0]]);
    expect(await store.saveObject({ key: 's3://logs/a', etag: 'e1' }, [entry(f)], counts)).toEqual([]);
    const stored = await store.getFlag(f.id);
    expect(stored).toMatchObject({ ...f, status: 'open', version: 0, rev: 1 });
  });

  it('recomputes totals from every object: distinct events, summed bytes, highest severity, union of reasons', async () => {
    const e1 = { id: 'ev-1', source: 's3-access', time: '2026-10-02T08:00:00.000Z', action: 'download', resource: 's3://b/k' } as FlagEvent;
    const e2 = { id: 'ev-2', source: 'github', time: '2026-10-02T09:00:00.000Z', action: 'clone', resource: 'github://a/b' } as FlagEvent;
    const a = flag('p-2', 'ds', '2026-10-02', {}, [e1]);
    const b = flag('p-2', 'ds', '2026-10-02', { reasons: [deemed('CN'), { code: 'NOT_AUTHORIZED', severity: 'low', explanation: 'x' }], severity: 'high' }, [e1, e2]);
    await store.saveObject({ key: 'obj-a', etag: '1' }, [entry(a)], counts);
    const [change] = await store.saveObject({ key: 'obj-b', etag: '1' }, [entry(b)], counts);
    expect(change!.after).toMatchObject({ eventCount: 2, bytes: 200, firstSeen: e1.time, lastSeen: e2.time, rev: 2 });
    expect(change!.after.reasons.map((r) => r.code)).toEqual(['DEEMED_EXPORT', 'NOT_AUTHORIZED']);
    expect((await store.evidence(a.id)).map((c) => c.object)).toEqual(['obj-a', 'obj-b']);
  });

  it('an object saved again with new content replaces its old evidence', async () => {
    const old = flag('p-3', 'ds', '2026-10-03');
    const moved = flag('p-3', 'ds', '2026-10-04');
    await store.saveObject({ key: 'file:///logs/x.log', etag: 'v1' }, [entry(old), entry(moved)], counts);
    const grown = flag('p-3', 'ds', '2026-10-04', {}, [...moved.events, { id: 'extra', source: 'github', time: '2026-10-04T11:00:00.000Z', action: 'clone', resource: 'github://acme/x' } as FlagEvent]);
    await store.saveObject({ key: 'file:///logs/x.log', etag: 'v2' }, [entry(grown)], counts);
    expect((await store.getFlag(grown.id))!.eventCount).toBe(2);
    expect(await store.evidence(old.id)).toEqual([]);
    expect((await store.objectCounts('file:///logs/x.log')).map((c) => c.etag)).toEqual(['v2']);
  });

  it('bounds huge evidence: 100,000 event ids are counted, not stored', async () => {
    const f = flag('p-4', 'ds', '2026-10-05', { eventCount: 100_000 });
    const ids = Array.from({ length: 100_000 }, (_, i) => `evt-${i}-${'x'.repeat(20)}`);
    await store.saveObject({ key: 'huge', etag: '1' }, [entry(f, ids)], counts);
    expect((await store.getFlag(f.id))!.eventCount).toBe(100_000);
    expect((await store.evidence(f.id))[0]!.eventIds).toBeUndefined();
  });

  it('serves the review queue highest severity and newest first, with stable cursor pagination', async () => {
    const sev: Severity[] = ['low', 'medium', 'high', 'critical'];
    const made: Flag[] = [];
    for (let i = 0; i < 45; i++) {
      const day = `2026-09-${String((i % 28) + 1).padStart(2, '0')}`;
      const f = flag(`q-${i}`, 'queue', day, { severity: sev[i % 4]!, reasons: [deemed('IN', sev[i % 4]!)] });
      made.push(f);
      await store.saveObject({ key: `q-${i}`, etag: '1' }, [entry(f)], counts);
    }
    const seen: StoredFlag[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.queryFlags({ status: 'open', dataset: 'queue', limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items);
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen.map((f) => f.id).sort()).toEqual(made.map((f) => f.id).sort());
    const order = (f: StoredFlag) => `${sev.indexOf(f.severity)}#${f.lastSeen}#${f.id}`;
    expect(seen.map(order)).toEqual([...seen.map(order)].sort().reverse());
    const critical = await store.queryFlags({ status: 'open', severity: 'critical', dataset: 'queue', limit: 100 });
    expect(critical.items.length).toBe(made.filter((f) => f.severity === 'critical').length);
    expect((await store.queryFlags({ dataset: 'queue', from: '2026-09-27', to: '2026-09-28', limit: 100 })).items.map((f) => f.day).sort()).toEqual(['2026-09-27', '2026-09-28']);
    expect((await store.queryFlags({ actor: 'q-3', limit: 10 })).items.map((f) => f.actor.key)).toEqual(['q-3']);
    await expect(store.queryFlags({ cursor: 'not-a-cursor' })).rejects.toThrow(/invalid cursor/);
  });

  it('records decisions in an append-only audit trail, with optimistic concurrency', async () => {
    const f = flag('r-1', 'ds', '2026-10-06');
    await store.saveObject({ key: 'r-1', etag: '1' }, [entry(f)], counts);
    const current = (await store.getFlag(f.id))!;
    const assign = prepareDecision(current, { action: 'assign', version: 0 }, 'alice', '2026-10-07T09:00:00.000Z');
    const { after } = await store.applyDecision(f.id, 0, assign);
    expect(after).toMatchObject({ status: 'in_review', assignee: 'alice', version: 1 });
    const close = prepareDecision(after, { action: 'close', version: 1, disposition: 'license_on_file', reference: 'D-123456', justification: 'Covered by the DSP-5 on file for this student.' }, 'alice', '2026-10-07T10:00:00.000Z');
    const closed = (await store.applyDecision(f.id, 1, close)).after;
    expect(closed).toMatchObject({ status: 'closed', disposition: 'license_on_file', reference: 'D-123456', version: 2 });
    await expect(store.applyDecision(f.id, 1, close)).rejects.toBeInstanceOf(ConflictError);
    expect((await store.auditTrail(f.id)).map((a) => [a.version, a.who, a.action, a.from, a.to])).toEqual([[1, 'alice', 'assign', 'open', 'in_review'], [2, 'alice', 'close', 'in_review', 'closed']]);
    expect((await store.queryFlags({ status: 'closed', limit: 50 })).items.map((x) => x.id)).toContain(f.id);
    expect((await store.queryFlags({ status: 'open', dataset: 'ds', limit: 200 })).items.map((x) => x.id)).not.toContain(f.id);
  });

  it('of two reviewers deciding at once, exactly one wins and the other gets a conflict', async () => {
    const f = flag('r-2', 'ds', '2026-10-08');
    await store.saveObject({ key: 'r-2', etag: '1' }, [entry(f)], counts);
    const current = (await store.getFlag(f.id))!;
    const decide = (who: string) => store.applyDecision(f.id, 0, prepareDecision(current, { action: 'escalate', version: 0, justification: `${who} thinks counsel must see this` }, who, '2026-10-08T12:00:00.000Z'));
    const results = await Promise.allSettled([decide('alice'), decide('bob'), decide('carol')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(await store.auditTrail(f.id)).toHaveLength(1);
    expect((await store.getFlag(f.id))!.version).toBe(1);
  });

  it('rolls forward a decision whose writer crashed after writing the audit entry', async () => {
    const f = flag('r-3', 'ds', '2026-10-09');
    await store.saveObject({ key: 'r-3', etag: '1' }, [entry(f)], counts);
    const current = (await store.getFlag(f.id))!;
    const change = prepareDecision(current, { action: 'escalate', version: 0, justification: 'written ahead, then the writer died' }, 'dave', '2026-10-09T12:00:00.000Z');
    const doc = DynamoDBDocumentClient.from(client);
    await doc.send(new PutCommand({ TableName: table, Item: { pk: `AUDIT#${f.id}`, sk: 'AUDIT#00000001', type: 'audit', flagId: f.id, version: 1, ...change.entry, set: change.set, clear: [] } }));
    const other = prepareDecision(current, { action: 'assign', version: 0 }, 'erin', '2026-10-09T12:01:00.000Z');
    await expect(store.applyDecision(f.id, 0, other)).rejects.toBeInstanceOf(ConflictError);
    expect(await store.getFlag(f.id)).toMatchObject({ status: 'escalated', version: 1 });
  });

  it('new evidence after closing reopens the flag, on the record', async () => {
    const f = flag('r-4', 'ds', '2026-10-10');
    await store.saveObject({ key: 'r-4a', etag: '1' }, [entry(f)], counts);
    const current = (await store.getFlag(f.id))!;
    await store.applyDecision(f.id, 0, prepareDecision(current, { action: 'close', version: 0, disposition: 'exclusion_applies', justification: 'Published in AIAA J. 2025, public domain.' }, 'alice', '2026-10-11T09:00:00.000Z'));
    expect(await store.saveObject({ key: 'r-4a', etag: '1' }, [entry(f)], counts)).toEqual([]); // a replay does not reopen
    const later = flag('r-4', 'ds', '2026-10-10', {}, [{ id: 'late', source: 'github', time: '2026-10-10T23:00:00.000Z', action: 'clone', resource: 'github://acme/x' } as FlagEvent]);
    const [change] = await store.saveObject({ key: 'r-4b', etag: '1' }, [entry(later)], counts);
    expect(change!.after).toMatchObject({ status: 'open', eventCount: 2, version: 2 });
    expect(change!.after.disposition).toBeUndefined();
    const trail = await store.auditTrail(f.id);
    expect(trail.at(-1)).toMatchObject({ who: 'system', action: 'reopen', from: 'closed', to: 'open', justification: expect.stringMatching(/new evidence/) });
  });

  it('keeps labels learned from the logs: replace, add, remove; case-folded for SharePoint URIs', async () => {
    const uri = 'https://acme.sharepoint.com/sites/HGV/Doc.docx';
    expect(await store.getLabels(uri)).toBeUndefined();
    await store.putLabels(uri, 'replace', { tags: {}, labels: ['ITAR'] }, '2026-10-01T00:00:00Z');
    await store.putLabels(uri.toLowerCase(), 'add', { tags: { owner: 'lab' }, labels: ['Secret'] }, '2026-10-02T00:00:00Z');
    expect(await store.getLabels(uri)).toEqual({ tags: { owner: 'lab' }, labels: ['ITAR', 'Secret'] });
    await store.putLabels(uri, 'remove', { tags: {}, labels: ['ITAR'] }, '2026-10-03T00:00:00Z');
    expect(await store.getLabels(uri)).toEqual({ tags: { owner: 'lab' }, labels: ['Secret'] });
    expect(await store.getLabels('s3://b/Doc.docx')).toBeUndefined();
  });

  it('keeps per-object counts and checkpoints', async () => {
    await store.saveObject({ key: 'counted', etag: 'x' }, [], { records: 10, events: 6, skipped: 3, rejected: 1, flags: 0, processedAt: '2026-10-12T00:00:00.000Z' });
    const [c] = await store.objectCounts('counted');
    expect(c!.records).toBe(c!.events + c!.skipped + c!.rejected);
    expect(await store.getCheckpoint({ key: 'big', etag: '1' })).toBeUndefined();
    await store.putCheckpoint({ key: 'big', etag: '1' }, { byteOffset: 1 << 30, line: 123456, updatedAt: '2026-10-12T00:00:00.000Z' });
    expect(await store.getCheckpoint({ key: 'big', etag: '1' })).toEqual({ byteOffset: 1 << 30, line: 123456, updatedAt: '2026-10-12T00:00:00.000Z' });
  });
});
