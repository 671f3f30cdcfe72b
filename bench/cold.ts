/**
 * Cold starts as Lambda pays them: a new Node process imports the built bundle, then serves its
 * first request against loopback services (s3rver for the config and logs, dynalite for the
 * store, a JSON stand-in for Secrets Manager and EventBridge, a real OpenID provider for the
 * review API's sign-in), with the NODE_OPTIONS every function has (infra/bundling.ts). The bundle
 * carries the AWS SDK, as the deployed one does. The loopback services run in this process: their
 * CPU time is not the child's, but the child's wall time waits on them.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LAMBDA_NODE_OPTIONS } from '../infra/bundling.ts';
import { gzipSync } from 'node:zlib';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoFlagStore } from '#shared/store/index.ts';
import { ensureTable, startLocalStore } from '#shared/store/local.ts';
import { jsonService, s3Loopback } from '#test/integration/aws.ts';
import { API_SCOPES, startTestProvider } from '#test/e2e/oidc-provider.ts';

const run = promisify(execFile);
/** BENCH_NODE=PATH: the child runs under that Node (Lambda runs Node 22; this machine has Node 20). */
const node = process.env.BENCH_NODE ?? process.execPath;
/** BENCH_CPU_PROF=DIR: each child writes a V8 CPU profile there (where a cold start spends its time). */
const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];

/** In the child: time the import, then the first invocation; exit as soon as it is answered. */
const CHILD = `
const t0 = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const cpu0 = process.cpuUsage();
const context = { getRemainingTimeInMillis: () => 900000, functionName: 'bench', awsRequestId: 'cold' };
const reply = await handler(JSON.parse(process.env.BENCH_EVENT), context);
const t2 = performance.now();
const cpu = process.cpuUsage();
// ingest-stream answers nothing (undefined); a failure throws.
const ok = reply === undefined || reply.statusCode === 200 || (Array.isArray(reply.batchItemFailures) && reply.batchItemFailures.length === 0);
console.log(JSON.stringify({ importMs: t1 - t0, firstRequestMs: t2 - t1, totalMs: t2, cpuMs: (cpu.user + cpu.system) / 1000, importCpuMs: (cpu0.user + cpu0.system) / 1000, ok, reply: ok ? undefined : reply }));
process.exit(0);
`;

/** Wall times, and the child's CPU time (user + system, from process start: Node's own start-up included) after the import and after the first reply. */
export interface ColdStart { importMs: number; firstRequestMs: number; totalMs: number; importCpuMs: number; cpuMs: number }
/** measure: one cold start; nodeOptions (default: the functions' own) lets a variant be compared in the same run. */
export interface ColdBench { measure(fn: string, bundle: string, nodeOptions?: string): Promise<ColdStart>; hasFirstRequest(fn: string): boolean; close(): Promise<void> }

