import { MAX_FLAG_EVENTS } from '#shared/flags/index.ts';
import { compareReasons, severityRank, type Flag, type FlagEvent, type FlagReason } from '#shared/model/index.ts';
import type { Contribution } from './types.ts';

/** The most event ids one contribution keeps; beyond, only the count (items stay far below 400 KB). */
export const MAX_CONTRIBUTION_IDS = 500;

/** Of two findings under one key, the higher severity; at equal severity the smaller text (never arrival order). */
function stronger<T extends object>(had: T | undefined, next: T): T {
  if (!had) return next;
  const rank = (x: T) => ('severity' in x ? severityRank(x.severity as FlagReason['severity']) : 0);
  const d = rank(next) - rank(had);
  if (d !== 0) return d > 0 ? next : had;
  return JSON.stringify(next) < JSON.stringify(had) ? next : had;
}

/**
 * A flag's totals from every object's contribution: the same contributions always give the same
 * flag, in any order, so re-processing an object (which rewrites its contribution) changes nothing.
 * `eventCount` is the number of distinct event ids over the contributions that kept their ids,
 * plus the counts of those too large to keep them (the same rule as the per-event markers of the
 * incremental path: see DynamoFlagStore).
 */
export function mergeContributions(contributions: Contribution[]): Flag {
  const sorted = [...contributions].sort((a, b) => `${a.object}#${a.etag}`.localeCompare(`${b.object}#${b.etag}`));
  const ids = new Set<string>();
  let uncounted = 0;
  for (const { flag, eventIds } of sorted) {
    if (eventIds) for (const id of eventIds) ids.add(id);
    else uncounted += flag.eventCount;
  }
  const merged = sorted.slice(1).reduce((acc, c) => combine(acc, c.flag), sorted[0]!.flag);
  return { ...merged, eventCount: ids.size + uncounted, bytes: sorted.reduce((n, c) => n + c.flag.bytes, 0) };
}

/**
 * One more object's contribution folded into a stored flag, reading nothing else: `fresh` is how
 * many of its events no other object had announced (the event markers say so). O(1) whatever the
 * flag's size; gives the same flag as mergeContributions over all contributions.
 */
export function foldContribution(current: Flag, contribution: Contribution, fresh: number): Flag {
  return { ...combine(current, contribution.flag), eventCount: current.eventCount + fresh, bytes: current.bytes + contribution.flag.bytes };
}

/** Everything but the counts: strongest reason per code and country, unions, earliest and latest, first events. */
function combine(a: Flag, b: Flag): Flag {
  const reasons = new Map<string, FlagReason>();
  for (const r of [...a.reasons, ...b.reasons]) {
    const key = `${r.code}|${r.country ?? ''}`;
    reasons.set(key, stronger(reasons.get(key), r));
  }
  const cleared = new Map<string, NonNullable<Flag['cleared']>[number]>();
  for (const c of [...(a.cleared ?? []), ...(b.cleared ?? [])]) cleared.set(`${c.code}|${c.country}`, stronger(cleared.get(`${c.code}|${c.country}`), c));
  const events = new Map<string, FlagEvent>();
  for (const e of [...a.events, ...b.events]) {
    const had = events.get(e.id);
    if (!had || JSON.stringify(e) < JSON.stringify(had)) events.set(e.id, e);
  }
  const reasonList = [...reasons.values()].sort(compareReasons);
  const clearedList = [...cleared.values()].sort((x, y) => `${x.code}|${x.country}`.localeCompare(`${y.code}|${y.country}`));
  const { cleared: _drop, ...base } = a;
  return {
    ...base,
    severity: reasonList[0]?.severity ?? 'low',
    actor: { ...a.actor, accounts: [...new Set([...a.actor.accounts, ...b.actor.accounts])].sort() },
    reasons: reasonList,
    ...(clearedList.length ? { cleared: clearedList } : {}),
    eventCount: a.eventCount + b.eventCount,
    bytes: a.bytes + b.bytes,
    firstSeen: a.firstSeen < b.firstSeen ? a.firstSeen : b.firstSeen,
    lastSeen: a.lastSeen > b.lastSeen ? a.lastSeen : b.lastSeen,
    events: [...events.values()].sort((x, y) => x.time.localeCompare(y.time) || x.id.localeCompare(y.id)).slice(0, MAX_FLAG_EVENTS),
  };
}
