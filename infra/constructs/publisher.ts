import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IttmonFunction } from './function.ts';
import { acknowledge, allow, allowKey } from './grants.ts';

/**
 * The table's stream → the publish function → the custom event bus. A flag is announced only
 * once it is stored, and every stored change is announced (the stream retries in order).
 * Failure impact: notifications wait while the stream retains records (24 h); a batch that still
 * fails after retries is split to the failing record, whose position goes to the DLQ. Flags are not
 * lost (they are in the table). Replay: read the DLQ entry's shard range from the stream, or re-put
 * the flag item (an unchanged put publishes nothing; bump `updatedAt` to re-announce).
 * Only flag changes invoke the function (a stream filter): evidence items, event markers, audit
 * entries and the store's in-flight bookkeeping writes do not. The bus keeps an archive (a year)
 * to replay events to a new or repaired consumer; events carry `revision` to drop duplicates.
 */
export class Publisher extends Construct {
  readonly bus: EventBus;
  readonly fn: IttmonFunction;
  readonly deadLetters: Queue;
  /** Where EventBridge puts events that a target (the SNS topic) still refused after its retries. */
  readonly archive: Archive;

  constructor(scope: Construct, id: string, props: { key: IKey; table: ITable; reviewUrl: string }) {
    super(scope, id);
    // Named after the stack, so that two stacks can share an account and region.
    this.bus = new EventBus(this, 'Bus', { eventBusName: `${Stack.of(this).stackName}-flags`, kmsKey: props.key });
    this.deadLetters = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(this.deadLetters, { 'AwsSolutions-SQS3': 'This queue is the on-failure destination of the stream publisher.' });
    this.archive = this.bus.archive('Archive', { description: 'Every flag event, for replay to a new or repaired consumer', eventPattern: { source: ['ittmon'] }, retention: Duration.days(365) });
    this.fn = new IttmonFunction(this, 'Function', {
      name: 'publish', key: props.key, timeout: Duration.seconds(60), memorySize: 512,
      description: 'Announces stored flag changes on the monitor\'s event bus',
      environment: { EVENT_BUS_NAME: this.bus.eventBusName, REVIEW_URL: props.reviewUrl },
    });
    this.fn.addEventSource(new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON, batchSize: 100, maxBatchingWindow: Duration.seconds(5),
      bisectBatchOnError: true, retryAttempts: 5, reportBatchItemFailures: true, onFailure: new SqsDlq(this.deadLetters),
      // Flag items only, and not the store's in-flight bookkeeping (see DynamoFlagStore.contribute).
      filters: [
        FilterCriteria.filter({ dynamodb: { NewImage: { type: { S: FilterRule.isEqual('flag') }, bookkeeping: FilterRule.notExists() } } }),
        // An audit entry changed or removed after it was written: counted as AuditChanged (alarmed).
        FilterCriteria.filter({ eventName: FilterRule.or('MODIFY', 'REMOVE'), dynamodb: { Keys: { pk: { S: FilterRule.beginsWith('AUDIT#') } } } }),
      ],
    }));
    allow(this.fn, ['events:PutEvents'], [this.bus.eventBusArn]);
    acknowledge(this.fn, {
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': 'Granted by CDK for sending failed stream batches to the KMS-encrypted DLQ; limited to the monitor\'s key.',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': 'Granted by CDK for sending failed stream batches to the KMS-encrypted DLQ; limited to the monitor\'s key.',
    });
    allowKey(this.fn, props.key, false);
  }
}
