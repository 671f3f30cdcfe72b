/** The normalised record every source produces (DESIGN §3.4). */
export type Action =
  | 'download' | 'clone' | 'fetch' | 'view' | 'preview' | 'sync' | 'copy'
  | 'label' | 'write' | 'delete' | 'list' | 'other';

export const SOURCE_NAMES = ['s3-access', 'cloudtrail', 'github', 'gitlab', 'm365', 'gdrive', 'box', 'windows', 'samba'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export interface Origin { file: string; line: number; index?: number }

export interface Actor {
  /** `kind:value` account names, the source's native account first. */
  candidates: string[];
  display?: string;
  anonymous?: boolean;
  /** An AWS service, a machine account, a deploy key: skipped, not flagged. */
  service?: boolean;
  external?: boolean;
}

export interface Resource {
  uri: string;
  name?: string;
  tags?: Record<string, string>;
  labels?: string[];
}

export interface AccessEvent {
  id: string;
  source: SourceName;
  time: string;
  action: Action;
  /** Did content reach the actor? Only releases can raise flags. */
  release: boolean;
  actor: Actor;
  ip?: string;
  /** A country the source itself reports (GitHub `actor_location`), used when there is no IP. */
  sourceCountry?: string;
  /** What the source could not use, said for the reviewer (a location code that is no country). */
  notes?: string[];
  resource: Resource;
  bytes?: number;
  origin: Origin;
  /** For `label` events: the tags/labels given are now the resource's (replace), or are added or removed. */
  labelChange?: 'replace' | 'add' | 'remove';
}

/** What a source makes of one record: exactly one of these. */
export type ParseOutcome =
  | { kind: 'event'; event: AccessEvent }
  | { kind: 'skip'; reason: string }
  | { kind: 'reject'; reason: string };

const skips = new Map<string, ParseOutcome>();
/** Skips recur by the million with a handful of reasons: one immutable outcome per reason. */
export const skip = (reason: string): ParseOutcome => {
  let outcome = skips.get(reason);
  if (!outcome) {
    outcome = Object.freeze({ kind: 'skip', reason }) as ParseOutcome;
    if (skips.size < 10_000) skips.set(reason, outcome);
  }
  return outcome;
};
export const reject = (reason: string): ParseOutcome => ({ kind: 'reject', reason });
export const event = (e: AccessEvent): ParseOutcome => ({ kind: 'event', event: e });

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** Highest severity first, then by code and country: the order reasons are shown in. */
export const compareReasons = (x: { severity: Severity; code: string; country?: string }, y: { severity: Severity; code: string; country?: string }): number =>
  severityRank(y.severity) - severityRank(x.severity) || x.code.localeCompare(y.code) || (x.country ?? '').localeCompare(y.country ?? '');

export type ReasonCode = 'ANONYMOUS_ACCESS' | 'UNKNOWN_ACCOUNT' | 'AMBIGUOUS_IDENTITY' | 'NOT_AUTHORIZED' | 'DEEMED_EXPORT' | 'FOREIGN_LOCATION';

export interface FlagReason {
  code: ReasonCode;
  country?: string;
  severity: Severity;
  explanation: string;
}

export interface ClearedReason {
  code: ReasonCode;
  country: string;
  license: string;
  explanation: string;
}

export interface FlagEvent {
  id: string; source: SourceName; time: string; action: Action; resource: string;
  name?: string; ip?: string; country?: string; bytes?: number;
  /** What the source could not use (AccessEvent.notes), for the reviewer. */
  notes?: string[];
}

/** One flag per actor × dataset × UTC day (DESIGN §3.7). */
export interface Flag {
  id: string;
  severity: Severity;
  dataset: string;
  classification: string;
  jurisdiction: 'ITAR' | 'EAR';
  day: string;
  actor: {
    key: string; person?: string; name?: string; accounts: string[];
    /** AMBIGUOUS_IDENTITY: every person the account matches (the review page hides them under pseudonyms). */
    candidates?: { person: string; name: string }[];
  };
  reasons: FlagReason[];
  cleared?: ClearedReason[];
  eventCount: number;
  bytes: number;
  firstSeen: string;
  lastSeen: string;
  events: FlagEvent[];
  /** How the flag was first raised (DESIGN §6); absent means `live`. A flag keeps it for life. */
  foundBy?: 'live' | 'look-back';
  /** Look-back only: the policy version whose look-back raised it, and when. */
  policyVersion?: string;
  foundAt?: string;
}

/** A look-back's label: which policy version asked for it, and when it ran. */
export interface LookBack { policyVersion: string; at: string }
