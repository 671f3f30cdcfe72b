import { Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, TreatMissingData, type IAlarmAction, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus, IRule } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { alarmNamePrefix } from './notifications.ts';

export interface ObservabilityProps {
  functions: Record<string, IFunction>;
  deadLetterQueues: Record<string, IQueue>;
  ingestQueue: IQueue;
  /** The stream-driven function, whose iterator age says how far behind notifications are. */
  streamFunction: IFunction;
  api: IHttpApi;
  table: ITable;
  /** EventBridge rules whose deliveries must not fail. */
  rules: { bus: IEventBus; rules: Record<string, IRule> };
  /** Oldest ingest message older than this: ingestion is falling behind (default 30 minutes). */
  maxQueueAge?: Duration;
  alarmAction?: IAlarmAction;
}

const FIVE_MINUTES = Duration.minutes(5);
/** A metric the functions publish (Powertools, namespace ITTMonitor). */
export const monitorMetric = (service: string, metricName: string, statistic = 'Sum') => new Metric({ namespace: 'ITTMonitor', metricName, statistic, period: FIVE_MINUTES, dimensionsMap: { service } });

/**
 * Alarms and a dashboard. Every alarm is named `{stack}-…` and goes to the notifications topic.
 * Failure impact: none on monitoring itself; problems go unnoticed until someone looks.
 */
export class Observability extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const add = (name: string, description: string, metric: IMetric, threshold = 0, evaluationPeriods = 1) => {
      const alarm = new Alarm(this, name, {
        alarmName: `${alarmNamePrefix(stack)}${name}`, alarmDescription: description, metric, threshold, evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmAction) alarm.addAlarmAction(props.alarmAction);
      this.alarms.push(alarm);
    };
    for (const [name, q] of Object.entries(props.deadLetterQueues)) {
      add(`${name}DeadLetters`, `Messages in the ${name} dead-letter queue: work that failed every retry. Fix the cause, then redrive.`, q.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }));
    }
    const maxAge = props.maxQueueAge ?? Duration.minutes(30);
    add('IngestQueueAge', `The oldest log object has waited more than ${maxAge.toMinutes()} minutes: ingestion is falling behind (concurrency cap, throttling or failures).`, props.ingestQueue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' }), maxAge.toSeconds(), 2);
    for (const [name, fn] of Object.entries(props.functions)) {
      add(`${name}Errors`, `The ${name} function is failing.`, fn.metricErrors({ period: FIVE_MINUTES }));
      add(`${name}Throttles`, `The ${name} function is throttled for 15 minutes: its concurrency cap or the account's limit is reached.`, fn.metricThrottles({ period: FIVE_MINUTES }), 0, 3);
    }
    add('TableThrottles', 'DynamoDB throttles requests to the flag table.', props.table.metricThrottledRequestsForOperations({ operations: [Operation.GET_ITEM, Operation.PUT_ITEM, Operation.UPDATE_ITEM, Operation.DELETE_ITEM, Operation.QUERY], period: FIVE_MINUTES }));
    // Hono answers an exception with a 500 without a Lambda error: count what API Gateway returned.
    add('ReviewApi5xx', 'The review API answered 5xx.', props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }));
    for (const [name, rule] of Object.entries(props.rules.rules)) {
      add(`${name}FailedInvocations`, `EventBridge could not deliver ${name} events to their target (see its dead-letter queue).`, new Metric({ namespace: 'AWS/Events', metricName: 'FailedInvocations', statistic: 'Sum', period: FIVE_MINUTES, dimensionsMap: { EventBusName: props.rules.bus.eventBusName, RuleName: rule.ruleName } }));
    }
    add('PublisherIteratorAge', 'Flag notifications are more than 10 minutes behind the table.', new Metric({ namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensionsMap: { FunctionName: props.streamFunction.functionName }, statistic: 'Maximum', period: FIVE_MINUTES }), 600_000, 2);
    add('TagLookupsDenied', 'GetObjectTagging was denied: objects labelled only by tags may be missed. Add the bucket to dataBuckets (and its bucket policy if in another account).', monitorMetric('ingest-object', 'TagLookupsDenied'));
    add('AuditChanged', 'An audit entry was changed or deleted after it was written: the review record was tampered with.', monitorMetric('publish', 'AuditChanged'));

    const ittmon = (metricName: string) => monitorMetric('ingest-object', metricName);
    // Dashboards are global per account: the region is part of the name.
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${stack.stackName}-${stack.region}` });
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Records and rejections', left: [ittmon('Records'), ittmon('Rejected')] }),
      new GraphWidget({ title: 'Flags raised by severity', left: ['critical', 'high', 'medium', 'low'].map((s) => ittmon(`Flags_${s}`)) }),
      new GraphWidget({ title: 'Ingest lag (s) and queue depth', left: [monitorMetric('ingest-object', 'LagSeconds', 'Maximum')], right: [props.ingestQueue.metricApproximateNumberOfMessagesVisible()] }),
      new GraphWidget({ title: 'Tag lookups denied and not configured', left: [ittmon('TagLookupsDenied'), ittmon('TagLookupsSkipped')] }),
      new GraphWidget({ title: 'Function errors and throttles', left: Object.values(props.functions).map((f) => f.metricErrors()), right: Object.values(props.functions).map((f) => f.metricThrottles()) }),
      new GraphWidget({ title: 'Dead letters', left: [new MathExpression({ expression: Object.keys(props.deadLetterQueues).map((_, i) => `m${i}`).join('+') || '0', usingMetrics: Object.fromEntries(Object.values(props.deadLetterQueues).map((q, i) => [`m${i}`, q.metricApproximateNumberOfMessagesVisible()])) })] }),
    );
  }
}
