import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoFlagStore } from '#shared/store/index.ts';
import { ensureTable } from '#shared/store/local.ts';
import { repoRoot } from '#test/helpers.ts';
import type { StackSettings } from '../../infra/settings.ts';
import type { CollectorSource } from '#shared/collect/types.ts';
import type { Assembly } from './assembly.ts';
import { NOTHING_OUTSIDE, type Outside } from './iam.ts';
import { buildTaskImage } from './large-task.ts';
import { LambdaSandbox } from './lambda-runtime.ts';
import { loopbackAws, type LoopbackAws } from './loopback.ts';
import { API_SCOPES, startTestProvider, type TestProvider } from '../e2e/oidc-provider.ts';
import { ACCOUNT, DeployedStack, REGION, STACK, type DeployedResource } from './stack-model.ts';

/** A function of the stack by its folder in functions/; a collector's by its source (`collect-box`). */
export type FunctionName = 'ingest-object' | 'ingest-stream' | 'publish' | 'review-api' | 'config-changed' | `collect-${CollectorSource}` | 'gitlab-stream';
/** A bucket outside the stack whose objects are classified by their tags (the catalog's `tags:` match). */
export const DATA_BUCKET = 'nfu-aero-research';

/**
 * The synthesized stack "deployed" on loopback: every bucket and table of the template created
 * under the names CloudFormation would give them, the config bucket filled from examples/, and
 * each function runnable from its bundle in a Lambda sandbox. Calls are recorded per function.
 */
export class LocalDeployment {
  private readonly sandboxes = new Map<FunctionName, LambdaSandbox>();
  /** The user pool stands in as a real OpenID provider on loopback; its access tokens per group. */
  private idp?: TestProvider;
  private readonly tokens = new Map<string, string>();
  private constructor(readonly stack: DeployedStack, readonly aws: LoopbackAws, readonly assembly: Assembly, readonly store: DynamoFlagStore, readonly outside: Outside, readonly secrets: Record<string, string>) {}

  /**
   * `settings`: the stack settings the assembly was synthesized from; the log and data buckets they
   * name (which no stack creates) are created on loopback, and what the policy tests know about
   * them (account, key, key policy) and about the source-account stacks goes to `outside`.
   */
  static async start(assembly: Assembly, settings?: StackSettings): Promise<LocalDeployment> {
    const stack = new DeployedStack(assembly.template);
    // Values of secrets by the ARN the functions are given: the stack's own, and the ones the settings name (set with `secret()`).
    const secrets: Record<string, string> = Object.fromEntries(stack.ofType('AWS::SecretsManager::Secret').map((s) => [s.ref, `secret-of-${s.id}`]));
    const aws = await loopbackAws(secrets, stack.ofType('AWS::StepFunctions::StateMachine').map((m) => m.ref));
    for (const b of stack.ofType('AWS::S3::Bucket')) await aws.s3.bucket(b.ref);
    for (const b of new Set([DATA_BUCKET, ...(settings?.logSources ?? []).map((s) => s.bucket), ...(settings?.dataBuckets ?? []).map((s) => s.bucket)])) await aws.s3.bucket(b);
    const tables = stack.ofType('AWS::DynamoDB::Table');
    for (const t of tables) await ensureTable(aws.dynamo.client, t.ref);
    // A bucket of another account read through its own policy: its owner names the output IngestRoleArn there and in the key policy.
    const ingestRole = String(stack.resolved.Outputs?.IngestRoleArn?.Value ?? '');
    const byPolicy = (s: StackSettings['logSources'][number]) => !!s.account && s.access === 'bucket-policy';
    const outside: Outside = settings ? {
      stacks: Object.entries(assembly.sources).map(([account, t]) => new DeployedStack(t, account, `${STACK}-source-${account}`)),
      buckets: Object.fromEntries(settings.logSources.map((s) => [s.bucket, { account: s.account ?? ACCOUNT, ...(s.kmsKeyArn ? { keyArn: s.kmsKeyArn } : {}) }])),
      keyPolicies: Object.fromEntries(settings.logSources.filter((s) => s.kmsKeyArn).map((s) => [s.kmsKeyArn!, trailKeyPolicy(s.kmsKeyArn!, byPolicy(s) ? ingestRole : undefined)])),
      bucketPolicies: Object.fromEntries(settings.logSources.filter(byPolicy).map((s) => [s.bucket, readerBucketPolicy(s.bucket, s.prefix, ingestRole)])),
    } : NOTHING_OUTSIDE;
    const d = new LocalDeployment(stack, aws, assembly, new DynamoFlagStore(aws.dynamo.client, tables[0]!.ref), outside, secrets);
    const config = d.function('ingest-object').props.Environment.Variables.CONFIG_BUCKET as string;
    // The config bucket is versioned: each file's first version, as config-changed diffs against it.
    for (const f of ['ittmon.yaml', 'people.csv', 'catalog.csv']) await aws.putVersion(config, f, readFileSync(join(repoRoot, 'examples', f)));
    // The review function signs reviewers in at the user pool: a real OpenID provider on loopback takes
    // its place, registered under the client id and callback the template gives the function.
    const review = d.function('review-api').props.Environment.Variables as Record<string, string>;
    d.idp = await startTestProvider({
      clients: [{ id: review.COGNITO_CLIENT_ID!, redirectUris: [`${review.REVIEW_URL!.replace(/\/$/, '')}/auth/callback`], postLogoutUris: [`${review.REVIEW_URL!.replace(/\/$/, '')}/signed-out`] }],
      accounts: Object.fromEntries(['viewer', 'reviewer', 'admin'].map((g) => [g, { email: `${g}@northfield.edu`, email_verified: true, name: g, groups: [g] }])),
    });
    for (const g of ['viewer', 'reviewer', 'admin']) d.tokens.set(g, await d.idp.accessToken(g, API_SCOPES));
    return d;
  }

