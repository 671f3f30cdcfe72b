import type { Policy } from '#shared/config/index.ts';
import { Scan, type ObjectResult, type Rejected, type ResourceLabels } from '#shared/pipeline/index.ts';
import { memoize } from './memo.ts';
import { busEventsFor, type Publisher } from '#shared/publish/events.ts';
import type { SourceName } from '#shared/model/index.ts';
import type { FlagChange, FlagStore, QuarantineSink, SourceObject } from '#shared/store/index.ts';

/** Where an object's results go: the store, the quarantine, and (locally) the bus stand-in. */
export interface ObjectSinks {
  store: FlagStore;
  quarantine: QuarantineSink;
  /** Locally; in AWS the table's stream publishes. */
  publisher?: Publisher;
  linkBase: string;
}

/** Keeps what one object contributed — its evidence, counts and rejected records — and announces the changes. */
export async function keepObject(sinks: ObjectSinks, object: SourceObject, result: ObjectResult, rejected: Rejected[], tagLookups?: TagLookupCounts): Promise<FlagChange[]> {
  const missed = tagLookups ? Object.fromEntries(Object.entries(tagLookups).filter(([, n]) => n > 0)) : {};
  const changes = await sinks.store.saveObject(object, result.flags, { ...result.counts, ...missed, flags: result.flags.length, processedAt: new Date().toISOString() });
  await sinks.quarantine.put(object, rejected);
  await sinks.publisher?.publish(changes.flatMap((c) => busEventsFor(c, sinks.linkBase)));
  return changes;
}

export interface ObjectRef {
  bucket: string; key: string; etag: string; size?: number;
  /** The object's name in flags and quarantine; default `s3://{bucket}/{key}`. */
  uri?: string;
}

/** Where processing of a large object stopped: bytes of its (decompressed) content and lines done. */
export interface Resume { bytes: number; line: number }

/** Reads an object from a byte offset; `ranged: false` means the reader started at 0 (gzip). */
export interface ObjectReader {
  open(ref: ObjectRef, fromByte: number): Promise<{ body: AsyncIterable<Buffer>; ranged: boolean }>;
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

export interface IngestResult extends TagLookupCounts { changes: FlagChange[]; records: number; events: number; rejected: number; next?: Resume }

/**
 * One log object → stored flags: the same pipeline as the CLI, then the store, then quarantine.
 * With a deadline, stops between lines and returns where to resume (a continuation), so an object
 * larger than one invocation can handle is processed in chunks instead of failing.
 */
export async function ingestObject(ctx: IngestContext, ref: ObjectRef, start?: Resume, deadline?: () => boolean): Promise<IngestResult> {
  const rejected: Rejected[] = [];
  const labels = ctx.labels ?? labelLookup(ctx.store, ctx.tags);
  const tagLookups: TagLookupCounts = { tagLookupsDenied: 0, tagLookupsSkipped: 0 };
  const scan = new Scan(ctx.policy, {
    ...(ctx.geoDatabase ? { geoDatabase: ctx.geoDatabase } : {}),
    ...(ctx.source ? { source: ctx.source } : {}),
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
    onReject: (r) => rejected.push(r),
  });
  const from = start?.bytes ?? 0;
  const { body, ranged } = await ctx.reader.open(ref, from);
  const progress = { bytes: 0, line: 0, stopped: false };
  const uri = ref.uri ?? `s3://${ref.bucket}/${ref.key}`;
  const result = await scan.add(body, uri, {
    ...(start ? { start: { ...start, skip: !ranged } } : {}),
    ...(deadline ? { stop: deadline } : {}),
    progress,
  });
  // A chunk after the first is its own piece of evidence, so re-running any chunk rewrites only itself.
  const object = { key: from ? `${uri}#from=${from}` : uri, etag: ref.etag };
  const changes = await keepObject(ctx, object, result, rejected, tagLookups);
  const next = progress.stopped ? { bytes: progress.bytes, line: progress.line } : undefined;
  if (next) await ctx.store.putCheckpoint({ key: uri, etag: ref.etag }, { byteOffset: next.bytes, line: next.line, updatedAt: new Date().toISOString() });
  return { changes, records: result.counts.records, events: result.counts.events, rejected: rejected.length, ...tagLookups, ...(next ? { next } : {}) };
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
  if (msg.continuation) {
    const c = msg.continuation as { ref: ObjectRef; resume: Resume };
    if (!c.ref?.bucket || !c.ref?.key || typeof c.resume?.bytes !== 'number') throw new Error('continuation message without ref or resume');
    return [{ ref: c.ref, resume: c.resume }];
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
