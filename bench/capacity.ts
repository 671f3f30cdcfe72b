import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Read and write capacity units consumed, as DynamoDB reports them (ReturnConsumedCapacity: TOTAL). */
export interface Capacity { reads: number; writes: number; requests: number; failedWrites: number }

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

/**
 * Asks for ConsumedCapacity on every item call of this client and adds it up. A failed conditional
 * write still costs its write units in AWS but reports none: those are counted apart (failedWrites).
 */
const meters = new WeakMap<DynamoDBClient, ReturnType<typeof newMeter>>();
export function meterCapacity(client: DynamoDBClient) {
  const had = meters.get(client);
  if (had) return had;
  const meter = newMeter(client);
  meters.set(client, meter);
  return meter;
}

function newMeter(client: DynamoDBClient) {
  const total: Capacity = { reads: 0, writes: 0, requests: 0, failedWrites: 0 };
  client.middlewareStack.add((next, context) => async (args) => {
    const name = String(context.commandName);
    if (!READS.has(name) && !WRITES.has(name)) return next(args);
    (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
    total.requests += 1;
    try {
      const out = await next(args);
      const reported = (out.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
      const units = [reported ?? []].flat().reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      if (READS.has(name)) total.reads += units;
      else total.writes += units;
      return out;
    } catch (e) {
      if (WRITES.has(name)) total.failedWrites += 1;
      throw e;
    }
  }, { step: 'initialize', name: 'meterCapacity' });
  return {
    total,
    /** The capacity `fn` consumed. */
    async measure<T>(fn: () => Promise<T>): Promise<{ result: T; used: Capacity }> {
      const before = { ...total };
      const result = await fn();
      return { result, used: { reads: total.reads - before.reads, writes: total.writes - before.writes, requests: total.requests - before.requests, failedWrites: total.failedWrites - before.failedWrites } };
    },
  };
}
