import { createHash, randomUUID } from 'node:crypto';
import { request, type Server } from 'node:http';
import { bufferingServer } from './http.ts';
import type { AddressInfo } from 'node:net';
import { startLocalStore } from '#shared/store/local.ts';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { jsonService, loopbackEnv, s3Loopback, stsLoopback } from '../integration/aws.ts';
import { sfnLoopback } from './sfn-loopback.ts';
import { versionedS3 } from './versioned-s3.ts';

/** One request as it reached a loopback AWS service, and which function of the stack sent it. */
export interface WireCall {
  caller: string;
  service: 's3' | 'dynamodb' | 'json' | 'sts';
  method: string;
  /** Path without the query. */
  path: string;
  query: Record<string, string>;
  /** x-amz-target of JSON-protocol requests (DynamoDB, SQS, EventBridge, Secrets Manager). */
  target?: string;
  /** JSON body, or the form parameters of a query-protocol request (STS). */
  body?: Record<string, any>;
  /** The session token that signed it (x-amz-security-token): credentials from sts:AssumeRole. */
  session?: string;
  status: number;
}

/** Who the next requests come from: the harness names the function it is running. */
export interface Recorder { caller: string; calls: WireCall[] }

/**
 * Forwards every request to `upstream` unchanged (the Host header too, so signatures still
 * match) and records it: the services' request log, independent of the SDK that sent it.
 */
async function recordingProxy(upstream: string, service: WireCall['service'], recorder: Recorder) {
  const target = new URL(upstream);
  const server: Server = bufferingServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    const type = String(req.headers['content-type'] ?? '');
    const json = /json/.test(type) && body.length ? JSON.parse(body.toString('utf8')) as Record<string, any> : /x-www-form-urlencoded/.test(type) ? Object.fromEntries(new URLSearchParams(body.toString('utf8'))) : undefined;
    const call: WireCall = { caller: recorder.caller, service, method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), query: Object.fromEntries(url.searchParams), status: 0, ...(req.headers['x-amz-target'] ? { target: String(req.headers['x-amz-target']) } : {}), ...(json ? { body: json } : {}), ...(req.headers['x-amz-security-token'] ? { session: String(req.headers['x-amz-security-token']) } : {}) };
    recorder.calls.push(call);
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
      call.status = ur.statusCode ?? 0;
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    up.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * The AWS services the functions use, on loopback: S3 (s3rver behind a versioning layer, as the
 * config bucket is versioned), DynamoDB (dynalite), SQS, EventBridge and Secrets Manager
 * (JSON-protocol stand-ins), Step Functions (the stack's state machines) and STS, each behind a
 * recording proxy. `env` is what a function needs to reach them instead of AWS.
 */
export async function loopbackAws(secrets: Record<string, string>, stateMachines: string[] = []) {
  const recorder: Recorder = { caller: 'test', calls: [] };
  const s3 = await s3Loopback();
  const versioned = await versionedS3(s3.endpoint);
  const dynamo = await startLocalStore();
  const json = await jsonService((target, body) => {
    if (target === 'AWSEvents.PutEvents') return { FailedEntryCount: 0, Entries: (body.Entries as unknown[]).map(() => ({ EventId: randomUUID() })) };
    if (target === 'AmazonSQS.SendMessage') return { MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(String(body.MessageBody)).digest('hex') };
    if (target === 'secretsmanager.GetSecretValue') {
      const id = String(body.SecretId);
      return id in secrets ?  { ARN: id, Name: id.split(':').at(-1), SecretString: secrets[id] } : {};
    }
    return {};
  });
  const sfn = await sfnLoopback({ stateMachines, s3: s3.client });
  const sts = await stsLoopback();
  const proxies = { s3: await recordingProxy(versioned.endpoint, 's3', recorder), dynamodb: await recordingProxy(dynamo.endpoint, 'dynamodb', recorder), json: await recordingProxy(json.endpoint, 'json', recorder), sfn: await recordingProxy(sfn.endpoint, 'json', recorder), sts: await recordingProxy(sts.endpoint, 'sts', recorder) };
  const env = { ...loopbackEnv({ s3: proxies.s3.endpoint, dynamodb: proxies.dynamodb.endpoint, json: proxies.json.endpoint, sts: proxies.sts.endpoint }), AWS_ENDPOINT_URL_SFN: proxies.sfn.endpoint, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  // The test's own writes that must become versions (the config bucket's objects).
  const versionedClient = new S3Client({ endpoint: versioned.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  /** Puts a new version of an object; returns its version id. */
  const putVersion = async (bucket: string, key: string, body: string | Buffer) => (await versionedClient.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).VersionId!;
  return {
    recorder, s3, dynamo, json, sfn, env, putVersion,
    close: async () => {
      for (const p of Object.values(proxies)) await p.close();
      versionedClient.destroy();
      await versioned.close();
      await s3.close();
      await dynamo.close();
      await json.close();
      await sfn.close();
      await sts.close();
    },
  };
}
export type LoopbackAws = Awaited<ReturnType<typeof loopbackAws>>;
