import { CfnOutput, Duration, Fn, Stack, Token, type StackProps } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { FlagStore } from './constructs/flag-store.ts';
import { Collectors } from './constructs/collectors.ts';
import { allowReplayProgress, ConfigChange } from './constructs/config-change.ts';
import { LogIngestion } from './constructs/log-ingestion.ts';
import { Notifications } from './constructs/notifications.ts';
import { Observability } from './constructs/observability.ts';
import { Publisher } from './constructs/publisher.ts';
import { LargeObjects } from './constructs/large-objects.ts';
import { Replay } from './constructs/replay.ts';
import { ReviewApi } from './constructs/review-api.ts';
import { AccessLogs, ConfigBucket } from './constructs/storage.ts';
import { StreamIngestion } from './constructs/stream-ingestion.ts';
import type { StackSettings } from './settings.ts';

export interface MonitorStackProps extends StackProps {
  /** The checked stack settings file (infra/settings.ts). */
  settings: StackSettings;
}

/** ITT Monitor in one account: logs in, flags stored and announced, reviewers notified and deciding. */
export class MonitorStack extends Stack {
  readonly key: Key;
  readonly store: FlagStore;
  readonly ingestion: LogIngestion;
  readonly streams: StreamIngestion;
  readonly publisher: Publisher;
  readonly largeObjects: LargeObjects;
  readonly notifications: Notifications;
  readonly review: ReviewApi;
  readonly observability: Observability;
  readonly config: ConfigBucket;
  readonly accessLogs: AccessLogs;
  readonly collectors?: Collectors;
  readonly replay: Replay;
  readonly configChange: ConfigChange;

