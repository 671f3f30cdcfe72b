import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, loopbackClient, startLocalStore } from '#shared/store/local.ts';

type Start = () => Promise<{ endpoint: string; close: () => Promise<void> }>;

/** The DynamoDB implementations a store test runs on: dynalite always, DynamoDB Local when CI started it. */
export const STORE_TARGETS: [string, Start][] = [
  ['dynalite', async () => { const l = await startLocalStore(); return { endpoint: l.endpoint, close: l.close }; }],
  ...(process.env.DYNAMODB_LOCAL_ENDPOINT ? [['DynamoDB Local', async () => ({ endpoint: process.env.DYNAMODB_LOCAL_ENDPOINT!, close: async () => {} })] as [string, Start]] : []),
];

/**
 * A fresh table (named `prefix-<random>`) on the target for this describe block, and clients to it
 * that are destroyed afterwards. `table()` and `client()` are for use inside the tests.
 */
export function useFreshTable(start: Start, prefix: string): { table: () => string; client: () => DynamoDBClient } {
  let endpoint = '';
  let close: () => Promise<void> = async () => {};
  let name = '';
  const clients: DynamoDBClient[] = [];
  const client = () => { const c = loopbackClient(endpoint); clients.push(c); return c; };
  beforeAll(async () => {
    ({ endpoint, close } = await start());
    name = `${prefix}-${randomUUID().slice(0, 8)}`;
    await ensureTable(client(), name);
  });
  afterAll(async () => { for (const c of clients) c.destroy(); await close(); });
  return { table: () => name, client };
}
