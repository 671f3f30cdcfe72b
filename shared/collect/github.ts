import { endpointToken, rs256Jwt, staticToken } from './auth.ts';
import type { Credentials } from './credentials.ts';
import { httpClient, type HttpOptions, type TokenProvider } from './http.ts';
import { linkedPages } from './linked.ts';
import type { Collector } from './types.ts';

const PERMISSION = 'read:audit_log (a classic token), or the organization permission "Administration: read" (a GitHub App); an enterprise owner for enterprise audit logs';

/** `@timestamp` and `created_at` are epoch milliseconds in the REST API. */
function timeOf(r: unknown): string | undefined {
  const v = (r as Record<string, unknown>)?.['@timestamp'] ?? (r as Record<string, unknown>)?.created_at;
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/**
 * GitHub organisation or enterprise audit log (REST), `include=all` so that git clones and fetches
 * come too, oldest first, following the Link header's cursors. Git events stay in the API only
 * seven days: schedule at least daily, or stream the audit log to S3 where the plan allows.
 */
export function githubCollector(creds: Credentials['github'], http: Partial<HttpOptions> = {}, now: () => number = Date.now): Collector {
  const api = creds.apiUrl.replace(/\/$/, '');
  const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'x-github-api-version': '2022-11-28' });
  const auth: TokenProvider = creds.token
    ? staticToken(creds.token, headers)
    : { ...endpointToken('github', () => {
      const iat = Math.floor(now() / 1000) - 60; // GitHub allows for clock drift this way
      const jwt = rs256Jwt({ iss: creds.appId, iat, exp: iat + 540 }, creds.privateKey!);
      return { url: `${api}/app/installations/${encodeURIComponent(creds.installationId!)}/access_tokens`, headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.github+json' } };
    }, { ...http, permission: PERMISSION, now }), headers };
  const client = httpClient({ ...http, source: 'github', auth, permission: PERMISSION });
  const path = creds.org ? `orgs/${encodeURIComponent(creds.org)}` : `enterprises/${encodeURIComponent(creds.enterprise!)}`;
  const first = (from: string) => `${api}/${path}/audit-log?${new URLSearchParams({ include: 'all', order: 'asc', per_page: '100', phrase: `created:>=${from}` })}`;
  return { source: 'github', pages: (from, ctx) => linkedPages(client, first, from, ctx.since, timeOf) };
}
