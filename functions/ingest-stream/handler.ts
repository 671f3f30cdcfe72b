import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { decodeBase64Payload } from '#shared/read/decompress.ts';
import { ingestObject, labelLookup, memoryReader, type LabelLookup } from '#shared/ingest/index.ts';
import { S3QuarantineSink } from '#shared/aws/s3.ts';
import { clients, configCache, env, flagStore } from '#shared/aws/runtime.ts';
import { countIngest } from '#shared/aws/metrics.ts';

const logger = new Logger({ serviceName: 'ittmon-ingest-stream' });
const metrics = new Metrics({ namespace: 'ITTMonitor', serviceName: 'ingest-stream' });
let labels: LabelLookup | undefined;

/**
 * A CloudWatch Logs subscription batch (FSx audit logs, CloudTrail sent to CloudWatch Logs): the
 * same pipeline, one batch as one object. An error makes Lambda retry the batch, then its DLQ.
 */
export const handler = async (event: CloudWatchLogsEvent) => {
  const data = event.awslogs.data;
  const text = decodeBase64Payload(data);
  const payload = JSON.parse(text) as { messageType?: string; logGroup?: string; logStream?: string; logEvents?: { id: string }[] };
  if (payload.messageType === 'CONTROL_MESSAGE') return;
  const { policy, geoDatabase } = await configCache().get();
  const first = payload.logEvents?.[0]?.id ?? 'empty';
  const etag = createHash('sha256').update(data).digest('hex').slice(0, 32);
  const result = await ingestObject({
    policy, geoDatabase, store: flagStore(), reader: memoryReader(Buffer.from(text)),
    quarantine: new S3QuarantineSink(clients.s3(), env('QUARANTINE_BUCKET')), linkBase: env('REVIEW_URL'),
    labels: (labels ??= labelLookup(flagStore())),
  }, { bucket: 'cloudwatch-logs', key: `${payload.logGroup}/${payload.logStream}/${first}`, etag, uri: `cwl://${payload.logGroup}/${payload.logStream}/${first}` });
  countIngest(metrics, result);
  metrics.publishStoredMetrics();
  logger.info('log batch processed', { logGroup: payload.logGroup, records: result.records, rejected: result.rejected });
};
