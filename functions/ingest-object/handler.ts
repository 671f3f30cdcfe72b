import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { ingestObject, labelLookup, parseIngestMessage, type LabelLookup } from '#shared/ingest/index.ts';
import { S3ObjectReader, S3QuarantineSink, s3TagLookup, type TagScope } from '#shared/aws/s3.ts';
import { clients, configCache, env, flagStore } from '#shared/aws/runtime.ts';
import { countIngest } from '#shared/aws/metrics.ts';
import type { SourceName } from '#shared/model/index.ts';

/** Formats fixed per bucket/prefix by the stack (ITTMON_FORMATS); elsewhere detected per record. */
const formats = (JSON.parse(process.env.ITTMON_FORMATS ?? '[]') as { bucket: string; prefix: string; source: SourceName }[]);
const sourceFor = (bucket: string, key: string): SourceName | undefined => formats.find((x) => x.bucket === bucket && key.startsWith(x.prefix))?.source;

/** Buckets whose objects' tags the role may read (ITTMON_TAG_BUCKETS, the dataBuckets setting); unset: any. */
const tagScope = process.env.ITTMON_TAG_BUCKETS ? (JSON.parse(process.env.ITTMON_TAG_BUCKETS) as TagScope[]) : undefined;

const processor = new BatchProcessor(EventType.SQS);
const logger = new Logger({ serviceName: 'ittmon-ingest-object' });
const metrics = new Metrics({ namespace: 'ITTMonitor', serviceName: 'ingest-object' });
let labels: LabelLookup | undefined;
/** Stop a chunk when less than this is left, so that saving and the continuation fit. */
const SAFETY_MS = Number(process.env.ITTMON_SAFETY_MS ?? 60_000);

/** One SQS message: S3 notifications (or a continuation) → the pipeline → the store. */
async function processMessage(record: SQSRecord, context: Context): Promise<void> {
  const { policy, geoDatabase } = await configCache().get();
  for (const work of parseIngestMessage(record.body)) {
    const result = await ingestObject({
      policy, geoDatabase, store: flagStore(), reader: new S3ObjectReader(clients.s3For),
      quarantine: new S3QuarantineSink(clients.s3(), env('QUARANTINE_BUCKET')),
      labels: (labels ??= labelLookup(flagStore(), s3TagLookup(clients.s3(), tagScope))), linkBase: env('REVIEW_URL'),
      ...((source) => (source ? { source } : {}))(sourceFor(work.ref.bucket, work.ref.key)),
    }, work.ref, work.resume, () => context.getRemainingTimeInMillis() < SAFETY_MS);
    if (result.next) {
      // The rest of a large object: a new message, so this one succeeds and nothing is redone.
      await clients.sqs().send(new SendMessageCommand({ QueueUrl: env('QUEUE_URL'), MessageBody: JSON.stringify({ continuation: { ref: work.ref, resume: result.next } }) }));
      logger.info('object continues in a new message', { object: work.ref.key, resumeAt: result.next });
    }
    countIngest(metrics, result);
    if (work.eventTime) metrics.addMetric('LagSeconds', MetricUnit.Seconds, Math.max(0, (Date.now() - Date.parse(work.eventTime)) / 1000));
    if (result.tagLookupsDenied) logger.warn('object tags could not be read: downloads in this object were classified without them', { object: work.ref.key, tagLookupsDenied: result.tagLookupsDenied });
    logger.info('object processed', { object: work.ref.key, records: result.records, rejected: result.rejected, flags: result.changes.length, tagLookupsDenied: result.tagLookupsDenied, tagLookupsSkipped: result.tagLookupsSkipped });
  }
}

/** A failed message is retried, then dead-lettered; its reason is only in this log line (the batch response carries ids). */
async function processLogged(record: SQSRecord, context: Context): Promise<void> {
  try {
    await processMessage(record, context);
  } catch (error) {
    logger.error('message failed: SQS retries it, then moves it to the dead-letter queue', { messageId: record.messageId, error: error as Error });
    throw error;
  }
}

export const handler = async (event: SQSEvent, context: Context) => {
  try {
    return await processPartialResponse(event, (r: SQSRecord) => processLogged(r, context), processor, { context });
  } finally {
    metrics.publishStoredMetrics();
  }
};
