import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { collect, collectorFor, CredentialError, COLLECTOR_SOURCES, type CollectorSource } from '#shared/collect/index.ts';
import { dynamoCheckpoints, s3PageSink, secretCredentials } from '#shared/aws/collect.ts';
import { clients, env } from '#shared/aws/runtime.ts';

const logger = new Logger({ serviceName: 'ittmon-collect' });
const metrics = new Metrics({ namespace: 'ITTMonitor', serviceName: 'ittmon-collect' });
/** Stop this long before the Lambda timeout, so the last checkpoint is saved. */
const MARGIN_MS = 60_000;
let secrets: SecretsManagerClient | undefined;

/**
 * One scheduled run of one collector (EventBridge Scheduler; reserved concurrency 1, so runs of
 * the same collector never overlap). Pulls pages since the checkpoint into the collected-logs
 * bucket, where the ingest path takes over. A refused credential is a `CredentialFailure` metric
 * (alarmed) and a logged message naming the permission; the run then fails, and only this
 * collector stops.
 */
export const handler = async (_event: unknown, context: Context) => {
  const source = env('COLLECTOR_SOURCE') as CollectorSource;
  if (!COLLECTOR_SOURCES.includes(source)) throw new Error(`COLLECTOR_SOURCE: no collector named "${source}"`);
  metrics.addDimension('Collector', source);
  let retries = 0;
  try {
    const creds = await secretCredentials(secrets ??= new SecretsManagerClient({}), source, env('COLLECTOR_SECRET_NAME'));
    const result = await collect(collectorFor(source, creds, { onRetry: () => { retries++; } }), {
      sink: s3PageSink(clients.s3(), env('COLLECTED_BUCKET'), env('COLLECTED_PREFIX')),
      checkpoints: dynamoCheckpoints(clients.dynamo(), env('TABLE_NAME')),
      context: { since: new Date(Date.parse(process.env.COLLECTOR_START ?? '') || Date.now() - 86_400_000), now: () => new Date() },
      remainingMs: () => context.getRemainingTimeInMillis() - MARGIN_MS,
    });
    metrics.addMetric('CollectedRecords', MetricUnit.Count, result.records);
    metrics.addMetric('CollectedPages', MetricUnit.Count, result.pages);
    metrics.addMetric('CollectorRetries', MetricUnit.Count, retries);
    metrics.addMetric('CredentialFailure', MetricUnit.Count, 0);
    if (result.lagSeconds !== undefined) metrics.addMetric('CollectorLagSeconds', MetricUnit.Seconds, result.lagSeconds);
    logger.info('collected', { source, records: result.records, pages: result.pages, partial: result.partial, newest: result.checkpoint?.newest, retries });
    return { records: result.records, pages: result.pages, partial: result.partial };
  } catch (e) {
    if (e instanceof CredentialError) {
      metrics.addMetric('CredentialFailure', MetricUnit.Count, 1);
      logger.error('the collector cannot sign in or lacks a permission', { source, message: e.message, grant: e.permission });
    }
    throw e;
  } finally {
    metrics.publishStoredMetrics();
  }
};
