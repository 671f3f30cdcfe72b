/**
 * `npm run bench -- --aws`: the AWS path at scale, against DynamoDB Local (DYNAMODB_LOCAL_ENDPOINT;
 * dynalite otherwise) and a loopback S3 (s3rver). Capacity units are DynamoDB's own figures
 * (ReturnConsumedCapacity: TOTAL). Writes bench/results-aws.json.
 * Sizes: BENCH_HOT_OBJECTS (10,000), BENCH_BURST_OBJECTS (10,000 spread over many flags),
 * BENCH_BURST_HOT_OBJECTS (60, all feeding one flag: the worst case), BENCH_LARGE_MB (1,024; 0 skips);
 * parts: BENCH_SECTIONS (hot,burst,large), BENCH_BURST_RPO (1,100,10000), BENCH_BURST_KINDS (spread,hot).
 * Parts not run keep their last figures (in BENCH_OUT, default bench/results-aws.json).
 * Each figure carries the machine's load average before and after it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { loadPolicy } from '#shared/config/index.ts';
import { loadGeoDatabase } from '#shared/geo/index.ts';
import { Scan } from '#shared/pipeline/index.ts';
import type { Flag, FlagEvent } from '#shared/model/index.ts';
import { flagId } from '#shared/flags/index.ts';
import { DynamoFlagStore } from '#shared/store/index.ts';
import { ensureTable, startLocalStore } from '#shared/store/local.ts';
import { clients, configCache, flagStore, resetRuntime } from '#shared/aws/runtime.ts';
import { jsonService, s3Loopback } from '../test/integration/aws.ts';
import { meterCapacity, type Capacity } from './capacity.ts';
import { generators, patterns, peopleCsv, rng } from './corpus.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const HOT = Number(process.env.BENCH_HOT_OBJECTS ?? 10_000);
const BURST = Number(process.env.BENCH_BURST_OBJECTS ?? 10_000);
const BURST_HOT = Number(process.env.BENCH_BURST_HOT_OBJECTS ?? 60);
/** spread: objects as quiet buckets deliver them, one in SPREAD_EVERY also feeding one of many flags; hot: every object feeds one flag. */
const BURST_KINDS = (process.env.BENCH_BURST_KINDS ?? 'spread,hot').split(',');
const SPREAD_EVERY = 10;
/** The people the spread bursts' flagged lines are given to (so as many flags, each fed by several objects). */
const SPREAD_PEOPLE = 200;
const LARGE_MB = Number(process.env.BENCH_LARGE_MB ?? 1024);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
/** Which parts to run (BENCH_SECTIONS=hot,burst,large) and which burst sizes (BENCH_BURST_RPO=1,100,10000). */
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'hot,burst,large').split(','));
const BURST_RPO = (process.env.BENCH_BURST_RPO ?? '1,100,10000').split(',').map(Number);
/**
 * BENCH_SHARED_HANDLER=1 reproduces the harness fault behind "59 of 60": one handler module for all
 * concurrent invocations shares one BatchProcessor, so one invocation's failure report is lost in
 * another's and messages run under another's deadline. A Lambda environment runs one invocation at a time.
 */
const SHARED_HANDLER = !!process.env.BENCH_SHARED_HANDLER;
const fmt = (n: number, d = 2) => Number(n.toFixed(d));
const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };

/** Public on-demand prices, us-east-1, USD (checked 2026-11; free tiers ignored). */
export const PRICES = {
  lambdaGbSecondArm: 0.0000133334, lambdaRequest: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6, s3Get: 0.4 / 1e6, s3Put: 5 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6, dynamoReadUnit: 0.125 / 1e6,
  eventBridgeEvent: 1 / 1e6,
};

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ')).join('\n');
}

async function dynamo(): Promise<{ endpoint: string; engine: string; close: () => Promise<void> }> {
  if (process.env.DYNAMODB_LOCAL_ENDPOINT) return { endpoint: process.env.DYNAMODB_LOCAL_ENDPOINT, engine: 'DynamoDB Local', close: async () => {} };
  const l = await startLocalStore();
  return { endpoint: l.endpoint, engine: 'dynalite (set DYNAMODB_LOCAL_ENDPOINT for DynamoDB Local)', close: l.close };
}
/** DynamoDB Local keeps tables per access key: every client here uses the handler's (s3rver's fixed pair). */
const benchClient = (endpoint: string) => new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts: 3 });
async function newTable(endpoint: string): Promise<{ client: DynamoDBClient; table: string }> {
  const client = benchClient(endpoint);
  const table = `bench-${randomUUID().slice(0, 8)}`;
  await ensureTable(client, table);
  return { client, table };
}

