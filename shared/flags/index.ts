import { createHash } from 'node:crypto';
import type { Person, DatasetRule } from '#shared/config/index.ts';
import { compareReasons, severityRank, type AccessEvent, type ClearedReason, type Flag, type FlagEvent, type FlagReason, type LookBack, type Severity } from '#shared/model/index.ts';

export const MAX_FLAG_EVENTS = 20;

/** The key of the actor a flag is about (DESIGN §3.7). */
export function actorKey(event: AccessEvent, person: Person | undefined): string {
  if (person) return person.id;
  if (event.actor.anonymous) return event.ip ? `anonymous:${event.ip}` : 'anonymous';
  return event.actor.candidates[0] ?? 'unknown';
}

/** First 16 hex of sha256(actor|dataset|day): replays and re-scans give the same ids. */
export function flagId(actor: string, dataset: string, day: string): string {
  return createHash('sha256').update(`${actor}|${dataset}|${day}`).digest('hex').slice(0, 16);
}

/** The sentence a flag raised on look-back carries (page, table, CLI); undefined for a live flag. */
export function lookBackText(flag: Pick<Flag, 'foundBy' | 'policyVersion' | 'foundAt'>): string | undefined {
  if (flag.foundBy !== 'look-back') return undefined;
  return `raised on look-back after policy version ${flag.policyVersion ?? '(unknown)'} on ${flag.foundAt?.slice(0, 10) ?? '(unknown date)'}`;
}

interface Building {
  flag: Omit<Flag, 'events' | 'eventCount' | 'bytes' | 'severity' | 'reasons' | 'cleared'>;
  reasons: Map<string, FlagReason>;
  cleared: Map<string, ClearedReason>;
  eventIds: Set<string>;
  bytes: number;
  events: FlagEvent[];
  /** Every event (only when the aggregator keeps them all: one object's, for the store). */
  all?: FlagEvent[];
  accounts: Set<string>;
}

/** Gathers assessed events into one flag per actor × dataset × UTC day. */
export class FlagAggregator {
  private readonly building = new Map<string, Building>();

  /**
   * `lookBack`: the flags are labelled as found on a look-back under that policy version.
   * `keepAllEvents`: keep every event, not only the first MAX_FLAG_EVENTS (one object's flags, stored event by event).
   */
  constructor(private readonly options: { lookBack?: LookBack; keepAllEvents?: boolean } = {}) {}

  /** `candidates`: the people an ambiguous account matches (AMBIGUOUS_IDENTITY); the flag is the account's. */
  add(event: AccessEvent, dataset: DatasetRule, person: Person | undefined, reasons: FlagReason[], cleared: ClearedReason[], country: string | undefined, candidates?: readonly Person[]): void {
    const actor = actorKey(event, person);
    const day = event.time.slice(0, 10);
    const id = flagId(actor, dataset.id, day);
    let b = this.building.get(id);
    if (!b) {
      b = {
        flag: {
          id, dataset: dataset.id, classification: dataset.classification.display, jurisdiction: dataset.jurisdiction, day,
          actor: {
            // Stryker disable next-line ArrayDeclaration: entries() replaces accounts with the sorted set
            key: actor, ...(person ? { person: person.id, name: person.name } : {}), accounts: [],
            ...(candidates?.length ? { candidates: candidates.map((p) => ({ person: p.id, name: p.name })) } : {}),
          },
          firstSeen: event.time, lastSeen: event.time,
          ...(this.options.lookBack ? { foundBy: 'look-back' as const, policyVersion: this.options.lookBack.policyVersion, foundAt: this.options.lookBack.at } : {}),
        },
        reasons: new Map(), cleared: new Map(), eventIds: new Set(), bytes: 0, events: [], accounts: new Set(),
        ...(this.options.keepAllEvents ? { all: [] } : {}),
      };
      this.building.set(id, b);
    }
    for (const r of reasons) if (!b.reasons.has(`${r.code}|${r.country ?? ''}`)) b.reasons.set(`${r.code}|${r.country ?? ''}`, r);
    for (const c of cleared) if (!b.cleared.has(`${c.code}|${c.country}`)) b.cleared.set(`${c.code}|${c.country}`, c);
    if (event.actor.candidates[0]) b.accounts.add(event.actor.candidates[0]);
    if (b.eventIds.has(event.id)) return; // the same event seen twice (a replayed file) counts once
    b.eventIds.add(event.id);
    b.bytes += event.bytes ?? 0;
    // Stryker disable next-line EqualityOperator: at an equal time, either branch leaves the same value
    if (event.time < b.flag.firstSeen) b.flag.firstSeen = event.time;
    // Stryker disable next-line EqualityOperator: at an equal time, either branch leaves the same value
    if (event.time > b.flag.lastSeen) b.flag.lastSeen = event.time;
    const summary: FlagEvent = {
      id: event.id, source: event.source, time: event.time, action: event.action, resource: event.resource.uri,
      ...(event.resource.name ? { name: event.resource.name } : {}), ...(event.ip ? { ip: event.ip } : {}),
      ...(country ? { country } : {}), ...(event.bytes !== undefined ? { bytes: event.bytes } : {}),
      ...(event.notes?.length ? { notes: event.notes } : {}),
    };
    insertByTime(b.events, summary);
    b.all?.push(summary);
  }

  /** The flags, highest severity first; flags whose every finding a license cleared only when asked. */
  flags(includeCleared = false): Flag[] {
    return this.entries(includeCleared).map((e) => e.flag);
  }

  /** The flags with the ids of the events behind them (the store keeps them as evidence), and every event when kept. */
  entries(includeCleared = false): { flag: Flag; eventIds: string[]; allEvents?: FlagEvent[] }[] {
    const out: { flag: Flag; eventIds: string[]; allEvents?: FlagEvent[] }[] = [];
    for (const b of this.building.values()) {
      const reasons = [...b.reasons.values()].sort(compareReasons);
      if (!reasons.length && !includeCleared) continue;
      const severity: Severity = reasons[0]?.severity ?? 'low';
      const cleared = [...b.cleared.values()];
      out.push({ eventIds: [...b.eventIds].sort(), ...(b.all ? { allEvents: b.all } : {}), flag: {
        ...b.flag,
        severity,
        actor: { ...b.flag.actor, accounts: [...b.accounts].sort() },
        reasons,
        ...(cleared.length ? { cleared } : {}),
        eventCount: b.eventIds.size,
        bytes: b.bytes,
        events: b.events,
      } });
    }
    return out.sort(({ flag: a }, { flag: b }) => severityRank(b.severity) - severityRank(a.severity) || a.day.localeCompare(b.day) || a.dataset.localeCompare(b.dataset) || a.actor.key.localeCompare(b.actor.key));
  }
}

// Stryker disable next-line EqualityOperator: two events never share an id here (add() counts an id once)
const idBefore = (a: FlagEvent, b: FlagEvent) => a.id < b.id;

/** Keeps the first MAX_FLAG_EVENTS events by time (ties by id, so the order is stable). */
function insertByTime(events: FlagEvent[], e: FlagEvent): void {
  const before = (a: FlagEvent, b: FlagEvent) => a.time < b.time || (a.time === b.time && idBefore(a, b));
  let i = events.length;
  while (i > 0 && before(e, events[i - 1]!)) i--;
  events.splice(i, 0, e);
  if (events.length > MAX_FLAG_EVENTS) events.pop();
}
