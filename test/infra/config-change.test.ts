import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { parseStackSettings } from '../../infra/settings.ts';
import { noBundling, SOURCES_YAML } from './fixtures.ts';

let template: Template;
let off: Template;

const statementsOf = (t: Template, rolePrefix: RegExp) => Object.values(t.findResources('AWS::IAM::Policy'))
  .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => rolePrefix.test(r.Ref)))
  .flatMap((p) => p.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[]);
const actions = (s: { Action: string | string[] }) => [s.Action].flat();

beforeAll(() => {
  // GIVEN settings with a look-back of 180 days, log sources and collectors; cdk-nag's checks (synth throws on a finding)
  const yaml = `${SOURCES_YAML}lookBack: { days: 180 }\ncollectors:\n  - { source: github, secretName: ittmon/github }\n`;
  const { app, stack } = buildApp(new App({ context: noBundling }), parseStackSettings(yaml));
  app.synth();
  template = Template.fromStack(stack);
  const other = buildApp(new App({ context: noBundling }), parseStackSettings(SOURCES_YAML));
  other.app.synth();
  off = Template.fromStack(other.stack);
}, 200_000);

describe('config change → diff, re-evaluation, look-back', () => {
  it('the config bucket is versioned and sends its events to EventBridge; a rule sends its new objects to the function, with retries and a dead-letter queue', () => {
    // On the bucket itself, not through CDK's notifications custom resource (which names log buckets).
    const configBucket = Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: { Status: 'Enabled' }, NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } } }));
    expect(configBucket).toHaveLength(1);
    expect(configBucket[0]).toMatch(/^ConfigBucket/);
    expect(Object.values(template.findResources('Custom::S3BucketNotifications')).map((n) => n.Properties.BucketName)).not.toContainEqual({ Ref: configBucket[0] });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [{ Ref: configBucket[0] }] } } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ConfigChangeFunction'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ConfigChangeDeadLetters'), 'Arn'] } } })],
    });
  });

  it('the function knows the window and what each prefix can hold; without the setting, the window is 0', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Diffs a new config version') } }))[0]!;
    const vars = fn.Properties.Environment.Variables;
    expect(vars.LOOK_BACK_DAYS).toBe('180');
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    // Same-account sources with their format, the collected-logs prefix; cross-account buckets are not listed by the replay.
    const sources = JSON.stringify(vars.REPLAY_SOURCES);
    expect(sources).toContain('\\"bucket\\":\\"acme-s3-logs\\",\\"prefix\\":\\"AWSLogs/\\",\\"sources\\":[\\"s3-access\\"]');
    expect(sources).toContain('collected/github/');
    expect(sources).not.toContain('acme-trail');
    const offFn = Object.values(off.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Diffs a new config version') } }))[0]!;
    expect(offFn.Properties.Environment.Variables.LOOK_BACK_DAYS).toBe('0');
  });

  it('least privilege: the config bucket\'s versions, the table without rewriting audit entries, and starting the replay state machine only', () => {
    const st = statementsOf(template, /^ConfigChangeFunctionServiceRole/);
    const allowed = st.filter((s) => s.Effect === 'Allow').flatMap(actions).sort();
    expect(allowed).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Query', 'dynamodb:UpdateItem', 'kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucketVersions', 'states:StartExecution', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].sort());
    expect(st.find((s) => actions(s).includes('states:StartExecution'))!.Resource).toEqual({ Ref: expect.stringMatching(/^ReplayStateMachine/) });
    expect(st.find((s) => actions(s).includes('s3:ListBucketVersions'))!.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ConfigBucket/), 'Arn'] });
    expect(st.some((s) => s.Effect === 'Deny' && actions(s).includes('dynamodb:UpdateItem') && JSON.stringify(s.Condition).includes('AUDIT#*'))).toBe(true);
  });

  it('the review role reads the replay state machine\'s executions and map runs, and nothing else of Step Functions', () => {
    const st = statementsOf(template, /^ReviewFunctionServiceRole/).filter((s) => actions(s).some((a) => a.startsWith('states:')));
    expect(st.flatMap(actions).sort()).toEqual(['states:DescribeExecution', 'states:DescribeMapRun', 'states:ListExecutions', 'states:ListMapRuns']);
    const text = JSON.stringify(st.map((s) => s.Resource));
    expect(text).toContain(':execution:');
    expect(text).toContain(':mapRun:');
    expect(text).not.toMatch(/"\*"/);
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Serves the review API and page' } }))[0]!;
    expect(fn.Properties.Environment.Variables.REPLAY_STATE_MACHINE_ARN).toEqual({ Ref: expect.stringMatching(/^ReplayStateMachine/) });
  });
});

describe('stack setting lookBack', () => {
  it('defaults to 0 days; a negative or fractional number is refused with the field', () => {
    expect(parseStackSettings('notifications: { emails: [] }\n').lookBack).toEqual({ days: 0 });
    expect(() => parseStackSettings('notifications: { emails: [] }\nlookBack: { days: -1 }\n')).toThrow(/:2: lookBack\.days: /);
    expect(() => parseStackSettings('notifications: { emails: [] }\nlookBack: { days: 1.5 }\n')).toThrow(/lookBack\.days/);
    expect(() => parseStackSettings('notifications: { emails: [] }\nlookBack: { weeks: 2 }\n')).toThrow(/lookBack: .*known here: days/);
  });
});
