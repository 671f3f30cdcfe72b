import { endpointToken } from './auth.ts';
import type { Credentials } from './credentials.ts';
import { httpClient, type HttpOptions } from './http.ts';
import { newestOf } from './run.ts';
import type { Checkpoint, CollectContext, Collector } from './types.ts';

const PERMISSION = 'the app scope "Manage enterprise properties" (and app access "App + Enterprise Access"), authorised in the Admin Console';

interface EventsPage { chunk_size?: number; next_stream_position?: string | number; entries?: { created_at?: string }[] }

/**
 * Box Events API, `stream_type=admin_logs_streaming`, from the stored `stream_position`. Signs in
 * with the Client Credentials Grant as the enterprise's service account. The first run starts at
 * the oldest event Box keeps for this stream (about two weeks); pages older than `since` are not
 * stored. A page with no entries means the stream is drained for now.
 */
export function boxCollector(creds: Credentials['box'], http: Partial<HttpOptions> = {}): Collector {
  const api = creds.apiUrl.replace(/\/$/, '');
  const auth = endpointToken('box', () => ({
    url: `${api}/oauth2/token`,
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret, box_subject_type: 'enterprise', box_subject_id: creds.enterpriseId }),
  }), { ...http, permission: PERMISSION });
  const client = httpClient({ ...http, source: 'box', auth, permission: PERMISSION });

  async function* pages(from: Checkpoint | undefined, ctx: CollectContext) {
    let position = from?.position ?? '0';
    let newest = from?.newest;
    for (;;) {
      const res = await client.get(`${api}/2.0/events?${new URLSearchParams({ stream_type: 'admin_logs_streaming', stream_position: position, limit: '500' })}`);
      const page = res.json() as EventsPage;
      const entries = Array.isArray(page.entries) ? page.entries : [];
      const next = page.next_stream_position === undefined ? position : String(page.next_stream_position);
      const pageNewest = newestOf(...entries.map((e) => e?.created_at));
      newest = newestOf(newest, pageNewest);
      const tooOld = !from && pageNewest !== undefined && Date.parse(pageNewest) < ctx.since.getTime();
      yield { body: tooOld ? '' : res.text, records: tooOld ? 0 : entries.length, next: { position: next, ...(newest ? { newest } : {}) } };
      if (!entries.length || next === position) return;
      position = next;
    }
  }

  return { source: 'box', pages };
}
