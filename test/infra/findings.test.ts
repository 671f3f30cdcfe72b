import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { parseStackSettings, type StackSettings } from '../../infra/settings.ts';
import { noBundling, shippedSettings, SOURCES_YAML } from './fixtures.ts';

// The review of issue 11, finding by finding: each test fails on the stack as it was before.
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: { Service?: unknown; AWS?: unknown }; Condition?: Record<string, Record<string, unknown>> };

let plain: Template;
let sources: Template;
let sourceAccount: Template;
let partnerAccount: Template;

const synth = (settings: StackSettings) => {
  const built = buildApp(new App({ context: noBundling }), settings);
  built.app.synth(); // cdk-nag findings that are not acknowledged throw here
  return built;
};
const actions = (s: Statement) => [s.Action].flat();
const keyStatements = (t: Template): Statement[] => Object.values(t.findResources('AWS::KMS::Key')).flatMap((k) => k.Properties.KeyPolicy.Statement);
const roleStatements = (t: Template, role: RegExp): Statement[] => Object.values(t.findResources('AWS::IAM::Policy'))
  .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => role.test(r.Ref))).flatMap((p) => p.Properties.PolicyDocument.Statement);
const allIdentityStatements = (t: Template): Statement[] => Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
const json = (v: unknown) => JSON.stringify(v);

beforeAll(() => {
  plain = Template.fromStack(synth({ ...shippedSettings(), notifications: { emails: ['export-control@northfield.edu'] } }).stack);
  const built = synth(parseStackSettings(SOURCES_YAML));
  sources = Template.fromStack(built.stack);
  sourceAccount = Template.fromStack(built.sources.find((s) => s.account === '444455556666')!);
  partnerAccount = Template.fromStack(built.sources.find((s) => s.account === '777788889999')!);
}, 120_000);

describe('1. the log groups can be created: the key lets CloudWatch Logs use it', () => {
  it('has a statement for logs.<region>.amazonaws.com conditioned on this account\'s log-group ARNs', () => {
    const logs = keyStatements(plain).find((s) => String(json(s.Principal?.Service)).includes('logs.'));
    expect(logs).toBeDefined();
    expect(json(logs!.Principal!.Service)).toBe(json({ 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] }));
    expect(actions(logs!)).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']));
    expect(json(logs!.Condition)).toBe(json({ ArnLike: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:*']] } } }));
  });
  it('and every log group in the stack is encrypted with that key', () => {
    const groups = Object.values(plain.findResources('AWS::Logs::LogGroup'));
    // five functions (config-changed too), the API's access log, the replay state machine, and the large-object task (flow logs, task, state machine)
    expect(groups.length).toBe(10);
    for (const g of groups) expect(g.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] });
  });
});

describe('3. alarms can notify: CloudWatch may publish to the encrypted topic', () => {
  const alarmArns = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:ITTMonitor-*']] };
  it('the topic policy lets cloudwatch.amazonaws.com publish, for this stack\'s alarms only', () => {
    plain.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: { ArnLike: { 'aws:SourceArn': alarmArns }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })]) } });
  });
  it('the key lets cloudwatch.amazonaws.com encrypt for the topic, on the same condition', () => {
    const cw = keyStatements(plain).find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(actions(cw!).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(json(cw!.Condition)).toBe(json({ ArnLike: { 'aws:SourceArn': alarmArns }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }));
  });
  it('every alarm is named so that the condition matches it, and acts on the topic', () => {
    const alarms = Object.values(plain.findResources('AWS::CloudWatch::Alarm'));
    for (const a of alarms) {
      expect(a.Properties.AlarmName).toMatch(/^ITTMonitor-/);
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^NotificationsTopic/) }]);
    }
  });
});

