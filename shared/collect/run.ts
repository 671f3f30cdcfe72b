import { createHash } from 'node:crypto';
import type { Checkpoint, CollectContext, Collector, CollectorSource } from './types.ts';

/** Where pages go: the log bucket in AWS, a directory on a laptop. Writing the same key twice is harmless. */
export interface PageSink {
  put(key: string, body: string): Promise<void>;
}

/** The checkpoint of each collector: a table item in AWS, a file on a laptop. */
export interface CheckpointStore {
  load(source: CollectorSource): Promise<Checkpoint | undefined>;
  save(source: CollectorSource, checkpoint: Checkpoint): Promise<void>;
}

export interface CollectResult {
  source: CollectorSource;
  pages: number;
  records: number;
  checkpoint: Checkpoint | undefined;
  /** Seconds between now and the newest record collected so far; undefined before the first record. */
  lagSeconds: number | undefined;
  /** The run stopped early (deadline) and resumes from the checkpoint next time. */
  partial: boolean;
}

export interface CollectOptions {
  sink: PageSink;
  checkpoints: CheckpointStore;
  context: CollectContext;
  /** Milliseconds left before the run must stop (a Lambda's remaining time less a margin). */
  remainingMs?: () => number;
}

/**
 * The one collection loop for every source: store a page, then advance the checkpoint. A crash
 * between the two re-fetches that page next time; its key is derived from its bytes, so it lands
 * on the same object, and the ingest's evidence keys make a re-read harmless.
 */
export async function collect(collector: Collector, options: CollectOptions): Promise<CollectResult> {
  const { sink, checkpoints, context } = options;
  let checkpoint = await checkpoints.load(collector.source);
  let pages = 0;
  let records = 0;
  let partial = false;
  for await (const page of collector.pages(checkpoint, context)) {
    if (page.records > 0) {
      await sink.put(pageKey(collector.source, page.body, page.next.newest ?? context.now().toISOString()), page.body);
      pages++;
      records += page.records;
    }
    checkpoint = page.next;
    await checkpoints.save(collector.source, checkpoint);
    if (options.remainingMs && options.remainingMs() <= 0) {
      partial = true;
      break;
    }
  }
  const newest = checkpoint?.newest ? Date.parse(checkpoint.newest) : NaN;
  return { source: collector.source, pages, records, checkpoint, lagSeconds: Number.isNaN(newest) ? undefined : Math.max(0, Math.round((context.now().getTime() - newest) / 1000)), partial };
}

/**
 * `{source}/{YYYY}/{MM}/{DD}/{sha256 of the page}.json`: dated by the newest record, so a look-back
 * can list a window by prefix; named by content, so a re-fetched page overwrites itself.
 */
export function pageKey(source: CollectorSource, body: string, newest: string): string {
  const day = /^\d{4}-\d{2}-\d{2}/.test(newest) ? newest.slice(0, 10) : '0000-00-00';
  return `${source}/${day.replaceAll('-', '/')}/${createHash('sha256').update(body).digest('hex').slice(0, 32)}.json`;
}

/** The newest of ISO times (undefined values ignored). */
export function newestOf(...times: (string | undefined)[]): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  for (const t of times) {
    const ms = t ? Date.parse(t) : NaN;
    if (!Number.isNaN(ms) && ms > bestMs) {
      best = new Date(ms).toISOString();
      bestMs = ms;
    }
  }
  return best;
}
