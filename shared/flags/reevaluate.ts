import type { DatasetRule, Person, Policy } from '#shared/config/index.ts';
import { policyVersion as versionOf } from '#shared/diff/index.ts';
import { Directory } from '#shared/directory/index.ts';
import { severityRank, type AccessEvent, type Flag, type FlagEvent, type FlagReason } from '#shared/model/index.ts';
import { Scan } from '#shared/pipeline/index.ts';
import { busEventsFor, type Publisher } from '#shared/publish/events.ts';
import { prepareDecision, prepareSupersede, SUPERSEDABLE, SYSTEM_REVIEWER } from '#shared/review/index.ts';
import { allPages, STATUSES, type FlagChange, type FlagStatus, type FlagStore, type StoredFlag } from '#shared/store/types.ts';

/**
 * Re-evaluation of stored flags after a policy change (issue #17): each flag's stored events are
 * judged again, through the same pipeline stages as log records, under the new policy. A flag is
 * still supported (unchanged), no longer supported (superseded, never deleted), or stronger (a
 * higher severity or a new reason: restated and announced). Pure domain: the store is a port.
 */

/** What the new policy says about one stored flag. */
export type Verdict =
  | { outcome: 'supported'; why: string }
  | { outcome: 'superseded'; why: string }
  | { outcome: 'strengthened'; why: string; findings: Pick<Flag, 'severity' | 'reasons' | 'cleared'> };

const key = (r: { code: string; country?: string | undefined }) => `${r.code}${r.country ? ` ${r.country}` : ''}`;
const list = (xs: string[]) => xs.join(', ');
const isAnonymous = (flag: Flag) => flag.actor.key === 'anonymous' || flag.actor.key.startsWith('anonymous:');
/** A dataset matched on tags or labels: stored events do not keep the tags their log records carried. */
const matchesOnLabels = (d: DatasetRule) => d.match.labels.length > 0 || Object.keys(d.match.tags).length > 0;

/**
 * The account candidates to judge a stored flag's events by: the accounts it saw. When they name no
 * one now but the flag's person is still in the directory, the person stays (the record may have
 * matched on an e-mail the flag did not keep): a flag is superseded only on what the evidence shows.
 */
function candidatesOf(flag: Flag, directory: Directory): string[] {
  const accounts = [...flag.actor.accounts];
  const person = flag.actor.person ? directory.byId(flag.actor.person) : undefined;
  if (person && directory.identify(accounts).kind === 'unknown') accounts.push(...(person.email ? [`email:${person.email}`] : person.accounts));
  return accounts;
}

/** A stored event summary as the normalised event it came from, as far as judging reads it (bytes do not decide). */
function eventOf(flag: Flag, e: FlagEvent, candidates: string[]): AccessEvent {
  return {
    id: e.id, source: e.source, time: e.time, action: e.action, release: true,
    // Stryker disable next-line ArrayDeclaration: an anonymous actor's candidates are never read
    actor: isAnonymous(flag) ? { candidates: [], anonymous: true } : { candidates },
    // The country a source reported itself (no IP) is kept as the event's country.
    ...(e.ip ? { ip: e.ip } : e.country ? { sourceCountry: e.country } : {}),
    resource: { uri: e.resource, ...(e.name ? { name: e.name } : {}) },
    // Stryker disable next-line ObjectLiteral,StringLiteral: an origin only places a rejected record; judging rejects none
    origin: { file: `stored evidence of flag ${flag.id}`, line: 0 },
  };
}

/** Why a finding that no longer holds fell away, said for the reviewer. */
function whyGone(r: FlagReason, flag: Flag, policy: Policy, directory: Directory, cleared: Flag['cleared']): string {
  const license = cleared?.find((c) => c.code === r.code && c.country === r.country);
  if (license) return `${key(r)} is cleared by ${license.license}`;
  const person = flag.actor.person ? directory.byId(flag.actor.person) : undefined;
  const dataset = policy.datasets.find((d) => d.id === flag.dataset);
  if (r.code === 'DEEMED_EXPORT' && person?.usPerson) return `${key(r)} no longer applies: ${person.id} is a US person`;
  if (r.code === 'DEEMED_EXPORT' && person && r.country && ![...person.citizenships, person.permanentResidency].includes(r.country)) return `${key(r)} no longer applies: ${person.id} is not a citizen or permanent resident of ${r.country}`;
  if (r.code === 'NOT_AUTHORIZED' && dataset && !dataset.authorized) return `${key(r)} no longer applies: ${dataset.id} has no TCP list`;
  if (r.code === 'NOT_AUTHORIZED' && person) return `${key(r)} no longer applies: ${person.id} is on the TCP list of ${flag.dataset}`;
  const allowed = policy.allow.find((a) => flag.actor.accounts.some((x) => x.toLowerCase() === a.account.toLowerCase()));
  if (r.code === 'UNKNOWN_ACCOUNT' && allowed) return `${key(r)} no longer applies: ${allowed.account} is allowed (${allowed.reason})`;
  return `${key(r)} no longer applies`;
}

