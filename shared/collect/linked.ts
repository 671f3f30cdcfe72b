import { newestOf } from './run.ts';
import type { Checkpoint, HttpClient, Page } from './types.ts';

/** Where a Link-paged listing stands: the next page's URL, or the newest record time to search from. */
export interface LinkPosition { next?: string; from: string }

/** The `rel="next"` target of an RFC 8288 Link header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (m && /\brel="?next"?/.test(m[2]!)) return m[1];
  }
  return undefined;
}

/**
 * Pages of a listing that answers a JSON array and links the next page (GitHub's audit-log
 * cursors, GitLab's keyset pagination). After the last page the position is the newest record's
 * time, and the next run asks again from that time: the boundary records come twice, harmlessly.
 */
export async function* linkedPages(client: HttpClient, first: (from: string) => string, from: Checkpoint | undefined, since: Date, timeOf: (record: unknown) => string | undefined): AsyncGenerator<Page> {
  const previous = from ? JSON.parse(from.position) as LinkPosition : undefined;
  const start = previous?.from ?? since.toISOString();
  let newest = from?.newest;
  let url: string | undefined = previous?.next ?? first(start);
  let high = start;
  while (url) {
    const res = await client.get(url);
    const records = res.json();
    if (!Array.isArray(records)) throw new Error(`the listing at ${url.replace(/\?.*$/, '')} did not answer a JSON array`);
    newest = newestOf(newest, ...records.map(timeOf));
    high = newestOf(high, ...records.map(timeOf)) ?? high;
    url = nextLink(res.headers.get('link'));
    const position: LinkPosition = url ? { next: url, from: start } : { from: high };
    yield { body: res.text, records: records.length, next: { position: JSON.stringify(position), ...(newest ? { newest } : {}) } };
  }
}
