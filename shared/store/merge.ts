import { MAX_FLAG_EVENTS } from '#shared/flags/index.ts';
import { compareReasons, severityRank, type Flag, type FlagEvent, type FlagReason } from '#shared/model/index.ts';
import type { Contribution } from './types.ts';

/** The most event ids one contribution keeps; beyond, only the count (items stay far below 400 KB). */
export const MAX_CONTRIBUTION_IDS = 500;

/**
 * A flag's totals, recomputed from every object's contribution: the same contributions always
 * give the same flag, so re-processing an object (which rewrites its contribution) changes nothing.
 */
export function mergeContributions(contributions: Contribution[]): Flag {
  const sorted = [...contributions].sort((a, b) => `${a.object}#${a.etag}`.localeCompare(`${b.object}#${b.etag}`));
  const first = sorted[0]!.flag;
  const reasons = new Map<string, FlagReason>();
  const cleared = new Map<string, NonNullable<Flag['cleared']>[number]>();
  const accounts = new Set<string>();
  const events = new Map<string, FlagEvent>();
  const ids = new Set<string>();
  let idsComplete = true;
  let countSum = 0;
  let bytes = 0;
  let firstSeen = first.firstSeen;
  let lastSeen = first.lastSeen;
  for (const { flag, eventIds } of sorted) {
    for (const r of flag.reasons) {
      const key = `${r.code}|${r.country ?? ''}`;
      const had = reasons.get(key);
      if (!had || severityRank(r.severity) > severityRank(had.severity)) reasons.set(key, r);
    }
    for (const c of flag.cleared ?? []) cleared.set(`${c.code}|${c.country}`, cleared.get(`${c.code}|${c.country}`) ?? c);
    for (const a of flag.actor.accounts) accounts.add(a);
    for (const e of flag.events) events.set(e.id, events.get(e.id) ?? e);
    if (eventIds) for (const id of eventIds) ids.add(id);
    else idsComplete = false;
    countSum += flag.eventCount;
    bytes += flag.bytes;
    if (flag.firstSeen < firstSeen) firstSeen = flag.firstSeen;
    if (flag.lastSeen > lastSeen) lastSeen = flag.lastSeen;
  }
  const reasonList = [...reasons.values()].sort(compareReasons);
  const clearedList = [...cleared.values()];
  return {
    ...first,
    severity: reasonList[0]?.severity ?? 'low',
    actor: { ...first.actor, accounts: [...accounts].sort() },
    reasons: reasonList,
    ...(clearedList.length ? { cleared: clearedList } : {}),
    // Distinct events when every contribution kept its ids; otherwise their sum (the same event in
    // two different objects is then counted twice — only copies of a log file do that).
    eventCount: idsComplete ? ids.size : countSum,
    bytes,
    firstSeen,
    lastSeen,
    events: [...events.values()].sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id)).slice(0, MAX_FLAG_EVENTS),
  };
}