  /** Sets the value of a secret the settings name (not created by the stack), under the ARN the function is given. */
  secret(arn: string, value: string): void {
    this.secrets[arn] = value;
  }

  /** The function of the stack built from functions/{name}/handler.ts. */
  function(name: FunctionName): DeployedResource {
    const [folder, source] = name.startsWith('collect-') ? ['collect', name.slice('collect-'.length)] : [name, undefined];
    const fn = this.stack.ofType('AWS::Lambda::Function').find((f) => f.props.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === `ittmon-${folder}` && f.props.Environment?.Variables?.COLLECTOR_SOURCE === source);
    if (!fn) throw new Error(`the stack has no function for functions/${name}`);
    return fn;
  }

  /** Runs the function's bundle with the events, in one warm sandbox per function; its AWS calls are recorded under its logical id. */
  async invoke(name: FunctionName, events: unknown[], sandbox?: LambdaSandbox): Promise<any[]> {
    const fn = this.function(name);
    if (!sandbox) {
      sandbox = this.sandboxes.get(name) ?? this.sandbox(name);
      this.sandboxes.set(name, sandbox);
    }
    this.aws.recorder.caller = fn.id;
    try {
      return await sandbox.run(events);
    } finally {
      this.aws.recorder.caller = 'test';
    }
  }

  /** A new execution environment for the function, from its asset directory alone (close it after use). */
  sandbox(name: FunctionName, lowered: Record<string, number> = {}): LambdaSandbox {
    const fn = this.function(name);
    const asset = this.assembly.assets[fn.id];
    if (!asset) throw new Error(`${fn.id} has no bundled asset in the assembly`);
    const env = fn.props.Environment?.Variables as Record<string, string> | undefined;
    const rewrite = name === 'review-api' && this.idp && env ? { [env.COGNITO_ISSUER!]: this.idp.issuer, [env.COGNITO_DOMAIN_URL!]: this.idp.issuer } : {};
    return new LambdaSandbox(this.stack, fn.id, asset, this.aws.env, rewrite, lowered);
  }

