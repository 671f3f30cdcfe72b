import type { Flag, FlagEvent, SourceName } from '#shared/model/index.ts';
import type { Rejected } from '#shared/pipeline/index.ts';

/** `superseded`: set only by the system, when a policy change no longer supports the flag (DESIGN §6). */
export type FlagStatus = 'open' | 'in_review' | 'closed' | 'escalated' | 'superseded';
export const STATUSES: readonly FlagStatus[] = ['open', 'in_review', 'closed', 'escalated', 'superseded'];

export type Disposition = 'no_license_required' | 'license_exception' | 'license_on_file' | 'exclusion_applies' | 'misclassified' | 'not_a_release';
export const DISPOSITIONS: readonly Disposition[] = ['no_license_required', 'license_exception', 'license_on_file', 'exclusion_applies', 'misclassified', 'not_a_release'];

/** A flag as stored: the scan's flag plus its review state. */
export interface StoredFlag extends Flag {
  status: FlagStatus;
  /** Review version: every decision increments it (optimistic concurrency). */
  version: number;
  /** Evidence revision: every change of the evidence increments it. */
  rev: number;
  assignee?: string;
  disposition?: Disposition;
  /** The license number (license_on_file) or exception citation (license_exception). */
  reference?: string;
  justification?: string;
  createdAt: string;
  updatedAt: string;
}

/** One immutable line of a flag's review record (who, when, from, to, why). */
export interface AuditEntry {
  flagId: string;
  version: number;
  at: string;
  who: string;
  action: string;
  from: FlagStatus | null;
  to: FlagStatus;
  disposition?: Disposition;
  reference?: string;
  justification?: string;
  assignee?: string;
}

/** The evidence one source object contributes to one flag. */
export interface Contribution {
  flagId: string;
  object: string;
  etag: string;
  flag: Flag;
  /** Event ids, when few enough to keep (bounded so that an item stays far below 400 KB). */
  eventIds?: string[];
}

export interface SourceObject { key: string; etag: string }

/** What one object says about one flag: the flag as computed from it, and the events behind it (ids; every event, to keep). */
export interface FlagEvidence { flag: Flag; eventIds?: string[]; allEvents?: FlagEvent[] }

/** A page of a flag's events in time order; `first`: the index of items[0]; cursors to the neighbouring pages. */
export interface EventPage { items: FlagEvent[]; first: number; before?: string; after?: string }

/** Where every record of one object went (records = events + skipped + rejected). */
export interface ObjectCounts {
  object: string;
  etag: string;
  source?: SourceName;
  records: number;
  events: number;
  skipped: number;
  rejected: number;
  flags: number;
  /** The flags this object contributed to. */
  flagIds?: string[];
  /** Releases whose data object's own tags were refused (AccessDenied) or not looked up (bucket not in dataBuckets). */
  tagLookupsDenied?: number;
  tagLookupsSkipped?: number;
  processedAt: string;
  /** A chunk of a large object: where the next chunk starts (so that a re-run stops at the same place). */
  next?: { bytes: number; line: number };
}

export interface FlagChange { before?: StoredFlag; after: StoredFlag }

export interface FlagQuery {
  status?: FlagStatus;
  severity?: Flag['severity'];
  dataset?: string;
  actor?: string;
  from?: string;
  to?: string;
  /** `look-back`: only flags a look-back raised; `live`: only the others. */
  foundBy?: 'live' | 'look-back';
  limit?: number;
  cursor?: string;
}

export interface Page<T> { items: T[]; cursor?: string }

/** Every item of a paged query, page after page, stopping once `max` or more are in. */
export async function allPages<T>(page: (cursor: string | undefined) => Promise<Page<T>>, max = Infinity): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.cursor;
  } while (cursor && items.length < max);
  return items;
}

/** Where rejected records are kept: a local file, or an S3 prefix. */
export interface QuarantineSink {
  /** `omitted`: the records beyond those kept in full (counts by reason and samples), as a closing line. */
  put(object: SourceObject, rejected: Rejected[], omitted?: { kept: number; omitted: number; byReason: Record<string, number>; samples: Rejected[] }): Promise<void>;
}

/** The flag store port: one implementation (DynamoDB), locally on dynalite. */
export interface FlagStore {
  /** Saves one object's flags and counts; re-saving the same object and etag changes nothing. */
  saveObject(object: SourceObject, flags: FlagEvidence[], counts: Omit<ObjectCounts, 'object' | 'etag'>, known?: ObjectCounts[]): Promise<FlagChange[]>;
  getFlag(id: string): Promise<StoredFlag | undefined>;
  queryFlags(query: FlagQuery): Promise<Page<StoredFlag>>;
  evidence(id: string): Promise<Contribution[]>;
  /** Every event of a flag, a page at a time (time order): `after`/`before` are a previous page's cursors. */
  flagEvents(id: string, page?: { limit?: number; after?: string; before?: string }): Promise<EventPage>;
  auditTrail(id: string): Promise<AuditEntry[]>;
  /** Applies a review change prepared by shared/review; throws ConflictError when the version moved. */
  applyDecision(id: string, expectedVersion: number, change: ReviewChange): Promise<FlagChange>;
  /**
   * Restates a flag's findings under a new policy (re-evaluation): severity, reasons and cleared
   * findings replace the stored ones; the evidence revision moves on (the change is announced).
   * Throws ConflictError when the flag's evidence or review moved since `expected` was read.
   */
  restate(id: string, expected: Pick<StoredFlag, 'rev' | 'version'>, findings: Pick<Flag, 'severity' | 'reasons' | 'cleared'>, at: string): Promise<FlagChange>;
  /** Appends an entry that changes no state (a reviewer revealed a pseudonymised person). */
  appendNote(id: string, entry: Omit<AuditEntry, 'flagId' | 'version' | 'from' | 'to'>): Promise<AuditEntry>;
  objectCounts(object: string): Promise<ObjectCounts[]>;
  /** Every object's counts (a table scan: for operators and the local store, not for hot paths). */
  allObjectCounts(): Promise<ObjectCounts[]>;
  /** Tags and labels learned from labelling events, for later objects' scans. */
  getLabels(uri: string): Promise<{ tags: Record<string, string>; labels: string[] } | undefined>;
  putLabels(uri: string, change: 'replace' | 'add' | 'remove', labels: { tags: Record<string, string>; labels: string[] }, at: string): Promise<void>;
  getCheckpoint(object: SourceObject): Promise<Checkpoint | undefined>;
  putCheckpoint(object: SourceObject, checkpoint: Checkpoint): Promise<void>;
}

export interface ReviewChange {
  entry: Omit<AuditEntry, 'flagId' | 'version'>;
  set: Partial<Pick<StoredFlag, 'status' | 'assignee' | 'disposition' | 'reference' | 'justification'>>;
  /** Fields to clear (a reopened flag loses its disposition). */
  clear?: ('assignee' | 'disposition' | 'reference' | 'justification')[];
}

/** How far a large object was processed, to resume in the next invocation. */
export interface Checkpoint { byteOffset: number; line: number; updatedAt: string }

export class ConflictError extends Error {
  constructor(message: string, readonly current?: StoredFlag) {
    super(message);
    this.name = 'ConflictError';
  }
}
