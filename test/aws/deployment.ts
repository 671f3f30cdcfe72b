import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoFlagStore } from '#shared/store/index.ts';
import { ensureTable } from '#shared/store/local.ts';
import { repoRoot } from '#test/helpers.ts';
import type { Assembly } from './assembly.ts';
import { LambdaSandbox } from './lambda-runtime.ts';
import { loopbackAws, type LoopbackAws } from './loopback.ts';
import { API_SCOPES, startTestProvider, type TestProvider } from '../e2e/oidc-provider.ts';
import { ACCOUNT, DeployedStack, REGION, type DeployedResource } from './stack-model.ts';

export type FunctionName = 'ingest-object' | 'ingest-stream' | 'publish' | 'review-api';
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
  private constructor(readonly stack: DeployedStack, readonly aws: LoopbackAws, readonly assembly: Assembly, readonly store: DynamoFlagStore) {}

  static async start(assembly: Assembly): Promise<LocalDeployment> {
    const stack = new DeployedStack(assembly.template);
    const secrets = Object.fromEntries(stack.ofType('AWS::SecretsManager::Secret').map((s) => [s.ref, `secret-of-${s.id}`]));
    const aws = await loopbackAws(secrets);
    for (const b of stack.ofType('AWS::S3::Bucket')) await aws.s3.bucket(b.ref);
    await aws.s3.bucket(DATA_BUCKET);
    const tables = stack.ofType('AWS::DynamoDB::Table');
    for (const t of tables) await ensureTable(aws.dynamo.client, t.ref);
    const d = new LocalDeployment(stack, aws, assembly, new DynamoFlagStore(aws.dynamo.client, tables[0]!.ref));
    const config = d.function('ingest-object').props.Environment.Variables.CONFIG_BUCKET as string;
    for (const f of ['ittmon.yaml', 'people.csv', 'catalog.csv']) await aws.s3.put(config, f, readFileSync(join(repoRoot, 'examples', f)));
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

  /** The function of the stack built from functions/{name}/handler.ts. */
  function(name: FunctionName): DeployedResource {
    const fn = this.stack.ofType('AWS::Lambda::Function').find((f) => f.props.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === `ittmon-${name}`);
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
  sandbox(name: FunctionName): LambdaSandbox {
    const fn = this.function(name);
    const asset = this.assembly.assets[fn.id];
    if (!asset) throw new Error(`${fn.id} has no bundled asset in the assembly`);
    const env = fn.props.Environment?.Variables as Record<string, string> | undefined;
    const rewrite = name === 'review-api' && this.idp && env ? { [env.COGNITO_ISSUER!]: this.idp.issuer, [env.COGNITO_DOMAIN_URL!]: this.idp.issuer } : {};
    return new LambdaSandbox(this.stack, fn.id, asset, this.aws.env, rewrite);
  }

  /** Where S3 notifications come from (the created log bucket, or the configured sources) and under which prefix. */
  notifiedBucket(): { bucket: string; prefix: string } {
    const n = this.stack.ofType('Custom::S3BucketNotifications')[0];
    if (!n) throw new Error('the stack configures no S3 notifications');
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

  async close(): Promise<void> {
    for (const s of this.sandboxes.values()) s.close();
    await this.idp?.close();
    await this.aws.close();
  }
}