describe('4. object tags are read from the data buckets, and a refusal is alarmed', () => {
  it('grants GetObjectTagging on the dataBuckets (bucket and prefix), and not on the log buckets', () => {
    const tagging = allIdentityStatements(sources).filter((s) => actions(s).includes('s3:GetObjectTagging'));
    expect(tagging.map((s) => json(s.Resource)).sort()).toEqual([
      json({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::nfu-aero-research/*']] }),
      json({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::nfu-shared/projects/*']] }),
    ].sort());
    expect(allIdentityStatements(plain).filter((s) => actions(s).includes('s3:GetObjectTagging'))).toEqual([]); // none configured: none granted
  });
  it('tells the function where it may read tags (ITTMON_TAG_BUCKETS)', () => {
    sources.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ITTMON_TAG_BUCKETS: json([{ bucket: 'nfu-aero-research', prefix: '' }, { bucket: 'nfu-shared', prefix: 'projects/' }]) }) } });
  });
  it('alarms when a lookup is denied', () => {
    plain.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'ITTMonitor', MetricName: 'TagLookupsDenied', Dimensions: [{ Name: 'service', Value: 'ingest-object' }], Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });
});

describe('5. SSE-KMS and cross-account log buckets', () => {
  it('decrypts a same-account SSE-KMS source only through S3', () => {
    const decrypt = allIdentityStatements(sources).filter((s) => json(s.Resource).includes('key/11111111'));
    expect(decrypt).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555', Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } } })]);
  });
  it('assumes the read role of a source account (and reads nothing there with its own identity)', () => {
    const ingest = roleStatements(sources, /^IngestionFunctionServiceRole/);
    expect(ingest.filter((s) => actions(s).includes('sts:AssumeRole')).map((s) => s.Resource)).toEqual([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::444455556666:role/ittmon-read-NfuMonitor']] }]);
    expect(json(ingest)).not.toMatch(/acme-trail|key\/66666666/);
    sources.hasResourceProperties('AWS::IAM::Role', { RoleName: { 'Fn::Join': ['', ['NfuMonitor-ingest-object-', { Ref: 'AWS::Region' }]] } });
    sources.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ITTMON_READ_ROLES: Match.anyValue() }) } });
  });
  it('reads a bucket-policy source in another account with an identity grant as well', () => {
    expect(roleStatements(sources, /^IngestionFunctionServiceRole/).filter((s) => json(s.Resource).includes('partner-logs/github/*')).map((s) => s.Action)).toEqual(['s3:GetObject']);
  });
  it('ships the source account\'s stack: the read role, trusted only by the ingest role, reading only its prefixes', () => {
    sourceAccount.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ittmon-read-NfuMonitor', MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Action: 'sts:AssumeRole', Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] } }, Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:role/NfuMonitor-ingest-object-us-east-1']] } } } })] },
    });
    const role = Object.values(sourceAccount.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]).filter((s) => !actions(s).some((a) => a.startsWith('s3:PutBucketNotification') || a.startsWith('logs:')));
    expect(role).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-trail/*']] } }),
      expect.objectContaining({ Action: 'kms:Decrypt', Resource: 'arn:aws:kms:us-east-1:444455556666:key/66666666-7777-8888-9999-000000000000', Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } } }),
    ]));
    sourceAccount.hasResourceProperties('Custom::S3BucketNotifications', { BucketName: 'acme-trail', NotificationConfiguration: { QueueConfigurations: [Match.objectLike({ QueueArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:us-east-1:111122223333:NfuMonitor-ingest']] } })] } });
    sources.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'NfuMonitor-ingest' });
  });
  it('a bucket-policy source account gets the notification only, no role', () => {
    partnerAccount.resourceCountIs('AWS::IAM::Role', 1); // CDK's notification handler
    partnerAccount.hasResourceProperties('Custom::S3BucketNotifications', { BucketName: 'partner-logs', NotificationConfiguration: { QueueConfigurations: [Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'github/' }] } } })] } });
  });
});

describe('6. operability', () => {
  it('outputs the queue ARN, the config and log buckets, the topic, the review URL and the cross-account role', () => {
    const outputs = Object.keys(plain.toJSON().Outputs);
    expect(outputs).toEqual(expect.arrayContaining(['IngestQueueArn', 'IngestRoleArn', 'ConfigBucketName', 'LogsBucketName', 'AccessLogsBucketName', 'TopicArn', 'ReviewUrl', 'EventBusName', 'DashboardName']));
    expect(Object.keys(sources.toJSON().Outputs)).toEqual(expect.arrayContaining(['ReadRoleArn444455556666']));
    expect(Object.keys(sources.toJSON().Outputs)).not.toContain('LogsBucketName'); // no created bucket when log buckets are given
  });
  it('lets S3 server access logging and CloudTrail deliver into the created log bucket', () => {
    const policy = Object.values(plain.findResources('AWS::S3::BucketPolicy')).find((p) => p.Properties.Bucket.Ref.startsWith('IngestionLogs'))!;
    const st: Statement[] = policy.Properties.PolicyDocument.Statement;
    const by = (service: string, action: string) => st.find((s) => s.Principal?.Service === service && actions(s).includes(action));
    expect(by('logging.s3.amazonaws.com', 's3:PutObject')?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    expect(by('cloudtrail.amazonaws.com', 's3:GetBucketAcl')).toBeDefined();
    expect(json(by('cloudtrail.amazonaws.com', 's3:PutObject')?.Resource)).toMatch(/AWSLogs\/.*AWS::AccountId.*\/\*/);
    expect(by('cloudtrail.amazonaws.com', 's3:PutObject')?.Condition?.StringEquals).toMatchObject({ 's3:x-amz-acl': 'bucket-owner-full-control' });
  });
  it('two stacks can share an account: bus, dashboard, queue and role names come from the stack name', () => {
    const names = (t: Template) => [
      ...Object.values(t.findResources('AWS::Events::EventBus')).map((b) => b.Properties.Name),
      ...Object.values(t.findResources('AWS::CloudWatch::Dashboard')).map((d) => json(d.Properties.DashboardName)),
      ...Object.values(t.findResources('AWS::SQS::Queue')).map((q) => q.Properties.QueueName).filter(Boolean),
    ];
    expect(names(plain)).toEqual(['ITTMonitor-flags', json({ 'Fn::Join': ['', ['ITTMonitor-', { Ref: 'AWS::Region' }]] }), 'ITTMonitor-ingest']);
    expect(names(sources)).toEqual(['NfuMonitor-flags', json('NfuMonitor-us-east-1'), 'NfuMonitor-ingest']);
  });
  it('e-mails every address of the settings', () => {
    expect(Object.values(sources.findResources('AWS::SNS::Subscription')).map((s) => s.Properties.Endpoint).sort()).toEqual(['export-control@northfield.edu', 'soc@northfield.edu']);
  });
});

describe('7. limits and alarms', () => {
  it('caps the SQS event source and reserves concurrency for the review API and the stream function', () => {
    sources.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 20 }, EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionQueue'), 'Arn'] } });
    sources.hasResourceProperties('AWS::Lambda::Function', { Description: 'Serves the review API and page', ReservedConcurrentExecutions: 4 });
    sources.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('CloudWatch Logs'), ReservedConcurrentExecutions: 3 });
    plain.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 10 } });
  });
  it('alarms on the ingest queue\'s age, every function\'s throttles, table throttles, API 5xx and EventBridge FailedInvocations', () => {
    plain.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionQueue'), 'QueueName'] } }], Threshold: 1800 });
    expect(Object.values(plain.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.MetricName === 'Throttles')).toHaveLength(4);
    plain.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'ITTMonitor-TableThrottles', Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ThrottledRequests' }) }) })]) });
    plain.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: Match.stringLikeRegexp('^ReviewApi') } }] });
    plain.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Events', MetricName: 'FailedInvocations', Dimensions: Match.arrayWith([{ Name: 'RuleName', Value: { Ref: Match.stringLikeRegexp('^NotificationsCritical') } }]) });
  });
  it('alarms on the depth of every dead-letter queue: redrive, stream, async-invoke and EventBridge targets alike', () => {
    const r = plain.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const dlqs = new Set<string>();
    const refOf = (v: unknown) => /"(?:Ref|Fn::GetAtt)":\[?"([A-Za-z0-9]+)"/.exec(json(v))?.[1];
    for (const res of Object.values(r)) {
      const p = res.Properties ?? {};
      if (res.Type === 'AWS::SQS::Queue' && p.RedrivePolicy) dlqs.add(refOf((p.RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn)!);
      if ((res.Type === 'AWS::Lambda::EventSourceMapping' || res.Type === 'AWS::Lambda::EventInvokeConfig') && p.DestinationConfig) dlqs.add(refOf((p.DestinationConfig as { OnFailure: unknown }).OnFailure)!);
      if (res.Type === 'AWS::Events::Rule') for (const t of p.Targets as { DeadLetterConfig?: unknown }[]) if (t.DeadLetterConfig) dlqs.add(refOf(t.DeadLetterConfig)!);
    }
    expect(dlqs.size).toBe(5); // ingest, stream, publish, notify, config change
    const watched = new Set(Object.values(plain.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ApproximateNumberOfMessagesVisible' } })).map((a) => refOf(a.Properties.Dimensions)));
    expect(watched).toEqual(dlqs);
  });
  it('alarms when an audit entry changes after it was written', () => {
    plain.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'ITTMonitor', MetricName: 'AuditChanged', Dimensions: [{ Name: 'service', Value: 'publish' }] });
  });
});

