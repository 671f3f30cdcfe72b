import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { parseStackSettings } from '../../infra/settings.ts';
import { noBundling, shippedSettings, SOURCES_YAML } from './fixtures.ts';
import { TABLE } from '#shared/store/table.ts';

let template: Template;
let withSources: Template;

beforeAll(() => {
  // GIVEN the app as `npm run synth` builds it from the shipped settings file, with cdk-nag's AwsSolutions checks
  const { app, stack } = buildApp(new App(), { ...shippedSettings(), notifications: { emails: ['export-control@northfield.edu'] } });
  // WHEN it is synthesised (cdk-nag findings that are not acknowledged make this throw)
  app.synth();
  template = Template.fromStack(stack);
  const other = buildApp(new App({ context: noBundling }), parseStackSettings(SOURCES_YAML));
  other.app.synth();
  withSources = Template.fromStack(other.stack);
}, 400_000);

describe('cdk-nag', () => {
  it('passes AwsSolutions with every acknowledgement carrying a reason (synth above would have thrown)', () => {
    expect(template.toJSON().Resources).toBeDefined();
  });
  it('does fail synthesis on an unacknowledged finding', () => {
    const app = new App();
    new Queue(new Stack(app, 'Bad'), 'PlainQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});

describe('data at rest and in transit', () => {
  it('one KMS key, rotated', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
  it('buckets block public access, and the monitor\'s own are KMS-encrypted', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    for (const b of Object.values(buckets)) expect(b.Properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' }, BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] } });
  });
  it('every bucket and queue refuses requests without TLS', () => {
    const denyInsecure = Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]);
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket'));
    const bucketPolicies = Object.values(template.findResources('AWS::S3::BucketPolicy', { Properties: { PolicyDocument: { Statement: denyInsecure } } }));
    expect(bucketPolicies.map((p) => p.Properties.Bucket.Ref).sort()).toEqual(buckets.sort());
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    const queuePolicies = Object.values(template.findResources('AWS::SQS::QueuePolicy', { Properties: { PolicyDocument: { Statement: denyInsecure } } }));
    expect(queuePolicies.flatMap((p) => p.Properties.Queues.map((q: { Ref: string }) => q.Ref)).sort()).toEqual(queues.sort());
  });
  it('queues, topic, logs and the secret use the key', () => {
    for (const q of Object.values(template.findResources('AWS::SQS::Queue'))) expect(q.Properties.KmsMasterKeyId).toBeDefined();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    for (const g of Object.values(template.findResources('AWS::Logs::LogGroup'))) expect(g.Properties).toMatchObject({ KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] }, RetentionInDays: 365 });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.anyValue() });
  });
});

describe('the flag table', () => {
  it('is the table shared/store defines: keys, indexes, TTL, stream', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' }, { AttributeName: TABLE.sortKey, KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: Object.entries(TABLE.indexes).map(([name, i]) => Match.objectLike({ IndexName: name, KeySchema: [{ AttributeName: i.partitionKey, KeyType: 'HASH' }, { AttributeName: i.sortKey, KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } })),
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      StreamSpecification: { StreamViewType: TABLE.stream },
    });
  });
  it('has point-in-time recovery, deletion protection and KMS encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
  });
});

describe('functions', () => {
  it('run Node.js 22 on arm64 with tracing', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME);
    expect(fns.map((f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).sort()).toEqual(['ittmon-config-changed', 'ittmon-ingest-object', 'ittmon-ingest-stream', 'ittmon-publish', 'ittmon-review-api']);
    for (const f of fns) expect(f.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
  });
  it('the ingest queue feeds the ingest function with partial batch responses, and its DLQ after five tries', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 5, MaximumBatchingWindowInSeconds: 10, FunctionResponseTypes: ['ReportBatchItemFailures'], EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionQueue'), 'Arn'] } });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 1800, RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionDeadLetters'), 'Arn'] } } });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 300, Environment: { Variables: Match.objectLike({ ITTMON_GEO_DB: '/var/task/geo.mmdb', ITTMON_SAFETY_MS: '60000' }) } });
  });
  it('the publisher reads the table stream, bisects and retries failing batches, then its DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FlagStoreTable'), 'StreamArn'] }, StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true, MaximumRetryAttempts: 5, FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PublisherDeadLetters'), 'Arn'] } } },
    });
  });
  it('no IAM statement grants a * action', () => {
    for (const p of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const s of p.Properties.PolicyDocument.Statement) for (const a of [s.Action].flat()) expect(a).not.toMatch(/(^\*$|:\*$)/);
    }
  });
  it('reads only the log buckets it is pointed at, and gets S3 notifications from them', () => {
    const statements = Object.values(withSources.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const reads = statements.filter((s) => s.Action === 's3:GetObject');
    expect(JSON.stringify(reads.map((s) => s.Resource))).toMatch(/acme-s3-logs\/AWSLogs\/\*.*partner-logs\/github\/\*/);
    expect(JSON.stringify(reads.map((s) => s.Resource))).not.toMatch(/acme-trail/); // read through its role
    withSources.hasResourceProperties('Custom::S3BucketNotifications', { BucketName: 'acme-s3-logs', NotificationConfiguration: { QueueConfigurations: [Match.objectLike({ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } } })] } });
    withSources.hasResourceProperties('AWS::SQS::QueuePolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:SendMessage', Principal: { Service: 's3.amazonaws.com' }, Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-trail']] } }, StringEquals: { 'aws:SourceAccount': '444455556666' } } })]) } });
    expect(JSON.stringify(withSources.findResources('Custom::S3BucketNotifications'))).not.toMatch(/acme-trail|partner-logs/); // their owners configure them
    withSources.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ITTMON_FORMATS: JSON.stringify([{ bucket: 'acme-s3-logs', prefix: 'AWSLogs/', source: 's3-access' }]) }) } });
    withSources.hasResourceProperties('AWS::Logs::SubscriptionFilter', { LogGroupName: '/aws/fsx/windows/audit', FilterPattern: '' });
    withSources.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: Match.anyValue() } } });
  });
});

