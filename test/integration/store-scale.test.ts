import { describe, expect, it } from 'vitest';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Flag, FlagEvent } from '#shared/model/index.ts';
import { flagId } from '#shared/flags/index.ts';
import { DEFAULT_RETRY, DynamoFlagStore, mergeContributions, Retry } from '#shared/store/index.ts';
import { countsItems, FLAG_IDS_PER_ITEM } from '#shared/store/dynamo.ts';
import { STORE_TARGETS, useFreshTable } from './store-targets.ts';
import { meterCapacity } from '../../bench/capacity.ts';

const fast = () => new Retry({ ...DEFAULT_RETRY, baseMs: 1, capMs: 4 });
const counts = { records: 1, events: 1, skipped: 0, rejected: 0, flags: 1, processedAt: '2026-10-15T00:00:00.000Z' };
function oneEvent(actor: string, day: string, n: number, over: Partial<Flag> = {}): Flag {
  const e = { id: `${actor}-ev-${n}`, source: 's3-access', time: `${day}T${String(n % 24).padStart(2, '0')}:00:00.000Z`, action: 'download', resource: `s3://b/k-${n}` } as FlagEvent;
  return {
    id: flagId(actor, 'ds', day), severity: 'high', dataset: 'ds', classification: '3E001', jurisdiction: 'EAR', day,
    actor: { key: actor, accounts: [`aws:${actor}`] }, reasons: [{ code: 'DEEMED_EXPORT', country: 'CN', severity: 'high', explanation: 'deemed export to CN' }],
    eventCount: 1, bytes: 10, firstSeen: e.time, lastSeen: e.time, events: [e], ...over,
  };
}
const evidenceFields = (f: Flag) => ({ severity: f.severity, reasons: f.reasons, eventCount: f.eventCount, bytes: f.bytes, firstSeen: f.firstSeen, lastSeen: f.lastSeen, events: f.events, accounts: f.actor.accounts });

