import type { Policy } from '#shared/config/index.ts';
import { Scan, type ObjectResult, type Rejected, type ResourceLabels } from '#shared/pipeline/index.ts';
import { memoize } from './memo.ts';
import { replayWork, type ReplayItem } from './replay.ts';
import { busEventsFor, type Publisher } from '#shared/publish/events.ts';
import type { SourceName } from '#shared/model/index.ts';
import type { FlagChange, FlagStore, ObjectCounts, QuarantineSink, SourceObject } from '#shared/store/index.ts';
import { sniffGzip } from '#shared/read/decompress.ts';
import { RejectedRecords, type Omitted } from './rejected.ts';

export { RejectedRecords, QUARANTINE_KEEP, omittedLine, type Omitted } from './rejected.ts';

/** Where an object's results go: the store, the quarantine, and (locally) the bus stand-in. */
export interface ObjectSinks {
  store: FlagStore;
  quarantine: QuarantineSink;
  /** Locally; in AWS the table's stream publishes. */
  publisher?: Publisher;
  linkBase: string;
}

/** Keeps what one object contributed — its evidence, counts and rejected records — and announces the changes. */
export async function keepObject(sinks: ObjectSinks, object: SourceObject, result: ObjectResult, rejected: Rejected[], more: { omitted?: Omitted; next?: Resume; known?: ObjectCounts[]; tagLookups?: TagLookupCounts } = {}): Promise<FlagChange[]> {
  const missed = more.tagLookups ? Object.fromEntries(Object.entries(more.tagLookups).filter(([, n]) => n > 0)) : {};
  // Quarantine first: once the counts are stored, a re-run of this object does nothing.
  await sinks.quarantine.put(object, rejected, more.omitted);
  const changes = await sinks.store.saveObject(object, result.flags, { ...result.counts, ...missed, flags: result.flags.length, processedAt: new Date().toISOString(), ...(more.next ? { next: more.next } : {}) }, more.known);
  await sinks.publisher?.publish(changes.flatMap((c) => busEventsFor(c, sinks.linkBase)));
  return changes;
}

export interface ObjectRef {
  bucket: string; key: string; etag: string; size?: number;
  /** The object's name in flags and quarantine; default `s3://{bucket}/{key}`. */
  uri?: string;
  /**
   * Read on a look-back after a policy change (a replay): its new flags say so. Carried on the ref
   * so that continuations and large-object hand-offs keep it.
   */
  lookBack?: { policyVersion: string; at?: string };
}

/**
 * The etag an object's evidence is kept under. A look-back reads an object again under a new
 * policy: its evidence replaces what the object said before (same object, another etag: the store
 * recomputes the flags it touched from distinct event ids, so nothing is counted twice), and a
 * second look-back under the same policy version finds it done.
 */
export const evidenceEtag = (etag: string, lookBack?: { policyVersion: string }): string => (lookBack ? `${etag}#look-back:${lookBack.policyVersion}` : etag);

/** Where processing of a large object stopped: bytes of its (decompressed) content and lines done. */
export interface Resume { bytes: number; line: number }

/**
 * Reads an object from a byte offset; `ranged: false` means the reader started at 0. `compressed`
 * says the object is gzip by its magic bytes (never by its name): it cannot be entered in the middle.
 */
export interface ObjectReader {
  open(ref: ObjectRef, fromByte: number): Promise<{ body: AsyncIterable<Buffer>; ranged: boolean; compressed?: boolean }>;
}

/**
 * Where objects go that one invocation cannot read: a task on an engine without a time limit
 * running this same code (see infra/constructs/large-objects.ts).
 */
export interface LargeObjectRoute {
  /** Compressed objects above this size go there without being read here. */
  maxCompressedBytes: number;
  handOff(ref: ObjectRef, why: string): Promise<void>;
}

export interface IngestContext extends ObjectSinks {
  policy: Policy;
  geoDatabase?: Buffer;
  reader: ObjectReader;
  /** S3 object tags (GetObjectTagging), for objects the catalog and the logs say nothing about. */
  tags?: TagLookup;
  /** The label lookup of this container (see labelLookup), kept across invocations. */
  labels?: LabelLookup;
  /** The log format when it is fixed for the object's bucket and prefix. */
  source?: SourceName;
  /** Without it (the CLI, the large-object task) a compressed object is read to its end. */
  largeObjects?: LargeObjectRoute;
  /** Rejected records kept in full per object (then counts and samples). */
  quarantineKeep?: number;
}

