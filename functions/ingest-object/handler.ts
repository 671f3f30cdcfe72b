import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { ingestObject, labelLookup, parseIngestMessage, type IngestWork, type LabelLookup, type LargeObjectRoute } from '#shared/ingest/index.ts';
import { messageDeadline } from '#shared/ingest/deadline.ts';
import { S3ObjectReader, S3QuarantineSink, s3TagLookup, type TagScope } from '#shared/aws/s3.ts';
import { clients, configCache, env, flagStore } from '#shared/aws/runtime.ts';
import { countIngest } from '#shared/aws/metrics.ts';
import type { SourceName } from '#shared/model/index.ts';
import { StepFunctionsRoute } from './large-objects.ts';

/** Formats fixed per bucket/prefix by the stack (ITTMON_FORMATS); elsewhere detected per record. */
const formats = (JSON.parse(process.env.ITTMON_FORMATS ?? '[]') as { bucket: string; prefix: string; source: SourceName }[]);
const sourceFor = (bucket: string, key: string): SourceName | undefined => formats.find((x) => x.bucket === bucket && key.startsWith(x.prefix))?.source;

/** Buckets whose objects' tags the role may read (ITTMON_TAG_BUCKETS, the dataBuckets setting); unset: any. */
const tagScope = process.env.ITTMON_TAG_BUCKETS ? (JSON.parse(process.env.ITTMON_TAG_BUCKETS) as TagScope[]) : undefined;

const processor = new BatchProcessor(EventType.SQS);
const logger = new Logger({ serviceName: 'ittmon-ingest-object' });
const metrics = new Metrics({ namespace: 'ITTMonitor', serviceName: 'ingest-object' });
let labels: LabelLookup | undefined;
let route: LargeObjectRoute | undefined;
let sqs: SQSClient | undefined;
/** Kept back per message for saving what it read and sending its continuation. */
const RESERVE_MS = Number(process.env.ITTMON_SAFETY_MS ?? 60_000);
/** Compressed objects above this go to the large-object task unread (default 2 GiB: well within 15 minutes at measured speeds). */
const MAX_COMPRESSED_BYTES = Number(process.env.ITTMON_LAMBDA_MAX_COMPRESSED_BYTES ?? 2 ** 31);

const largeObjects = (): LargeObjectRoute | undefined => {
  const arn = process.env.LARGE_OBJECT_STATE_MACHINE;
  return arn ? (route ??= new StepFunctionsRoute(new SFNClient({}), arn, MAX_COMPRESSED_BYTES)) : undefined;
};
// The queue is reached at the configured endpoint (regional, or AWS_ENDPOINT_URL_SQS), not at its QueueUrl's host.
const send = (body: unknown) => (sqs ??= new SQSClient({ useQueueUrlAsEndpoint: false })).send(new SendMessageCommand({ QueueUrl: env('QUEUE_URL'), MessageBody: JSON.stringify(body) }));

/** One SQS message: S3 notifications (or a continuation) → the pipeline → the store, within its own deadline. */
async function processMessage(record: SQSRecord, stop: () => boolean): Promise<void> {
  const { policy, geoDatabase } = await configCache().get();
  for (const work of parseIngestMessage(record.body)) {
    if (stop()) {
      // No time left for this object here: it goes back to the queue at once, untouched.
      await send({ continuation: { ref: work.ref, ...(work.resume ? { resume: work.resume } : {}) } });
      logger.info('object deferred to a new message', { object: work.ref.key });
      continue;
    }
    await processWork(work, policy, geoDatabase, stop);
  }
}

async function processWork(work: IngestWork, policy: Awaited<ReturnType<ReturnType<typeof configCache>['get']>>['policy'], geoDatabase: Buffer | undefined, stop: () => boolean): Promise<void> {
  const route = largeObjects();
  const result = await ingestObject({
    policy, geoDatabase, store: flagStore(), reader: new S3ObjectReader(clients.s3For),
    quarantine: new S3QuarantineSink(clients.s3(), env('QUARANTINE_BUCKET')),
    labels: (labels ??= labelLookup(flagStore(), s3TagLookup(clients.s3(), tagScope))), linkBase: env('REVIEW_URL'),
    ...(route ? { largeObjects: route } : {}),
    ...((source) => (source ? { source } : {}))(sourceFor(work.ref.bucket, work.ref.key)),
  }, work.ref, work.resume, stop);
  if (result.handedOff) {
    logger.info('object handed to the large-object task', { object: work.ref.key, why: result.handedOff });
    metrics.addMetric('ObjectsHandedOff', MetricUnit.Count, 1);
    return;
  }
  if (result.next) {
    // The rest of a large object: a new message, so this one succeeds and nothing is redone.
    await send({ continuation: { ref: work.ref, resume: result.next } });
    logger.info('object continues in a new message', { object: work.ref.key, resumeAt: result.next });
  }
  countIngest(metrics, result);
  if (work.eventTime) metrics.addMetric('LagSeconds', MetricUnit.Seconds, Math.max(0, (Date.now() - Date.parse(work.eventTime)) / 1000));
  if (result.tagLookupsDenied) logger.warn('object tags could not be read: downloads in this object were classified without them', { object: work.ref.key, tagLookupsDenied: result.tagLookupsDenied });
  logger.info('object processed', { object: work.ref.key, records: result.records, rejected: result.rejected, flags: result.changes.length, tagLookupsDenied: result.tagLookupsDenied, tagLookupsSkipped: result.tagLookupsSkipped });
}

/** A failed message is retried, then dead-lettered; its reason is only in this log line (the batch response carries ids). */
async function processLogged(record: SQSRecord, stop: () => boolean): Promise<void> {
  try {
    await processMessage(record, stop);
  } catch (error) {
    logger.error('message failed: SQS retries it, then moves it to the dead-letter queue', { messageId: record.messageId, error: error as Error });
    throw error;
  }
}

export const handler = async (event: SQSEvent, context: Context) => {
  let left = event.Records.length;
  try {
    // One message at a time, each with its own deadline (see messageDeadline).
    return await processPartialResponse(event, (r: SQSRecord) => processLogged(r, messageDeadline(() => context.getRemainingTimeInMillis(), left--, RESERVE_MS).stop), processor, { context, processInParallel: false });
  } finally {
    metrics.publishStoredMetrics();
  }
};
