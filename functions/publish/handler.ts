import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgePublisher } from '#shared/publish/eventbridge.ts';
import { busEventsFor } from '#shared/publish/events.ts';
import { flagFromItem } from '#shared/store/item.ts';
import { env } from '#shared/aws/env.ts';

// Only the event mapping and the EventBridge client: not the store, the config or the pipeline.

const processor = new BatchProcessor(EventType.DynamoDBStreams);
const logger = new Logger({ serviceName: 'ittmon-publish' });
const metrics = new Metrics({ namespace: 'ITTMonitor', serviceName: 'publish' });
let publisher: EventBridgePublisher | undefined;

const image = (i: Record<string, unknown> | undefined) => (i ? unmarshall(i as Record<string, AttributeValue>) : undefined);

/**
 * Audit entries are written once (IAM denies updating or deleting them; see infra grants). A put
 * over an existing one is the one rewrite IAM cannot tell from an append: it shows here as a MODIFY,
 * counted as AuditChanged (alarmed). Removals by TTL (five years on) come from DynamoDB itself.
 */
function watchAudit(record: DynamoDBRecord): void {
  const pk = record.dynamodb?.Keys?.pk?.S ?? (record.dynamodb?.NewImage?.pk ?? record.dynamodb?.OldImage?.pk)?.S;
  if (!pk?.startsWith('AUDIT#') || record.eventName === 'INSERT') return;
  const byTtl = record.eventName === 'REMOVE' && record.userIdentity?.type === 'Service' && record.userIdentity?.principalId === 'dynamodb.amazonaws.com';
  if (byTtl) return;
  metrics.addMetric('AuditChanged', MetricUnit.Count, 1);
  logger.error('an audit entry was changed after it was written', { eventName: record.eventName, pk, sk: record.dynamodb?.Keys?.sk?.S, eventID: record.eventID });
}

/** A change of a flag item → Raised / Updated / Decided on the bus. Other items (evidence, audit, markers) and in-flight bookkeeping say nothing. */
async function publishRecord(record: DynamoDBRecord): Promise<void> {
  watchAudit(record);
  const after = image(record.dynamodb?.NewImage);
  // The stream's filter passes only flag changes; this guards a mapping deployed without it.
  if (after?.type !== 'flag' || after.bookkeeping) return;
  const before = image(record.dynamodb?.OldImage);
  const events = busEventsFor({ ...(before ? { before: flagFromItem(before) } : {}), after: flagFromItem(after) }, env('REVIEW_URL'));
  await (publisher ??= new EventBridgePublisher(new EventBridgeClient({}), env('EVENT_BUS_NAME'))).publish(events);
  if (events.length) logger.info('published', { flagId: after.id, detailTypes: events.map((e) => e.detailType) });
}

// In order: a later change of a flag must not be announced before an earlier one.
export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  try {
    return await processPartialResponse(event, publishRecord, processor, { context, processInParallel: false });
  } finally {
    metrics.publishStoredMetrics();
  }
};