/**
 * Judges one stored flag's events again under `policy` (its people already those to judge by).
 * `events`: every event kept for the flag. Membership of a dataset that matches on tags or labels
 * stands (the catalog and learned labels could only add to it; the record's own tags are not kept).
 */
export function judgeFlag(flag: Flag, events: readonly FlagEvent[], policy: Policy, geoDatabase?: Buffer): Verdict {
  const dataset = policy.datasets.find((d) => d.id === flag.dataset);
  if (!dataset) return { outcome: 'superseded', why: `dataset ${flag.dataset} is no longer in the policy` };
  const scan = new Scan(policy, geoDatabase ? { geoDatabase } : {});
  const directory = new Directory(policy.people);
  const candidates = candidatesOf(flag, directory);
  let members = 0;
  const judged = scan.judgeEvents(events.map((e) => eventOf(flag, e, candidates)), (_event, found) => {
    // Stryker disable next-line UpdateOperator: only whether any event is a member matters
    if (found.some((d) => d.id === dataset.id)) { members++; return found; }
    if (!matchesOnLabels(dataset)) return found;
    // Stryker disable next-line UpdateOperator: only whether any event is a member matters
    members++; // tags the record carried are not kept: membership stands when the rules may rest on them
    return [...found, dataset];
  });
  if (!members) return { outcome: 'superseded', why: `its resources no longer match dataset ${dataset.id} (${list([...new Set(events.map((e) => e.resource))].slice(0, 3))})` };
  const same = judged.find((j) => j.flag.id === flag.id)?.flag;
  if (!same?.reasons.length) {
    const moved = judged.filter((j) => j.flag.dataset === flag.dataset && j.flag.reasons.length).map((j) => `${j.flag.actor.key} (flag ${j.flag.id})`);
    if (moved.length) return { outcome: 'superseded', why: `its releases now belong to ${list(moved)}` };
    return { outcome: 'superseded', why: flag.reasons.map((r) => whyGone(r, flag, policy, directory, same?.cleared)).join('; ') };
  }
  const had = new Set(flag.reasons.map(key));
  const added = same.reasons.filter((r) => !had.has(key(r)));
  const higher = severityRank(same.severity) > severityRank(flag.severity);
  const now = new Set(same.reasons.map(key));
  const gone = flag.reasons.filter((r) => !now.has(key(r)));
  if (added.length || higher) {
    const why = [
      ...(higher ? [`severity ${flag.severity} → ${same.severity}`] : []),
      ...(added.length ? [`new reason${added.length > 1 ? 's' : ''} ${list(added.map(key))}`] : []),
      ...(gone.length ? [gone.map((r) => whyGone(r, flag, policy, directory, same.cleared)).join('; ')] : []),
    ].join('; ');
    return { outcome: 'strengthened', why, findings: { severity: same.severity, reasons: same.reasons, ...(same.cleared ? { cleared: same.cleared } : {}) } };
  }
  return { outcome: 'supported', why: `still supported by ${list(same.reasons.map(key))}${gone.length ? `; ${gone.map((r) => whyGone(r, flag, policy, directory, same.cleared)).join('; ')}` : ''}` };
}

export interface ReevaluateOptions {
  /** The new policy. */
  config: Policy;
  /** The people to judge by (the new directory); default: the policy's own. */
  directory?: readonly Person[];
  /** The policy's version (see policyVersion in shared/diff); default: computed from the policy. */
  policyVersion?: string;
  /** When the re-evaluation runs (ISO); default: now. */
  now?: string;
  /** The geo database (.mmdb bytes) to place IP addresses again; without it only networks place them. */
  geoDatabase?: Buffer;
  /** Locally, where the changes are announced; in AWS the table's stream announces them. */
  publisher?: Publisher;
  linkBase?: string;
}

/** What re-evaluation did to one flag. */
export interface Reevaluated {
  id: string; dataset: string; actor: string; day: string;
  /** unchanged: still supported; superseded; strengthened; restored: a superseded flag supported again (reopened); noted: a decided flag no longer supported (the decision stands, the trail says so). */
  outcome: 'unchanged' | 'superseded' | 'strengthened' | 'restored' | 'noted';
  why: string;
  from: StoredFlag['status'];
  to: StoredFlag['status'];
}

export interface ReevaluationReport { policyVersion: string; flags: Reevaluated[]; changes: FlagChange[] }

/**
 * Re-evaluates every stored flag under a new policy and applies the outcome through the store port
 * (the same code on dynalite and DynamoDB). Running it again with the same policy changes nothing.
 * Undecided flags (open, in review) are superseded; decided ones (closed, escalated) keep the
 * reviewer's decision and get a system note instead; a superseded flag the policy supports again
 * is reopened. Every outcome that changes something is on the audit trail, signed `system`.
 */
