import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/**
 * Critical flags → SNS (e-mail to the export-control office).
 * Failure impact: a missed e-mail only; the flag is in the table and the review queue.
 * Replay: none needed — the queue shows every open critical flag.
 */
export class Notifications extends Construct {
  readonly topic: Topic;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: { key: IKey; bus: IEventBus; email?: string; deadLetters?: IQueue }) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { masterKey: props.key, enforceSSL: true, displayName: 'ITT Monitor critical flags' });
    this.rule = new Rule(this, 'Critical', {
      eventBus: props.bus,
      description: 'Critical export-review flags, raised or updated',
      eventPattern: { source: ['ittmon'], detailType: ['Export Review Flag Raised', 'Export Review Flag Updated'], detail: { severity: ['critical'] } },
      // Retried for a day, then kept in the dead-letter queue (not dropped).
      targets: [new SnsTopic(this.topic, { retryAttempts: 185, maxEventAge: Duration.hours(24), ...(props.deadLetters ? { deadLetterQueue: props.deadLetters } : {}) })],
    });
    // EventBridge publishes to the encrypted topic only if the key lets it.
    props.key.addToResourcePolicy(new PolicyStatement({ principals: [new ServicePrincipal('events.amazonaws.com')], actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: ['*'] }));
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
  }
}
