import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Flag, FlagEvent } from '#shared/model/index.ts';
import { flagId, MAX_FLAG_EVENTS } from '#shared/flags/index.ts';
import { DEFAULT_RETRY, DynamoFlagStore, Retry, type FlagStore } from '#shared/store/index.ts';
import { STORE_TARGETS, useFreshTable } from './store-targets.ts';
import { loadPolicy } from '#shared/config/index.ts';
import { Scan } from '#shared/pipeline/index.ts';
import { meterCapacity } from '../../bench/capacity.ts';

const fast = () => new Retry({ ...DEFAULT_RETRY, baseMs: 1, capMs: 4 });
const counts = { records: 1, events: 1, skipped: 0, rejected: 0, flags: 1, processedAt: '2026-10-15T00:00:00.000Z' };
const event = (n: number, minute = n): FlagEvent => ({ id: `ev-${String(n).padStart(4, '0')}`, source: 's3-access', time: `2026-11-01T${String(Math.floor(minute / 60) % 24).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00.000Z`, action: 'download', resource: `s3://b/k-${n}` });
/** One object's evidence for a flag of `events` (all kept), with the flag's own first MAX_FLAG_EVENTS. */
function evidence(actor: string, events: FlagEvent[]) {
  const sorted = [...events].sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  const flag: Flag = {
    id: flagId(actor, 'ds', '2026-11-01'), severity: 'high', dataset: 'ds', classification: '3E001', jurisdiction: 'EAR', day: '2026-11-01',
    actor: { key: actor, accounts: [`aws:${actor}`] }, reasons: [{ code: 'DEEMED_EXPORT', country: 'CN', severity: 'high', explanation: 'deemed export to CN' }],
    eventCount: events.length, bytes: 10, firstSeen: sorted[0]!.time, lastSeen: sorted.at(-1)!.time, events: sorted.slice(0, MAX_FLAG_EVENTS),
  };
  return { flag, eventIds: events.map((e) => e.id).sort(), allEvents: events };
}
/** Every page, following `after` (or `before`, from the end backwards). */
async function walk(store: FlagStore, id: string, limit: number, backwards?: string) {
  const pages: { ids: string[]; first: number }[] = [];
  let cursor: string | undefined = backwards;
  do {
    const p = await store.flagEvents(id, { limit, ...(backwards ? { before: cursor } : cursor ? { after: cursor } : {}) });
    pages.push({ ids: p.items.map((e) => e.id), first: p.first });
    cursor = backwards ? p.before : p.after;
  } while (cursor);
  return pages;
}