const ittmonYaml = JSON.stringify({ home: 'US', directory: 'people.csv', datasets: [{ id: 'd', name: 'd', jurisdiction: 'EAR', classification: '3E001', match: { paths: patterns(100) }, authorized: ['group:tcp'] }] });
const S3_GEN = generators['s3-access']!.gen;

/** 1. A hot flag fed by HOT objects vs flags fed by one: capacity per object, from DynamoDB. */
async function hotFlag(endpoint: string) {
  const { client, table } = await newTable(endpoint);
  const meter = meterCapacity(client);
  const store = new DynamoFlagStore(client, table);
  const event = (n: number) => ({ id: `hot-ev-${n}`, source: 's3-access' as const, time: `2026-11-01T${String(n % 24).padStart(2, '0')}:00:00.000Z`, action: 'download', resource: `s3://b/k-${n}` });
  const flag = (actor: string, n: number): Flag => ({ id: flagId(actor, 'd', '2026-11-01'), severity: 'high', dataset: 'd', classification: '3E001', jurisdiction: 'EAR', day: '2026-11-01', actor: { key: actor, accounts: [`aws:${actor}`] }, reasons: [{ code: 'DEEMED_EXPORT', country: 'CN', severity: 'high', explanation: 'deemed export to CN' }], eventCount: 1, bytes: 10, firstSeen: event(n).time, lastSeen: event(n).time, events: [event(n)] } as Flag);
  const counts = { records: 1, events: 1, skipped: 0, rejected: 0, flags: 1, processedAt: '2026-11-01T00:00:00.000Z' };
  const sum = (a: Capacity, b: Capacity) => ({ reads: a.reads + b.reads, writes: a.writes + b.writes, requests: a.requests + b.requests, failedWrites: a.failedWrites + b.failedWrites });
  let single: Capacity = { reads: 0, writes: 0, requests: 0, failedWrites: 0 };
  for (let n = 0; n < 100; n++) single = sum(single, (await meter.measure(() => store.saveObject({ key: `one-${n}`, etag: 'e' }, [{ flag: flag(`solo-${n}`, n), eventIds: [`solo-${n}`] }], counts))).used);
  const zero = (): Capacity => ({ reads: 0, writes: 0, requests: 0, failedWrites: 0 });
  let first = zero();
  let last = zero();
  const t = performance.now();
  for (let n = 1; n <= HOT; n++) {
    const f = flag('hot', n);
    const { used } = await meter.measure(() => store.saveObject({ key: `hot-${n}`, etag: 'e' }, [{ flag: f, eventIds: [f.events[0]!.id] }], counts));
    if (n <= 100) first = sum(first, used);
    if (n > HOT - 100) last = sum(last, used);
  }
  const windows = { first100: first, last100: last };
  const per = (c: Capacity, n: number) => ({ rru: fmt(c.reads / n), wru: fmt(c.writes / n), requests: fmt(c.requests / n, 1) });
  const edge = Math.min(100, HOT);
  const stored = await store.getFlag(flag('hot', 1).id);
  // Each flagged event is also kept whole, as an item of its own: its cost, from one object of 200 events with and without them.
  const many = (actor: string) => { const evs = Array.from({ length: 200 }, (_, n) => event(n) as FlagEvent); const f = { ...flag(actor, 0), eventCount: 200, events: evs.slice(0, 20) }; return { flag: f, eventIds: evs.map((e) => e.id).sort(), allEvents: evs }; };
  const withEvents = (await meter.measure(() => store.saveObject({ key: 'events-kept', etag: 'e' }, [many('kept')], counts))).used;
  const { allEvents: _drop, ...bare } = many('bare');
  const withoutEvents = (await meter.measure(() => store.saveObject({ key: 'events-bare', etag: 'e' }, [bare], counts))).used;
  const perFlaggedEvent = { wru: fmt((withEvents.writes - withoutEvents.writes) / 200, 3), requests: fmt((withEvents.requests - withoutEvents.requests) / 200, 3) };
  const result = { perFlaggedEvent, objects: HOT, eventCount: stored?.eventCount, seconds: fmt((performance.now() - t) / 1000, 1), oneObjectFlags: per(single, 100), hotFirst100: per(windows.first100!, edge), hotLast100: per(windows.last100!, edge) };
  client.destroy();
  return result;
}

