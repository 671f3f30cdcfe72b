import { createHash, timingSafeEqual } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { s3PageSink } from '#shared/aws/collect.ts';
import { clients, env } from '#shared/aws/runtime.ts';
import { pageKey } from '#shared/collect/index.ts';

const logger = new Logger({ serviceName: 'ittmon-gitlab-stream' });
/** GitLab's streamed events are small JSON objects; anything larger is not one. */
const MAX_BODY = 256 * 1024;
let token: Buffer | undefined;

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Receiver for GitLab streaming audit events (the only channel that carries git clones and
 * fetches): checks the destination's verification token (`X-Gitlab-Event-Streaming-Token`) in
 * constant time, then stores the event unchanged in the collected-logs bucket for the ingest path.
 */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  if (!token) {
    const res = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env('STREAM_TOKEN_SECRET_NAME') }));
    token = digest(res.SecretString ?? '');
  }
  const given = event.headers?.['x-gitlab-event-streaming-token'];
  if (!given || !timingSafeEqual(digest(given), token)) {
    logger.warn('refused a GitLab stream request without the verification token', { sourceIp: event.requestContext?.http?.sourceIp });
    return { statusCode: 401, body: 'verification token missing or wrong' };
  }
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body ?? '';
  if (Buffer.byteLength(body) > MAX_BODY) return { statusCode: 413, body: 'event too large' };
  let parsed: { created_at?: unknown };
  try {
    parsed = JSON.parse(body) as { created_at?: unknown };
  } catch {
    return { statusCode: 400, body: 'the body is not JSON' };
  }
  const at = typeof parsed.created_at === 'string' && !Number.isNaN(Date.parse(parsed.created_at)) ? new Date(parsed.created_at).toISOString() : new Date().toISOString();
  await s3PageSink(clients.s3(), env('COLLECTED_BUCKET'), env('COLLECTED_PREFIX')).put(pageKey('gitlab', body, at).replace(/^gitlab\//, 'gitlab-stream/'), body);
  return { statusCode: 200, body: 'stored' };
};
