import { Aws, Duration, Stack } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type CfnRole, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Bucket, EventType, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IttmonFunction } from './function.ts';
import { acknowledge, allow, allowKey, allowTable, arnToken, TABLE_INGEST } from './grants.ts';
import { privateBucket } from './storage.ts';
import type { LogSourceSettings } from '../settings.ts';

export interface LogIngestionProps {
  key: IKey;
  table: ITable;
  configBucket: IBucket;
  accessLogs: IBucket;
  reviewUrl: string;
  /** Existing log buckets; without any, the stack makes one to deliver logs to. */
  sources: LogSourceSettings[];
  /** Buckets whose objects' tags the function reads (GetObjectTagging). */
  dataBuckets: { bucket: string; prefix: string }[];
  /** At most this many ingest functions at once (the SQS event source's MaximumConcurrency). */
  maxConcurrency: number;
  /** Per invocation; the queue's visibility timeout is six times this. */
  timeout?: Duration;
  batchSize?: number;
}

/** The role a source account creates for this stack to assume (see SourceAccountStack). */
export const readRoleName = (stackName: string) => `ittmon-read-${stackName}`;
/** The ingest queue's name: fixed, so that a source account can send to it before it is deployed. */
export const ingestQueueName = (stackName: string) => `${stackName}-ingest`;
/** The ingest function's role name: fixed, so that a source account can trust it before it exists. */
export const ingestRoleName = (stackName: string) => `${stackName}-ingest-object-${Aws.REGION}`;

/** The wildcards an ingesting function needs, each for its reason. */
export function acknowledgeDataAccess(fn: Construct, table: ITable, configBucket: IBucket, quarantine: IBucket): void {
  acknowledge(fn, {
    [`AwsSolutions-IAM5[Resource::${arnToken(configBucket)}/*]`]: 'Reads the config bucket\'s objects: ittmon.yaml names the directory, catalog and geo files it needs.',
    [`AwsSolutions-IAM5[Resource::${arnToken(quarantine)}/quarantine/*]`]: 'Writes one quarantine file per log object under the quarantine/ prefix.',
  });
}

/**
 * Log objects → SQS → the ingest function → the flag table; rejected records to the quarantine bucket.
 * Failure impact: objects wait in the queue (14 days) and are retried; a message that fails five
 * times goes to the DLQ with nothing lost. Replay: fix the cause, then redrive the DLQ to the queue
 * ("Start DLQ redrive" in the console or `aws sqs start-message-move-task`); re-processing an object
 * rewrites the same evidence, so nothing is duplicated.
 */
