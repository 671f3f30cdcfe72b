import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { parseStackSettings } from '../../infra/settings.ts';
import { repoRoot } from '#test/helpers.ts';
import { noBundling } from './fixtures.ts';

let template: Template;

beforeAll(() => {
  // GIVEN a stack with three collectors and the GitLab stream receiver, checked by cdk-nag
  // GIVEN settings as a user writes them in ittmon.stack.yaml
  const settings = parseStackSettings(`${readFileSync(join(repoRoot, 'ittmon.stack.yaml'), 'utf8').replace(/^collectors: \[\]$/m, '')}
collectors:
  - { source: m365, secretName: ittmon/m365 }
  - { source: gdrive, secretName: ittmon/google, everyMinutes: 60 }
  - { source: github, secretName: ittmon/github, start: "2026-11-01T00:00:00Z", maxLagMinutes: 120 }
gitlabStreamTokenSecret: ittmon/gitlab-stream
`);
  const { app, stack } = buildApp(new App({ context: noBundling }), settings);
  app.synth(); // throws on an unacknowledged finding
  template = Template.fromStack(stack);
}, 600_000);

describe('collector settings', () => {
  it('name the field, and refuse a source configured twice', () => {
    expect(() => parseStackSettings('notifications: { emails: [] }\ncollectors:\n  - { source: dropbox, secretName: x }\n')).toThrow(/collectors\[0\]\.source/);
    expect(() => parseStackSettings('notifications: { emails: [] }\ncollectors:\n  - { source: box, secretName: a }\n  - { source: box, secretName: b }\n')).toThrow(/collectors\[1\]\.source: box is configured twice/);
    expect(() => parseStackSettings('notifications: { emails: [] }\ncollectors:\n  - { source: box, secretName: a, start: yesterday }\n')).toThrow(/collectors\[0\]\.start/);
  });
});

const collectorFunctions = () => Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { COLLECTOR_SOURCE: Match.anyValue() } } } }));
const roleOf = (fn: Record<string, unknown>) => ((fn.Properties as { Role: { 'Fn::GetAtt': string[] } }).Role['Fn::GetAtt'][0]!);
const policiesOf = (role: string) => Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify((p.Properties as { Roles: unknown }).Roles).includes(role));
const statementsOf = (role: string) => policiesOf(role).flatMap((p) => (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement);

describe('collectors', () => {
  it('one function per collector, one run at a time, with the source and its start', () => {
    const fns = collectorFunctions();
    expect(fns.map(([, f]) => (f.Properties as { Environment: { Variables: { COLLECTOR_SOURCE: string } } }).Environment.Variables.COLLECTOR_SOURCE).sort()).toEqual(['gdrive', 'github', 'm365']);
    for (const [, f] of fns) expect((f.Properties as { ReservedConcurrentExecutions: number }).ReservedConcurrentExecutions).toBe(1);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { COLLECTOR_SOURCE: 'github', COLLECTOR_START: '2026-11-01T00:00:00Z' } } });
  });

  it('EventBridge Scheduler runs each on its rate, without retries (the next run resumes)', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(15 minutes)', State: 'ENABLED', Target: Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }) }) });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)' });
  });

  it('each collector reads only its own secret', () => {
    for (const [, fn] of collectorFunctions()) {
      const source = (fn.Properties as { Environment: { Variables: { COLLECTOR_SOURCE: string } } }).Environment.Variables.COLLECTOR_SOURCE;
      const secretName = { m365: 'ittmon/m365', gdrive: 'ittmon/google', github: 'ittmon/github' }[source]!;
      const secretStatements = statementsOf(roleOf(fn)).filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
      expect(secretStatements.length).toBe(1);
      const resources = JSON.stringify(secretStatements[0]!.Resource);
      expect(resources).toContain(`secret:${secretName}-??????`);
      for (const other of ['ittmon/m365', 'ittmon/google', 'ittmon/github', 'ittmon/gitlab-stream'].filter((n) => n !== secretName)) expect(resources).not.toContain(`secret:${other}-`);
    }
  });

  it('each collector writes only its own prefix and its own checkpoint item', () => {
    for (const [, fn] of collectorFunctions()) {
      const source = (fn.Properties as { Environment: { Variables: { COLLECTOR_SOURCE: string } } }).Environment.Variables.COLLECTOR_SOURCE;
      const statements = statementsOf(roleOf(fn));
      const puts = statements.filter((s) => s.Action === 's3:PutObject');
      expect(puts.length).toBe(1);
      expect(JSON.stringify(puts[0]!.Resource)).toContain(`/collected/${source}/*`);
      const table = statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
      expect(table).toEqual([expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`COLLECTOR#${source}`] } } })]);
    }
  });

  it('alarms on a refused credential, on lag and on errors, per collector, to the notifications topic', () => {
    for (const source of ['m365', 'gdrive', 'github']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CredentialFailure', Dimensions: Match.arrayWith([{ Name: 'Collector', Value: source }]), Threshold: 0, AlarmActions: Match.anyValue() });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CollectorLagSeconds', Dimensions: Match.arrayWith([{ Name: 'Collector', Value: source }]) });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CollectorLagSeconds', Dimensions: Match.arrayWith([{ Name: 'Collector', Value: 'github' }]), Threshold: 7200 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CollectorLagSeconds', Dimensions: Match.arrayWith([{ Name: 'Collector', Value: 'gdrive' }]), Threshold: 43200 });
  });

  it('collected pages reach the ingest queue through the collected-logs bucket', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', { NotificationConfiguration: { QueueConfigurations: Match.arrayWith([Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'collected/' }] } } })]) } });
  });

  it('the GitLab stream receiver is a POST route without Cognito, guarded by its token secret', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /collect/gitlab', AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { STREAM_TOKEN_SECRET_NAME: 'ittmon/gitlab-stream', COLLECTED_PREFIX: 'collected/' } } });
  });
});

