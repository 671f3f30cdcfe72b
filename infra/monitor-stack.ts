import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { FlagStore } from './constructs/flag-store.ts';
import { LogIngestion, type LogSource } from './constructs/log-ingestion.ts';
import { Collectors, type CollectorSettings } from './constructs/collectors.ts';
import { Notifications } from './constructs/notifications.ts';
import { Observability } from './constructs/observability.ts';
import { Publisher } from './constructs/publisher.ts';
import { Replay } from './constructs/replay.ts';
import { ReviewApi } from './constructs/review-api.ts';
import { AccessLogs, ConfigBucket } from './constructs/storage.ts';
import { StreamIngestion } from './constructs/stream-ingestion.ts';

export interface MonitorStackProps extends StackProps {
  /** Existing log buckets (with prefixes) to watch; none: the stack makes a bucket to deliver logs to. */
  logSources?: LogSource[];
  /** CloudWatch log groups to subscribe (FSx for Windows audit logs, CloudTrail in CloudWatch Logs). */
  logGroups?: string[];
  /** Where critical flags are e-mailed. */
  notifyEmail?: string;
  /** Show persons under pseudonyms on the review page. */
  pseudonymise?: boolean;
  /** The review page's public URL if it sits behind a custom domain; default: the API's URL. */
  reviewUrl?: string;
  /** SaaS audit-log collectors (README "Collectors"). */
  collectors?: CollectorSettings[];
  /** The secret (name) with the verification token of a GitLab streaming destination; adds its receiver. */
  gitlabStreamTokenSecret?: string;
}

/** ITT Monitor in one account: logs in, flags stored and announced, reviewers notified and deciding. */
export class MonitorStack extends Stack {
  readonly key: Key;
  readonly store: FlagStore;
  readonly ingestion: LogIngestion;
  readonly streams: StreamIngestion;
  readonly publisher: Publisher;
  readonly notifications: Notifications;
  readonly review: ReviewApi;
  readonly observability: Observability;
  readonly config: ConfigBucket;
  readonly collectors?: Collectors;
  readonly replay: Replay;

  constructor(scope: Construct, id: string, props: MonitorStackProps = {}) {
    super(scope, id, props);
    this.key = new Key(this, 'DataKey', { description: 'ITT Monitor: everything at rest', enableKeyRotation: true, pendingWindow: Duration.days(30) });
    const accessLogs = new AccessLogs(this, 'AccessLogs');
    this.config = new ConfigBucket(this, 'Config', this.key, accessLogs.bucket);
    this.store = new FlagStore(this, 'FlagStore', this.key);
    this.review = new ReviewApi(this, 'Review', { key: this.key, table: this.store.table, configBucket: this.config.bucket, ...(props.reviewUrl ? { reviewUrl: props.reviewUrl } : {}), ...(props.pseudonymise !== undefined ? { pseudonymise: props.pseudonymise } : {}) });
    const reviewUrl = props.reviewUrl ?? this.review.api.apiEndpoint;
    this.ingestion = new LogIngestion(this, 'Ingestion', { key: this.key, table: this.store.table, configBucket: this.config.bucket, accessLogs: accessLogs.bucket, reviewUrl, ...(props.logSources ? { sources: props.logSources } : {}) });
    this.streams = new StreamIngestion(this, 'Streams', { key: this.key, table: this.store.table, configBucket: this.config.bucket, quarantine: this.ingestion.quarantine, reviewUrl, logGroups: props.logGroups ?? [] });
    this.publisher = new Publisher(this, 'Publisher', { key: this.key, table: this.store.table, reviewUrl });
    this.notifications = new Notifications(this, 'Notifications', { key: this.key, bus: this.publisher.bus, ...(props.notifyEmail ? { email: props.notifyEmail } : {}) });
    this.observability = new Observability(this, 'Observability', {
      functions: { IngestObject: this.ingestion.fn, IngestStream: this.streams.fn, Publish: this.publisher.fn, ReviewApi: this.review.fn },
      deadLetterQueues: { Ingest: this.ingestion.deadLetters, Stream: this.streams.deadLetters, Publish: this.publisher.deadLetters },
      ingestQueue: this.ingestion.queue,
      streamFunction: this.publisher.fn,
      alarmAction: new SnsAction(this.notifications.topic),
    });
    if (props.collectors?.length || props.gitlabStreamTokenSecret) {
      this.collectors = new Collectors(this, 'Collectors', {
        key: this.key, table: this.store.table, accessLogs: accessLogs.bucket, ingestQueue: this.ingestion.queue, ingestFunction: this.ingestion.fn,
        collectors: props.collectors ?? [], alarmAction: new SnsAction(this.notifications.topic),
        ...(props.gitlabStreamTokenSecret ? { gitlabStream: { api: this.review.api, tokenSecretName: props.gitlabStreamTokenSecret } } : {}),
      });
    }
    const logBuckets = [
      ...(this.ingestion.logsBucket ? [this.ingestion.logsBucket] : []),
      ...[...new Set((props.logSources ?? []).map((s) => s.bucketName))].map((name, i) => Bucket.fromBucketName(this, `ReplaySource${i}`, name)),
      ...(this.collectors ? [this.collectors.bucket] : []),
    ];
    this.replay = new Replay(this, 'Replay', { queue: this.ingestion.queue, key: this.key, buckets: logBuckets });
    new CfnOutput(this, 'ReplayStateMachineArn', { value: this.replay.stateMachine.stateMachineArn, description: 'ittmon replay start --state-machine THIS: backfill or look back over a window of a log bucket' });
  }
}