export async function reevaluateStoredFlags(store: FlagStore, options: ReevaluateOptions): Promise<ReevaluationReport> {
  const policy: Policy = options.directory ? { ...options.config, people: [...options.directory] } : options.config;
  const version = options.policyVersion ?? versionOf(policy);
  const now = options.now ?? new Date().toISOString();
  const flags: Reevaluated[] = [];
  const changes: FlagChange[] = [];
  const stored = (await Promise.all(STATUSES.map((status) => allPages((cursor) => store.queryFlags({ status, limit: 500, ...(cursor ? { cursor } : {}) }))))).flat()
    .sort((a, b) => a.id.localeCompare(b.id));
  for (const flag of stored) {
    // Every event kept anywhere for the flag: its own sample and each source object's.
    const kept = new Map([...flag.events, ...(await store.evidence(flag.id)).flatMap((c) => c.flag.events)].map((e) => [e.id, e]));
    const verdict = judgeFlag(flag, [...kept.values()], policy, options.geoDatabase);
    const result = await apply(store, flag, planFor(flag.status, verdict, version), version, now);
    changes.push(...result.changes);
    flags.push({ id: flag.id, dataset: flag.dataset, actor: flag.actor.key, day: flag.day, outcome: result.outcome, why: verdict.why, from: flag.status, to: result.changes.at(-1)?.after.status ?? flag.status });
  }
  await options.publisher?.publish(changes.flatMap((c) => busEventsFor(c, options.linkBase ?? '')));
  return { policyVersion: version, flags, changes };
}

const DECIDED: readonly FlagStatus[] = ['closed', 'escalated'];

/** One thing re-evaluation does to a stored flag, in order, each on the flag as the step before left it. */
export type Step =
  | { kind: 'supersede'; why: string }
  | { kind: 'restate'; findings: Pick<Flag, 'severity' | 'reasons' | 'cleared'> }
  | { kind: 'reopen'; justification: string }
  /** `once`: a note already on the flag's trail is not written again (and then nothing changed). */
  | { kind: 'note'; action: 'policy-change' | 'strengthen'; justification: string; once?: true };

/**
 * What a verdict does to a flag in `status` (pure; `apply` carries it out through the store).
 * Undecided flags are superseded; a reviewer's decision stands and gets a note; a superseded flag
 * supported again, or a stronger one already decided or superseded, is reopened by the system.
 */
export function planFor(status: FlagStatus, verdict: Verdict, version: string): { outcome: Reevaluated['outcome']; steps: Step[] } {
  if (verdict.outcome === 'superseded') {
    if (SUPERSEDABLE.includes(status)) return { outcome: 'superseded', steps: [{ kind: 'supersede', why: verdict.why }] };
    if (DECIDED.includes(status)) return { outcome: 'noted', steps: [{ kind: 'note', action: 'policy-change', justification: `no longer supported by policy version ${version}: ${verdict.why} (the decision stands)`, once: true }] };
    return { outcome: 'unchanged', steps: [] }; // superseded already
  }
  if (verdict.outcome === 'supported') {
    if (status !== 'superseded') return { outcome: 'unchanged', steps: [] };
    return { outcome: 'restored', steps: [{ kind: 'reopen', justification: `supported again by policy version ${version}: ${verdict.why}` }] };
  }
  const why = `strengthened by policy version ${version}: ${verdict.why}`;
  const after: Step = SUPERSEDABLE.includes(status) ? { kind: 'note', action: 'strengthen', justification: why } : { kind: 'reopen', justification: why };
  return { outcome: 'strengthened', steps: [{ kind: 'restate', findings: verdict.findings }, after] };
}

/** Carries out a plan through the store port; returns the changes to announce. */
async function apply(store: FlagStore, flag: StoredFlag, plan: ReturnType<typeof planFor>, version: string, now: string): Promise<{ outcome: Reevaluated['outcome']; changes: FlagChange[] }> {
  const changes: FlagChange[] = [];
  let current = flag;
  for (const step of plan.steps) {
    if (step.kind === 'note') {
      if (step.once && (await store.auditTrail(flag.id)).some((a) => a.justification === step.justification)) return { outcome: 'unchanged', changes: [] };
      await store.appendNote(flag.id, { at: now, who: SYSTEM_REVIEWER, action: step.action, justification: step.justification });
      continue;
    }
    const change = step.kind === 'supersede' ? await store.applyDecision(current.id, current.version, prepareSupersede(current, version, step.why, now))
      : step.kind === 'restate' ? await store.restate(current.id, current, step.findings, now)
      : await store.applyDecision(current.id, current.version, prepareDecision(current, { action: 'reopen', version: current.version, justification: step.justification }, SYSTEM_REVIEWER, now));
    changes.push(change);
    current = change.after;
  }
  return { outcome: plan.outcome, changes };
}
