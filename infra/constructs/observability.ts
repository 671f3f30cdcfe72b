import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ObservabilityProps {
  functions: Record<string, IFunction>;
  deadLetterQueues: Record<string, IQueue>;
  ingestQueue: IQueue;
  /** The stream-driven function, whose iterator age says how far behind notifications are. */
  streamFunction: IFunction;
  alarmAction?: IAlarmAction;
}

/**
 * Alarms (dead letters, function errors, stream iterator age) and a dashboard.
 * Failure impact: none on monitoring itself; problems go unnoticed until someone looks.
 */
export class Observability extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const add = (alarm: Alarm) => {
      if (props.alarmAction) alarm.addAlarmAction(props.alarmAction);
      this.alarms.push(alarm);
    };
    for (const [name, q] of Object.entries(props.deadLetterQueues)) {
      add(new Alarm(this, `${name}DeadLetters`, {
        alarmDescription: `Messages in the ${name} dead-letter queue: work that failed every retry. Fix the cause, then redrive.`,
        metric: q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 0, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, evaluationPeriods: 1, treatMissingData: TreatMissingData.NOT_BREACHING,
      }));
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      add(new Alarm(this, `${name}Errors`, {
        alarmDescription: `The ${name} function is failing.`,
        metric: fn.metricErrors({ period: Duration.minutes(5) }), threshold: 0, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1, treatMissingData: TreatMissingData.NOT_BREACHING,
      }));
    }
    add(new Alarm(this, 'PublisherIteratorAge', {
      alarmDescription: 'Flag notifications are more than 10 minutes behind the table.',
      metric: new Metric({ namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensionsMap: { FunctionName: props.streamFunction.functionName }, statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: 600_000, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, evaluationPeriods: 2, treatMissingData: TreatMissingData.NOT_BREACHING,
    }));
    const ittmon = (metricName: string) => new Metric({ namespace: 'ITTMonitor', metricName, statistic: 'Sum', period: Duration.minutes(5), dimensionsMap: { service: 'ingest-object' } });
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: 'ittmon' });
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Records and rejections', left: [ittmon('Records'), ittmon('Rejected')] }),
      new GraphWidget({ title: 'Flags raised by severity', left: ['critical', 'high', 'medium', 'low'].map((s) => ittmon(`Flags_${s}`)) }),
      new GraphWidget({ title: 'Ingest lag (s) and queue depth', left: [new Metric({ namespace: 'ITTMonitor', metricName: 'LagSeconds', statistic: 'Maximum', period: Duration.minutes(5), dimensionsMap: { service: 'ingest-object' } })], right: [props.ingestQueue.metricApproximateNumberOfMessagesVisible()] }),
      new GraphWidget({ title: 'Function errors', left: Object.values(props.functions).map((f) => f.metricErrors()) }),
      new GraphWidget({ title: 'Dead letters', left: [new MathExpression({ expression: Object.keys(props.deadLetterQueues).map((_, i) => `m${i}`).join('+') || '0', usingMetrics: Object.fromEntries(Object.values(props.deadLetterQueues).map((q, i) => [`m${i}`, q.metricApproximateNumberOfMessagesVisible()])) })] }),
    );
  }
}
