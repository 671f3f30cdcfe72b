import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quarantineLines, type Rejected } from '#shared/pipeline/index.ts';
import type { QuarantineSink, SourceObject } from './types.ts';
import { omittedLine, type Omitted } from '#shared/ingest/rejected.ts';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { DynamoFlagStore } from './dynamo.ts';
import { createTableInput } from './table.ts';

export const LOCAL_TABLE = 'ittmon';

export interface LocalStore { store: DynamoFlagStore; client: DynamoDBClient; endpoint: string; close(): Promise<void> }

/** A DynamoDB client for a loopback endpoint (dynalite, DynamoDB Local): no AWS account involved. */
export function loopbackClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 });
}

/** Creates the table when it does not exist yet (the same definition the CDK stack deploys). */
export async function ensureTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException) && (e as { name?: string }).name !== 'ResourceNotFoundException') throw e;
    await client.send(new CreateTableCommand(createTableInput(table)));
    for (let i = 0; i < 50; i++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      if (Table?.TableStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** dynalite in this process, storing on disk in `dir` (in memory when dir is undefined), on a loopback port. */
export async function startLocalStore(dir?: string, table = LOCAL_TABLE): Promise<LocalStore> {
  if (dir) mkdirSync(dir, { recursive: true });
  const server = dynalite({ ...(dir ? { path: dir } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = loopbackClient(endpoint);
  await ensureTable(client, table);
  return {
    store: new DynamoFlagStore(client, table), client, endpoint,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Rejected records of each object in a file of their own, replaced when the object is read again. */
export class FileQuarantineSink implements QuarantineSink {
  constructor(private readonly dir: string) {}

  async put(object: SourceObject, rejected: Rejected[], omitted?: Omitted): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${createHash('sha256').update(object.key).digest('hex').slice(0, 16)}.jsonl`);
    await writeFile(file, quarantineLines(object, rejected) + omittedLine(object, omitted));
  }
}
