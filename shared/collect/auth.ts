import { createPrivateKey, sign } from 'node:crypto';
import { httpClient, type HttpOptions, type TokenProvider } from './http.ts';
import { CredentialError, type CollectorSource } from './types.ts';

/** Renew this long before the token's stated expiry, so no request carries a dying token. */
const EXPIRY_SKEW_MS = 60_000;

interface TokenAnswer { access_token?: unknown; token?: unknown; expires_in?: unknown; expires_at?: unknown }

/**
 * A token from a token endpoint, cached until shortly before it expires. A refusal from the
 * endpoint (invalid_client, unauthorized_client, invalid_grant, 401/403) is a CredentialError.
 */
export function endpointToken(source: CollectorSource, request: () => { url: string; body?: URLSearchParams | string; headers?: Record<string, string> }, options: Omit<HttpOptions, 'source' | 'auth'> & { now?: () => number; permission?: string } = {}): TokenProvider {
  const http = httpClient({ ...options, source });
  const now = options.now ?? Date.now;
  let cached: { value: string; until: number } | undefined;
  return {
    async token(refresh = false) {
      if (!refresh && cached && now() < cached.until) return cached.value;
      const { url, body, headers } = request();
      let answer: TokenAnswer;
      try {
        answer = (await http.post(url, body ?? '', { 'content-type': 'application/x-www-form-urlencoded', ...headers })).json() as TokenAnswer;
      } catch (e) {
        if (e instanceof CredentialError) throw e;
        const refused = /answered 40[01]/.test((e as Error).message);
        if (refused) throw new CredentialError(source, `${source}: the token endpoint refused the credential: ${(e as Error).message.replace(/^[a-z0-9]+: /, '')}. Check the client id and secret (or key) in the secret; they may have been revoked`, options.permission);
        throw e;
      }
      const value = typeof answer.access_token === 'string' ? answer.access_token : typeof answer.token === 'string' ? answer.token : undefined;
      if (!value) throw new CredentialError(source, `${source}: the token endpoint answered without an access token`);
      const expiresMs = typeof answer.expires_in === 'number' ? answer.expires_in * 1000 : typeof answer.expires_at === 'string' ? Date.parse(answer.expires_at) - now() : 3_600_000;
      cached = { value, until: now() + Math.max(0, expiresMs - EXPIRY_SKEW_MS) };
      return value;
    },
  };
}

/** A token that does not expire by itself (a GitHub or GitLab token); a 401 means it was revoked. */
export function staticToken(value: string, headers?: (token: string) => Record<string, string>): TokenProvider {
  return { token: async () => value, ...(headers ? { headers } : {}) };
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** An RS256-signed JWT (RFC 7515/7519): Google's JWT-bearer assertion, a GitHub App's token. */
export function rs256Jwt(claims: Record<string, unknown>, privateKeyPem: string, header: Record<string, unknown> = {}): string {
  const signingInput = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...header }))}.${b64url(JSON.stringify(claims))}`;
  return `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), createPrivateKey(privateKeyPem)))}`;
}