describe('8. least privilege', () => {
  it('no acknowledgement hides a future role: a stray function with the basic execution role fails synthesis', () => {
    const { app, stack } = buildApp(new App({ context: noBundling }), shippedSettings());
    new LambdaFunction(stack as Stack, 'Stray', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => {}') });
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole\]/);
  });
  it('the monitor\'s roles carry no managed policy; only CDK\'s notification handler keeps the basic execution role', () => {
    for (const [id, role] of Object.entries(plain.findResources('AWS::IAM::Role'))) {
      if (id.startsWith('BucketNotificationsHandler')) continue;
      expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
    }
  });
  it('logs are written only to the function\'s own log group, never logs:* or any logs action on *', () => {
    // The functions' roles (state machines' log delivery and VPC flow logs are services' own, checked by the policy tests).
    const functionStatements = (t: Template): Statement[] => {
      const roles = new Set(Object.values(t.findResources('AWS::Lambda::Function')).map((f) => (f.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]));
      return Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => p.Properties.Roles.some((r: { Ref: string }) => roles.has(r.Ref))).flatMap((p) => p.Properties.PolicyDocument.Statement);
    };
    for (const t of [plain, sources]) for (const s of functionStatements(t)) {
      const logs = actions(s).filter((a) => a.startsWith('logs:'));
      if (!logs.length) continue;
      expect(logs.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Logs[A-Z0-9]/), 'Arn'] });
    }
  });
  it('grants s3:GetObjectVersion only to the config-change function (the version before), and DeleteItem only to the object ingest (a CloudWatch Logs batch is stored once under its own key)', () => {
    const versionReaders = Object.values(sources.findResources('AWS::IAM::Policy')).filter((p) => json(p.Properties.PolicyDocument).includes('s3:GetObjectVersion'));
    expect(versionReaders.map((p) => p.Properties.Roles[0].Ref)).toEqual([expect.stringMatching(/^ConfigChangeFunction/)]);
    const deleters = Object.values(sources.findResources('AWS::IAM::Policy')).filter((p) => p.Properties.PolicyDocument.Statement.some((s: Statement) => s.Effect === 'Allow' && actions(s).includes('dynamodb:DeleteItem')));
    expect(deleters.map((p) => p.Properties.Roles[0].Ref).sort()).toEqual([expect.stringMatching(/^IngestionFunction/)]);
  });
  it('every role that may write the table is denied updating or deleting AUDIT# items', () => {
    const policies = Object.values(sources.findResources('AWS::IAM::Policy')).filter((p) => p.Properties.PolicyDocument.Statement.some((s: Statement) => s.Effect === 'Allow' && actions(s).some((a) => ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].includes(a))));
    expect(policies).toHaveLength(4); // ingest-object, ingest-stream, review-api, config-changed
    for (const p of policies) {
      expect(p.Properties.PolicyDocument.Statement).toContainEqual({
        Effect: 'Deny', Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FlagStoreTable/), 'Arn'] }, Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
      });
    }
  });
});