/**
 * An object's own tags; `denied`: the lookup was refused (AccessDenied) and the object was classified
 * without them; `skipped`: its bucket is not one the monitor may read tags from (dataBuckets setting).
 * undefined: no such object (deleted since), classified without tags.
 */
export type TagAnswer = { tags: Record<string, string> } | { denied: string } | { skipped: string } | undefined;
export type TagLookup = (uri: string) => Promise<TagAnswer>;

/** Releases whose resource's own tags could not be read, and why: never silent (result, metric, alarm). */
export interface TagLookupCounts { tagLookupsDenied: number; tagLookupsSkipped: number }

export interface IngestResult extends Partial<TagLookupCounts> {
  changes: FlagChange[]; records: number; events: number; rejected: number;
  /** Where the next chunk starts (a plain object that did not fit this invocation). */
  next?: Resume;
  /** Handed to the large-object route instead (why): nothing of it was stored here. */
  handedOff?: string;
}

/**
 * One log object → stored flags: the same pipeline as the CLI, then the store, then quarantine.
 * With a deadline, a plain object stops between lines and returns where to resume (a continuation
 * read with an S3 Range). A compressed object is never resumed in the middle: it is read in one
 * go, or, when too big or too slow for this invocation, handed whole to the large-object route.
 */
export async function ingestObject(ctx: IngestContext, ref: ObjectRef, start?: Resume, deadline?: () => boolean): Promise<IngestResult> {
  const uri = ref.uri ?? `s3://${ref.bucket}/${ref.key}`;
  const from = start?.bytes ?? 0;
  // A chunk after the first is its own piece of evidence, so re-running any chunk rewrites only itself.
  const object = { key: from ? `${uri}#from=${from}` : uri, etag: evidenceEtag(ref.etag, ref.lookBack) };
  const none = { changes: [], records: 0, events: 0, rejected: 0 };
  // Done before (a redelivered message): nothing is read again; a chunk continues where it did.
  const known = await ctx.store.objectCounts(object.key);
  const done = known.find((c) => c.etag === object.etag);
  if (done) return { ...none, ...(done.next ? { next: done.next } : {}) };

  const opened = await ctx.reader.open(ref, from);
  if (opened.compressed && from > 0) return handOff(ctx, ref, 'a compressed object cannot be resumed in the middle', none);
  const { compressed, body } = await sniffGzip(opened.body);
  const route = ctx.largeObjects;
  if (compressed && route && (ref.size ?? 0) > route.maxCompressedBytes) {
    await closeBody(body);
    return handOff(ctx, ref, `compressed object of ${ref.size} bytes is over the ${route.maxCompressedBytes}-byte limit for one invocation`, none);
  }
  const rejected = new RejectedRecords(ctx.quarantineKeep);
  const labels = ctx.labels ?? labelLookup(ctx.store, ctx.tags);
  const tagLookups: TagLookupCounts = { tagLookupsDenied: 0, tagLookupsSkipped: 0 };
  const scan = new Scan(ctx.policy, {
    ...(ctx.geoDatabase ? { geoDatabase: ctx.geoDatabase } : {}),
    ...(ctx.source ? { source: ctx.source } : {}),
    ...(ref.lookBack ? { lookBack: { policyVersion: ref.lookBack.policyVersion, at: ref.lookBack.at ?? new Date().toISOString() } } : {}),
    lookupLabels: async (uri) => {
      const answer = await labels.get(uri);
      if (answer?.tagLookup === 'denied') tagLookups.tagLookupsDenied++;
      if (answer?.tagLookup === 'skipped') tagLookups.tagLookupsSkipped++;
      return answer?.found;
    },
    onLabel: async (resource, change) => {
      await ctx.store.putLabels(resource.uri, change, { tags: resource.tags ?? {}, labels: resource.labels ?? [] }, new Date().toISOString());
      labels.forget(resource.uri);
    },
    onReject: (r) => rejected.add(r),
  });
  const progress = { bytes: 0, line: 0, stopped: false };
  // A compressed object may stop only to be handed off (when there is somewhere to hand it).
  const stop = deadline && (!compressed || route) ? deadline : undefined;
  const result = await scan.add(body, uri, {
    ...(start ? { start: { ...start, skip: !opened.ranged } } : {}),
    ...(stop ? { stop } : {}),
    progress,
  });
  if (progress.stopped && compressed) {
    await closeBody(body);
    return handOff(ctx, ref, 'the compressed object did not fit in this invocation', none);
  }
  const next = progress.stopped ? { bytes: progress.bytes, line: progress.line } : undefined;
  const changes = await keepObject(ctx, object, result, rejected.kept, { ...((o) => (o ? { omitted: o } : {}))(rejected.overflow()), ...(next ? { next } : {}), known, tagLookups });
  return { changes, records: result.counts.records, events: result.counts.events, rejected: rejected.total, ...tagLookups, ...(next ? { next } : {}) };
}