/**
 * A log object of `records` S3 access lines of the corpus; its first line is replaced by a flagged
 * line from `flagged` (round robin) in one object of `every`: the objects' flags are those lines'.
 */
function smallObject(r: () => number, index: number, records: number, flagged: string[], every: number): string {
  const lines = Array.from({ length: records }, (_, i) => S3_GEN(r, index * records + i).replace(/ REQ(\d+) /, ` REQ${index}-${i} `));
  if (index % every === 0) lines[0] = flagged[(index / every) % flagged.length]!.replace(/ REQ(\d+) /, ` REQHOT${index} `);
  return `${lines.join('\n')}\n`;
}

/**
 * The same flagged line as another person would leave it: u{n} for the n-th person of the corpus's
 * directory who is not a US person and not authorised (peopleCsv: citizenship by n % 10, tcp by n % 7).
 */
function asOtherPerson(line: string, n: number): string {
  const people: number[] = [];
  for (let i = 0; people.length <= n; i++) if (i % 10 >= 3 && i % 7 !== 0) people.push(i);
  return line.replace(/user\/u\d+ /, `user/u${people[n]} `);
}

/** Lines of the corpus that raise flags (found by scanning it once), one per flag: to feed flags from. */
async function flaggedLines(policy: Awaited<ReturnType<typeof loadPolicy>>, geo: Buffer): Promise<string[]> {
  const r = rng(11);
  const lines = Array.from({ length: 200_000 }, (_, i) => S3_GEN(r, i));
  const scan = new Scan(policy, { geoDatabase: geo });
  await scan.add(Readable.from([Buffer.from(`${lines.join('\n')}\n`)]), 'probe.log');
  const byId = new Map(lines.map((l) => [/ (REQ\d+) /.exec(l)![1]!, l]));
  const found = scan.flags().filter((f) => f.reasons.length).map((f) => byId.get(f.events[0]!.id.replace(/^.*?(REQ\d+).*$/, '$1'))).filter((l): l is string => !!l);
  if (!found.length) throw new Error('the corpus raised no flags: cannot make flags to feed');
  return found;
}

interface Env { s3: Awaited<ReturnType<typeof s3Loopback>>; stub: Awaited<ReturnType<typeof jsonService>>; endpoint: string; table: string; configDir: string; handed: string[]; onSend?: (body: string) => void }

async function handlerEnv(endpoint: string): Promise<Env> {
  const s3 = await s3Loopback();
  for (const b of ['ittmon-config', 'logs', 'ittmon-quarantine']) await s3.bucket(b);
  const configDir = mkdtempSync(join(tmpdir(), 'bench-config-'));
  writeFileSync(join(configDir, 'ittmon.yaml'), ittmonYaml);
  writeFileSync(join(configDir, 'people.csv'), peopleCsv(100_000));
  await s3.upload('ittmon-config', configDir);
  const handed: string[] = [];
  let env: Env | undefined;
  const stub = await jsonService((target, body) => {
    if (target === 'AmazonSQS.SendMessage') { if (env?.onSend) env.onSend(String(body.MessageBody)); else console.error('a message was sent outside a burst: not replayed'); return { MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(String(body.MessageBody)).digest('hex') }; }
    if (target === 'AWSStepFunctions.StartExecution') { handed.push(String(body.input)); return { executionArn: 'arn', startDate: 1 }; }
    if (target === 'AWSEvents.PutEvents') return { FailedEntryCount: 0, Entries: [] };
    return {};
  });
  const { table } = await newTable(endpoint);
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_ENDPOINT_URL_SQS: stub.endpoint, AWS_ENDPOINT_URL_SFN: stub.endpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: stub.endpoint,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED', AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED', ITTMON_S3_PATH_STYLE: 'true',
    TABLE_NAME: table, CONFIG_BUCKET: 'ittmon-config', QUARANTINE_BUCKET: 'ittmon-quarantine', QUEUE_URL: `${stub.endpoint}/1/ingest`, REVIEW_URL: 'https://review.example.edu',
    LARGE_OBJECT_STATE_MACHINE: 'arn:aws:states:us-east-1:1:stateMachine:large',
    POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_DEV: 'true',
  });
  resetRuntime();
  env = { s3, stub, endpoint, table, configDir, handed };
  return env;
}

