import { Duration, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { HttpMethod, type HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpNoneAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CollectorSource } from '#shared/collect/types.ts';
import { IttmonFunction } from './function.ts';
import { acknowledge, allow, allowKey, arnToken } from './grants.ts';

/** One collector as the stack settings give it. */
export interface CollectorSettings {
  source: CollectorSource;
  /** The Secrets Manager secret (name) holding the credentials JSON (README "Collectors"). */
  secretName: string;
  /** How often to pull, in minutes (default 15). */
  everyMinutes?: number;
  /** The first run's starting point (ISO); default: one day before the first run. */
  start?: string;
  /** Alarm when the newest record collected is older than this (default: 6 h; Google Drive: 12 h). */
  maxLagMinutes?: number;
}

export interface CollectorsProps {
  key: IKey;
  table: ITable;
  accessLogs: IBucket;
  /** The ingest queue and function: collected pages go through the normal ingest path. */
  ingestQueue: IQueue;
  ingestFunction: IFunction;
  collectors: CollectorSettings[];
  /** GitLab streaming audit events: a receiver on this API, its token in this secret (name). */
  gitlabStream?: { api: HttpApi; tokenSecretName: string };
  alarmAction?: IAlarmAction;
}

const PREFIX = 'collected/';

/**
 * SaaS audit logs in: one scheduled function per collector pulls pages from the vendor's API into
 * the collected-logs bucket, whose notifications feed the ingest queue.
 * Failure impact: a failing collector stops advancing its checkpoint; the next successful run
 * catches up from it, as far back as the vendor keeps records (M365 7 days, GitHub git events 7
 * days, Box streaming ~14 days, Google ~180 days). A refused credential raises the
 * CredentialFailure alarm; the other collectors go on. Replay: delete the checkpoint item
 * (`COLLECTOR#source`) to start again from `start`.
 */
export class Collectors extends Construct {
  readonly bucket: Bucket;
  readonly functions: Partial<Record<CollectorSource, IttmonFunction>> = {};
  readonly alarms: Alarm[] = [];
  readonly streamFunction?: IttmonFunction;

  constructor(scope: Construct, id: string, props: CollectorsProps) {
    super(scope, id);
    // SSE-S3 like the stack's own log bucket: a KMS bucket notifying the KMS queue would make the
    // key policy name the bucket and the bucket name the key (a cycle CloudFormation rejects).
    this.bucket = new Bucket(this, 'Collected', {
      encryption: BucketEncryption.S3_MANAGED, enforceSSL: true, blockPublicAccess: BlockPublicAccess.BLOCK_ALL, objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs, serverAccessLogsPrefix: 'collected/', lifecycleRules: [{ expiration: Duration.days(5 * 366) }], removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(props.ingestQueue), { prefix: PREFIX });
    allow(props.ingestFunction, ['s3:GetObject'], [this.bucket.arnForObjects(`${PREFIX}*`)]);
    acknowledge(props.ingestFunction, { [`AwsSolutions-IAM5[Resource::${arnToken(this.bucket)}/${PREFIX}*]`]: 'Reads the pages the collectors store under collected/: they are the input.' });

    const alarm = (name: string, description: string, metric: Metric, threshold: number) => {
      const a = new Alarm(this, name, { alarmDescription: description, metric, threshold, evaluationPeriods: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, treatMissingData: TreatMissingData.NOT_BREACHING });
      if (props.alarmAction) a.addAlarmAction(props.alarmAction);
      this.alarms.push(a);
    };
    const seen = new Set<CollectorSource>();
    for (const c of props.collectors) {
      if (seen.has(c.source)) throw new Error(`collectors: ${c.source} is configured twice; one collector per source`);
      seen.add(c.source);
      const name = c.source[0]!.toUpperCase() + c.source.slice(1);
      const secret = Secret.fromSecretNameV2(this, `${name}Secret`, c.secretName);
      const fn = new IttmonFunction(this, `${name}Function`, {
        name: 'collect', key: props.key, timeout: Duration.minutes(15), memorySize: 512,
        description: `Collects ${c.source} audit logs into the collected-logs bucket`,
        // One run at a time per collector: two overlapping runs would race on the checkpoint.
        reservedConcurrentExecutions: 1,
        // The secret by name: a partial ARN whose name ends in a dash and six characters (ittmon/gitlab-stream)
        // would be taken for a full ARN by Secrets Manager, and not found.
        environment: {
          COLLECTOR_SOURCE: c.source, COLLECTOR_SECRET_NAME: secret.secretName, COLLECTED_BUCKET: this.bucket.bucketName, COLLECTED_PREFIX: PREFIX,
          TABLE_NAME: props.table.tableName, ...(c.start ? { COLLECTOR_START: c.start } : {}),
        },
      });
      this.functions[c.source] = fn;
      allowSecret(fn, secret); // its own secret only
      allow(fn, ['s3:PutObject'], [this.bucket.arnForObjects(`${PREFIX}${c.source}/*`)]);
      fn.addToRolePolicy(new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`COLLECTOR#${c.source}`] } },
      }));
      // The table's key, as DynamoDB uses it on the caller's behalf (Decrypt); the collected bucket is SSE-S3.
      allowKey(fn, props.key, false);
      acknowledge(fn, {
        [`AwsSolutions-IAM5[Resource::${arnToken(this.bucket)}/${PREFIX}${c.source}/*]`]: `Writes the ${c.source} pages it collects, under its own prefix only.`,
      });
      const invoker = new Role(this, `${name}ScheduleRole`, { assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }), description: `EventBridge Scheduler invokes the ${c.source} collector` });
      new Schedule(this, `${name}Schedule`, {
        description: `Pull ${c.source} audit logs`,
        schedule: ScheduleExpression.rate(Duration.minutes(c.everyMinutes ?? 15)),
        target: new LambdaInvoke(fn, { retryAttempts: 0, role: invoker }), // no retry: the next run resumes from the checkpoint
      });
      acknowledge(invoker, { [`AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`]: 'CDK\'s grantInvoke also covers the function\'s versions and aliases; the schedule invokes the function itself.' });
      const metric = (metricName: string, statistic: string) => new Metric({ namespace: 'ITTMonitor', metricName, statistic, period: Duration.minutes(15), dimensionsMap: { service: 'ittmon-collect', Collector: c.source } });
      alarm(`${name}CredentialFailure`, `The ${c.source} collector's credential was refused or lacks a permission: its log message names what to grant. Other collectors go on.`, metric('CredentialFailure', 'Maximum'), 0);
      alarm(`${name}Lag`, `The newest ${c.source} record collected is older than expected: the collector is failing or the vendor is late.`, metric('CollectorLagSeconds', 'Minimum'), (c.maxLagMinutes ?? (c.source === 'gdrive' ? 720 : 360)) * 60);
      alarm(`${name}Errors`, `The ${c.source} collector is failing.`, fn.metricErrors({ period: Duration.minutes(15) }), 0);
    }

    if (props.gitlabStream) {
      const secret = Secret.fromSecretNameV2(this, 'GitlabStreamToken', props.gitlabStream.tokenSecretName);
      const fn = new IttmonFunction(this, 'GitlabStreamFunction', {
        name: 'gitlab-stream', key: props.key, timeout: Duration.seconds(10), memorySize: 256,
        description: 'Receives GitLab streaming audit events into the collected-logs bucket',
        environment: { STREAM_TOKEN_SECRET_NAME: secret.secretName, COLLECTED_BUCKET: this.bucket.bucketName, COLLECTED_PREFIX: PREFIX },
      });
      this.streamFunction = fn;
      // The token secret and the SSE-S3 collected bucket only: no table, so no use of the data key.
      allowSecret(fn, secret);
      allow(fn, ['s3:PutObject'], [this.bucket.arnForObjects(`${PREFIX}gitlab-stream/*`)]);
      acknowledge(fn, { [`AwsSolutions-IAM5[Resource::${arnToken(this.bucket)}/${PREFIX}gitlab-stream/*]`]: 'Writes the streamed GitLab events under their own prefix only.' });
      // GitLab cannot sign in through Cognito: the route checks the destination's verification token instead.
      const routes = props.gitlabStream.api.addRoutes({ path: '/collect/gitlab', methods: [HttpMethod.POST], integration: new HttpLambdaIntegration('GitlabStream', fn), authorizer: new HttpNoneAuthorizer() });
      for (const route of routes) acknowledge(route, { 'AwsSolutions-APIG4': 'GitLab cannot sign in through Cognito: this route checks GitLab\'s per-destination verification token in the function.' });
      alarm('GitlabStreamErrors', 'The GitLab stream receiver is failing: GitLab retries, then drops events.', fn.metricErrors({ period: Duration.minutes(5) }), 0);
    }
  }
}

/**
 * GetSecretValue on one secret named by the settings (CDK's grantRead adds DescribeSecret, which the
 * functions never call). A secret's ARN ends in a dash and six random characters.
 */
function allowSecret(fn: IttmonFunction, secret: ISecret): void {
  allow(fn, ['secretsmanager:GetSecretValue'], [`${secret.secretArn}-??????`]);
}
