import { Duration, Stack } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ServicePrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Bucket, EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IttmonFunction } from './function.ts';
import { acknowledge, allow, allowKey, allowTable, arnToken, TABLE_WRITE } from './grants.ts';
import { privateBucket } from './storage.ts';
import type { SourceName } from '#shared/model/index.ts';

/** A bucket whose objects are access logs, and where in it. */
export interface LogSource {
  bucketName: string;
  prefix?: string;
  /** The log format when it should not be detected per record (`s3-access`, `cloudtrail`, `github`, …). */
  source?: SourceName;
  /**
   * The bucket belongs to another account: its owner adds the notification to this queue and a
   * bucket policy letting this stack's ingest role read (README "Cross-account log buckets").
   */
  crossAccount?: boolean;
}

export interface LogIngestionProps {
  key: IKey;
  table: ITable;
  configBucket: IBucket;
  accessLogs: IBucket;
  reviewUrl: string;
  /** Existing log buckets; without any, the stack makes one to deliver logs to. */
  sources?: LogSource[];
  /** Per invocation; the queue's visibility timeout is six times this. */
  timeout?: Duration;
  batchSize?: number;
}

/**
 * Log objects → SQS → the ingest function → the flag table; rejected records to the quarantine bucket.
 * Failure impact: objects wait in the queue (14 days) and are retried; a message that fails five
 * times goes to the DLQ with nothing lost. Replay: fix the cause, then redrive the DLQ to the queue
 * ("Start DLQ redrive" in the console or `aws sqs start-message-move-task`); re-processing an object
 * rewrites the same evidence, so nothing is duplicated.
 */
/** The wildcards an ingesting function needs, each for its reason. */
export function acknowledgeDataAccess(fn: Construct, table: ITable, configBucket: IBucket, quarantine: IBucket): void {
  acknowledge(fn, {
    [`AwsSolutions-IAM5[Resource::${arnToken(table)}/index/*]`]: 'The flag table\'s global secondary indexes (review queue, by dataset, by person).',
    [`AwsSolutions-IAM5[Resource::${arnToken(configBucket)}/*]`]: 'Reads the config bucket\'s objects: ittmon.yaml names the directory, catalog and geo files it needs.',
    [`AwsSolutions-IAM5[Resource::${arnToken(quarantine)}/quarantine/*]`]: 'Writes one quarantine file per log object under the quarantine/ prefix.',
  });
}

export class LogIngestion extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly fn: IttmonFunction;
  readonly quarantine: Bucket;
  readonly logsBucket?: Bucket;

  constructor(scope: Construct, id: string, props: LogIngestionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.minutes(5);
    this.deadLetters = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(this.deadLetters, { 'AwsSolutions-SQS3': 'This queue is the dead-letter queue of the ingest queue.' });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6), retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
    });
    // S3 sends notifications to an SSE-KMS queue only if the key lets it.
    props.key.addToResourcePolicy(new PolicyStatement({
      principals: [new ServicePrincipal('s3.amazonaws.com')], actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));
    this.quarantine = privateBucket(this, 'Quarantine', props.key, props.accessLogs, { expireDays: 5 * 366 });

    this.fn = new IttmonFunction(this, 'Function', {
      name: 'ingest-object', key: props.key, geo: true, timeout, memorySize: 1024,
      description: 'Reads access-log objects and stores export-review flags',
      environment: {
        TABLE_NAME: props.table.tableName, CONFIG_BUCKET: props.configBucket.bucketName, QUARANTINE_BUCKET: this.quarantine.bucketName,
        QUEUE_URL: this.queue.queueUrl, REVIEW_URL: props.reviewUrl, ITTMON_SAFETY_MS: String(Math.min(60_000, timeout.toMilliseconds() / 4)),
        ITTMON_FORMATS: JSON.stringify((props.sources ?? []).filter((s) => s.source).map((s) => ({ bucket: s.bucketName, prefix: s.prefix ?? '', source: s.source }))),
      },
    });
    this.fn.addEventSource(new SqsEventSource(this.queue, { batchSize: props.batchSize ?? 5, maxBatchingWindow: Duration.seconds(10), reportBatchItemFailures: true }));
    allowTable(this.fn, props.table, TABLE_WRITE);
    allow(this.fn, ['s3:GetObject', 's3:GetObjectVersion'], [props.configBucket.arnForObjects('*')]);
    allow(this.fn, ['s3:PutObject'], [this.quarantine.arnForObjects('quarantine/*')]);
    allow(this.fn, ['sqs:SendMessage'], [this.queue.queueArn]);
    allowKey(this.fn, props.key, true);

    const sources = props.sources?.length ? props.sources : undefined;
    if (!sources) {
      // Where to deliver logs when there is no log bucket yet (S3 access logs need SSE-S3 here).
      this.logsBucket = new Bucket(this, 'Logs', { enforceSSL: true, blockPublicAccess: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, serverAccessLogsBucket: props.accessLogs, serverAccessLogsPrefix: 'logs/' });
      this.logsBucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue));
    }
    for (const [i, source] of (sources ?? [{ bucketName: this.logsBucket!.bucketName }]).entries()) {
      const bucket = sources ? Bucket.fromBucketName(this, `Source${i}`, source.bucketName) : this.logsBucket!;
      const objects = bucket.arnForObjects(`${source.prefix ?? ''}*`);
      allow(this.fn, ['s3:GetObject', 's3:GetObjectTagging'], [objects]);
      if (sources) acknowledge(this.fn, { [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${source.bucketName}/${source.prefix ?? ''}*]`]: `Reads the log objects under ${source.prefix ?? 'the root'} of ${source.bucketName}: they are the input.` });
      if (source.crossAccount) {
        // The owner of a bucket in another account adds the notification; this side lets it in.
        this.queue.addToResourcePolicy(new PolicyStatement({ principals: [new ServicePrincipal('s3.amazonaws.com')], actions: ['sqs:SendMessage'], resources: [this.queue.queueArn], conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn } } }));
        props.key.addToResourcePolicy(new PolicyStatement({ principals: [new ServicePrincipal('s3.amazonaws.com')], actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: ['*'], conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn } } }));
      }
      if (sources && !source.crossAccount) bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), ...(source.prefix ? [{ prefix: source.prefix }] : []));
    }
    acknowledgeDataAccess(this.fn, props.table, props.configBucket, this.quarantine);
    if (this.logsBucket) acknowledge(this.fn, { [`AwsSolutions-IAM5[Resource::${arnToken(this.logsBucket)}/*]`]: 'Reads the log objects delivered to the logs bucket: they are the input.' });
    acknowledge(Stack.of(this), { 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': 'CDK\'s own handler that configures S3 event notifications only writes its logs.' });
  }
}
