import { severityRank } from '#shared/model/index.ts';
import type { FlagChange, StoredFlag } from '#shared/store/types.ts';

export const EVENT_SOURCE = 'ittmon';
export type DetailType = 'Export Review Flag Raised' | 'Export Review Flag Updated' | 'Export Review Flag Decided';

/** What goes on the bus: enough to route and notify; no names, accounts or citizenships (DESIGN §3.9). */
export interface FlagDetail {
  flagId: string;
  severity: StoredFlag['severity'];
  dataset: string;
  classification: string;
  day: string;
  reasons: string[];
  countries: string[];
  status: StoredFlag['status'];
  /**
   * Monotonic per flag (DESIGN §6): every stored change of evidence (rev) or review (version) raises
   * it, so a consumer keeps the highest it saw and drops retried duplicates and late arrivals.
   */
  revision: number;
  link: string;
}

/** The flag's revision: evidence revisions plus review versions (each change increments one of them). */
export const revisionOf = (f: Pick<StoredFlag, 'rev' | 'version'>) => f.rev + f.version;

export interface BusEvent { source: typeof EVENT_SOURCE; detailType: DetailType; detail: FlagDetail; time: string }

const reasonKeys = (f: StoredFlag) => new Set(f.reasons.map((r) => `${r.code}|${r.country ?? ''}`));

function detailOf(f: StoredFlag, linkBase: string): FlagDetail {
  return {
    flagId: f.id, severity: f.severity, dataset: f.dataset, classification: f.classification, day: f.day,
    reasons: [...new Set(f.reasons.map((r) => r.code))].sort(),
    countries: [...new Set(f.reasons.flatMap((r) => (r.country ? [r.country] : [])))].sort(),
    status: f.status,
    revision: revisionOf(f),
    link: `${linkBase.replace(/\/$/, '')}/flags/${f.id}`,
  };
}

/**
 * The events one stored change announces: Raised for a new flag, Updated for a new reason or a
 * higher severity, Decided for a review change. The same function serves the DynamoDB stream
 * (old and new images) and the local store.
 */
export function busEventsFor(change: FlagChange, linkBase: string): BusEvent[] {
  const { before, after } = change;
  const event = (detailType: DetailType): BusEvent => ({ source: EVENT_SOURCE, detailType, detail: detailOf(after, linkBase), time: after.updatedAt });
  if (!before) return [event('Export Review Flag Raised')];
  const events: BusEvent[] = [];
  const old = reasonKeys(before);
  if (severityRank(after.severity) > severityRank(before.severity) || [...reasonKeys(after)].some((k) => !old.has(k))) events.push(event('Export Review Flag Updated'));
  if (after.version !== before.version || after.status !== before.status) events.push(event('Export Review Flag Decided'));
  return events;
}

/** Where bus events go: EventBridge in AWS, a JSON-lines file locally. */
export interface Publisher { publish(events: BusEvent[]): Promise<void> }
