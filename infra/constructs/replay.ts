import { Duration, Stack, Token, type CfnElement } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, DistributedMap, Errors, JitterType, JsonPath, LogLevel, StateMachine, StateMachineType, Succeed, TaskInput, type IItemReader } from 'aws-cdk-lib/aws-stepfunctions';
import { SqsSendMessage } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge } from './grants.ts';

/**
 * S3 ListObjectsV2 as the Distributed Map's item reader, with the bucket *and the prefix* taken from
 * the execution's input (CDK's S3ObjectsItemReader fixes the prefix at synth time).
 */
class ListedObjects implements IItemReader {
  readonly resource: string;
  readonly bucketNamePath = '$.bucket';
  constructor(scope: Construct, readonly bucket: IBucket, private readonly buckets: IBucket[]) {
    this.resource = `arn:${Stack.of(scope).partition}:states:::s3:listObjectsV2`;
  }
  render() {
    return { Resource: this.resource, Parameters: { 'Bucket.$': '$.bucket', 'Prefix.$': '$.prefix' } };
  }
  providePolicyStatements() {
    return [new PolicyStatement({ actions: ['s3:ListBucket'], resources: this.buckets.map((b) => b.bucketArn) })];
  }
  validateItemReader() { return []; }
}

export interface ReplayProps {
  /** The ingest queue: replayed objects take the normal ingest path, under its concurrency cap. */
  queue: IQueue;
  key: IKey;
  /** The log buckets a replay may list. */
  buckets: IBucket[];
  /** Objects enqueued at once; live and replayed objects then share the ingest function's cap. */
  maxConcurrency?: number;
}

/**
 * Backfill and look-back: one mechanism. A Step Functions Distributed Map lists a window of a log
 * bucket (bucket, prefix, and objects modified since/until) and sends each object to the ingest
 * queue as a `replay` message, which the ingest function reads like an S3 notification. Evidence
 * keys make replaying an object already read live change nothing.
 * Failure impact: a failed execution leaves the objects not yet enqueued; start it again (objects
 * already read are rewritten to the same evidence). Nothing live is affected.
 */
export class Replay extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: ReplayProps) {
    super(scope, id);
    const enqueue = new SqsSendMessage(this, 'Enqueue', {
      queue: props.queue,
      // The whole item as listed: the ingest function keeps only objects modified inside the window.
      messageBody: TaskInput.fromObject({ replay: JsonPath.objectAt('$') }),
      resultPath: JsonPath.DISCARD,
    });
    enqueue.addRetry({ errors: [Errors.TASKS_FAILED, Errors.TIMEOUT], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6, jitterStrategy: JitterType.FULL });
    const placeholder = Bucket.fromBucketName(this, 'AnyLogBucket', props.buckets[0]?.bucketName ?? 'none');
    const map = new DistributedMap(this, 'EachObject', {
      itemReader: new ListedObjects(this, placeholder, props.buckets),
      itemSelector: {
        'bucket.$': '$.bucket', 'key.$': '$$.Map.Item.Value.Key', 'etag.$': '$$.Map.Item.Value.Etag', 'size.$': '$$.Map.Item.Value.Size',
        'lastModified.$': '$$.Map.Item.Value.LastModified', 'since.$': '$.since', 'until.$': '$.until', 'lookBack.$': '$.lookBack',
      },
      maxConcurrency: props.maxConcurrency ?? 10,
      mapExecutionType: StateMachineType.EXPRESS,
      // A few unreadable listings should not stop a year's backfill; more means something is wrong.
      toleratedFailurePercentage: 1,
      resultPath: JsonPath.DISCARD,
    });
    map.itemProcessor(enqueue);
    const logs = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_YEAR, encryptionKey: props.key });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'ITT Monitor replay: a window of a log bucket through the normal ingest path (backfill, look-back)',
      definitionBody: DefinitionBody.fromChainable(map.next(new Succeed(this, 'Done'))),
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ERROR, includeExecutionData: false },
    });
    // The SendMessage task grants sqs:SendMessage on the queue and kms:Decrypt, GenerateDataKey* on its key.
    acknowledge(this.stateMachine, {
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': 'CDK\'s SQS SendMessage task grants GenerateDataKey* to send to the KMS-encrypted ingest queue.',
      'AwsSolutions-IAM5[Resource::*]': 'Log delivery and X-Ray for Step Functions support no resource-level permissions.',
      'AwsSolutions-SF1': 'Errors only: at ALL, a backfill of millions of objects would log every transition of every child execution.',
    });
    // The Distributed Map runs its children as executions of this state machine, whose names it picks.
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const children = `arn:<AWS::Partition>:states:${region}:${account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(this.stateMachine.node.defaultChild as CfnElement)}"}]}]}`;
    acknowledge(this.stateMachine, {
      [`AwsSolutions-IAM5[Resource::${children}:*]`]: 'The Distributed Map describes and stops the child executions it starts; their names are its own.',
      [`AwsSolutions-IAM5[Resource::${children}/*:*]`]: 'The Distributed Map describes and stops the child executions it starts; their names are its own.',
    });
  }
}