  /** Where S3 notifications come from (the created log bucket, or the configured sources; the first, or the one named) and under which prefix. */
  notifiedBucket(name?: string): { bucket: string; prefix: string } {
    // Buckets that notify the ingestion queue (the config bucket notifies EventBridge instead).
    const n = this.stack.ofType('Custom::S3BucketNotifications').find((x) => x.props.NotificationConfiguration?.QueueConfigurations?.length && (!name || x.props.BucketName === name));
    if (!n) throw new Error(`the stack configures no S3 notifications${name ? ` for ${name}` : ''}`);
    const rules = (n.props.NotificationConfiguration?.QueueConfigurations?.[0]?.Filter?.Key?.FilterRules ?? []) as { Name: string; Value: string }[];
    return { bucket: n.props.BucketName, prefix: rules.find((r) => r.Name.toLowerCase() === 'prefix')?.Value ?? 'AWSLogs/' };
  }

  /** S3 → SQS → Lambda: the SQS event whose messages are S3 notifications of these objects, as S3 writes them. */
  async s3Event(bucket: string, keys: string[]): Promise<unknown> {
    const mapping = this.stack.ofType('AWS::Lambda::EventSourceMapping').find((m) => m.props.FunctionName === this.function('ingest-object').ref);
    const queueArn = mapping?.props.EventSourceArn as string;
    const Records = await Promise.all(keys.map(async (key) => {
      const head = await this.aws.s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const body = { Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: REGION, eventTime: '2026-10-16T00:00:00.000Z', eventName: 'ObjectCreated:Put', userIdentity: { principalId: 'AWS:AIDAEXAMPLE' }, requestParameters: { sourceIPAddress: '10.0.0.1' }, responseElements: { 'x-amz-request-id': 'R', 'x-amz-id-2': 'I' }, s3: { s3SchemaVersion: '1.0', configurationId: 'ittmon', bucket: { name: bucket, ownerIdentity: { principalId: 'A' }, arn: `arn:aws:s3:::${bucket}` }, object: { key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'), size: head.ContentLength, eTag: head.ETag!.replace(/"/g, ''), sequencer: '0A1B2C3D4E5F678901' } } }] };
      return { messageId: randomUUID(), receiptHandle: 'AQEB', body: JSON.stringify(body), attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1792108800000', SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '1792108800001' }, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: REGION };
    }));
    return { Records };
  }

  /** The example logs uploaded to the notified bucket (once), and their keys. */
  async ingestExamplesKeys(): Promise<string[]> {
    const { bucket, prefix } = this.notifiedBucket();
    return (this.exampleKeys ??= this.aws.s3.upload(bucket, join(repoRoot, 'examples/logs'), prefix));
  }
  private exampleKeys?: Promise<string[]>;

  /** The example logs, ingested through the bundle. */
  async ingestExamples(): Promise<{ keys: string[]; responses: any[] }> {
    const keys = await this.ingestExamplesKeys();
    return { keys, responses: await this.invoke('ingest-object', [await this.s3Event(this.notifiedBucket().bucket, keys)]) };
  }

  /** A log object delivered again with other content (a new ETag): its old evidence is replaced. */
  async ingestChanged(): Promise<any[]> {
    const { bucket } = this.notifiedBucket();
    const key = (await this.ingestExamplesKeys()).find((k) => k.includes('s3-access'))!;
    const text = readFileSync(join(repoRoot, 'examples/logs', key.slice(key.indexOf('s3-access'))), 'utf8');
    await this.aws.s3.put(bucket, key, text.split('\n').slice(0, 3).join('\n'));
    return this.invoke('ingest-object', [await this.s3Event(bucket, [key])]);
  }

  /** An S3 access-log line for an object the catalog knows only by its tag (GetObjectTagging on the data bucket). */
  async ingestTagged(): Promise<any[]> {
    const s3 = this.aws.s3.client;
    await s3.send(new PutObjectCommand({ Bucket: DATA_BUCKET, Key: 'misc/loads-table.bin', Body: 'x' }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: DATA_BUCKET, Key: 'misc/loads-table.bin', Tagging: { TagSet: [{ Key: 'export-control', Value: 'ITAR-IV' }] } }));
    const line = `a3c1 ${DATA_BUCKET} [22/Oct/2026:10:00:00 +0000] 10.20.40.3 arn:aws:iam::${ACCOUNT}:user/mbianchi TAGREQ1 REST.GET.OBJECT misc/loads-table.bin "GET /misc/loads-table.bin HTTP/1.1" 200 - 1 1 4 2 "-" "curl/8" - hostid SigV4 suite AuthHeader host TLSv1.2`;
    const { bucket, prefix } = this.notifiedBucket();
    const key = `${prefix}tagged/${DATA_BUCKET}-2026-10-22-10-00-00-TAGGED.log`;
    await this.aws.s3.put(bucket, key, `${line}\n`);
    return this.invoke('ingest-object', [await this.s3Event(bucket, [key])]);
  }

  /** A CloudWatch Logs subscription batch (CloudTrail delivered to CloudWatch Logs), gzip + base64 as CloudWatch Logs sends it. */
  async ingestStream(): Promise<any[]> {
    const trail = JSON.parse(readFileSync(join(repoRoot, 'examples/logs/cloudtrail/111122223333_CloudTrail_us-east-1_20261015T1215Z_Qm3xV8kP2sLd9TfA.json'), 'utf8')).Records as { eventTime: string }[];
    const shifted = trail.map((r) => JSON.parse(JSON.stringify(r).replace(/2026-10-15/g, '2026-10-21')) as { eventTime: string });
    const payload = { messageType: 'DATA_MESSAGE', owner: ACCOUNT, logGroup: 'aws-cloudtrail-logs-nfu', logStream: `${ACCOUNT}_CloudTrail_${REGION}`, subscriptionFilters: ['ittmon'], logEvents: [...shifted.map((r) => JSON.stringify(r)), '{"eventVersion": "1.09", "truncated'].map((message, i) => ({ id: `${'3'.repeat(50)}${String(i).padStart(6, '0')}`, timestamp: Date.parse('2026-10-21T12:00:00Z'), message })) };
    return this.invoke('ingest-stream', [{ awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } }]);
  }

  /** The table's stream → the publisher: an INSERT record for each stored item, as DynamoDB Streams delivers it (NEW_AND_OLD_IMAGES). */
  async publishStored(): Promise<{ items: number; responses: any[] }> {
    const table = this.stack.ofType('AWS::DynamoDB::Table')[0]!;
    const { Items = [] } = await this.aws.dynamo.client.send(new ScanCommand({ TableName: table.ref }));
    // Each item as its announcing write left it: the in-flight bookkeeping mark comes with a later write the stream filter drops.
    const Records = Items.map(({ bookkeeping: _b, inflight: _i, ...item }) => item).map((item, i) => ({
      eventID: `${i}`, eventName: 'INSERT', eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: REGION, eventSourceARN: table.attrs.StreamArn,
      dynamodb: { ApproximateCreationDateTime: 1792108800, Keys: { pk: item.pk, sk: item.sk }, NewImage: item, SequenceNumber: String(100000000000000000000 + i), SizeBytes: 100, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }));
    return { items: Records.length, responses: await this.invoke('publish', [{ Records }]) };
  }

  /** An API Gateway HTTP API (payload 2.0) request; with groups, it carries an access token of a member of those groups. */
  apiEvent(method: string, path: string, groups: string[] | null, body?: unknown): unknown {
    const api = this.stack.ofType('AWS::ApiGatewayV2::Api')[0]!;
    const host = new URL(api.attrs.ApiEndpoint!).host;
    const token = groups ? this.tokens.get(groups[0]!) : undefined;
    return {
      version: '2.0', routeKey: path === '/' ? 'GET /' : `${method} /api/{proxy+}`, rawPath: path, rawQueryString: '', cookies: [],
      headers: { host, 'user-agent': 'Mozilla/5.0', accept: '*/*', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      requestContext: { accountId: ACCOUNT, apiId: api.ref, domainName: host, domainPrefix: api.ref, http: { method, path, protocol: 'HTTP/1.1', sourceIp: '10.20.30.40', userAgent: 'Mozilla/5.0' }, requestId: randomUUID(), routeKey: path === '/' ? 'GET /' : `${method} /api/{proxy+}`, stage: '$default', time: '29/Nov/2026:09:00:00 +0000', timeEpoch: 1795942800000 },
      ...(path === '/' ? {} : { pathParameters: { proxy: path.replace(/^\/api\//, '') } }),
      body: body ? JSON.stringify(body) : undefined, isBase64Encoded: false,
    };
  }

  /**
   * Step Functions → ECS Fargate: the large-object task run as its container would run it — the
   * image's /app alone (test/aws/large-task.ts), its command, the image's and the task definition's
   * environment plus the object the state machine passes (ITTMON_OBJECT) — in a child process, against
   * the loopback services; its calls are recorded under the task definition (its task role).
   */
  async runLargeTask(ref: { bucket: string; key: string; etag: string }): Promise<{ code: number; logs: string }> {
    const image = await buildTaskImage(this.assembly);
    const task = this.stack.ofType('AWS::ECS::TaskDefinition')[0]!;
    const container = task.props.ContainerDefinitions[0] as { Environment: { Name: string; Value: string }[] };
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_REGION: REGION, AWS_DEFAULT_REGION: REGION, ...this.aws.env, ...image.env,
      ...Object.fromEntries(container.Environment.map((e) => [e.Name, e.Value])), ITTMON_OBJECT: JSON.stringify(ref),
    };
    this.aws.recorder.caller = task.id;
    try {
      const [command, ...args] = image.cmd;
      return await new Promise((done) => execFile(command === 'node' ? process.execPath : command!, args, { cwd: image.app, env, maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, logs: `${stdout}${stderr}` });
      }));
    } finally {
      this.aws.recorder.caller = 'test';
    }
  }

  async close(): Promise<void> {
    for (const s of this.sandboxes.values()) s.close();
    await this.idp?.close();
    await this.aws.close();
  }
}

/**
 * The policy of a log bucket's key as its owner would write it: the default key policy (the account
 * may delegate use of the key to IAM policies) with the statement by which CloudTrail encrypts
 * trail files with it (AWS: "Configure AWS KMS key policies for CloudTrail"). Readers need an
 * identity policy allowing kms:Decrypt; nothing here names the monitor.
 */
export function trailKeyPolicy(keyArn: string, reader?: string): unknown {
  const account = keyArn.split(':')[4];
  return {
    Version: '2012-10-17',
    Statement: [
      // A bucket read through its own policy (README "Deploy to AWS"): the owner lets the monitor's ingest role decrypt, through S3 only.
      ...(reader ? [{ Sid: 'Allow ITT Monitor to read the trail', Effect: 'Allow', Principal: { AWS: reader }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } } }] : []),
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
      { Sid: 'Allow CloudTrail to encrypt logs', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Resource: '*', Condition: { StringEquals: { 'aws:SourceArn': `arn:aws:cloudtrail:${REGION}:${account}:trail/org-trail` }, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${account}:trail/*` } } },
      { Sid: 'Allow CloudTrail to describe key', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:DescribeKey', Resource: '*' },
    ],
  };
}

/**
 * The bucket policy the owner of a bucket in another account writes for `access: bucket-policy`, as
 * README "Deploy to AWS" tells them: the monitor's ingest role (output IngestRoleArn) may
 * s3:GetObject under the prefix, and nothing else.
 */
export function readerBucketPolicy(bucket: string, prefix: string, reader: string): unknown {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'ITTMonitorReadsLogs', Effect: 'Allow', Principal: { AWS: reader }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/${prefix}*` }],
  };
}
