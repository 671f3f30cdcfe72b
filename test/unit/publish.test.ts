import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { batches, EventBridgePublisher, PublishError } from '#shared/publish/eventbridge.ts';
import { busEventsFor, type BusEvent } from '#shared/publish/events.ts';
import type { StoredFlag } from '#shared/store/index.ts';

const stored = (over: Partial<StoredFlag> = {}): StoredFlag => ({
  id: 'abcd1234abcd1234', severity: 'high', dataset: 'hgv-cfd', classification: 'USML IV(i)', jurisdiction: 'ITAR', day: '2026-10-14',
  actor: { key: 'p-002', person: 'p-002', name: 'Li Wei', accounts: ['github:lwei'] },
  reasons: [{ code: 'DEEMED_EXPORT', country: 'CN', severity: 'high', explanation: 'Li Wei (p-002, citizen of CN) cloned …' }],
  eventCount: 1, bytes: 1, firstSeen: 't', lastSeen: 't', events: [], status: 'open', version: 0, rev: 1, createdAt: 't', updatedAt: '2026-10-14T10:00:00.000Z', ...over,
});

describe('bus events', () => {
  it('a new flag is Raised; the detail routes and links but names no one', () => {
    const [e] = busEventsFor({ after: stored() }, 'https://review.example.edu/');
    expect(e).toEqual({
      source: 'ittmon', detailType: 'Export Review Flag Raised', time: '2026-10-14T10:00:00.000Z',
      detail: { flagId: 'abcd1234abcd1234', severity: 'high', dataset: 'hgv-cfd', classification: 'USML IV(i)', day: '2026-10-14', reasons: ['DEEMED_EXPORT'], countries: ['CN'], status: 'open', revision: 1, link: 'https://review.example.edu/flags/abcd1234abcd1234' },
    });
    expect(JSON.stringify(e)).not.toMatch(/Li Wei|lwei|p-002|citizen/);
  });
  it('Updated only for a new reason or a higher severity; Decided for a review change', () => {
    const before = stored();
    expect(busEventsFor({ before, after: stored({ eventCount: 5, rev: 2 }) }, 'x')).toEqual([]);
    expect(busEventsFor({ before, after: stored({ severity: 'critical' }) }, 'x').map((e) => e.detailType)).toEqual(['Export Review Flag Updated']);
    expect(busEventsFor({ before, after: stored({ reasons: [...before.reasons, { code: 'NOT_AUTHORIZED', severity: 'medium', explanation: 'x' }] }) }, 'x').map((e) => e.detailType)).toEqual(['Export Review Flag Updated']);
    expect(busEventsFor({ before, after: stored({ status: 'closed', version: 1 }) }, 'x').map((e) => e.detailType)).toEqual(['Export Review Flag Decided']);
  });
});

const event = (i: number, pad = 0): BusEvent => ({ source: 'ittmon', detailType: 'Export Review Flag Raised', time: '2026-10-14T10:00:00.000Z', detail: { ...busEventsFor({ after: stored({ id: `id-${i}` }) }, 'x')[0]!.detail, dataset: `d${'x'.repeat(pad)}` } });

describe('EventBridge publisher (real SDK client, loopback endpoint)', () => {
  const requests: { target: string; entries: { Detail: string; Source: string; DetailType: string; EventBusName: string }[] }[] = [];
  let failPlan: ((entries: unknown[], call: number) => (string | undefined)[]) = () => [];
  let server: ReturnType<typeof createServer>;
  let client: EventBridgeClient;
  const body = (req: IncomingMessage) => new Promise<string>((r) => { let b = ''; req.on('data', (c) => { b += c; }); req.on('end', () => r(b)); });
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const parsed = JSON.parse(await body(req));
      requests.push({ target: String(req.headers['x-amz-target']), entries: parsed.Entries });
      const errors = failPlan(parsed.Entries, requests.length);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(JSON.stringify({ FailedEntryCount: errors.filter(Boolean).length, Entries: parsed.Entries.map((_: unknown, i: number) => (errors[i] ? { ErrorCode: errors[i], ErrorMessage: 'try later' } : { EventId: `e-${requests.length}-${i}` })) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new EventBridgeClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  });
  afterAll(() => { client.destroy(); server.close(); });

  it('puts events in batches of at most 10, with the PutEvents target and the bus name', async () => {
    requests.length = 0;
    failPlan = () => [];
    await new EventBridgePublisher(client, 'ittmon-flags', 3, 1).publish(Array.from({ length: 23 }, (_, i) => event(i)));
    expect(requests.map((r) => r.entries.length)).toEqual([10, 10, 3]);
    expect(requests[0]!.target).toBe('AWSEvents.PutEvents');
    expect(requests[0]!.entries[0]).toMatchObject({ Source: 'ittmon', DetailType: 'Export Review Flag Raised', EventBusName: 'ittmon-flags' });
    expect(JSON.parse(requests[0]!.entries[0]!.Detail).flagId).toBe('id-0');
  });
  it('keeps each batch under 256 KB', () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({ Source: 'ittmon', DetailType: 'x', Detail: JSON.stringify(event(i, 60_000).detail) }));
    expect(batches(entries).map((b) => b.length)).toEqual([4, 2]);
  });
  it('retries only the entries that failed', async () => {
    requests.length = 0;
    failPlan = (entries, call) => (call === 1 ? entries.map((_, i) => (i === 1 || i === 3 ? 'ThrottlingException' : undefined)) : []);
    await new EventBridgePublisher(client, 'bus', 3, 1).publish(Array.from({ length: 5 }, (_, i) => event(i)));
    expect(requests.map((r) => r.entries.map((e) => JSON.parse(e.Detail).flagId))).toEqual([['id-0', 'id-1', 'id-2', 'id-3', 'id-4'], ['id-1', 'id-3']]);
  });
  it('gives up loudly after bounded retries', async () => {
    requests.length = 0;
    failPlan = (entries) => entries.map((_, i) => (i === 0 ? 'InternalFailure' : undefined));
    const err = await new EventBridgePublisher(client, 'bus', 3, 1).publish([event(1), event(2)]).catch((e) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect(err.message).toMatch(/1 event\(s\) could not be put on bus bus after 3 attempts \(InternalFailure: try later\)/);
    expect(requests).toHaveLength(3);
  });
});