describe('notifications, review, observability', () => {
  it('routes critical flags to an SNS topic with the e-mail from context', () => {
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['ittmon'], 'detail-type': ['Export Review Flag Raised', 'Export Review Flag Updated'], detail: { severity: ['critical'] } }, Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^NotificationsTopic') } })] });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'export-control@northfield.edu' });
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'ITTMonitor-flags' });
  });
  it('protects the review API with a Cognito JWT authorizer; groups viewer, reviewer, admin; MFA required', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'] });
    // /api/* for scripts; the page routes sign browsers in through the app (test/infra/sign-in.test.ts)
    for (const r of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) if (r.Properties.RouteKey.includes('/api/')) expect(r.Properties.AuthorizationType).toBe('JWT');
    expect(Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName).sort()).toEqual(['admin', 'reviewer', 'viewer']);
    template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON', AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') } });
  });
  it('alarms on every function\'s errors and the stream\'s iterator age; has a dashboard', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.filter((a) => a.Properties.MetricName === 'Errors')).toHaveLength(4);
    expect(alarms.filter((a) => a.Properties.MetricName === 'IteratorAge')).toHaveLength(1);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^NotificationsTopic/) }]);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('at scale (issue 15)', () => {
  it('the publisher is invoked for flag changes (not in-flight bookkeeping) and for audit entries changed or removed, nothing else', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FlagStore'), 'StreamArn'] },
      FilterCriteria: { Filters: [
        { Pattern: JSON.stringify({ dynamodb: { NewImage: { type: { S: ['flag'] }, bookkeeping: [{ exists: false }] } } }) },
        { Pattern: JSON.stringify({ eventName: ['MODIFY', 'REMOVE'], dynamodb: { Keys: { pk: { S: [{ prefix: 'AUDIT#' }] } } } }) },
      ] },
    });
  });
  it('the bus is archived for a year, and the SNS target retries for a day, then keeps events in a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Archive', { EventPattern: { source: ['ittmon'] }, RetentionDays: 365 });
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^NotificationsTopic') }, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationsDeadLetters'), 'Arn'] } } })],
    });
  });
  it('hands big compressed objects to a state machine that runs the same core as a Fargate task, retried, then kept in the ingest DLQ', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ LARGE_OBJECT_STATE_MACHINE: { Ref: Match.stringLikeRegexp('^LargeObjectsStateMachine') }, ITTMON_LAMBDA_MAX_COMPRESSED_BYTES: String(2 ** 31) }) } });
    template.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'states:StartExecution', Resource: { Ref: Match.stringLikeRegexp('^LargeObjectsStateMachine') } })]) } });
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(machine!.Properties.DefinitionString);
    for (const part of [/ecs:runTask\.sync/, /ITTMON_OBJECT/, /States\.JsonToString\(\$\.ref\)/, /States\.ALL/, /MaxAttempts\\+":2/, /JitterStrategy\\+":\\+"FULL/]) expect(definition).toMatch(part);
    expect(definition).toMatch(/sqs:sendMessage/);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { RequiresCompatibilities: ['FARGATE'], RuntimePlatform: { CpuArchitecture: 'ARM64' }, TaskRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionFunctionServiceRole'), 'Arn'] } });
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } }), Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })]) } });
  });
});
