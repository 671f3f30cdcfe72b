import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import S3rver from 's3rver';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** Loopback endpoints of the services a handler talks to; `json` serves SQS, EventBridge, Secrets Manager and Step Functions. */
export interface LoopbackEndpoints { s3: string; dynamodb?: string; json?: string; sts?: string }

/**
 * The environment that points a handler's AWS SDK clients at loopback services instead of AWS:
 * region, s3rver's fixed credentials, the endpoints, path-style S3 and no flexible checksums
 * (s3rver predates them). One definition for the in-process handler tests and the bundle sandboxes.
 */
export function loopbackEnv(endpoints: LoopbackEndpoints): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    ...(endpoints.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb } : {}),
    ...(endpoints.json ? { AWS_ENDPOINT_URL_SQS: endpoints.json, AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.json, AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.json, AWS_ENDPOINT_URL_SFN: endpoints.json } : {}),
    ...(endpoints.sts ? { AWS_ENDPOINT_URL_STS: endpoints.sts } : {}),
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED', AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED', ITTMON_S3_PATH_STYLE: 'true',
  };
}

/** The same for handlers imported into the test process: sets process.env (quiet Powertools, no metrics) and the variables given. */
export function useLoopbackEnv(endpoints: LoopbackEndpoints, vars: Record<string, string>): void {
  Object.assign(process.env, loopbackEnv(endpoints), { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_DEV: 'true' }, vars);
}

/** A loopback stand-in for AWS JSON-protocol services (EventBridge, SQS, Secrets Manager): records calls by target. */
export async function jsonService(reply: (target: string, body: Record<string, unknown>) => unknown | Promise<unknown>) {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const read = (req: IncomingMessage) => new Promise<string>((r) => { let b = ''; req.on('data', (c) => { b += c; }); req.on('end', () => r(b)); });
  const server: Server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = JSON.parse((await read(req)) || '{}');
    calls.push({ target, body });
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.end(JSON.stringify((await reply(target, body)) ?? {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { calls, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** An S3-compatible server on loopback (s3rver), with a client that talks to it. */
export async function s3Loopback() {
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: mkdtempSync(join(tmpdir(), 's3rver-')), silent: true });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  return {
    endpoint, client,
    bucket: (name: string) => client.send(new CreateBucketCommand({ Bucket: name })),
    put: (bucket: string, key: string, body: string | Buffer) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })),
    /** Uploads a folder; returns the keys. */
    async upload(bucket: string, dir: string, prefix = ''): Promise<string[]> {
      const keys: string[] = [];
      const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
      for (const file of walk(dir)) {
        const key = prefix + relative(dir, file);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
        keys.push(key);
      }
      return keys;
    },
    close: async () => { client.destroy(); await server.close(); },
  };
}

/**
 * A loopback proxy in front of an S3-compatible server that refuses what IAM would refuse: requests
 * matching `denied` get S3's documented 403 AccessDenied error document; the rest pass through.
 */
export async function denyingS3Proxy(target: string, denied: (method: string, url: URL, headers: IncomingMessage['headers']) => boolean) {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    if (denied(req.method ?? 'GET', url, req.headers)) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': 'DENIED' });
      res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>DENIED</RequestId></Error>');
      return;
    }
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * A loopback STS (query protocol: form-encoded request, XML response) that answers AssumeRole with
 * s3rver's fixed keys and a session token naming the role (`session-for:ROLE_ARN`), so that a test
 * can see which role signed a request.
 */
export async function stsLoopback() {
  const calls: Record<string, string>[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      calls.push(params);
      res.setHeader('content-type', 'text/xml');
      res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>S3RVER</AccessKeyId><SecretAccessKey>S3RVER</SecretAccessKey><SessionToken>session-for:${params.RoleArn}</SessionToken><Expiration>${new Date(Date.now() + 3_600_000).toISOString()}</Expiration></Credentials><AssumedRoleUser><Arn>${params.RoleArn}/${params.RoleSessionName}</Arn><AssumedRoleId>AROA:${params.RoleSessionName}</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { calls, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
