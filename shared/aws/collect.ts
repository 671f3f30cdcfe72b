import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CheckpointStore, PageSink } from '#shared/collect/index.ts';
import { parseCredentials, type Checkpoint, type CollectorSource, type Credentials } from '#shared/collect/index.ts';

/** Collected pages go to the collected-logs bucket under `{prefix}{source}/…`, where S3 tells the ingest queue. */
export function s3PageSink(s3: S3Client, bucket: string, prefix: string): PageSink {
  return {
    async put(key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${key}`, Body: body, ContentType: 'application/json' }));
    },
  };
}

/**
 * A collector's checkpoint is one item, `COLLECTOR#{source}` / `CHECKPOINT`, in the flag table.
 * Each collector's role may touch only its own partition (dynamodb:LeadingKeys).
 */
export const checkpointKey = (source: CollectorSource) => ({ pk: `COLLECTOR#${source}`, sk: 'CHECKPOINT' });

export function dynamoCheckpoints(dynamo: DynamoDBClient, table: string): CheckpointStore {
  return {
    async load(source) {
      const { pk, sk } = checkpointKey(source);
      const res = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
      const position = res.Item?.position?.S;
      if (position === undefined) return undefined;
      return { position, ...(res.Item?.newest?.S ? { newest: res.Item.newest.S } : {}) } satisfies Checkpoint;
    },
    async save(source, checkpoint) {
      const { pk, sk } = checkpointKey(source);
      await dynamo.send(new PutItemCommand({
        TableName: table,
        Item: { pk: { S: pk }, sk: { S: sk }, type: { S: 'checkpoint' }, position: { S: checkpoint.position }, ...(checkpoint.newest ? { newest: { S: checkpoint.newest } } : {}), savedAt: { S: new Date().toISOString() } },
      }));
    },
  };
}

/** The collector's credentials: one JSON secret, validated with an error that names the field. */
export async function secretCredentials<S extends CollectorSource>(secrets: SecretsManagerClient, source: S, secretId: string): Promise<Credentials[S]> {
  const res = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  let value: unknown;
  try {
    value = JSON.parse(res.SecretString ?? '');
  } catch {
    throw new Error(`secret ${secretId}: not JSON; store the ${source} credentials as a JSON object (README "Collectors")`);
  }
  return parseCredentials(source, value, `secret ${secretId}`);
}
