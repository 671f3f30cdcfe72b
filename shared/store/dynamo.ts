import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { severityRank, type Flag, type FlagEvent } from '#shared/model/index.ts';
import { prepareDecision, SYSTEM_REVIEWER } from '#shared/review/index.ts';
import { resourceKey } from '#shared/classify/path-index.ts';
import { FLAG_FIELDS, flagFromItem } from './item.ts';
import { foldContribution, mergeContributions, MAX_CONTRIBUTION_IDS } from './merge.ts';
import { Retry } from './retry.ts';
import { STATUS_SHARDS, TABLE } from './table.ts';
import {
  allPages, ConflictError, STATUSES, type AuditEntry, type EventPage, type FlagEvidence, type Checkpoint, type Contribution, type FlagChange, type FlagQuery, type FlagStore,
  type ObjectCounts, type Page, type ReviewChange, type SourceObject, type StoredFlag,
} from './types.ts';

type Item = Record<string, unknown>;
const FIVE_YEARS_S = Math.round(5 * 365.25 * 86400) + 30 * 86400;
const flagPk = (id: string) => `FLAG#${id}`;
/** Audit entries in partitions of their own, so that IAM (dynamodb:LeadingKeys) can forbid rewriting them. */
const auditPk = (id: string) => `AUDIT#${id}`;
const auditSk = (version: number) => `AUDIT#${String(version).padStart(8, '0')}`;
const shardOf = (id: string) => createHash('sha256').update(id).digest()[0]! % STATUS_SHARDS;
const expiresAt = (iso: string) => Math.floor(Date.parse(iso) / 1000) + FIVE_YEARS_S;
const isConditionFailure = (e: unknown) => e instanceof ConditionalCheckFailedException || (e as { name?: string }).name === 'ConditionalCheckFailedException';

const withoutOrigin = (f: Flag): Flag => {
  const { foundBy: _b, policyVersion: _v, foundAt: _a, ...rest } = f;
  return rest;
};
const evidenceOf = (f: Flag) => JSON.stringify(FLAG_FIELDS.map((k) => f[k] ?? null));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Key parts longer than this many UTF-8 bytes are hashed: sort keys may not exceed 1,024 bytes, nor partition keys 2,048. */
export const MAX_KEY_PART_BYTES = 400;
/** A key part that fits: itself, or its SHA-256 when long (a CloudWatch group/stream name, a long URI). The item keeps the full text. */
export const keyPart = (s: string) => (Buffer.byteLength(s) <= MAX_KEY_PART_BYTES ? s : `sha256:${sha256(s)}`);
const srcSk = (object: string, etag: string) => `SRC#${keyPart(object)}#${keyPart(etag)}`;
const evtSk = (eventId: string) => `EVT#${keyPart(eventId)}`;
/** A flag's event, kept whole: time first so that a query pages them in time order; the id makes the key the event's own (a redelivery rewrites the same item). */
const eventSk = (e: FlagEvent) => `EV#${keyPart(e.time)}#${keyPart(e.id)}`;
const objPk = (object: string) => `OBJ#${keyPart(object)}`;
/** Names one object version's contribution in event markers and the flag's in-flight set. */
const contributionId = (object: SourceObject) => sha256(`${object.key}\n${object.etag}`).slice(0, 32);

function evidenceItem(object: SourceObject, { flag, eventIds }: FlagEvidence, state: 'pending' | 'applied', fresh: number): Item {
  const ids = eventIds && eventIds.length <= MAX_CONTRIBUTION_IDS ? { eventIds } : {};
  return {
    pk: flagPk(flag.id), sk: srcSk(object.key, object.etag), type: 'evidence', flagId: flag.id, object: object.key, etag: object.etag, flag, ...ids,
    digest: sha256(JSON.stringify([flag, ids.eventIds ?? null])), state, fresh, expiresAt: expiresAt(flag.lastSeen),
  };
}

/** Flag ids per counts item: 2,000 ids of 16 hex characters are about 40 KB, far below the 400 KB item limit. */
export const FLAG_IDS_PER_ITEM = 2_000;

