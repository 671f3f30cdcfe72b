import { staticToken } from './auth.ts';
import type { Credentials } from './credentials.ts';
import { httpClient, type HttpOptions } from './http.ts';
import { linkedPages } from './linked.ts';
import type { Collector } from './types.ts';

/**
 * GitLab audit events REST API: the instance's (`/audit_events`, an administrator's token) or a
 * group's (`/groups/:id/audit_events`, an Owner's token), with keyset pagination. Git clones and
 * fetches are not in this API: GitLab sends them only to streaming destinations, which the
 * receiver (gitlab-stream) takes.
 */
export function gitlabCollector(creds: Credentials['gitlab'], http: Partial<HttpOptions> = {}): Collector {
  const api = `${creds.url.replace(/\/$/, '')}/api/v4`;
  const permission = creds.group ? 'a token with read_api of a user with the Owner role in the group' : 'a token with read_api of an administrator (instance audit events)';
  const client = httpClient({ ...http, source: 'gitlab', auth: staticToken(creds.token, (t) => ({ 'private-token': t })), permission });
  const path = creds.group ? `groups/${encodeURIComponent(creds.group)}/audit_events` : 'audit_events';
  const first = (from: string) => `${api}/${path}?${new URLSearchParams({ created_after: from, pagination: 'keyset', order_by: 'id', sort: 'asc', per_page: '100' })}`;
  const timeOf = (r: unknown) => {
    const t = (r as { created_at?: unknown })?.created_at;
    return typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? new Date(t).toISOString() : undefined;
  };
  return { source: 'gitlab', pages: (from, ctx) => linkedPages(client, first, from, ctx.since, timeOf) };
}