export async function coldBench(root: string): Promise<ColdBench> {
  const s3 = await s3Loopback();
  for (const b of ['ittmon-config', 'logs', 'ittmon-quarantine']) await s3.bucket(b);
  for (const f of ['ittmon.yaml', 'people.csv', 'catalog.csv']) await s3.put('ittmon-config', f, readFileSync(join(root, 'examples', f)));
  const logKey = 'AWSLogs/github/nfu-aero-audit-2026-10-15.jsonl';
  await s3.put('logs', logKey, readFileSync(join(root, 'examples', 'logs', 'github', 'nfu-aero-audit-2026-10-15.jsonl')));
  const dynamo = await startLocalStore();
  await ensureTable(dynamo.client, 'ittmon-bench');
  const aws = await jsonService((target) => (target === 'secretsmanager.GetSecretValue' ? { SecretString: 'bench-secret', Name: 'x', ARN: 'arn' } : target === 'AWSEvents.PutEvents' ? { FailedEntryCount: 0, Entries: [{ EventId: '1' }] } : {}));
  const idp = await startTestProvider({ clients: [{ id: 'review-client', redirectUris: ['https://review.example.edu/auth/callback'], postLogoutUris: ['https://review.example.edu/'] }], accounts: { vera: { email: 'viewer@northfield.edu', email_verified: true, name: 'Vera Viewer', groups: ['viewer'] } } });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', ITTMON_S3_PATH_STYLE: 'true',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED', AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_EVENTBRIDGE: aws.endpoint,
    AWS_ENDPOINT_URL_SQS: aws.endpoint, AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint, AWS_ENDPOINT_URL_SFN: aws.endpoint,
    TABLE_NAME: 'ittmon-bench', CONFIG_BUCKET: 'ittmon-config', QUARANTINE_BUCKET: 'ittmon-quarantine', EVENT_BUS_NAME: 'ittmon-flags',
    QUEUE_URL: `${aws.endpoint}/111122223333/ittmon-ingest`, LARGE_OBJECT_STATE_MACHINE: 'arn:aws:states:us-east-1:111122223333:stateMachine:ittmon-large',
    COGNITO_ISSUER: idp.issuer, COGNITO_CLIENT_ID: 'review-client', COGNITO_DOMAIN_URL: idp.issuer, REVIEW_SCOPE_PREFIX: 'ittmon',
    REVIEW_URL: 'https://review.example.edu', REVIEW_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
    POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
  const sqs = (body: unknown) => ({ Records: [{ messageId: randomUUID(), receiptHandle: 'r', body: JSON.stringify(body), attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:ittmon-ingest', awsRegion: 'us-east-1' }] });
  const events: Record<string, () => Promise<unknown>> = {
    // The review page's first click: the queue, as a script with an access token asks for it (a browser is sent to sign in first).
    'review-api': async () => ({
      version: '2.0', routeKey: '$default', rawPath: '/api/flags', rawQueryString: '', headers: { host: 'api.example.com', authorization: `Bearer ${await idp.accessToken('vera', API_SCOPES)}` },
      requestContext: { accountId: '1', apiId: 'a', domainName: 'api.example.com', domainPrefix: 'api', http: { method: 'GET', path: '/api/flags', protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'bench' }, requestId: 'r', routeKey: '$default', stage: '$default', time: '', timeEpoch: 0 },
      isBase64Encoded: false,
    }),
    // A CloudWatch Logs subscription batch of CloudTrail events (the example trail).
    'ingest-stream': async () => {
      const trail = JSON.parse(readFileSync(join(root, 'examples/logs/cloudtrail/111122223333_CloudTrail_us-east-1_20261015T1215Z_Qm3xV8kP2sLd9TfA.json'), 'utf8')).Records as { eventTime: string }[];
      const payload = { messageType: 'DATA_MESSAGE', owner: '111122223333', logGroup: 'aws-cloudtrail-logs', logStream: `bench-${randomUUID()}`, subscriptionFilters: ['ittmon'], logEvents: trail.map((r, i) => ({ id: String(i), timestamp: Date.parse(r.eventTime), message: JSON.stringify(r) })) };
      return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } };
    },
    // A stream record of a stored flag (the first ingest-object run stored some), as the DynamoDB stream delivers it.
    publish: async () => {
      const [flag] = await new DynamoFlagStore(dynamo.client, 'ittmon-bench').allFlags();
      if (!flag) throw new Error('publish: no stored flag to announce (ingest-object runs first)');
      return { Records: [{ eventID: '1', eventName: 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: '1', NewImage: marshall({ pk: `FLAG#${flag.id}`, sk: 'FLAG', type: 'flag', ...flag }, { removeUndefinedValues: true }) } }] };
    },
    // One S3 notification for one log object, as SQS delivers it.
    'ingest-object': async () => sqs({ Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: '2026-10-16T00:00:00.000Z', eventName: 'ObjectCreated:Put', s3: { s3SchemaVersion: '1.0', bucket: { name: 'logs', arn: 'arn:aws:s3:::logs' }, object: { key: logKey, size: 1 } } }] }),
  };
  return {
    async measure(fn, bundle, nodeOptions = LAMBDA_NODE_OPTIONS) {
      const event = events[fn];
      const childEnv = { ...env, BENCH_BUNDLE: `file://${bundle}`, BENCH_EVENT: JSON.stringify(event ? await event() : {}) };
      const script = event ? CHILD : `const t0 = performance.now(); await import(process.env.BENCH_BUNDLE); const t1 = performance.now(); const c = process.cpuUsage(); const cpuMs = (c.user + c.system) / 1000; console.log(JSON.stringify({ importMs: t1 - t0, firstRequestMs: 0, totalMs: t1, importCpuMs: cpuMs, cpuMs, ok: true }));`;
      const { stdout } = await run(node, [...nodeOptions.split(' ').filter(Boolean), ...profile, '--input-type=module', '-e', script], { env: childEnv, cwd: root, maxBuffer: 1 << 24 });
      const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as ColdStart & { ok: boolean; reply?: unknown };
      if (!r.ok) throw new Error(`${fn}: the first request failed: ${JSON.stringify(r.reply)}`);
      return r;
    },
    hasFirstRequest: (fn) => fn in events,
    async close() {
      await idp.close();
      await aws.close();
      await dynamo.close();
      await s3.close();
    },
  };
}