/** The store at scale: hot flags, conflicts and throttling, bounded keys and items — on dynalite and DynamoDB Local. */
describe.each(STORE_TARGETS)('the store at scale on %s', (_name, start) => {
  const { table, client } = useFreshTable(start, 'ittmon-scale');

  it('a hot flag: the 60th object costs the same reads and writes as the 25th, and the flag equals the full recompute', async () => {
    const c = client();
    const meter = meterCapacity(c);
    const store = new DynamoFlagStore(c, table(), undefined, fast());
    const used: { reads: number; writes: number; requests: number }[] = [];
    for (let n = 1; n <= 60; n++) {
      const f = oneEvent('hot', '2026-11-01', n);
      used.push((await meter.measure(() => store.saveObject({ key: `s3://logs/hot-${n}`, etag: 'e' }, [{ flag: f, eventIds: [f.events[0]!.id] }], counts))).used);
    }
    // Before the 20-event list is full, the flag item grows; after it, every object costs the same.
    expect(used[59]).toEqual(used[24]);
    expect(used[59]!.reads).toBeLessThan(6);
    const stored = (await store.getFlag(oneEvent('hot', '2026-11-01', 1).id))!;
    expect(stored.eventCount).toBe(60);
    expect(evidenceFields(stored)).toEqual(evidenceFields(mergeContributions(await store.evidence(stored.id))));
  });

  it('counts an event seen in two objects once, and a re-run of an object adds nothing', async () => {
    const store = new DynamoFlagStore(client(), table(), undefined, fast());
    const a = oneEvent('dup', '2026-11-02', 1);
    const b = oneEvent('dup', '2026-11-02', 2, { events: [a.events[0]!, oneEvent('dup', '2026-11-02', 2).events[0]!], eventCount: 2 });
    await store.saveObject({ key: 'collect-1.json', etag: '1' }, [{ flag: a, eventIds: a.events.map((e) => e.id) }], counts);
    await store.saveObject({ key: 'collect-2.json', etag: '1' }, [{ flag: b, eventIds: b.events.map((e) => e.id) }], counts);
    expect((await store.getFlag(a.id))!.eventCount).toBe(2);
    expect(await store.saveObject({ key: 'collect-2.json', etag: '1' }, [{ flag: b, eventIds: b.events.map((e) => e.id) }], counts)).toEqual([]);
    expect((await store.getFlag(a.id))!).toMatchObject({ eventCount: 2, bytes: 20 });
  });

  it('a run that crashed after folding into the flag is finished by the re-run without counting twice', async () => {
    const c = client();
    const store = new DynamoFlagStore(c, table(), undefined, fast());
    const f = oneEvent('crash', '2026-11-03', 1);
    // The crash: every write after the flag's put fails (the evidence is left pending, the flag notes it in flight).
    let flagPuts = 0;
    c.middlewareStack.add((next, ctx) => async (args) => {
      const input = args.input as { Item?: { sk?: string } }; // (the document client's input: not yet marshalled)
      if (flagPuts > 0 && ctx.commandName === 'UpdateItemCommand') throw new Error('process killed');
      const out = await next(args);
      if (ctx.commandName === 'PutItemCommand' && input.Item?.sk === 'FLAG') flagPuts++;
      return out;
    }, { step: 'initialize', name: 'crash' });
    await expect(store.saveObject({ key: 'crashy', etag: '1' }, [{ flag: f, eventIds: [f.events[0]!.id] }], counts)).rejects.toThrow('process killed');
    c.middlewareStack.remove('crash');
    await store.saveObject({ key: 'crashy', etag: '1' }, [{ flag: f, eventIds: [f.events[0]!.id] }], counts);
    expect((await store.getFlag(f.id))!).toMatchObject({ eventCount: 1, bytes: 10, rev: 1 });
    expect(await store.objectCounts('crashy')).toHaveLength(1);
  });

  it('never drops a contribution: 24 objects at once on one flag, with conflicts, throttling and condition failures injected', async () => {
    const c = client();
    const retry = fast();
    const store = new DynamoFlagStore(c, table(), undefined, retry);
    let throttles = 12;
    let conflicts = 12;
    c.middlewareStack.add((next, ctx) => async (args) => {
      const sk = (args.input as { Item?: { sk?: string } }).Item?.sk;
      if (ctx.commandName === 'PutItemCommand' && sk === 'FLAG') {
        if (throttles-- > 0) throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ProvisionedThroughputExceededException' });
        if (conflicts-- > 0) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      }
      return next(args);
    }, { step: 'initialize', name: 'faults' });
    await Promise.all(Array.from({ length: 24 }, (_, i) => {
      const f = oneEvent('burst', '2026-11-04', i);
      return store.saveObject({ key: `s3://logs/burst-${i}`, etag: 'e' }, [{ flag: f, eventIds: [f.events[0]!.id] }], counts);
    }));
    const stored = (await store.getFlag(oneEvent('burst', '2026-11-04', 0).id))!;
    expect(stored).toMatchObject({ eventCount: 24, bytes: 240 });
    expect(retry.stats.throttled).toBeGreaterThanOrEqual(12);
    expect(retry.stats.conflicts).toBeGreaterThanOrEqual(12);
  });

  it('keys stay within DynamoDB limits: a 1,100-byte CloudWatch group/stream name and a 700-byte event id', async () => {
    const store = new DynamoFlagStore(client(), table(), undefined, fast());
    const key = `cwl://${'/aws/fsx/windows/audit-'.padEnd(512, 'g')}/${'stream-'.padEnd(570, 's')}/0`;
    expect(Buffer.byteLength(key)).toBeGreaterThan(1024);
    const f = oneEvent('long', '2026-11-05', 1);
    const longId = `id-${'z'.repeat(700)}`;
    const g = { ...f, events: [{ ...f.events[0]!, id: longId }] };
    await store.saveObject({ key, etag: 'e'.repeat(32) }, [{ flag: g, eventIds: [longId] }], counts);
    expect((await store.evidence(f.id)).map((e) => e.object)).toEqual([key]);
    expect((await store.objectCounts(key)).map((o) => o.flagIds)).toEqual([[f.id]]);
    await store.putCheckpoint({ key, etag: 'x' }, { byteOffset: 1, line: 1, updatedAt: '2026-11-05T00:00:00.000Z' });
    expect(await store.getCheckpoint({ key, etag: 'x' })).toMatchObject({ byteOffset: 1 });
  });

  it('an object that touched more flags than one item holds pages its flag ids', async () => {
    const c = client();
    const store = new DynamoFlagStore(c, table());
    const ids = Array.from({ length: 25 }, (_, i) => `flag-${String(i).padStart(11, '0')}`);
    for (const Item of countsItems({ object: 'paged', etag: '1', records: 25, events: 25, skipped: 0, rejected: 0, flags: 25, processedAt: '2026-11-06T00:00:00.000Z' }, ids, 10)) {
      await DynamoDBDocumentClient.from(c).send(new PutCommand({ TableName: table(), Item }));
    }
    expect((await store.objectCounts('paged'))[0]!.flagIds).toEqual(ids);
    // 100,000 flags (far beyond the ~20,000 that overflowed one item): every item stays far below 400 KB.
    const many = Array.from({ length: 100_000 }, (_, i) => flagId('p', 'ds', String(i)));
    const items = countsItems({ object: 'o', etag: '1', records: 1, events: 1, skipped: 0, rejected: 0, flags: many.length, processedAt: '2026-11-06T00:00:00.000Z' }, many);
    expect(items).toHaveLength(Math.ceil(100_000 / FLAG_IDS_PER_ITEM));
    for (const item of items) expect(JSON.stringify(marshall(item)).length).toBeLessThan(100 * 1024);
    await DynamoDBDocumentClient.from(c).send(new PutCommand({ TableName: table(), Item: items[0]! }));
  });
});
