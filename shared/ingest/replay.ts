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