/** Every event of a flag is kept, one item per event, and paged in time order — on dynalite and DynamoDB Local. */
describe.each(STORE_TARGETS)('every event of a flag, paged, on %s', (_name, start) => {
  const { table, client } = useFreshTable(start, 'ittmon-events');

  it('two objects of 45 events each, 15 shared: all 75 are kept (not a sample of 20 each) and paged in time order both ways', async () => {
    const store = new DynamoFlagStore(client(), table(), undefined, fast());
    const all = Array.from({ length: 75 }, (_, i) => event(i, 74 - i)); // ids and times in opposite orders: the page follows time
    const a = evidence('two', all.slice(0, 45));
    const b = evidence('two', all.slice(30));
    await store.saveObject({ key: 's3://logs/a', etag: 'e' }, [a], counts);
    await store.saveObject({ key: 's3://logs/b', etag: 'e' }, [b], counts);
    expect((await store.getFlag(a.flag.id))!.eventCount).toBe(75);
    const byTime = [...all].sort((x, y) => x.time.localeCompare(y.time)).map((e) => e.id);
    const forward = await walk(store, a.flag.id, 10);
    expect(forward.map((p) => p.first)).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    expect(forward.flatMap((p) => p.ids)).toEqual(byTime);
    // Back from the last page's start: the earlier pages, the same events.
    const last = await store.flagEvents(a.flag.id, { limit: 10, after: (await store.flagEvents(a.flag.id, { limit: 70 })).after! });
    expect(last.items.map((e) => e.id)).toEqual(byTime.slice(70));
    expect(last.after).toBeUndefined();
    const back = await walk(store, a.flag.id, 10, last.before);
    expect(back.map((p) => p.first)).toEqual([60, 50, 40, 30, 20, 10, 0]);
    expect(back.reverse().flatMap((p) => p.ids)).toEqual(byTime.slice(0, 70));
    expect((await store.flagEvents(a.flag.id, { limit: 10 })).before).toBeUndefined();
  });

  it('redelivery and replay rewrite the same event items: nothing doubles', async () => {
    const store = new DynamoFlagStore(client(), table(), undefined, fast());
    const e = evidence('again', Array.from({ length: 30 }, (_, i) => event(i)));
    await store.saveObject({ key: 's3://logs/x', etag: 'e' }, [e], counts);
    // A crash after the events were written and before the counts: the object runs again; then a replay under another name.
    await new DynamoFlagStore(client(), table(), undefined, fast()).saveObject({ key: 's3://logs/x', etag: 'e' }, [e], counts);
    await store.saveObject({ key: 's3://replay/x', etag: 'e' }, [e], counts);
    const pages = await walk(store, e.flag.id, 7);
    expect(pages.flatMap((p) => p.ids)).toEqual(e.eventIds);
    expect((await store.getFlag(e.flag.id))!.eventCount).toBe(30);
  });

  it('a cursor is checked: garbage, or a key outside the events, is a RangeError (the API answers 400)', async () => {
    const store = new DynamoFlagStore(client(), table(), undefined, fast());
    const id = evidence('two', [event(1)]).flag.id;
    await expect(store.flagEvents(id, { after: 'not-a-cursor' })).rejects.toThrow(RangeError);
    await expect(store.flagEvents(id, { after: Buffer.from(JSON.stringify({ sk: 'FLAG', n: 0 })).toString('base64url') })).rejects.toThrow(/invalid cursor/);
    await expect(store.flagEvents(id, { before: Buffer.from(JSON.stringify({ sk: 'EV#x', n: -1 })).toString('base64url') })).rejects.toThrow(/invalid cursor/);
  });

  it('each event item is small whatever the flag: one write unit per event for ordinary events', async () => {
    const c = client();
    const meter = meterCapacity(c);
    const store = new DynamoFlagStore(c, table(), undefined, fast());
    const withEvents = evidence('cost-a', Array.from({ length: 200 }, (_, i) => event(i)));
    const withoutEvents = evidence('cost-b', Array.from({ length: 200 }, (_, i) => event(i)));
    delete (withoutEvents as { allEvents?: FlagEvent[] }).allEvents;
    const a = (await meter.measure(() => store.saveObject({ key: 's3://logs/cost-a', etag: 'e' }, [withEvents], counts))).used;
    const b = (await meter.measure(() => store.saveObject({ key: 's3://logs/cost-b', etag: 'e' }, [withoutEvents], counts))).used;
    expect(a.requests - b.requests).toBe(200);
    expect(a.writes - b.writes).toBe(200);
  });

  it('through the scan: a flag of one object with 60 events keeps all 60, where the flag itself keeps 20', async () => {
    const files: Record<string, string> = {
      'ittmon.yaml': JSON.stringify({ home: 'US', directory: 'people.csv', datasets: [{ id: 'd', name: 'd', jurisdiction: 'EAR', classification: '3E001', match: { paths: ['s3://lab/cfd/**'] } }] }),
      'people.csv': 'id,name,email,accounts,citizenships,permanent_residency,us_person,groups\np-1,Wei Zhang,wzhang@example.edu,aws:wzhang,CN,,false,\n',
    };
    const policy = await loadPolicy('ittmon.yaml', async (p) => files[p]!);
    const owner = 'a3c1f0e29b7d4c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a';
    const lines = Array.from({ length: 60 }, (_, i) => `${owner} lab [01/Nov/2026:10:${String(i).padStart(2, '0')}:00 +0000] 10.20.31.7 arn:aws:iam::111122223333:user/wzhang REQ${i} REST.GET.OBJECT cfd/run-${i}.cgns "GET /x HTTP/1.1" 200 - 1000 1000 4 2 "-" "curl/8" - hostid SigV4 suite AuthHeader host TLSv1.2`);
    const result = await new Scan(policy).add(Readable.from([Buffer.from(`${lines.join('\n')}\n`)]), 's3://logs/scan');
    expect(result.flags).toHaveLength(1);
    expect(result.flags[0]!.flag.events).toHaveLength(MAX_FLAG_EVENTS);
    const store = new DynamoFlagStore(client(), table(), undefined, fast());
    await store.saveObject({ key: 's3://logs/scan', etag: 'e' }, result.flags, counts);
    const pages = await walk(store, result.flags[0]!.flag.id, 25);
    expect(pages.flatMap((p) => p.ids).sort()).toEqual(result.flags[0]!.eventIds);
    expect(pages.flatMap((p) => p.ids)).toHaveLength(60);
  });
});
