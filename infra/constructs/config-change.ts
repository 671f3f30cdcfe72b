import { ArnFormat, Duration, Stack, Token, type CfnElement } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Alarm, ComparisonOperator, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ReplaySource } from '#shared/aws/config-change.ts';
import { IttmonFunction } from './function.ts';
import { alarmNamePrefix } from './notifications.ts';
import { acknowledge, allow, allowKey, allowTable, arnToken, TABLE_READ } from './grants.ts';

export interface ConfigChangeProps {
  key: IKey;
  table: ITable;
  /** Versioned, with EventBridge notifications on. */
  configBucket: IBucket;
  replay: IStateMachine;
  /** Stack setting `lookBack.days`: the window a look-back replays; 0: none. */
  lookBackDays: number;
  /** The log prefixes a look-back may replay, and the sources each can hold. */
  sources: ReplaySource[];
  alarmAction?: IAlarmAction;
}

/**
 * On each new version of a config object (S3 "Object Created" on EventBridge): diff it against the
 * version before, re-evaluate stored flags under the new policy, record the policy version, and
 * start a look-back replay of the prefixes the diff touches (functions/config-changed).
 * Failure impact: the flags are not re-evaluated and nothing is looked back over for that version;
 * live ingestion already uses the new policy. EventBridge retries for two hours, then the event waits
 * in the dead-letter queue. Replay: send the event from the queue to the function again (it is
 * idempotent: one record per version, executions named by the version).
 */
export class ConfigChange extends Construct {
  readonly fn: IttmonFunction;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: ConfigChangeProps) {
    super(scope, id);
    this.fn = new IttmonFunction(this, 'Function', {
      name: 'config-changed', key: props.key, geo: true, timeout: Duration.minutes(5), memorySize: 1024,
      description: 'Diffs a new config version, re-evaluates stored flags and starts the look-back',
      // One at a time: two versions in quick succession are diffed in turn, not raced.
      reservedConcurrentExecutions: 1,
      environment: {
        CONFIG_BUCKET: props.configBucket.bucketName, TABLE_NAME: props.table.tableName, REPLAY_STATE_MACHINE_ARN: props.replay.stateMachineArn,
        LOOK_BACK_DAYS: String(props.lookBackDays), REPLAY_SOURCES: Stack.of(this).toJsonString(props.sources),
      },
    });
    this.deadLetters = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(this.deadLetters, { 'AwsSolutions-SQS3': 'This queue is the dead-letter queue of the config-change rule.' });
    const stuck = new Alarm(this, 'DeadLettersAlarm', {
      alarmName: `${alarmNamePrefix(Stack.of(this))}ConfigChangeDeadLetters`,
      alarmDescription: 'A config change was not diffed, re-evaluated or looked back over after every retry. Fix the cause, then send the event to the config-changed function again.',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0, evaluationPeriods: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmAction) stuck.addAlarmAction(props.alarmAction);
    new Rule(this, 'NewVersion', {
      description: 'A new version of an object in the config bucket',
      eventPattern: { source: ['aws.s3'], detailType: ['Object Created'], detail: { bucket: { name: [props.configBucket.bucketName] } } },
      targets: [new LambdaFunction(this.fn, { retryAttempts: 8, maxEventAge: Duration.hours(2), deadLetterQueue: this.deadLetters })],
    });

    // The version before and the new one (and the other files at their current versions).
    allow(this.fn, ['s3:GetObject', 's3:GetObjectVersion'], [props.configBucket.arnForObjects('*')]);
    allow(this.fn, ['s3:ListBucketVersions'], [props.configBucket.bucketArn]);
    // Re-evaluation reads flags (by the review indexes), updates them and appends audit entries; the policy version is put once.
    // geo: the bundled database places stored IPs again, as ingestion placed them.
    allowTable(this.fn, props.table, [...TABLE_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'], true);
    // Decrypt only: DynamoDB and S3 use the key on its behalf for reads and table writes (like the review API's).
    allowKey(this.fn, props.key, false);
    allow(this.fn, ['states:StartExecution'], [props.replay.stateMachineArn]);
    acknowledge(this.fn, {
      [`AwsSolutions-IAM5[Resource::${arnToken(props.configBucket)}/*]`]: 'Reads the config bucket\'s objects at two versions: ittmon.yaml names the directory and catalog files.',
      [`AwsSolutions-IAM5[Resource::${arnToken(props.table)}/index/*]`]: 'Re-evaluation finds stored flags by the table\'s indexes (by status, dataset and person).',
    });
  }
}

/** The review page's replay panel: states:ListExecutions on the replay state machine, and reads of its executions and map runs only. */
export function allowReplayProgress(fn: IttmonFunction, replay: StateMachine): void {
  const stack = Stack.of(fn);
  // The name split from the ARN (Ref), as CDK names the state machine's own executions.
  const name = stack.splitArn(replay.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName!;
  allow(fn, ['states:ListExecutions'], [replay.stateMachineArn]);
  allow(fn, ['states:DescribeExecution', 'states:ListMapRuns'], [stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })]);
  allow(fn, ['states:DescribeMapRun'], [stack.formatArn({ service: 'states', resource: 'mapRun', resourceName: `${name}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })]);
  fn.addEnvironment('REPLAY_STATE_MACHINE_ARN', replay.stateMachineArn);
  // cdk-nag names the resources as it renders the ARN tokens.
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const sm = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(replay.node.defaultChild as CfnElement)}"}]}]}`;
  acknowledge(fn, {
    [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${sm}:*]`]: 'The review page shows the replay state machine\'s executions (names chosen at start): their state and input.',
    [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:mapRun:${sm}/*]`]: 'The review page shows the item counts of the replay state machine\'s map runs (ids chosen by Step Functions).',
  });
}