/** An object's counts item, and further pages of its flag ids when they are many (bounded items). */
export function countsItems(counts: ObjectCounts, flagIds: string[], perItem = FLAG_IDS_PER_ITEM): Item[] {
  const { flagIds: _f, ...rest } = counts;
  const pk = objPk(counts.object);
  const expires = expiresAt(counts.processedAt);
  const pages = Math.max(1, Math.ceil(flagIds.length / perItem));
  return [
    { ...rest, pk, sk: `COUNTS#${keyPart(counts.etag)}`, type: 'counts', flagIds: flagIds.slice(0, perItem), flagPages: pages, expiresAt: expires },
    ...Array.from({ length: pages - 1 }, (_, i) => ({ pk, sk: `FLAGIDS#${keyPart(counts.etag)}#${String(i + 1).padStart(6, '0')}`, type: 'flagids', flagIds: flagIds.slice((i + 1) * perItem, (i + 2) * perItem), expiresAt: expires })),
  ];
}

function indexKeys(f: StoredFlag): Item {
  return {
    gsi1pk: `STATUS#${f.status}#${shardOf(f.id)}`, gsi1sk: `${severityRank(f.severity)}#${f.lastSeen}#${f.id}`,
    gsi2pk: `DATASET#${f.dataset}`, gsi2sk: `${f.day}#${f.id}`,
    gsi3pk: `ACTOR#${f.actor.key}`, gsi3sk: `${f.day}#${f.id}`,
  };
}
const toItem = (f: StoredFlag): Item => ({ pk: flagPk(f.id), sk: 'FLAG', type: 'flag', ...f, ...indexKeys(f), expiresAt: expiresAt(f.lastSeen) });

const encodeCursor = (c: unknown) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor<T>(cursor: string | undefined): T | undefined {
  if (!cursor) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    throw new RangeError('invalid cursor: start again without one');
  }
}

/**
 * The flag store on DynamoDB (in AWS) or dynalite (on a laptop): one table, no transactions.
 * Evidence is stored per flag per source object and folded into the flag's totals (O(1) per object);
 * decisions are written ahead to the audit trail under a key derived from the version, so that
 * of two reviewers acting at once exactly one wins.
 */