async function handOff(ctx: IngestContext, ref: ObjectRef, why: string, none: IngestResult): Promise<IngestResult> {
  if (!ctx.largeObjects) throw new Error(`${ref.uri ?? `s3://${ref.bucket}/${ref.key}`}: ${why}, and no large-object route is configured`);
  await ctx.largeObjects.handOff(ref, why);
  return { ...none, handedOff: why };
}

/** Stops downloading the rest of a body that will not be read. */
async function closeBody(body: AsyncIterable<Buffer>): Promise<void> {
  await (body as AsyncGenerator<Buffer>).return?.(undefined);
}

export type LabelLookup = ReturnType<typeof labelLookup>;

/**
 * Tags and labels of a resource from outside the object being read: labels learned from earlier
 * objects (kept in the store), else the S3 object's own tags. Remembered for five minutes.
 */
export function labelLookup(store: FlagStore, tags?: TagLookup) {
  return memoize(async (uri: string): Promise<{ found?: ResourceLabels; tagLookup?: 'denied' | 'skipped' }> => {
    const learned = await store.getLabels(uri);
    if (learned) return { found: learned };
    const own = tags && uri.startsWith('s3://') ? await tags(uri) : undefined;
    if (!own) return {};
    if ('denied' in own) return { tagLookup: 'denied' };
    if ('skipped' in own) return { tagLookup: 'skipped' };
    return { found: { tags: own.tags, labels: [] } };
  });
}

/** What an ingest queue message asks for: objects from S3 notifications, or the rest of a large one. */
export type IngestWork = { ref: ObjectRef; resume?: Resume; eventTime?: string };

/**
 * The objects an SQS message body names: an S3 event notification (keys URL-encoded, `+` for
 * space), a continuation this function sent itself, or nothing (the s3:TestEvent sent on setup).
 */
export function parseIngestMessage(body: string): IngestWork[] {
  const msg = JSON.parse(body) as Record<string, unknown>;
  if (msg.Event === 's3:TestEvent') return [];
  if (msg.replay) return replayWork(msg.replay as ReplayItem);
  if (msg.continuation) {
    const c = msg.continuation as { ref: ObjectRef; resume?: Resume };
    if (!c.ref?.bucket || !c.ref?.key || (c.resume && typeof c.resume.bytes !== 'number')) throw new Error('continuation message without ref, or with a resume without bytes');
    return [{ ref: c.ref, ...(c.resume?.bytes ? { resume: c.resume } : {}) }];
  }
  if (!Array.isArray(msg.Records)) throw new Error('not an S3 event notification: no Records');
  return msg.Records.flatMap((r: { eventName?: string; eventTime?: string; s3?: { bucket?: { name?: string }; object?: { key?: string; eTag?: string; size?: number } } }) => {
    if (!r.eventName?.startsWith('ObjectCreated') || !r.s3?.bucket?.name || !r.s3.object?.key) return [];
    const key = decodeURIComponent(r.s3.object.key.replace(/\+/g, ' '));
    return [{ ref: { bucket: r.s3.bucket.name, key, etag: r.s3.object.eTag ?? '', ...(r.s3.object.size !== undefined ? { size: r.s3.object.size } : {}) }, ...(r.eventTime ? { eventTime: r.eventTime } : {}) }];
  });
}

/** A reader over bytes already in memory (a CloudWatch Logs batch). */
export const memoryReader = (data: Buffer): ObjectReader => ({
  open: async () => ({ body: (async function* () { yield data; })(), ranged: false }),
});
