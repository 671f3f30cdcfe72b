import { Duration, Stack } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './grants.ts';

/** Alarm names start with the stack's name: the topic and key let only these alarms publish. */
export const alarmNamePrefix = (stack: Stack) => `${stack.stackName}-`;

/**
 * Critical flags and alarms → SNS (e-mail to the export-control office and operators).
 * Failure impact: a missed e-mail only; the flag is in the table and the review queue. An event
 * EventBridge cannot deliver to the topic goes to the rule's DLQ (alarmed).
 * Replay: none needed — the queue shows every open critical flag.
 */
export class Notifications extends Construct {
  readonly topic: Topic;
  readonly rule: Rule;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: { key: IKey; bus: IEventBus; emails: string[] }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topic = new Topic(this, 'Topic', { masterKey: props.key, enforceSSL: true, displayName: 'ITT Monitor critical flags and alarms' });
    this.deadLetters = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(this.deadLetters, { 'AwsSolutions-SQS3': 'This queue is the dead-letter queue of the critical-flag rule\'s target.' });
    this.rule = new Rule(this, 'Critical', {
      eventBus: props.bus,
      description: 'Critical export-review flags, raised or updated',
      eventPattern: { source: ['ittmon'], detailType: ['Export Review Flag Raised', 'Export Review Flag Updated'], detail: { severity: ['critical'] } },
      // Retried for a day, then kept in the dead-letter queue (not dropped).
      targets: [new SnsTopic(this.topic, { retryAttempts: 185, maxEventAge: Duration.hours(24), deadLetterQueue: this.deadLetters })],
    });
    // EventBridge → encrypted topic: the SnsTopic target adds the key statement for events.amazonaws.com
    // (unconditioned: AWS documents that this KMS request carries no aws:SourceArn / SourceAccount).
    // CloudWatch alarms publish to the encrypted topic: the topic policy and the key must both let them,
    // and only this stack's alarms (by name) in this account.
    const alarms = { ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${alarmNamePrefix(stack)}*` }, StringEquals: { 'aws:SourceAccount': stack.account } };
    this.topic.addToResourcePolicy(new PolicyStatement({ sid: 'CloudWatchAlarms', principals: [new ServicePrincipal('cloudwatch.amazonaws.com')], actions: ['sns:Publish'], resources: [this.topic.topicArn], conditions: alarms }));
    props.key.addToResourcePolicy(new PolicyStatement({ sid: 'CloudWatchAlarmsToEncryptedTopic', principals: [new ServicePrincipal('cloudwatch.amazonaws.com')], actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: ['*'], conditions: alarms }));
    for (const email of props.emails) this.topic.addSubscription(new EmailSubscription(email));
  }
}
