import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { FilterPattern, LogGroup, SubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IttmonFunction } from './function.ts';
import { acknowledge, allow, allowKey, allowTable, TABLE_STREAM } from './grants.ts';
import { acknowledgeDataAccess } from './log-ingestion.ts';

export interface StreamIngestionProps {
  key: IKey;
  table: ITable;
  configBucket: IBucket;
  quarantine: IBucket;
  reviewUrl: string;
  /** CloudWatch log groups to subscribe: FSx for Windows audit logs, CloudTrail sent to CloudWatch Logs. */
  logGroups: string[];
  /** Reserved concurrency (0: none): a burst of subscriptions cannot take every function slot. */
  reservedConcurrency: number;
}

/**
 * CloudWatch Logs subscriptions → the stream ingest function → the flag table.
 * Failure impact: CloudWatch Logs invokes asynchronously; a batch that fails three times goes to
 * the DLQ with its payload (nothing is lost while the DLQ keeps it, 14 days). Replay: re-invoke
 * the function with the DLQ messages' payloads; evidence is keyed by batch, so replays add nothing.
 */
export class StreamIngestion extends Construct {
  readonly fn: IttmonFunction;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: StreamIngestionProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(this.deadLetters, { 'AwsSolutions-SQS3': 'This queue is the dead-letter destination of the stream ingest function.' });
    this.fn = new IttmonFunction(this, 'Function', {
      name: 'ingest-stream', key: props.key, geo: true, timeout: Duration.minutes(2),
      description: 'Reads CloudWatch Logs subscription batches and stores export-review flags',
      environment: { TABLE_NAME: props.table.tableName, CONFIG_BUCKET: props.configBucket.bucketName, QUARANTINE_BUCKET: props.quarantine.bucketName, REVIEW_URL: props.reviewUrl },
      onFailure: new SqsDestination(this.deadLetters), retryAttempts: 2,
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
    });
    allowTable(this.fn, props.table, TABLE_STREAM);
    allow(this.fn, ['s3:GetObject'], [props.configBucket.arnForObjects('*')]);
    allow(this.fn, ['s3:PutObject'], [props.quarantine.arnForObjects('quarantine/*')]);
    allowKey(this.fn, props.key, true);
    acknowledgeDataAccess(this.fn, props.table, props.configBucket, props.quarantine);
    acknowledge(this.fn, {
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': 'Granted by CDK for sending failed invocations to the KMS-encrypted DLQ; limited to the monitor\'s key.',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': 'Granted by CDK for sending failed invocations to the KMS-encrypted DLQ; limited to the monitor\'s key.',
    });
    for (const [i, name] of props.logGroups.entries()) {
      new SubscriptionFilter(this, `Subscription${i}`, { logGroup: LogGroup.fromLogGroupName(this, `LogGroup${i}`, name), destination: new LambdaDestination(this.fn), filterPattern: FilterPattern.allEvents() });
    }
  }
}