  constructor(scope: Construct, id: string, props: MonitorStackProps) {
    super(scope, id, props);
    const { settings } = props;
    // With the account and region in the settings, the large-object task's VPC would look up the
    // region's availability zones (AWS calls during synth). Its two AZs are the region's first two
    // as CloudFormation resolves them (Fn::GetAZs), so synth stays offline; a cached lookup wins.
    const azs = `availability-zones:account=${this.account}:region=${this.region}`;
    if (!Token.isUnresolved(this.account) && !Token.isUnresolved(this.region) && this.node.tryGetContext(azs) === undefined) {
      this.node.setContext(azs, [0, 1].map((i) => Fn.select(i, Fn.getAzs())));
    }
    this.key = new Key(this, 'DataKey', { description: 'ITT Monitor: everything at rest', enableKeyRotation: true, pendingWindow: Duration.days(30) });
    // CloudWatch Logs encrypts the functions' and the API's log groups with the key; without this
    // statement creating those log groups fails (and the deploy rolls back).
    this.key.addToResourcePolicy(new PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccount',
      principals: [new ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*` } },
    }));
    this.accessLogs = new AccessLogs(this, 'AccessLogs');
    this.config = new ConfigBucket(this, 'Config', this.key, this.accessLogs.bucket);
    this.store = new FlagStore(this, 'FlagStore', this.key);
    const url = settings.review.url;
    this.review = new ReviewApi(this, 'Review', { key: this.key, table: this.store.table, configBucket: this.config.bucket, ...(url ? { reviewUrl: url } : {}), pseudonymise: settings.review.pseudonymise, reservedConcurrency: settings.concurrency.review });
    const reviewUrl = url ?? this.review.api.apiEndpoint;
    const logSources = settings.logSources.map((s) => (s.account && s.account === settings.account ? { ...s, account: undefined } : s));
    this.ingestion = new LogIngestion(this, 'Ingestion', { key: this.key, table: this.store.table, configBucket: this.config.bucket, accessLogs: this.accessLogs.bucket, reviewUrl, sources: logSources, dataBuckets: settings.dataBuckets, maxConcurrency: settings.concurrency.ingest });
    this.streams = new StreamIngestion(this, 'Streams', { key: this.key, table: this.store.table, configBucket: this.config.bucket, quarantine: this.ingestion.quarantine, reviewUrl, logGroups: settings.logGroups, reservedConcurrency: settings.concurrency.stream });
    this.largeObjects = new LargeObjects(this, 'LargeObjects', { key: this.key, table: this.store.table, configBucket: this.config.bucket, quarantine: this.ingestion.quarantine, reviewUrl, ingest: this.ingestion.fn, deadLetters: this.ingestion.deadLetters });
    this.publisher = new Publisher(this, 'Publisher', { key: this.key, table: this.store.table, reviewUrl });
    this.notifications = new Notifications(this, 'Notifications', { key: this.key, bus: this.publisher.bus, emails: settings.notifications.emails });
    this.observability = new Observability(this, 'Observability', {
      functions: { IngestObject: this.ingestion.fn, IngestStream: this.streams.fn, Publish: this.publisher.fn, ReviewApi: this.review.fn },
      deadLetterQueues: { Ingest: this.ingestion.deadLetters, Stream: this.streams.deadLetters, Publish: this.publisher.deadLetters, Notify: this.notifications.deadLetters },
      ingestQueue: this.ingestion.queue,
      streamFunction: this.publisher.fn,
      api: this.review.api,
      table: this.store.table,
      rules: { bus: this.publisher.bus, rules: { CriticalFlags: this.notifications.rule } },
      alarmAction: new SnsAction(this.notifications.topic),
    });
    if (settings.collectors.length || settings.gitlabStreamTokenSecret) {
      this.collectors = new Collectors(this, 'Collectors', {
        key: this.key, table: this.store.table, accessLogs: this.accessLogs.bucket, ingestQueue: this.ingestion.queue, ingestFunction: this.ingestion.fn,
        collectors: settings.collectors, alarmAction: new SnsAction(this.notifications.topic),
        ...(settings.gitlabStreamTokenSecret ? { gitlabStream: { api: this.review.api, tokenSecretName: settings.gitlabStreamTokenSecret } } : {}),
      });
    }
    const logBuckets = [
      ...(this.ingestion.logsBucket ? [this.ingestion.logsBucket] : []),
      ...[...new Set(logSources.filter((s) => !s.account).map((s) => s.bucket))].map((name, i) => Bucket.fromBucketName(this, `ReplaySource${i}`, name)),
      ...(this.collectors ? [this.collectors.bucket] : []),
    ];
    this.replay = new Replay(this, 'Replay', { queue: this.ingestion.queue, key: this.key, buckets: logBuckets });
    allowReplayProgress(this.review.fn, this.replay.stateMachine);
    // What a look-back may replay: the same buckets, with the sources each prefix can hold (null: any).
    const replaySources = [
      ...(this.ingestion.logsBucket ? [{ bucket: this.ingestion.logsBucket.bucketName, prefix: '', sources: null }] : []),
      ...logSources.filter((s) => !s.account).map((s) => ({ bucket: s.bucket, prefix: s.prefix, sources: s.format ? [s.format] : null })),
      ...(this.collectors ? [...settings.collectors.map((c) => ({ bucket: this.collectors!.bucket.bucketName, prefix: `collected/${c.source}/`, sources: [c.source] })),
        ...(settings.gitlabStreamTokenSecret ? [{ bucket: this.collectors.bucket.bucketName, prefix: 'collected/gitlab-stream/', sources: ['gitlab' as const] }] : [])] : []),
    ];
    this.configChange = new ConfigChange(this, 'ConfigChange', { key: this.key, table: this.store.table, configBucket: this.config.bucket, replay: this.replay.stateMachine, lookBackDays: settings.lookBack.days, sources: replaySources, alarmAction: new SnsAction(this.notifications.topic) });

    const output = (name: string, value: string, description: string) => new CfnOutput(this, name, { value, description });
    output('IngestQueueArn', this.ingestion.queue.queueArn, 'S3 notifications of log buckets go here (cross-account buckets too)');
    output('IngestRoleArn', this.ingestion.fn.role!.roleArn, 'The ingest function\'s role: a cross-account source trusts it (read role) or names it in its bucket policy');
    output('ConfigBucketName', this.config.bucket.bucketName, 'Upload ittmon.yaml, people.csv, catalog.csv here');
    if (this.ingestion.logsBucket) output('LogsBucketName', this.ingestion.logsBucket.bucketName, 'Deliver S3 server access logs and CloudTrail here');
    output('AccessLogsBucketName', this.accessLogs.bucket.bucketName, 'Server access logs of the monitor\'s own buckets');
    output('QuarantineBucketName', this.ingestion.quarantine.bucketName, 'Rejected records, under quarantine/');
    output('TopicArn', this.notifications.topic.topicArn, 'Critical flags and alarms');
    output('EventBusName', this.publisher.bus.eventBusName, 'Flag events (Raised, Updated, Decided)');
    output('ReplayStateMachineArn', this.replay.stateMachine.stateMachineArn, 'Backfill or look back over a window of a log bucket (README "Look back and backfill")');
    output('DashboardName', this.observability.dashboard.dashboardName, 'CloudWatch dashboard');
    for (const account of [...new Set(logSources.filter((s) => s.account && (s.access ?? 'assume-role') === 'assume-role').map((s) => s.account!))]) {
      output(`ReadRoleArn${account}`, `arn:${this.partition}:iam::${account}:role/ittmon-read-${this.stackName}`, `The role in account ${account} that the ingest function assumes (deploy ${this.stackName}-source-${account} there)`);
    }
  }
}
