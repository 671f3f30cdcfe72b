import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { FlagStore } from './constructs/flag-store.ts';
import { LogIngestion, type LogSource } from './constructs/log-ingestion.ts';
import { Notifications } from './constructs/notifications.ts';
import { Observability } from './constructs/observability.ts';
import { Publisher } from './constructs/publisher.ts';
import { LargeObjects } from './constructs/large-objects.ts';
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
    this.largeObjects = new LargeObjects(this, 'LargeObjects', { key: this.key, table: this.store.table, configBucket: this.config.bucket, quarantine: this.ingestion.quarantine, reviewUrl, ingest: this.ingestion.fn, deadLetters: this.ingestion.deadLetters });
    this.publisher = new Publisher(this, 'Publisher', { key: this.key, table: this.store.table, reviewUrl });
    this.notifications = new Notifications(this, 'Notifications', { key: this.key, bus: this.publisher.bus, deadLetters: this.publisher.targetDeadLetters, ...(props.notifyEmail ? { email: props.notifyEmail } : {}) });
    this.observability = new Observability(this, 'Observability', {
      functions: { IngestObject: this.ingestion.fn, IngestStream: this.streams.fn, Publish: this.publisher.fn, ReviewApi: this.review.fn },
      deadLetterQueues: { Ingest: this.ingestion.deadLetters, Stream: this.streams.deadLetters, Publish: this.publisher.deadLetters },
      ingestQueue: this.ingestion.queue,
      streamFunction: this.publisher.fn,
      alarmAction: new SnsAction(this.notifications.topic),
    });
  }
}
