import { Logger } from '@aws-lambda-powertools/logger';
import { ingestObject, labelLookup, type IngestResult, type ObjectRef } from '#shared/ingest/index.ts';
import { S3ObjectReader, S3QuarantineSink, s3TagLookup } from '#shared/aws/s3.ts';
import { clients, configCache, env, flagStore } from '#shared/aws/runtime.ts';

const logger = new Logger({ serviceName: 'ittmon-ingest-large' });

/**
 * The large-object task (ECS Fargate, started by Step Functions): one object that a 15-minute
 * invocation cannot read — a big compressed one — read to its end by the same core as the
 * ingest function, with no deadline and no hand-off. Re-running it is idempotent (the store
 * keys evidence by object and etag), so Step Functions may retry it.
 */
export async function runTask(ref: ObjectRef): Promise<IngestResult> {
  const { policy, geoDatabase } = await configCache().get();
  const started = Date.now();
  const result = await ingestObject({
    policy, geoDatabase, store: flagStore(), reader: new S3ObjectReader(clients.s3()),
    quarantine: new S3QuarantineSink(clients.s3(), env('QUARANTINE_BUCKET')),
    labels: labelLookup(flagStore(), s3TagLookup(clients.s3())), linkBase: env('REVIEW_URL'),
  }, ref);
  logger.info('large object processed', { object: ref.key, records: result.records, rejected: result.rejected, flags: result.changes.length, seconds: (Date.now() - started) / 1000 });
  return result;
}

/** The object to read, as the state machine passes it (ITTMON_OBJECT: the ref as JSON). */
export function objectFromEnv(value = process.env.ITTMON_OBJECT): ObjectRef {
  const ref = value ? (JSON.parse(value) as Partial<ObjectRef>) : undefined;
  if (!ref?.bucket || !ref.key || typeof ref.etag !== 'string') throw new Error('ITTMON_OBJECT must be the object as JSON: {"bucket","key","etag"} (the state machine sets it)');
  return ref as ObjectRef;
}