export class DynamoFlagStore implements FlagStore {
  private readonly db: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly table: string, private readonly clock: () => string = () => new Date().toISOString(), readonly retry: Retry = new Retry()) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** `known`: the object's counts as just read by the caller (saves reading them again). */
  async saveObject(object: SourceObject, entries: FlagEvidence[], counts: Omit<ObjectCounts, 'object' | 'etag'>, known?: ObjectCounts[]): Promise<FlagChange[]> {
    known ??= await this.objectCounts(object.key);
    // The counts item is written last: when it is there, every contribution is in (a redelivery costs one read).
    if (known.some((c) => c.etag === object.etag)) return [];
    // An object rewritten with new content (a local log file that grew) replaces its old evidence:
    // the flags it touched are recomputed from their evidence (rare; S3 log objects never change).
    const replaced = new Set<string>();
    for (const old of known) {
      for (const id of old.flagIds ?? []) {
        await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: flagPk(id), sk: srcSk(old.object, old.etag) } }));
        replaced.add(id);
      }
      for (const item of countsItems(old, old.flagIds ?? [])) await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: item.pk, sk: item.sk } }));
    }
    const changes: FlagChange[] = [];
    for (const entry of entries) {
      if (replaced.has(entry.flag.id)) {
        await this.putEvents(entry.flag.id, entry.allEvents ?? [], entry.flag.lastSeen);
        await this.db.send(new PutCommand({ TableName: this.table, Item: evidenceItem(object, entry, 'applied', entry.flag.eventCount) }));
        continue;
      }
      const change = await this.contribute(object, entry);
      if (change) changes.push(change);
    }
    for (const id of [...replaced].sort()) {
      const change = await this.recompute(id);
      if (change) changes.push(change);
    }
    const { next, ...rest } = counts;
    for (const item of countsItems({ object: object.key, etag: object.etag, ...rest, ...(next ? { next } : {}) }, entries.map((e) => e.flag.id))) {
      await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
    }
    return changes;
  }

  /**
   * Folds one object's contribution into its flag with O(1) reads and writes, whatever the flag's
   * size: (1) claim its events (a marker per event id, first object wins: distinct counts without
   * reading other evidence); (2) write the evidence item, pending; (3) fold it into the flag with an
   * optimistic write that also records the contribution as in flight; (4) mark the evidence applied;
   * (5) forget the in-flight note. A crash anywhere is repaired by running the object again: each
   * step either finds its work done or redoes it with the same result.
   */
  private async contribute(object: SourceObject, entry: FlagEvidence): Promise<FlagChange | undefined> {
    const { flag } = entry;
    const cid = contributionId(object);
    const key = { pk: flagPk(flag.id), sk: srcSk(object.key, object.etag) };
    const fresh = evidenceItem(object, entry, 'pending', 0);
    // Claiming again is harmless (a marker of this contribution stays its own), so no read comes first.
    const ids = fresh.eventIds as string[] | undefined;
    const count = ids ? await this.claimEvents(flag.id, ids, cid) : flag.eventCount;
    // Every event is kept before the flag counts it: a crash between the two is repaired by the re-run.
    await this.putEvents(flag.id, entry.allEvents ?? [], flag.lastSeen);
    let existing: Item;
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: { ...fresh, fresh: count }, ConditionExpression: 'attribute_not_exists(pk)' }));
      existing = { ...fresh, fresh: count };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      existing = (await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item!; // a re-run of this object
    }
    if (existing.digest !== fresh.digest) {
      // The same object and etag with other content (a chunk re-read to another end): replace and recompute.
      await this.db.send(new PutCommand({ TableName: this.table, Item: evidenceItem(object, entry, 'applied', flag.eventCount) }));
      return this.recompute(flag.id);
    }
    if (existing.state === 'applied') return undefined;
    const contribution: Contribution = { flagId: flag.id, object: object.key, etag: object.etag, flag };
    const { change, noted } = await this.retry.run(`flag ${flag.id}`, () => this.fold(contribution, cid, existing.fresh as number));
    await this.db.send(new UpdateCommand({ TableName: this.table, Key: key, UpdateExpression: 'SET #s = :applied', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':applied': 'applied' } }));
    if (noted) {
      await this.retry.run(`flag ${flag.id}`, async () => {
        await this.db.send(new UpdateCommand({ TableName: this.table, Key: { pk: flagPk(flag.id), sk: 'FLAG' }, UpdateExpression: 'DELETE inflight :c SET bookkeeping = :t', ExpressionAttributeValues: { ':c': new Set([cid]), ':t': true } }));
        return true;
      });
    }
    return change;
  }

  /** One optimistic attempt to fold a contribution into its flag; undefined when someone wrote in between. */
  private async fold(contribution: Contribution, cid: string, freshEvents: number): Promise<{ change?: FlagChange; noted: boolean } | undefined> {
    const id = contribution.flagId;
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: flagPk(id), sk: 'FLAG' }, ConsistentRead: true }));
    const inflight = (Item?.inflight as Set<string> | undefined) ?? new Set<string>();
    if (inflight.has(cid)) return { noted: true }; // folded before a crash: only the bookkeeping is left
    const now = this.clock();
    if (!Item) {
      const created: StoredFlag = { ...contribution.flag, eventCount: freshEvents, status: 'open', version: 0, rev: 1, createdAt: now, updatedAt: now };
      try {
        await this.db.send(new PutCommand({ TableName: this.table, Item: { ...toItem(created), inflight: new Set([cid]) }, ConditionExpression: 'attribute_not_exists(pk)' }));
        return { change: { after: created }, noted: true };
      } catch (e) {
        if (isConditionFailure(e)) return undefined;
        throw e;
      }
    }
    const current = flagFromItem(Item);
    const merged = foldContribution(current, contribution, freshEvents);
    if (evidenceOf(current) === evidenceOf(merged)) return { noted: false }; // adds nothing: nothing to write
    const next: StoredFlag = { ...current, ...merged, rev: current.rev + 1, updatedAt: now };
    if (!merged.cleared) delete next.cleared;
    try {
      await this.db.send(new PutCommand({
        TableName: this.table, Item: { ...toItem(next), inflight: new Set([...inflight, cid]) },
        ConditionExpression: 'rev = :rev AND version = :version', ExpressionAttributeValues: { ':rev': current.rev, ':version': current.version },
      }));
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw e;
    }
    return { change: await this.reopenIfDecided(id, current, next, merged), noted: true };
  }

  /** New evidence after a decision reopens the flag (same id: actor × dataset × day), on the record. */
  private async reopenIfDecided(id: string, current: StoredFlag, next: StoredFlag, merged: Flag): Promise<FlagChange> {
    const newEvidence = merged.eventCount > current.eventCount || merged.reasons.length > current.reasons.length;
    if ((current.status === 'closed' || current.status === 'escalated' || current.status === 'superseded') && newEvidence) {
      const change = prepareDecision(next, { action: 'reopen', version: next.version, justification: `new evidence after the decision: ${merged.eventCount - current.eventCount} more event(s)` }, SYSTEM_REVIEWER, this.clock());
      try {
        return { before: current, after: (await this.applyDecision(id, next.version, change)).after };
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    return { before: current, after: next };
  }

  /**
   * Claims each event id for this contribution (a marker item per flag and event, first writer
   * wins; the same contribution may claim again): returns how many are its own, i.e. new to the flag.
   */
  private async claimEvents(flagId: string, eventIds: string[], cid: string): Promise<number> {
    let mine = 0;
    const queue = [...eventIds];
    const worker = async () => {
      for (let eventId = queue.pop(); eventId !== undefined; eventId = queue.pop()) {
        const claimed = await this.retry.run(`event ${eventId}`, async () => {
          try {
            await this.db.send(new PutCommand({
              TableName: this.table, Item: { pk: flagPk(flagId), sk: evtSk(eventId), type: 'event', owner: cid, expiresAt: expiresAt(this.clock()) },
              ConditionExpression: 'attribute_not_exists(pk) OR #o = :o', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':o': cid },
            }));
            return 1;
          } catch (e) {
            if (isConditionFailure(e)) return 0;
            throw e;
          }
        });
        mine += claimed;
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, eventIds.length) }, worker));
    return mine;
  }

  /**
   * Keeps each event of a flag as an item of its own (bounded size, whatever the flag's size), under a
   * key derived from the event: writing it again (a redelivered object, a replay, the same event in
   * two objects) rewrites the same item. Plain puts, 16 at a time.
   */
  private async putEvents(flagId: string, events: FlagEvent[], lastSeen: string): Promise<void> {
    const queue = [...events];
    const expires = expiresAt(lastSeen);
    const worker = async () => {
      for (let event = queue.pop(); event !== undefined; event = queue.pop()) {
        const item = { pk: flagPk(flagId), sk: eventSk(event), type: 'flag-event', event, expiresAt: expires };
        await this.retry.run(`event ${event.id}`, async () => {
          await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
          return true;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, events.length) }, worker));
  }

  async flagEvents(id: string, page: { limit?: number; after?: string; before?: string } = {}): Promise<EventPage> {
    const limit = Math.min(Math.max(page.limit ?? 10, 1), 500);
    const forward = !page.before;
    const from = decodeCursor<{ sk: string; n: number }>(page.before ?? page.after);
    if (from && (typeof from.sk !== 'string' || !from.sk.startsWith('EV#') || !Number.isInteger(from.n) || from.n < 0)) throw new RangeError('invalid cursor: start again without one');
    const rows: Item[] = [];
    let start: Item | undefined = from ? { pk: flagPk(id), sk: from.sk } : undefined;
    // One more than a page says whether there are more; a 1 MB response may hold fewer.
    do {
      const res = await this.db.send(new QueryCommand({
        TableName: this.table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ev)', ExpressionAttributeValues: { ':pk': flagPk(id), ':ev': 'EV#' },
        ScanIndexForward: forward, Limit: limit + 1 - rows.length, ...(start ? { ExclusiveStartKey: start } : {}),
      }));
      rows.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start && rows.length <= limit);
    const more = rows.length > limit;
    const taken = rows.slice(0, limit);
    if (!forward) taken.reverse();
    const first = !from ? 0 : forward ? from.n + 1 : Math.max(0, from.n - taken.length);
    const cursor = (item: Item, n: number) => encodeCursor({ sk: item.sk, n });
    const hasBefore = forward ? first > 0 : more;
    const hasAfter = forward ? more : true;
    return {
      items: taken.map((i) => i.event as FlagEvent), first,
      ...(taken.length && hasBefore ? { before: cursor(taken[0]!, first) } : {}),
      ...(taken.length && hasAfter ? { after: cursor(taken.at(-1)!, first + taken.length - 1) } : {}),
    };
  }

  /**
   * Recomputes a flag from all of its contributions (the rare path: evidence withdrawn or replaced),
   * and gives each event marker to the first contribution that has the event.
   */
  private async recompute(id: string): Promise<FlagChange | undefined> {
    const contributions = await this.evidence(id);
    const owners = new Map<string, string>();
    for (const c of [...contributions].sort((a, b) => `${a.object}#${a.etag}`.localeCompare(`${b.object}#${b.etag}`))) {
      for (const e of c.eventIds ?? []) if (!owners.has(e)) owners.set(e, contributionId({ key: c.object, etag: c.etag }));
    }
    const markers = await this.queryAll({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)', ExpressionAttributeValues: { ':pk': flagPk(id), ':e': 'EVT#' }, ConsistentRead: true });
    const had = new Map(markers.map((m) => [m.sk as string, m.owner as string]));
    for (const [sk] of had) if (![...owners.keys()].some((e) => evtSk(e) === sk)) await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: flagPk(id), sk } }));
    for (const [e, owner] of owners) {
      if (had.get(evtSk(e)) !== owner) await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: flagPk(id), sk: evtSk(e), type: 'event', owner, expiresAt: expiresAt(this.clock()) } }));
    }
    if (!contributions.length) return undefined; // evidence withdrawn: the flag and its record stay
    const merged = mergeContributions(contributions);
    return this.retry.run(`flag ${id}`, async () => {
      const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: flagPk(id), sk: 'FLAG' }, ConsistentRead: true }));
      const now = this.clock();
      if (!Item) {
        const created: StoredFlag = { ...merged, status: 'open', version: 0, rev: 1, createdAt: now, updatedAt: now };
        try {
          await this.db.send(new PutCommand({ TableName: this.table, Item: toItem(created), ConditionExpression: 'attribute_not_exists(pk)' }));
          return { after: created } as FlagChange | null;
        } catch (e) {
          if (isConditionFailure(e)) return undefined;
          throw e;
        }
      }
      const current = flagFromItem(Item);
      if (evidenceOf(current) === evidenceOf(merged)) return null;
      const next: StoredFlag = { ...current, ...withoutOrigin(merged), rev: current.rev + 1, updatedAt: now };
      if (!merged.cleared) delete next.cleared;
      try {
        await this.db.send(new PutCommand({
          TableName: this.table, Item: { ...toItem(next), ...(Item.inflight ? { inflight: Item.inflight } : {}) },
          ConditionExpression: 'rev = :rev AND version = :version', ExpressionAttributeValues: { ':rev': current.rev, ':version': current.version },
        }));
      } catch (e) {
        if (isConditionFailure(e)) return undefined;
        throw e;
      }
      return this.reopenIfDecided(id, current, next, merged);
    }).then((c) => c ?? undefined);
  }

  async getFlag(id: string): Promise<StoredFlag | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: flagPk(id), sk: 'FLAG' }, ConsistentRead: true }));
    return Item ? flagFromItem(Item) : undefined;
  }

  async evidence(id: string): Promise<Contribution[]> {
    const items = await this.queryAll({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :src)', ExpressionAttributeValues: { ':pk': flagPk(id), ':src': 'SRC#' }, ConsistentRead: true });
    return items.map((i) => ({ flagId: id, object: i.object as string, etag: i.etag as string, flag: i.flag as Flag, ...(i.eventIds ? { eventIds: i.eventIds as string[] } : {}) }));
  }

  async auditTrail(id: string): Promise<AuditEntry[]> {
    const items = await this.queryAll({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)', ExpressionAttributeValues: { ':pk': auditPk(id), ':a': 'AUDIT#' }, ConsistentRead: true });
    return items.map((i) => {
      const { pk: _pk, sk: _sk, type: _t, set: _s, clear: _c, expiresAt: _e, ...entry } = i;
      return entry as unknown as AuditEntry;
    });
  }

  async applyDecision(id: string, expectedVersion: number, change: ReviewChange): Promise<FlagChange> {
    const current = await this.getFlag(id);
    if (!current) throw new RangeError(`no flag ${id}`);
    if (current.version !== expectedVersion) throw new ConflictError(`flag ${id} changed since you loaded it (version ${expectedVersion}, now ${current.version}): reload and decide again`, current);
    const version = expectedVersion + 1;
    try {
      // Written ahead, under a key only one writer can create: the winner of a race.
      await this.db.send(new PutCommand({
        TableName: this.table,
        Item: { pk: auditPk(id), sk: auditSk(version), type: 'audit', flagId: id, version, ...change.entry, set: change.set, clear: change.clear ?? [], expiresAt: expiresAt(change.entry.at) },
        ConditionExpression: 'attribute_not_exists(sk)',
      }));
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      await this.rollForward(id, expectedVersion);
      throw new ConflictError(`flag ${id} was decided by someone else at the same time: reload and decide again`, await this.getFlag(id));
    }
    const after = await this.setReview(current, version, change);
    return { before: current, after };
  }

  /** Applies a written-ahead audit entry whose flag update never happened (its writer crashed). */
  private async rollForward(id: string, expectedVersion: number): Promise<void> {
    const current = await this.getFlag(id);
    if (!current || current.version !== expectedVersion) return;
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: auditPk(id), sk: auditSk(expectedVersion + 1) }, ConsistentRead: true }));
    if (!Item) return;
    await this.setReview(current, expectedVersion + 1, { entry: Item as unknown as ReviewChange['entry'], set: Item.set as ReviewChange['set'], clear: Item.clear as ReviewChange['clear'] }).catch((e) => {
      if (!isConditionFailure(e)) throw e;
    });
  }

  private async setReview(current: StoredFlag, version: number, change: ReviewChange): Promise<StoredFlag> {
    const after: StoredFlag = { ...current, ...change.set, version, updatedAt: change.entry.at };
    for (const k of change.clear ?? []) delete after[k];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':expected': version - 1 };
    const sets: string[] = [];
    const set = (k: string, v: unknown) => { names[`#${k}`] = k; values[`:${k}`] = v; sets.push(`#${k} = :${k}`); };
    for (const [k, v] of Object.entries(change.set)) set(k, v);
    set('version', version);
    set('updatedAt', after.updatedAt);
    set('gsi1pk', indexKeys(after).gsi1pk);
    const removes = (change.clear ?? []).filter((k) => !(k in change.set));
    for (const k of removes) names[`#${k}`] = k;
    names['#v'] = 'version';
    try {
      await this.db.send(new UpdateCommand({
        TableName: this.table, Key: { pk: flagPk(current.id), sk: 'FLAG' },
        // A decision is announced: it clears the in-flight bookkeeping mark the publisher's filter drops.
        UpdateExpression: `SET ${sets.join(', ')} REMOVE ${[...removes.map((k) => `#${k}`), 'bookkeeping'].join(', ')}`,
        ConditionExpression: '#v = :expected', ExpressionAttributeNames: names, ExpressionAttributeValues: values,
      }));
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const now = await this.getFlag(current.id);
      if (now?.version !== version) throw new ConflictError(`flag ${current.id} changed while it was being decided: reload`, now);
      return now; // rolled forward by someone else: done
    }
    return after;
  }

  async queryFlags(q: FlagQuery): Promise<Page<StoredFlag>> {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
    const keep = (f: StoredFlag) => (!q.status || f.status === q.status) && (!q.severity || f.severity === q.severity) && (!q.dataset || f.dataset === q.dataset)
      && (!q.actor || f.actor.key === q.actor) && (!q.from || f.day >= q.from) && (!q.to || f.day <= q.to)
      && (!q.foundBy || (f.foundBy ?? 'live') === q.foundBy);
    if (!q.status && (q.dataset || q.actor)) {
      const [index, pk] = q.dataset ? ['byDataset', `DATASET#${q.dataset}`] as const : ['byActor', `ACTOR#${q.actor}`] as const;
      const keys = TABLE.indexes[index];
      const page = await this.indexPage(index, keys.partitionKey, pk, undefined, keep, limit, decodeCursor<Item>(q.cursor));
      return { items: page.items, ...(page.last ? { cursor: encodeCursor(page.last) } : {}) };
    }
    return this.statusQueue(q.status ?? 'open', q.severity, keep, limit, q.cursor);
  }

  /** The review queue: highest severity, then newest first, merged over the status shards. */
  private async statusQueue(status: string, severity: Flag['severity'] | undefined, keep: (f: StoredFlag) => boolean, limit: number, cursor?: string): Promise<Page<StoredFlag>> {
    const starts = decodeCursor<Record<string, Item | null>>(cursor) ?? {};
    const prefix = severity ? `${severityRank(severity)}#` : undefined;
    const shards = await Promise.all(Array.from({ length: STATUS_SHARDS }, async (_, s) => {
      if (starts[s] === null) return { s, items: [] as Item[] };
      const page = await this.indexPage('byStatus', 'gsi1pk', `STATUS#${status}#${s}`, prefix, keep, limit, starts[s] ?? undefined, true);
      return { s, items: page.raw, more: !!page.last };
    }));
    const merged = shards.flatMap(({ s, items }) => items.map((item) => ({ s, item }))).sort((a, b) => String(b.item.gsi1sk).localeCompare(String(a.item.gsi1sk)));
    const taken = merged.slice(0, limit);
    const next: Record<string, Item | null> = { ...starts };
    for (const { s, more } of shards) {
      const mine = taken.filter((t) => t.s === s);
      const all = merged.filter((t) => t.s === s);
      if (mine.length) next[s] = mine.length === all.length && !more ? null : keyOf(mine.at(-1)!.item, 'byStatus');
      else if (!all.length) next[s] = null;
    }
    const done = Object.keys(next).length === STATUS_SHARDS && Object.values(next).every((v) => v === null);
    return { items: taken.map((t) => flagFromItem(t.item)), ...(done || taken.length < limit ? {} : { cursor: encodeCursor(next) }) };
  }

  /** Up to `limit` kept items of one index partition after `start`, newest first. */
  private async indexPage(index: keyof typeof TABLE.indexes, pkName: string, pk: string, skPrefix: string | undefined, keep: (f: StoredFlag) => boolean, limit: number, start?: Item, raw = false) {
    const skName = TABLE.indexes[index].sortKey;
    const out: Item[] = [];
    let exclusive = start;
    let last: Item | undefined;
    for (;;) {
      const res = await this.db.send(new QueryCommand({
        TableName: this.table, IndexName: index, ScanIndexForward: false, Limit: Math.max(limit, 25),
        KeyConditionExpression: `#pk = :pk${skPrefix ? ' AND begins_with(#sk, :sk)' : ''}`,
        ExpressionAttributeNames: { '#pk': pkName, ...(skPrefix ? { '#sk': skName } : {}) },
        ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':sk': skPrefix } : {}) },
        ...(exclusive ? { ExclusiveStartKey: exclusive } : {}),
      }));
      for (const item of res.Items ?? []) {
        if (!keep(flagFromItem(item))) continue;
        out.push(item);
        if (out.length === limit) {
          last = keyOf(item, index);
          return { items: out.map(flagFromItem), raw: out, last };
        }
      }
      if (!res.LastEvaluatedKey) return { items: out.map(flagFromItem), raw: out, last: undefined };
      exclusive = res.LastEvaluatedKey;
    }
  }

  async restate(id: string, expected: Pick<StoredFlag, 'rev' | 'version'>, findings: Pick<Flag, 'severity' | 'reasons' | 'cleared'>, at: string): Promise<FlagChange> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: flagPk(id), sk: 'FLAG' }, ConsistentRead: true }));
    if (!Item) throw new RangeError(`no flag ${id}`);
    const current = flagFromItem(Item);
    if (current.rev !== expected.rev || current.version !== expected.version) throw new ConflictError(`flag ${id} changed while it was being re-evaluated: run the re-evaluation again`, current);
    const next: StoredFlag = { ...current, severity: findings.severity, reasons: findings.reasons, rev: current.rev + 1, updatedAt: at };
    if (findings.cleared?.length) next.cleared = findings.cleared;
    else delete next.cleared;
    try {
      await this.db.send(new PutCommand({
        TableName: this.table, Item: { ...toItem(next), ...(Item.inflight ? { inflight: Item.inflight } : {}) },
        ConditionExpression: 'rev = :rev AND version = :version', ExpressionAttributeValues: { ':rev': current.rev, ':version': current.version },
      }));
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      throw new ConflictError(`flag ${id} changed while it was being re-evaluated: run the re-evaluation again`, await this.getFlag(id));
    }
    return { before: current, after: next };
  }

  async appendNote(id: string, note: Omit<AuditEntry, 'flagId' | 'version' | 'from' | 'to'>): Promise<AuditEntry> {
    const current = await this.getFlag(id);
    if (!current) throw new RangeError(`no flag ${id}`);
    const entry: AuditEntry = { ...note, flagId: id, version: current.version, from: current.status, to: current.status };
    await this.db.send(new PutCommand({
      TableName: this.table,
      Item: { pk: auditPk(id), sk: `${auditSk(current.version)}#${note.at}#${note.action}#${note.who}`, type: 'audit', ...entry, expiresAt: expiresAt(note.at) },
      ConditionExpression: 'attribute_not_exists(sk)',
    }));
    return entry;
  }

  async objectCounts(object: string): Promise<ObjectCounts[]> {
    const items = await this.queryAll({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)', ExpressionAttributeValues: { ':pk': objPk(object), ':c': 'COUNTS#' }, ConsistentRead: true });
    return Promise.all(items.filter((i) => i.object === object).map(async ({ pk: _p, sk: _s, type: _t, expiresAt: _e, flagPages, ...rest }) => {
      if (Number(flagPages ?? 1) <= 1) return rest as unknown as ObjectCounts;
      const pages = await this.queryAll({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :f)', ExpressionAttributeValues: { ':pk': objPk(object), ':f': `FLAGIDS#${keyPart(String(rest.etag))}#` }, ConsistentRead: true });
      return { ...rest, flagIds: [...(rest.flagIds as string[]), ...pages.flatMap((p) => p.flagIds as string[])] } as unknown as ObjectCounts;
    }));
  }

  async allObjectCounts(): Promise<ObjectCounts[]> {
    const out: ObjectCounts[] = [];
    let start: Item | undefined;
    do {
      const res = await this.db.send(new ScanCommand({ TableName: this.table, FilterExpression: '#t = :counts', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':counts': 'counts' }, ...(start ? { ExclusiveStartKey: start } : {}) }));
      for (const { pk: _p, sk: _s, type: _t, expiresAt: _e, flagPages: _n, ...rest } of res.Items ?? []) out.push(rest as unknown as ObjectCounts);
      start = res.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.object.localeCompare(b.object));
  }

  async getLabels(uri: string): Promise<{ tags: Record<string, string>; labels: string[] } | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `LABEL#${keyPart(resourceKey(uri))}`, sk: 'LABELS' } }));
    return Item ? { tags: (Item.tags as Record<string, string>) ?? {}, labels: (Item.labels as string[]) ?? [] } : undefined;
  }

  /** Last writer wins: labelling events are rare, and a later one says what the resource is now. */
  async putLabels(uri: string, change: 'replace' | 'add' | 'remove', given: { tags: Record<string, string>; labels: string[] }, at: string): Promise<void> {
    let next = given;
    if (change !== 'replace') {
      const now = (await this.getLabels(uri)) ?? { tags: {}, labels: [] };
      next = change === 'add'
        ? { tags: { ...now.tags, ...given.tags }, labels: [...new Set([...now.labels, ...given.labels])] }
        : { tags: Object.fromEntries(Object.entries(now.tags).filter(([k]) => !(k in given.tags))), labels: now.labels.filter((l) => !given.labels.includes(l)) };
    }
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `LABEL#${keyPart(resourceKey(uri))}`, sk: 'LABELS', type: 'labels', uri, ...next, updatedAt: at } }));
  }

  async getCheckpoint(object: SourceObject): Promise<Checkpoint | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: objPk(object.key), sk: `CHECKPOINT#${keyPart(object.etag)}` }, ConsistentRead: true }));
    return Item ? { byteOffset: Item.byteOffset as number, line: Item.line as number, updatedAt: Item.updatedAt as string } : undefined;
  }

  async putCheckpoint(object: SourceObject, checkpoint: Checkpoint): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: objPk(object.key), sk: `CHECKPOINT#${keyPart(object.etag)}`, type: 'checkpoint', ...checkpoint, expiresAt: expiresAt(checkpoint.updatedAt) } }));
  }

  /** Every flag item (for listing a small local store and for tests). */
  async allFlags(): Promise<StoredFlag[]> {
    const pages = await Promise.all(STATUSES.map((status) => allPages((cursor) => this.statusQueue(status, undefined, () => true, 500, cursor))));
    return pages.flat();
  }

  private async queryAll(input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>): Promise<Item[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const res = await this.db.send(new QueryCommand({ TableName: this.table, ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

function keyOf(item: Item, index: keyof typeof TABLE.indexes): Item {
  const i = TABLE.indexes[index];
  return { pk: item.pk, sk: item.sk, [i.partitionKey]: item[i.partitionKey], [i.sortKey]: item[i.sortKey] };
}
