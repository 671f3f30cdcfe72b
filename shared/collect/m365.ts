import { randomUUID } from 'node:crypto';
import { endpointToken, rs256Jwt } from './auth.ts';
import type { Credentials } from './credentials.ts';
import { httpClient, type HttpOptions } from './http.ts';
import { newestOf } from './run.ts';
import type { Checkpoint, CollectContext, Collector } from './types.ts';

/** The API lists content for at most 24 hours per call and keeps it 7 days. */
const WINDOW_MS = 24 * 3_600_000;
const RETENTION_MS = 7 * 24 * 3_600_000;
const PERMISSION = 'the Office 365 Management APIs application permission ActivityFeed.Read (admin consent granted)';

interface Blob { contentUri: string; contentCreated: string; contentId?: string }
type Positions = Record<string, string>;

/**
 * Office 365 Management Activity API: start the subscription per content type, list the content
 * blobs created in ≤24 h windows (following NextPageUri), and store each blob — a JSON array of
 * audit records — as one page. The position per content type is the creation time of the last
 * stored blob, so a resumed run lists that window again from there.
 */
export function m365Collector(creds: Credentials['m365'], http: Partial<HttpOptions> = {}, now: () => number = Date.now): Collector {
  const base = `${creds.apiUrl.replace(/\/$/, '')}/api/v1.0/${encodeURIComponent(creds.tenantId)}/activity/feed`;
  const tokenUrl = `${creds.loginUrl.replace(/\/$/, '')}/${encodeURIComponent(creds.tenantId)}/oauth2/v2.0/token`;
  const auth = endpointToken('m365', () => ({
    url: tokenUrl,
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, scope: `${creds.apiUrl.replace(/\/$/, '')}/.default`, ...clientProof(creds, tokenUrl, now()) }),
  }), { ...http, permission: PERMISSION, now });
  const client = httpClient({ ...http, source: 'm365', auth, permission: PERMISSION });

  async function startSubscription(contentType: string): Promise<void> {
    try {
      await client.post(`${base}/subscriptions/start?contentType=${encodeURIComponent(contentType)}`, '');
    } catch (e) {
      if (/AF20024/.test((e as Error).message)) return; // already enabled
      throw e;
    }
  }

  async function* pages(from: Checkpoint | undefined, ctx: CollectContext) {
    const positions: Positions = from ? JSON.parse(from.position) as Positions : {};
    let newest = from?.newest;
    // Windows on whole seconds, as the API takes its times: a window shorter than a second would ask for start = end (AF20055).
    const seconds = (ms: number) => Math.floor(ms / 1000) * 1000;
    const now = seconds(ctx.now().getTime());
    for (const contentType of creds.contentTypes) {
      await startSubscription(contentType);
      let start = seconds(Math.max(Date.parse(positions[contentType] ?? ctx.since.toISOString()), now - RETENTION_MS + 60_000));
      while (start < now) {
        const end = Math.min(start + WINDOW_MS, now);
        const blobs: Blob[] = [];
        let url: string | undefined = `${base}/subscriptions/content?contentType=${encodeURIComponent(contentType)}&startTime=${iso(start)}&endTime=${iso(end)}`;
        while (url) {
          const res = await client.get(url);
          const list = res.json();
          if (!Array.isArray(list)) throw new Error(`m365: the content list for ${contentType} is not an array`);
          blobs.push(...list.filter((b): b is Blob => typeof b?.contentUri === 'string' && typeof b?.contentCreated === 'string'));
          url = res.headers.get('NextPageUri') ?? undefined;
        }
        blobs.sort((a, b) => Date.parse(a.contentCreated) - Date.parse(b.contentCreated));
        for (const blob of blobs) {
          const res = await client.get(blob.contentUri);
          const records = res.json();
          const count = Array.isArray(records) ? records.length : 0;
          newest = newestOf(newest, ...(Array.isArray(records) ? records.map((r) => creationTime(r)) : []));
          positions[contentType] = new Date(Date.parse(blob.contentCreated)).toISOString();
          yield { body: res.text, records: count, next: { position: JSON.stringify(positions), ...(newest ? { newest } : {}) } };
        }
        positions[contentType] = iso(end);
        yield { body: '', records: 0, next: { position: JSON.stringify(positions), ...(newest ? { newest } : {}) } };
        start = end;
      }
    }
  }

  return { source: 'm365', pages };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** CreationTime is UTC without a zone suffix. */
function creationTime(r: unknown): string | undefined {
  const t = (r as { CreationTime?: unknown })?.CreationTime;
  return typeof t === 'string' ? (/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`) : undefined;
}

/**
 * The client's proof: its secret, or a certificate-signed assertion (Microsoft identity platform
 * "certificate credentials": RS256, x5t = base64url SHA-1 thumbprint, aud = the token endpoint).
 */
function clientProof(creds: Credentials['m365'], tokenUrl: string, nowMs: number): Record<string, string> {
  if (!creds.certificate) return { client_secret: creds.clientSecret! };
  const iat = Math.floor(nowMs / 1000);
  const assertion = rs256Jwt({ aud: tokenUrl, iss: creds.clientId, sub: creds.clientId, jti: randomUUID(), nbf: iat, iat, exp: iat + 600 }, creds.certificate.privateKey, { x5t: Buffer.from(creds.certificate.thumbprint, 'hex').toString('base64url') });
  return { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
}
