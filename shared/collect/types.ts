/**
 * Collectors pull SaaS audit logs (Microsoft 365, Google Workspace, Box, GitHub, GitLab) from each
 * vendor's API and hand the pages, unchanged, to a sink: the log bucket in AWS, a directory on a
 * laptop. From there the normal ingest path reads them. Plain data and fetch; no AWS SDK here.
 */

/** Where a collector stands: opaque to the runner, meaningful to the collector that wrote it. */
export interface Checkpoint {
  /** The collector's own position (a time, a stream position, a cursor). */
  position: string;
  /** Newest record time seen, ISO UTC: the lag metric is now − this. */
  newest?: string;
}

/** One page of records exactly as the API returned them, and the checkpoint once it is stored. */
export interface Page {
  /** The page body to store, byte for byte as the API sent it (a JSON array or an API envelope). */
  body: string;
  /** How many records the page holds (for accounting: collected = served). */
  records: number;
  /** The checkpoint to save after this page is stored. */
  next: Checkpoint;
}

export interface CollectContext {
  /** The first run's starting point when there is no checkpoint. */
  since: Date;
  now: () => Date;
}

export interface Collector {
  readonly source: CollectorSource;
  /** The pages after `from` (or after ctx.since), in order; ends when the API has no more. */
  pages(from: Checkpoint | undefined, ctx: CollectContext): AsyncGenerator<Page>;
}

export const COLLECTOR_SOURCES = ['m365', 'gdrive', 'box', 'github', 'gitlab'] as const;
export type CollectorSource = (typeof COLLECTOR_SOURCES)[number];

/**
 * The credential was refused or lacks a permission: retrying will not help, a person must act.
 * `permission` names what to grant (a scope, a role, an API permission).
 */
export class CredentialError extends Error {
  constructor(readonly source: CollectorSource, message: string, readonly permission?: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

/** The minimal HTTP surface collectors use, so the runner can retry, back off and refresh tokens. */
export interface HttpClient {
  /** A JSON or text response; retries 429/503 and network faults; refreshes the token once on 401. */
  get(url: string, headers?: Record<string, string>): Promise<HttpResponse>;
  post(url: string, body: string | URLSearchParams, headers?: Record<string, string>): Promise<HttpResponse>;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}
