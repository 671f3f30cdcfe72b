import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { BusEvent, Publisher } from './events.ts';

export const MAX_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

/** PutEvents counts the UTF-8 size of these fields of each entry. */
export function entrySize(e: PutEventsRequestEntry): number {
  return (e.Time ? 14 : 0) + [e.Source, e.DetailType, e.Detail, e.EventBusName, ...(e.Resources ?? [])].reduce((n, s) => n + (s ? Buffer.byteLength(s) : 0), 0);
}

/** Batches of at most 10 entries and 256 KB. */
export function batches(entries: PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let size = 0;
  for (const e of entries) {
    const s = entrySize(e);
    if (s > MAX_BATCH_BYTES) throw new PublishError(`event for ${e.Detail?.slice(0, 60)} is ${s} bytes, over the 256 KB PutEvents limit`, [e]);
    if (current.length === MAX_ENTRIES || size + s > MAX_BATCH_BYTES) { out.push(current); current = []; size = 0; }
    current.push(e);
    size += s;
  }
  if (current.length) out.push(current);
  return out;
}

export class PublishError extends Error {
  constructor(message: string, readonly failed: PutEventsRequestEntry[]) {
    super(message);
    this.name = 'PublishError';
  }
}

/**
 * Puts flag events on an EventBridge bus. A partial failure is retried for the failed entries only,
 * with backoff; after the last attempt it throws, naming what failed (so the stream batch is retried).
 */
export class EventBridgePublisher implements Publisher {
  constructor(private readonly client: EventBridgeClient, private readonly busName: string, private readonly attempts = 4, private readonly backoffMs = 100) {}

  async publish(events: BusEvent[]): Promise<void> {
    const entries = events.map((e): PutEventsRequestEntry => ({ Source: e.source, DetailType: e.detailType, Detail: JSON.stringify(e.detail), EventBusName: this.busName, Time: new Date(e.time) }));
    for (const batch of batches(entries)) await this.putWithRetry(batch);
  }

  private async putWithRetry(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    let lastErrors: string[] = [];
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
      const res = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!res.FailedEntryCount) return;
      const results = res.Entries ?? [];
      lastErrors = results.flatMap((r) => (r.ErrorCode ? [`${r.ErrorCode}: ${r.ErrorMessage ?? ''}`] : []));
      pending = pending.filter((_, i) => results[i]?.ErrorCode);
    }
    throw new PublishError(`${pending.length} event(s) could not be put on bus ${this.busName} after ${this.attempts} attempts (${[...new Set(lastErrors)].join('; ')})`, pending);
  }
}
