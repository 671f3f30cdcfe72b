import { endpointToken, rs256Jwt } from './auth.ts';
import type { Credentials } from './credentials.ts';
import { httpClient, type HttpOptions } from './http.ts';
import { newestOf } from './run.ts';
import type { Checkpoint, CollectContext, Collector } from './types.ts';

const SCOPE = 'https://www.googleapis.com/auth/admin.reports.audit.readonly';
const PERMISSION = `domain-wide delegation of ${SCOPE} to the service account's client id, and a subject user who may read reports`;

/** Where a window stands: its bounds, and the page token when a run stopped inside it. */
interface Position { start: string; end: string; pageToken?: string }

/**
 * Admin SDK Reports API, activities.list for application `drive`. Each run reads the window from
 * the last run's end less an overlap (Drive activities appear hours late); the records read twice
 * carry the same ids, so the ingest's evidence keys make them harmless. Signs in as a service
 * account with domain-wide delegation: an RS256 JWT-bearer assertion (RFC 7523) for the subject.
 */
export function gdriveCollector(creds: Credentials['gdrive'], http: Partial<HttpOptions> = {}, now: () => number = Date.now): Collector {
  const auth = endpointToken('gdrive', () => {
    const iat = Math.floor(now() / 1000);
    const assertion = rs256Jwt({ iss: creds.serviceAccount.client_email, sub: creds.subject, scope: SCOPE, aud: creds.serviceAccount.token_uri, iat, exp: iat + 3600 }, creds.serviceAccount.private_key);
    return { url: creds.serviceAccount.token_uri, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }) };
  }, { ...http, permission: PERMISSION, now });
  const client = httpClient({ ...http, source: 'gdrive', auth, permission: PERMISSION });
  const list = `${creds.apiUrl.replace(/\/$/, '')}/admin/reports/v1/activity/users/all/applications/drive`;

  async function* pages(from: Checkpoint | undefined, ctx: CollectContext) {
    const previous = from ? JSON.parse(from.position) as Position : undefined;
    let newest = from?.newest;
    const window: Position = previous?.pageToken
      ? previous
      : { start: new Date(previous ? Date.parse(previous.end) - creds.overlapMinutes * 60_000 : ctx.since.getTime()).toISOString(), end: ctx.now().toISOString() };
    let pageToken = window.pageToken;
    do {
      const query = new URLSearchParams({ startTime: window.start, endTime: window.end, maxResults: '1000', ...(pageToken ? { pageToken } : {}) });
      const res = await client.get(`${list}?${query}`);
      const page = res.json() as { items?: { id?: { time?: string } }[]; nextPageToken?: string };
      const items = Array.isArray(page.items) ? page.items : [];
      newest = newestOf(newest, ...items.map((i) => i?.id?.time));
      pageToken = typeof page.nextPageToken === 'string' && page.nextPageToken ? page.nextPageToken : undefined;
      // Inside the window the position keeps the token; after its last page, the window's end.
      const next: Position = pageToken ? { ...window, pageToken } : { start: window.start, end: window.end };
      yield { body: res.text, records: items.length, next: { position: JSON.stringify(next), ...(newest ? { newest } : {}) } };
    } while (pageToken);
  }

  return { source: 'gdrive', pages };
}