const notify = (key: string, etag: string, size: number) => JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', eventTime: new Date().toISOString(), s3: { bucket: { name: 'logs' }, object: { key, eTag: etag, size } } }] });
const lambdaContext = (seconds: number) => { const ends = Date.now() + seconds * 1000; return { getRemainingTimeInMillis: () => ends - Date.now(), functionName: 'bench', awsRequestId: randomUUID() } as unknown as Context; };

/** SQS as the event source mapping sees it: batches of up to 5, a failed message comes back (up to 5 receives, then the DLQ), and what the handler sends is a new message. */
interface Message { id: string; body: string; receives: number }
function sqsQueue(initial: string[]) {
  const ready: Message[] = initial.map((body) => ({ id: randomUUID(), body, receives: 0 }));
  const stats = { received: 0, requeued: 0, redelivered: 0, deadLettered: [] as string[], requeuedBodies: [] as string[] };
  let inFlight = 0;
  return {
    stats,
    send(body: string) { stats.requeued++; if (stats.requeuedBodies.length < 5) stats.requeuedBodies.push(`${new Date().toISOString()} ${body}`); ready.push({ id: randomUUID(), body, receives: 0 }); },
    /** The next batch, or undefined when the queue is empty and nothing in flight can add to it. */
    async receive(): Promise<Message[] | undefined> {
      for (;;) {
        if (ready.length) {
          const batch = ready.splice(0, 5);
          for (const m of batch) m.receives++;
          stats.received += batch.length;
          inFlight++;
          return batch;
        }
        if (!inFlight) return undefined;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** The batch's outcome: reported failures become visible again (after the visibility timeout), or go to the DLQ. */
    done(batch: Message[], failedIds: string[]) {
      inFlight--;
      for (const m of batch.filter((x) => failedIds.includes(x.id))) {
        if (m.receives >= 5) stats.deadLettered.push(m.body);
        else { stats.redelivered++; ready.push(m); }
      }
    },
  };
}
const sqsEvent = (batch: Message[]): SQSEvent => ({ Records: batch.map((m) => ({ messageId: m.id, receiptHandle: 'r', body: m.body, attributes: { ApproximateReceiveCount: String(m.receives) } as never, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:1:ingest', awsRegion: 'us-east-1' })) });

/** What a flag's partition holds (for a burst whose totals differ: where a contribution stopped). */
async function partition(endpoint: string, table: string, id: string) {
  const db = DynamoDBDocumentClient.from(benchClient(endpoint));
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `FLAG#${id}` }, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  const flag = items.find((i) => i.sk === 'FLAG');
  const evidence = items.filter((i) => i.type === 'evidence');
  return { id, eventCount: flag?.eventCount, rev: flag?.rev, inflight: [...((flag?.inflight as Set<string>) ?? [])].length, evidence: evidence.length, pending: evidence.filter((e) => e.state !== 'applied').map((e) => e.object), markers: items.filter((i) => i.type === 'event').length, freshSum: evidence.reduce((n, e) => n + Number(e.fresh), 0) };
}

/** 2. A burst of small objects through the handler, at most CONCURRENCY invocations at once, every message replayed as SQS would. */
async function burst(env: Env, policy: Awaited<ReturnType<typeof loadPolicy>>, geo: Buffer, kind: 'spread' | 'hot', flagged: string[], records: number, objects: number) {
  const r = rng(21);
  const prefix = `burst-${kind}-${records}`;
  const texts = Array.from({ length: objects }, (_, i) => (kind === 'hot' ? smallObject(r, i, records, flagged.slice(0, 1), 1) : smallObject(r, i, records, flagged, SPREAD_EVERY)));
  const bodies: string[] = new Array(objects);
  // Uploaded 8 at a time (the loopback S3 writes each object to disk), notified in key order.
  let nextUpload = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = nextUpload++; i < objects; i = nextUpload++) {
      const key = `${prefix}/${String(i).padStart(6, '0')}.log`;
      const res = await env.s3.client.send(new PutObjectCommand({ Bucket: 'logs', Key: key, Body: texts[i] }));
      bodies[i] = notify(key, res.ETag!.replace(/"/g, ''), Buffer.byteLength(texts[i]!));
    }
  }));
  // Each burst on a table of its own: the hot flags are the same ids in every burst.
  const fresh = await newTable(env.endpoint);
  env.table = fresh.table;
  process.env.TABLE_NAME = fresh.table;
  resetRuntime();
  // The config (100,000 people) is loaded once per container, on its first message: loaded here
  // once, before the clock starts, and timed apart (the 8 stand-in containers share one runtime).
  const loading = performance.now();
  await configCache().get();
  const configLoadSeconds = (performance.now() - loading) / 1000;
  // One module instance per concurrent invocation, as each Lambda container has its own (the
  // batch processor keeps per-invocation state); the clients and the store are shared here.
  const handlers = await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => (await import(new URL(`../functions/ingest-object/handler.ts?container=${SHARED_HANDLER ? 'shared' : w}-${records}`, import.meta.url).href) as typeof import('../functions/ingest-object/handler.ts')).handler));
  const meter = meterCapacity(clients.dynamo());
  const store = flagStore();
  const retries = { ...store.retry.stats };
  const queue = sqsQueue(bodies);
  env.onSend = (body) => queue.send(body);
  const handedBefore = env.handed.length;
  const cpu = process.cpuUsage();
  const t = performance.now();
  let failed = 0;
  let longest = 0;
  let settled = 0;
  let reported = 0;
  const { used } = await meter.measure(async () => {
    const worker = async (handler: (typeof handlers)[number]) => {
      for (let batch = await queue.receive(); batch; batch = await queue.receive()) {
        const began = performance.now();
        const ids = (await handler(sqsEvent(batch), lambdaContext(300))).batchItemFailures.map((f) => f.itemIdentifier);
        longest = Math.max(longest, (performance.now() - began) / 1000);
        failed += ids.length;
        queue.done(batch, ids);
        settled += batch.length - ids.length;
        if (settled >= reported + 1000) { reported = settled - (settled % 1000); console.error(`  ${kind} ${records}/object: ${settled} of ${objects} messages settled in ${((performance.now() - t) / 1000).toFixed(0)} s (load ${loadavg()[0]!.toFixed(1)})`); }
      }
    };
    await Promise.all(handlers.map(worker));
  });
  env.onSend = undefined;
  if (queue.stats.requeued) console.error(`re-queued by the handler (${queue.stats.requeued}; longest invocation ${longest.toFixed(1)} s):`, queue.stats.requeuedBodies.join('\n'));
  const seconds = (performance.now() - t) / 1000;
  const cpuSeconds = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
  // The CLI's core over the same objects: totals must be equal (no contribution lost or doubled).
  const scan = new Scan(policy, { geoDatabase: geo });
  // Each object's contribution to a flag changes it once: one event on the bus.
  let contributions = 0;
  for (const [i, text] of texts.entries()) contributions += (await scan.add(Readable.from([Buffer.from(text)]), `s3://logs/${prefix}/${String(i).padStart(6, '0')}.log`)).flags.length;
  const expected = scan.flags().map((f) => `${f.id} ${f.eventCount} ${f.bytes}`).sort();
  const stored = (await store.allFlags()).filter((f) => expected.some((e) => e.startsWith(f.id))).map((f) => `${f.id} ${f.eventCount} ${f.bytes}`).sort();
  const hottest = Math.max(...scan.flags().map((f) => f.eventCount));
  const equal = JSON.stringify(stored) === JSON.stringify(expected);
  if (!equal) console.error('burst totals differ:', JSON.stringify({ partitions: await Promise.all(stored.map((x) => partition(env.endpoint, env.table, x.split(' ')[0]!))), queue: { ...queue.stats, deadLettered: queue.stats.deadLettered.length }, handedOff: env.handed.length - handedBefore, expected: expected.filter((e) => !stored.includes(e)).slice(0, 5), stored: stored.filter((e) => !expected.includes(e)).slice(0, 5) }));
  return {
    kind, objects, recordsPerObject: records, configLoadSeconds: fmt(configLoadSeconds, 1), records: scan.summary.records, seconds: fmt(seconds, 1), objectsPerSecond: fmt(objects / seconds, 1), failed,
    longestInvocationSeconds: fmt(longest, 1), requeued: queue.stats.requeued, redelivered: queue.stats.redelivered, deadLettered: queue.stats.deadLettered.length,
    conflicts: store.retry.stats.conflicts - retries.conflicts, throttled: store.retry.stats.throttled - retries.throttled, retries: store.retry.stats.retries - retries.retries,
    flags: expected.length, hottestFlagEvents: hottest, totalsEqualCli: equal,
    rruPerObject: fmt(used.reads / objects), wruPerObject: fmt(used.writes / objects), dynamoRequestsPerObject: fmt(used.requests / objects, 1),
    cpuMsPerObject: fmt((cpuSeconds * 1000) / objects, 2), flagEventsPerObject: fmt(contributions / objects, 4),
  };
}

/** 3. A large object (plain, then gzip) through the handler in its own process, then the CLI on the same bytes. */
async function large(env: Env, mb: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-large-'));
  const plain = join(dir, 'big.log');
  const r = rng(31);
  let i = 0;
  const target = mb * 1024 * 1024;
  await pipeline(Readable.from((function* () {
    let sent = 0;
    while (sent < target) {
      const lines: string[] = [];
      for (let n = 0; n < 5000; n++) lines.push(S3_GEN(r, i++));
      const buf = Buffer.from(`${lines.join('\n')}\n`);
      sent += buf.length;
      yield buf;
    }
  })()), createWriteStream(plain));
  const gz = join(dir, 'big-log');
  await pipeline(createReadStream(plain), createGzip({ level: 1 }), createWriteStream(gz));
  mkdirSync(join(HERE, 'out'), { recursive: true });
  await build({ entryPoints: [join(HERE, 'aws-large.ts')], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile: join(HERE, 'out', 'aws-large.mjs'), logLevel: 'error', external: ['@aws-sdk/*'], banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  const cli = await promisify(execFile)(process.execPath, [join(ROOT, 'cli/bin.mjs'), 'scan', plain, '--config', join(env.configDir, 'ittmon.yaml'), '--json'], { maxBuffer: 1 << 28, env: { ...process.env, NODE_OPTIONS: '' } }).then((x) => x.stdout);
  const cliFlags = cli.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Flag).map((f) => `${f.id} ${f.severity} ${f.eventCount} ${f.bytes}`).sort();
  const rows: Record<string, unknown> = {};
  for (const [name, file, invocationSeconds] of [['plain', plain, 60], ['gzip (no .gz suffix)', gz, 900]] as const) {
    const key = `large/${name.split(' ')[0]}`;
    const size = statSync(file).size;
    await env.s3.client.send(new PutObjectCommand({ Bucket: 'logs', Key: key, Body: createReadStream(file), ContentLength: size }));
    const etag = (await env.s3.client.send(new HeadObjectCommand({ Bucket: 'logs', Key: key }))).ETag!.replace(/"/g, '');
    // Each chunk gets `invocationSeconds` of simulated Lambda time, 10 s of it kept back for saving.
    const child = spawn(process.execPath, [join(HERE, 'out', 'aws-large.mjs'), 'logs', key, etag, String(size), String(invocationSeconds)], { env: { ...process.env, ITTMON_SAFETY_MS: '10000' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    await new Promise((res) => child.on('close', res));
    const run = JSON.parse(stdout.trim().split('\n').at(-1)!) as { invocations: number; handedOff: number; seconds: number; taskSeconds: number; peakRssMB: number; maxRssMB: number };
    const store = new DynamoFlagStore(benchClient(env.endpoint), env.table);
    const stored = (await store.allFlags()).filter((f) => cliFlags.some((c) => c.startsWith(f.id))).map((f) => `${f.id} ${f.severity} ${f.eventCount} ${f.bytes}`).sort();
    rows[name] = { objectMB: fmt(size / 1048576, 0), contentMB: mb, ...run, seconds: fmt(run.seconds, 1), taskSeconds: fmt(run.taskSeconds, 1), mbPerSecond: fmt(mb / run.seconds, 1), flags: cliFlags.length, flagsEqualCli: JSON.stringify(stored) === JSON.stringify(cliFlags) };
    // The next object's flags are the same ids: start it on an empty table.
    const fresh = await newTable(env.endpoint);
    env.table = fresh.table;
    process.env.TABLE_NAME = fresh.table;
  }
  return rows;
}

/** 4. Cost per million records from the measured figures and public prices. */
function cost(perObject: { rpo: number; rru: number; wru: number; dynamoRequests: number; cpuMs: number; flagEvents: number }[]) {
  const DYNAMO_LATENCY_MS = 5; // per request in-region: the time Lambda waits (billed)
  return perObject.map((m) => {
    const objects = 1e6 / m.rpo;
    const lambdaSeconds = (m.cpuMs + m.dynamoRequests * DYNAMO_LATENCY_MS + 30 /* S3 GET first byte */) / 1000;
    const parts = {
      lambda: objects * (PRICES.lambdaRequest / 5 + lambdaSeconds * 1 * PRICES.lambdaGbSecondArm), // batches of 5 messages, 1,024 MB
      sqs: objects * 1.4 * PRICES.sqsRequest, // S3's send, plus receive and delete shared by a batch of 5
      s3: objects * PRICES.s3Get,
      dynamodb: objects * (m.rru * PRICES.dynamoReadUnit + m.wru * PRICES.dynamoWriteUnit),
      eventbridge: objects * m.flagEvents * PRICES.eventBridgeEvent,
    };
    const total = Object.values(parts).reduce((a, b) => a + b, 0);
    return { recordsPerObject: m.rpo, ...Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, fmt(v, 4)])), total: fmt(total, 4) } as Record<string, number>;
  });
}

export async function main(): Promise<void> {
  const db = await dynamo();
  console.log(`ITT Monitor AWS benchmark — ${db.engine}, loopback S3 (s3rver), Node ${process.version}\n`);
  out.engine = db.engine;
  const geo = loadGeoDatabase();
  const files: Record<string, string> = { 'ittmon.yaml': ittmonYaml, 'people.csv': peopleCsv(100_000) };
  const policy = await loadPolicy('ittmon.yaml', async (p) => files[p]!);

  if (SECTIONS.has('hot')) {
    const load = loadavg()[0]!;
    const hot = await hotFlag(db.endpoint);
    out.hotFlag = { ...hot, loadAverage: [fmt(load, 1), fmt(loadavg()[0]!, 1)] };
    console.log(`Keeping each flagged event whole (paged on the review page): ${hot.perFlaggedEvent.wru} WRU and ${hot.perFlaggedEvent.requests} requests per flagged event`);
    console.log(`DynamoDB capacity per object (target: the same whatever the flag's size), ${HOT.toLocaleString()} objects on one flag in ${hot.seconds} s, eventCount ${hot.eventCount}`);
    console.log(`${table([['flag', 'RRU/object', 'WRU/object', 'requests/object'], ['fed by one object (100 flags)', hot.oneObjectFlags.rru, hot.oneObjectFlags.wru, hot.oneObjectFlags.requests], ['hot: objects 1-100', hot.hotFirst100.rru, hot.hotFirst100.wru, hot.hotFirst100.requests], [`hot: objects ${HOT - 99}-${HOT}`, hot.hotLast100.rru, hot.hotLast100.wru, hot.hotLast100.requests]])}\n`);
  }

  const env = await handlerEnv(db.endpoint);
  if (SECTIONS.has('burst')) {
    const hotLines = await flaggedLines(policy, geo);
    const spreadLines = Array.from({ length: SPREAD_PEOPLE }, (_, n) => asOtherPerson(hotLines[0]!, n));
    type Burst = Awaited<ReturnType<typeof burst>> & { loadAverage: number[] };
    // Bursts not run this time keep their last figures (by kind and records per object).
    const file = process.env.BENCH_OUT ?? join(HERE, 'results-aws.json');
    const kept = ((existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { bursts?: Burst[] }).bursts : undefined) ?? []).filter((b) => b.kind);
    const bursts = new Map(kept.map((b) => [`${b.kind} ${b.recordsPerObject}`, b]));
    const plan = [['spread', 1, BURST], ['spread', 100, BURST], ['spread', 10_000, 10], ['hot', 1, BURST_HOT]] as const;
    for (const [kind, rpo, objects] of plan.filter(([kind, rpo]) => BURST_KINDS.includes(kind) && BURST_RPO.includes(rpo))) {
      const load = loadavg()[0]!;
      const b = await burst(env, policy, geo, kind, kind === 'hot' ? hotLines : spreadLines, rpo, objects);
      bursts.set(`${kind} ${rpo}`, { ...b, loadAverage: [fmt(load, 1), fmt(loadavg()[0]!, 1)] });
    }
    const all = plan.map(([kind, rpo]) => bursts.get(`${kind} ${rpo}`)).filter((b): b is Burst => !!b);
    out.bursts = all;
    console.log(`Bursts through the ingest handler, ${CONCURRENCY} invocations at most, batches of 5. spread: one object in ${SPREAD_EVERY} also feeds one of ${SPREAD_PEOPLE} people's flags; hot: every object feeds one flag`);
    console.log(`${table([['kind', 'records/object', 'objects', 'seconds', 'objects/s', 'conflicts', 'throttled', 'retries', 'failed', 're-queued', 'redelivered', 'dead-lettered', 'flags', 'totals = CLI', 'RRU/object', 'WRU/object', 'CPU ms/object', 'load'],
      ...all.map((b): (string | number)[] => [b.kind, b.recordsPerObject, b.objects, b.seconds, b.objectsPerSecond, b.conflicts, b.throttled, b.retries, b.failed, b.requeued, b.redelivered, b.deadLettered, b.flags, String(b.totalsEqualCli), b.rruPerObject, b.wruPerObject, b.cpuMsPerObject, b.loadAverage.join('-')])])}\n`);
    const spread = all.filter((b) => b.kind === 'spread');
    const per = (bs: Burst[]) => bs.map((b) => ({ rpo: b.recordsPerObject, rru: b.rruPerObject, wru: b.wruPerObject, dynamoRequests: b.dynamoRequestsPerObject, cpuMs: b.cpuMsPerObject, flagEvents: b.flagEventsPerObject }));
    out.dynamoPerMillionRecords = spread.map((b) => ({ recordsPerObject: b.recordsPerObject, rru: fmt((b.rruPerObject * 1e6) / b.recordsPerObject, 0), wru: fmt((b.wruPerObject * 1e6) / b.recordsPerObject, 0) }));
    console.log('DynamoDB capacity per million records (spread bursts)');
    console.log(`${table([['records/object', 'RRU', 'WRU'], ...(out.dynamoPerMillionRecords as { recordsPerObject: number; rru: number; wru: number }[]).map((d) => [d.recordsPerObject, d.rru, d.wru])])}\n`);

    const costs = cost(per(spread));
    const assumptions = 'arm64 at 1,024 MB; billed time = measured CPU + 5 ms per DynamoDB request + 30 ms per S3 GET; SQS batches of 5; every flag change counted as one bus event; no free tiers; S3 log delivery and storage not included';
    out.costPerMillionRecords = { prices: PRICES, assumptions: `${assumptions}; spread bursts (one object in ${SPREAD_EVERY} feeds a flag)`, rows: costs };
    const worst = all.filter((b) => b.kind === 'hot');
    out.costPerMillionRecordsHot = { assumptions: `${assumptions}; every object feeds one hot flag (the worst case)`, rows: cost(per(worst)) };
    console.log('Cost per million records on AWS (USD, on-demand, us-east-1)');
    console.log(`${table([['burst', 'records/object', 'Lambda', 'SQS', 'S3', 'DynamoDB', 'EventBridge', 'total'], ...[...costs.map((c) => ['spread', c] as const), ...(out.costPerMillionRecordsHot as { rows: Record<string, number>[] }).rows.map((c) => ['hot', c] as const)].map(([k, c]): (string | number)[] => [k, c.recordsPerObject!, c.lambda!, c.sqs!, c.s3!, c.dynamodb!, c.eventbridge!, c.total!])])}\n`);
  }

  if (SECTIONS.has('large') && LARGE_MB > 0) {
    const load = loadavg()[0]!;
    const big = await large(env, LARGE_MB);
    out.largeObjects = { ...big, loadAverage: [fmt(load, 1), fmt(loadavg()[0]!, 1)] };
    console.log(`Large objects: ${LARGE_MB} MB of content through the handler in its own process (plain: 60-s invocations resumed by byte Range; gzip: one 900-s invocation), against the CLI`);
    console.log(`${table([['object', 'object MB', 'invocations', 'handed off', 'seconds', 'MB/s', 'peak RSS MB', 'flags', 'flags = CLI'], ...Object.entries(big).map(([k, v]) => { const x = v as Record<string, number | boolean>; return [k, x.objectMB as number, x.invocations as number, x.handedOff as number, x.seconds as number, x.mbPerSecond as number, x.maxRssMB as number, x.flags as number, String(x.flagsEqualCli)]; })])}\n`);
  }
  await env.s3.close();
  await env.stub.close();
  await db.close();
  // Sections not run this time keep their last figures.
  const file = process.env.BENCH_OUT ?? join(HERE, 'results-aws.json');
  const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, `${JSON.stringify({ ...before, ...out }, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
