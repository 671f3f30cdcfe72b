import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgePublisher } from '#shared/publish/eventbridge.ts';
import { busEventsFor } from '#shared/publish/events.ts';
import { flagFromItem } from '#shared/store/index.ts';
import { clients, env } from '#shared/aws/runtime.ts';

const processor = new BatchProcessor(EventType.DynamoDBStreams);
const logger = new Logger({ serviceName: 'ittmon-publish' });
let publisher: EventBridgePublisher | undefined;

const image = (i: Record<string, unknown> | undefined) => (i ? unmarshall(i as Record<string, AttributeValue>) : undefined);

/** A change of a flag item → Raised / Updated / Decided on the bus. Other items (evidence, audit, markers) and in-flight bookkeeping say nothing. */
async function publishRecord(record: DynamoDBRecord): Promise<void> {
  const after = image(record.dynamodb?.NewImage);
  // The stream's filter passes only flag changes; this guards a mapping deployed without it.
  if (after?.type !== 'flag' || after.bookkeeping) return;
  const before = image(record.dynamodb?.OldImage);
  const events = busEventsFor({ ...(before ? { before: flagFromItem(before) } : {}), after: flagFromItem(after) }, env('REVIEW_URL'));
  await (publisher ??= new EventBridgePublisher(clients.events(), env('EVENT_BUS_NAME'))).publish(events);
  if (events.length) logger.info('published', { flagId: after.id, detailTypes: events.map((e) => e.detailType) });
}

// In order: a later change of a flag must not be announced before an earlier one.
export const handler = async (event: DynamoDBStreamEvent, context: Context) => processPartialResponse(event, publishRecord, processor, { context, processInParallel: false });
