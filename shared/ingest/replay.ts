import type { IngestWork } from './index.ts';

/**
 * One object of a replay (backfill or look-back), as the replay state machine sends it: the
 * S3 listing's item (key, etag, size, last modified) and the window from the execution's input.
 */
export interface ReplayItem {
  bucket: string;
  key: string;
  etag?: string;
  size?: number;
  /** As the listing gives it: epoch seconds, or an ISO time. */
  lastModified?: number | string;
  /** The window, ISO: objects modified from `since` (inclusive) until `until` (exclusive). */
  since?: string;
  until?: string;
  /** Set on a look-back: which policy version asked for it (and when the look-back started, ISO). */
  lookBack?: { policyVersion: string; at?: string } | null;
}

const ms = (v: number | string | undefined): number => (typeof v === 'number' ? (v < 1e11 ? v * 1000 : v) : v ? Date.parse(v) : NaN);

/** The work of a replay message: the object, unless it was modified outside the window. */
export function replayWork(item: ReplayItem): IngestWork[] {
  if (typeof item?.bucket !== 'string' || typeof item.key !== 'string' || !item.key) throw new Error('replay message without bucket or key');
  const modified = ms(item.lastModified);
  if (!Number.isNaN(modified)) {
    if (item.since && modified < Date.parse(item.since)) return [];
    if (item.until && modified >= Date.parse(item.until)) return [];
  }
  const lookBack = item.lookBack && typeof item.lookBack.policyVersion === 'string' && item.lookBack.policyVersion
    ? { lookBack: { policyVersion: item.lookBack.policyVersion, ...(typeof item.lookBack.at === 'string' ? { at: item.lookBack.at } : {}) } }
    : {};
  return [{ ref: { bucket: item.bucket, key: item.key, etag: (item.etag ?? '').replace(/"/g, ''), ...(typeof item.size === 'number' ? { size: item.size } : {}), ...lookBack } }];
}

/** What a replay execution is asked to do: its input (the state machine reads bucket, prefix, since, until, lookBack). */
export interface ReplayRequest {
  bucket: string;
  /** "" for the whole bucket. */
  prefix: string;
  since: string;
  until: string;
  lookBack: { policyVersion: string } | null;
  /** Who asked: `cli:USER` or `config-change`. The state machine ignores it; the review page shows it. */
  startedBy: string;
}

/** Items of a replay's map run, as Step Functions counts them. */
export interface ReplayCounts { total: number; succeeded: number; failed: number; pending: number; running: number; timedOut: number; aborted: number }

/** One replay as the CLI and the review page show it. */
export interface ReplayRun {
  executionArn: string;
  name: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  status: string;
  startedAt: string;
  stoppedAt?: string;
  /** The execution's input, when it is a replay request. */
  request?: Partial<ReplayRequest>;
  /** Absent until the map run has started. */
  items?: ReplayCounts;
  error?: string;
}

/** The replays to show: a port the review app calls; AWS reads Step Functions, locally there are none. */
export interface ReplayProgress { recent(): Promise<ReplayRun[]> }

/** The public prices an estimate uses besides the measured ingest figures (us-east-1, USD). */
export const REPLAY_PRICES = {
  /** Step Functions Express: per request, and per GB-second (billed in 64 MB, 100 ms units). */
  expressRequest: 1 / 1_000_000,
  expressGbSecond: 0.00001667,
  sqsRequest: 0.4 / 1_000_000,
  /** S3 LIST: per 1,000 requests; one request lists up to 1,000 keys. */
  s3List: 0.005 / 1000,
} as const;

/** The measured ingest cost (bench/results-aws.json `costPerMillionRecords`). */
export interface MeasuredIngestCost {
  date: string;
  assumptions: string;
  rows: { recordsPerObject: number; total: number }[];
}

export interface ReplayEstimate {
  /** Objects the map lists and enqueues (all under the prefixes). */
  listed: number;
  /** Objects modified inside the window: the ones the ingest reads. */
  objects: number;
  bytes: number;
  /** USD: enqueueing every listed object (Step Functions, SQS, S3 LIST). */
  replay: number;
  /** USD, low and high: reading the objects in the window, from the measured per-object cost. */
  ingest: { low: number; high: number };
  total: { low: number; high: number };
  /** How it was worked out, to print beside it. */
  basis: string[];
}

const usd = (n: number) => (n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);

/**
 * The cost of a replay: enqueueing each listed object (an Express child execution of 100 ms at
 * 64 MB, one SQS message, its share of an S3 LIST), and reading each object in the window at the
 * per-object ingest cost measured in the benchmark (the spread over its records-per-object rows,
 * since a listing does not say how many records an object holds).
 */
export function estimateReplay(listing: { listed: number; objects: number; bytes: number }, measured: MeasuredIngestCost): ReplayEstimate {
  const p = REPLAY_PRICES;
  const perListed = p.expressRequest + p.expressGbSecond * (64 / 1024) * 0.1 + p.sqsRequest + p.s3List / 1000;
  const perObject = measured.rows.map((r) => (r.total * r.recordsPerObject) / 1_000_000);
  if (!perObject.length) throw new Error('the measured ingest cost has no rows (bench/results-aws.json costPerMillionRecords)');
  const low = Math.min(...perObject);
  const high = Math.max(...perObject);
  const replay = listing.listed * perListed;
  const ingest = { low: listing.objects * low, high: listing.objects * high };
  const records = measured.rows.map((r) => r.recordsPerObject);
  return {
    ...listing, replay, ingest, total: { low: replay + ingest.low, high: replay + ingest.high },
    basis: [
      `replay: ${usd(perListed * 1_000_000)} per million listed objects (Step Functions Express $1.00 per million requests and 100 ms at 64 MB, SQS $0.40 per million messages, S3 LIST $0.005 per 1,000 requests), public us-east-1 prices`,
      `ingest: ${usd(low * 1_000_000)} to ${usd(high * 1_000_000)} per million objects in the window, measured ${measured.date.slice(0, 10)} (bench/results-aws.json) at ${Math.min(...records).toLocaleString('en-US')} to ${Math.max(...records).toLocaleString('en-US')} records per object; ${measured.assumptions}`,
    ],
  };
}
