import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { severityRank, type Flag } from '#shared/model/index.ts';
import { prepareDecision, SYSTEM_REVIEWER } from '#shared/review/index.ts';
import { resourceKey } from '#shared/classify/path-index.ts';
import { mergeContributions, MAX_CONTRIBUTION_IDS } from './merge.ts';
import { STATUS_SHARDS, TABLE } from './table.ts';
import {
  allPages, ConflictError, STATUSES, type AuditEntry, type FlagEvidence, type Checkpoint, type Contribution, type FlagChange, type FlagQuery, type FlagStore,
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

const FLAG_FIELDS = ['id', 'severity', 'dataset', 'classification', 'jurisdiction', 'day', 'actor', 'reasons', 'cleared', 'eventCount', 'bytes', 'firstSeen', 'lastSeen', 'events'] as const;
const REVIEW_FIELDS = ['status', 'version', 'rev', 'assignee', 'disposition', 'reference', 'justification', 'createdAt', 'updatedAt'] as const;
const evidenceOf = (f: Flag) => JSON.stringify(FLAG_FIELDS.map((k) => f[k] ?? null));

function indexKeys(f: StoredFlag): Item {
  return {
    gsi1pk: `STATUS#${f.status}#${shardOf(f.id)}`, gsi1sk: `${severityRank(f.severity)}#${f.lastSeen}#${f.id}`,
    gsi2pk: `DATASET#${f.dataset}`, gsi2sk: `${f.day}#${f.id}`,
    gsi3pk: `ACTOR#${f.actor.key}`, gsi3sk: `${f.day}#${f.id}`,
  };
}
const toItem = (f: StoredFlag): Item => ({ pk: flagPk(f.id), sk: 'FLAG', type: 'flag', ...f, ...indexKeys(f), expiresAt: expiresAt(f.lastSeen) });
/** A stored flag from a table item (also from a DynamoDB stream image, once unmarshalled). */
export function flagFromItem(item: Item): StoredFlag {
  const out: Item = {};
  for (const k of [...FLAG_FIELDS, ...REVIEW_FIELDS]) if (item[k] !== undefined) out[k] = item[k];
  return out as unknown as StoredFlag;
}

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
 * Evidence is stored per flag per source object and the flag's totals are recomputed from it;
 * decisions are written ahead to the audit trail under a key derived from the version, so that
 * of two reviewers acting at once exactly one wins.
 */
export class DynamoFlagStore implements FlagStore {
  private readonly db: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly table: string, private readonly clock: () => string = () => new Date().toISOString()) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async saveObject(object: SourceObject, entries: FlagEvidence[], counts: Omit<ObjectCounts, 'object' | 'etag'>): Promise<FlagChange[]> {
    const changes: FlagChange[] = [];
    const touched = new Set<string>();
    for (const { flag, eventIds } of entries) {
      const ids = eventIds && eventIds.length <= MAX_CONTRIBUTION_IDS ? { eventIds } : {};
      await this.db.send(new PutCommand({
        TableName: this.table,
        Item: { pk: flagPk(flag.id), sk: `SRC#${object.key}#${object.etag}`, type: 'evidence', flagId: flag.id, object: object.key, etag: object.etag, flag, ...ids, expiresAt: expiresAt(flag.lastSeen) },
      }));
      touched.add(flag.id);
    }
    // An object rewritten with new content (a local log file that grew) replaces its old evidence.
    for (const old of await this.objectCounts(object.key)) {
      if (old.etag === object.etag) continue;
      for (const id of old.flagIds ?? []) {
        await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: flagPk(id), sk: `SRC#${object.key}#${old.etag}` } }));
        touched.add(id);
      }
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: `OBJ#${object.key}`, sk: `COUNTS#${old.etag}` } }));
    }
    for (const id of [...touched].sort()) {
      const change = await this.recompute(id);
      if (change) changes.push(change);
    }
    await this.db.send(new PutCommand({
      TableName: this.table,
      Item: { pk: `OBJ#${object.key}`, sk: `COUNTS#${object.etag}`, type: 'counts', object: object.key, etag: object.etag, ...counts, flagIds: entries.map((e) => e.flag.id), expiresAt: expiresAt(counts.processedAt) },
    }));
    return changes;
  }

  /** Recomputes a flag from its contributions; retries when someone else wrote in between. */
  private async recompute(id: string): Promise<FlagChange | undefined> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const contributions = await this.evidence(id);
      const current = await this.getFlag(id);
      if (!contributions.length) return undefined; // evidence withdrawn: the flag and its record stay
      const merged = mergeContributions(contributions);
      const now = this.clock();
      if (!current) {
        const created: StoredFlag = { ...merged, status: 'open', version: 0, rev: 1, createdAt: now, updatedAt: now };
        try {
          await this.db.send(new PutCommand({ TableName: this.table, Item: toItem(created), ConditionExpression: 'attribute_not_exists(pk)' }));
          return { after: created };
        } catch (e) {
          if (isConditionFailure(e)) continue;
          throw e;
        }
      }
      if (evidenceOf(current) === evidenceOf(merged)) return undefined;
      const next: StoredFlag = { ...current, ...merged, rev: current.rev + 1, updatedAt: now };
      if (!merged.cleared) delete next.cleared;
      try {
        await this.db.send(new PutCommand({
          TableName: this.table, Item: toItem(next),
          ConditionExpression: 'rev = :rev AND version = :version', ExpressionAttributeValues: { ':rev': current.rev, ':version': current.version },
        }));
      } catch (e) {
        if (isConditionFailure(e)) continue;
        throw e;
      }
      const newEvidence = merged.eventCount > current.eventCount || merged.reasons.length > current.reasons.length;
      if ((current.status === 'closed' || current.status === 'escalated') && newEvidence) {
        // New evidence after a decision reopens the flag (same id: actor × dataset × day), on the record.
        const change = prepareDecision(next, { action: 'reopen', version: next.version, justification: `new evidence after the decision: ${merged.eventCount - current.eventCount} more event(s)` }, SYSTEM_REVIEWER, now);
        try {
          return { before: current, after: (await this.applyDecision(id, next.version, change)).after };
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
        }
      }
      return { before: current, after: next };
    }
    throw new Error(`flag ${id}: too many concurrent writers, giving up after 8 attempts`);
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
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.map((k) => `#${k}`).join(', ')}` : ''}`,
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
      && (!q.actor || f.actor.key === q.actor) && (!q.from || f.day >= q.from) && (!q.to || f.day <= q.to);
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
    const items = await this.queryAll({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)', ExpressionAttributeValues: { ':pk': `OBJ#${object}`, ':c': 'COUNTS#' } });
    return items.map(({ pk: _p, sk: _s, type: _t, expiresAt: _e, ...rest }) => rest as unknown as ObjectCounts);
  }

  async allObjectCounts(): Promise<ObjectCounts[]> {
    const out: ObjectCounts[] = [];
    let start: Item | undefined;
    do {
      const res = await this.db.send(new ScanCommand({ TableName: this.table, FilterExpression: '#t = :counts', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':counts': 'counts' }, ...(start ? { ExclusiveStartKey: start } : {}) }));
      for (const { pk: _p, sk: _s, type: _t, expiresAt: _e, ...rest } of res.Items ?? []) out.push(rest as unknown as ObjectCounts);
      start = res.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.object.localeCompare(b.object));
  }

  async getLabels(uri: string): Promise<{ tags: Record<string, string>; labels: string[] } | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `LABEL#${resourceKey(uri)}`, sk: 'LABELS' } }));
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
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `LABEL#${resourceKey(uri)}`, sk: 'LABELS', type: 'labels', uri, ...next, updatedAt: at } }));
  }

  async getCheckpoint(object: SourceObject): Promise<Checkpoint | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `OBJ#${object.key}`, sk: `CHECKPOINT#${object.etag}` }, ConsistentRead: true }));
    return Item ? { byteOffset: Item.byteOffset as number, line: Item.line as number, updatedAt: Item.updatedAt as string } : undefined;
  }

  async putCheckpoint(object: SourceObject, checkpoint: Checkpoint): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `OBJ#${object.key}`, sk: `CHECKPOINT#${object.etag}`, type: 'checkpoint', ...checkpoint, expiresAt: expiresAt(checkpoint.updatedAt) } }));
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