export class LogIngestion extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly fn: IttmonFunction;
  readonly quarantine: Bucket;
  readonly logsBucket?: Bucket;

  constructor(scope: Construct, id: string, props: LogIngestionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const timeout = props.timeout ?? Duration.minutes(5);
    this.deadLetters = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(this.deadLetters, { 'AwsSolutions-SQS3': 'This queue is the dead-letter queue of the ingest queue.' });
    this.queue = new Queue(this, 'Queue', {
      queueName: ingestQueueName(stack.stackName),
      encryption: QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6), retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
    });
    // S3 sends notifications to an SSE-KMS queue only if the key lets it.
    props.key.addToResourcePolicy(new PolicyStatement({
      principals: [new ServicePrincipal('s3.amazonaws.com')], actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }));
    this.quarantine = privateBucket(this, 'Quarantine', props.key, props.accessLogs, { expireDays: 5 * 366 });

    const sources = props.sources.length ? props.sources : undefined;
    const readRoles = [...new Set((sources ?? []).filter((s) => s.account && (s.access ?? 'assume-role') === 'assume-role').map((s) => s.account!))]
      .map((account) => ({ account, roleArn: `arn:${Aws.PARTITION}:iam::${account}:role/${readRoleName(stack.stackName)}` }));
    const assumed = (sources ?? []).filter((s) => s.account && (s.access ?? 'assume-role') === 'assume-role');

    this.fn = new IttmonFunction(this, 'Function', {
      name: 'ingest-object', key: props.key, geo: true, timeout, memorySize: 1024,
      description: 'Reads access-log objects and stores export-review flags',
      environment: {
        TABLE_NAME: props.table.tableName, CONFIG_BUCKET: props.configBucket.bucketName, QUARANTINE_BUCKET: this.quarantine.bucketName,
        QUEUE_URL: this.queue.queueUrl, REVIEW_URL: props.reviewUrl, ITTMON_SAFETY_MS: String(Math.min(60_000, timeout.toMilliseconds() / 4)),
        ITTMON_FORMATS: JSON.stringify((sources ?? []).filter((s) => s.format).map((s) => ({ bucket: s.bucket, prefix: s.prefix, source: s.format }))),
        // Object tags are read only where the stack granted it; elsewhere they are not looked up (and counted).
        ITTMON_TAG_BUCKETS: JSON.stringify(props.dataBuckets.map((b) => ({ bucket: b.bucket, prefix: b.prefix }))),
        ...(assumed.length ? { ITTMON_READ_ROLES: stack.toJsonString(assumed.map((s) => ({ bucket: s.bucket, roleArn: readRoles.find((r) => r.account === s.account)!.roleArn }))) } : {}),
      },
    });
    (this.fn.role!.node.defaultChild as CfnRole).roleName = ingestRoleName(stack.stackName);
    this.fn.addEventSource(new SqsEventSource(this.queue, { batchSize: props.batchSize ?? 5, maxBatchingWindow: Duration.seconds(10), reportBatchItemFailures: true, maxConcurrency: props.maxConcurrency }));
    allowTable(this.fn, props.table, TABLE_INGEST);
    allow(this.fn, ['s3:GetObject'], [props.configBucket.arnForObjects('*')]);
    allow(this.fn, ['s3:PutObject'], [this.quarantine.arnForObjects('quarantine/*')]);
    allow(this.fn, ['sqs:SendMessage'], [this.queue.queueArn]);
    allowKey(this.fn, props.key, true);

    if (!sources) {
      // Where to deliver logs when there is no log bucket yet (S3 server access logs need SSE-S3 here).
      this.logsBucket = new Bucket(this, 'Logs', { enforceSSL: true, objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED, blockPublicAccess: { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, serverAccessLogsBucket: props.accessLogs, serverAccessLogsPrefix: 'logs/' });
      this.logsBucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue));
      allowLogDelivery(this.logsBucket);
    }
    for (const [i, source] of (sources ?? [{ bucket: this.logsBucket!.bucketName, prefix: '' } as LogSourceSettings]).entries()) {
      const bucket = sources ? Bucket.fromBucketName(this, `Source${i}`, source.bucket) : this.logsBucket!;
      const objects = bucket.arnForObjects(`${source.prefix}*`);
      // A bucket read through an assumed role is read with that role's permissions, not this one's.
      const viaRole = source.account && (source.access ?? 'assume-role') === 'assume-role';
      if (!viaRole) allow(this.fn, ['s3:GetObject'], [objects]);
      if (sources && !viaRole) acknowledge(this.fn, { [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${source.bucket}/${source.prefix}*]`]: `Reads the log objects under ${source.prefix || 'the root'} of ${source.bucket}: they are the input.` });
      if (source.kmsKeyArn && !viaRole) {
        // SSE-KMS log objects: S3 decrypts with the reader's kms:Decrypt, and only on S3's behalf.
        allowDecrypt(this.fn, source.kmsKeyArn);
      }
      if (source.account) {
        // The owner of a bucket in another account adds the notification; this side lets it in.
        this.queue.addToResourcePolicy(new PolicyStatement({ principals: [new ServicePrincipal('s3.amazonaws.com')], actions: ['sqs:SendMessage'], resources: [this.queue.queueArn], conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn }, StringEquals: { 'aws:SourceAccount': source.account } } }));
        props.key.addToResourcePolicy(new PolicyStatement({ principals: [new ServicePrincipal('s3.amazonaws.com')], actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: ['*'], conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn }, StringEquals: { 'aws:SourceAccount': source.account } } }));
      } else if (sources) bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), ...(source.prefix ? [{ prefix: source.prefix }] : []));
    }
    if (readRoles.length) allow(this.fn, ['sts:AssumeRole'], readRoles.map((r) => r.roleArn));
    for (const data of props.dataBuckets) {
      allow(this.fn, ['s3:GetObjectTagging'], [`arn:${Aws.PARTITION}:s3:::${data.bucket}/${data.prefix}*`]);
      acknowledge(this.fn, { [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${data.bucket}/${data.prefix}*]`]: `Reads the tags of the data objects under ${data.prefix || 'the root'} of ${data.bucket}, which classify them (dataBuckets setting).` });
    }
    acknowledgeDataAccess(this.fn, props.table, props.configBucket, this.quarantine);
    if (this.logsBucket) acknowledge(this.fn, { [`AwsSolutions-IAM5[Resource::${arnToken(this.logsBucket)}/*]`]: 'Reads the log objects delivered to the logs bucket: they are the input.' });
  }
}

/** kms:Decrypt on a source's key, only when S3 asks on the function's behalf. */
function allowDecrypt(fn: IttmonFunction, keyArn: string): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:Decrypt'], resources: [keyArn], conditions: { StringEquals: { 'kms:ViaService': `s3.${keyArn.split(':')[3]}.amazonaws.com` } } }));
}

/**
 * Lets S3 server access logging and CloudTrail deliver into the created log bucket (both write as
 * service principals, limited to this account's sources). CloudTrail first checks the bucket ACL.
 */
function allowLogDelivery(bucket: Bucket): void {
  const account = Stack.of(bucket).account;
  bucket.addToResourcePolicy(new PolicyStatement({ sid: 'S3ServerAccessLogs', principals: [new ServicePrincipal('logging.s3.amazonaws.com')], actions: ['s3:PutObject'], resources: [bucket.arnForObjects('*')], conditions: { StringEquals: { 'aws:SourceAccount': account } } }));
  bucket.addToResourcePolicy(new PolicyStatement({ sid: 'CloudTrailAclCheck', principals: [new ServicePrincipal('cloudtrail.amazonaws.com')], actions: ['s3:GetBucketAcl'], resources: [bucket.bucketArn], conditions: { StringEquals: { 'aws:SourceAccount': account } } }));
  bucket.addToResourcePolicy(new PolicyStatement({ sid: 'CloudTrailWrite', principals: [new ServicePrincipal('cloudtrail.amazonaws.com')], actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`AWSLogs/${account}/*`)], conditions: { StringEquals: { 'aws:SourceAccount': account, 's3:x-amz-acl': 'bucket-owner-full-control' } } }));
}