describe('replay (backfill and look-back)', () => {
  const definition = () => {
    const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).find((m) => JSON.stringify(m).includes('listObjectsV2'))!;
    const body = (sm.Properties as { DefinitionString: unknown }).DefinitionString;
    // The definition is a Fn::Join of strings and tokens: render tokens as placeholders, then parse.
    const text = typeof body === 'string' ? body : ((body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]).map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
    return JSON.parse(text) as { StartAt: string; States: Record<string, Record<string, unknown>> };
  };

  it('a Distributed Map lists the bucket and prefix given at start, under a concurrency cap, tolerating 1% failures', () => {
    const map = definition().States.EachObject!;
    expect(map.Type).toBe('Map');
    expect(map.ItemReader).toEqual({ Resource: 'arn:TOKEN:states:::s3:listObjectsV2', Parameters: { 'Bucket.$': '$.bucket', 'Prefix.$': '$.prefix' } });
    expect(map.MaxConcurrency).toBe(10);
    expect(map.ToleratedFailurePercentage).toBe(1);
    expect((map.ItemProcessor as { ProcessorConfig: unknown }).ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(map.ItemSelector).toEqual(expect.objectContaining({ 'key.$': '$$.Map.Item.Value.Key', 'etag.$': '$$.Map.Item.Value.Etag', 'lastModified.$': '$$.Map.Item.Value.LastModified', 'since.$': '$.since', 'until.$': '$.until', 'lookBack.$': '$.lookBack' }));
  });

  it('each object goes to the ingest queue as a replay message, retried with backoff and jitter', () => {
    const processor = (definition().States.EachObject!.ItemProcessor as { States: Record<string, Record<string, unknown>> }).States.Enqueue!;
    expect(processor.Resource).toBe('arn:TOKEN:states:::sqs:sendMessage');
    expect((processor.Parameters as { MessageBody: unknown }).MessageBody).toEqual({ 'replay.$': '$' });
    expect(processor.Retry).toEqual([expect.objectContaining({ ErrorEquals: ['States.TaskFailed', 'States.Timeout'], MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' })]);
  });

  it('may list the log buckets and send to the ingest queue, nothing else on data', () => {
    const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).find((m) => JSON.stringify(m).includes('listObjectsV2'))!;
    const role = (sm.Properties as { RoleArn: { 'Fn::GetAtt': string[] } }).RoleArn['Fn::GetAtt'][0]!;
    const actions = statementsOf(role).flatMap((s) => [s.Action].flat() as string[]);
    expect(actions).toEqual(expect.arrayContaining(['s3:ListBucket', 'sqs:SendMessage']));
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual(['s3:ListBucket']);
    expect(actions.some((a) => a.startsWith('dynamodb:'))).toBe(false);
  });
});
