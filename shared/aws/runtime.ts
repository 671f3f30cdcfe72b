import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoFlagStore } from '#shared/store/index.ts';
import { ConfigCache } from './config.ts';
import { env, s3Options } from './env.ts';
import { readRoleClients, type ReadRole } from './s3.ts';

export { env } from './env.ts';

// Clients are created on first use and reused by later invocations of the same container. Only the
// clients most functions share: a client one function alone uses is made there (SQS in ingest-object,
// EventBridge in publish), so that the others do not load its SDK package on a cold start.
// AWS_ENDPOINT_URL (read by the SDK itself) points them at loopback servers in tests.
let s3: S3Client | undefined;
let dynamo: DynamoDBClient | undefined;
let sts: STSClient | undefined;
let s3ForBucket: ((bucket: string) => S3Client) | undefined;
let config: ConfigCache | undefined;
let store: DynamoFlagStore | undefined;

export const clients = {
  s3: () => (s3 ??= new S3Client(s3Options())),
  /** The client for a log bucket: through its read role when it is in another account (ITTMON_READ_ROLES). */
  s3For: (bucket: string) => (s3ForBucket ??= readRoleClients(clients.s3(), JSON.parse(process.env.ITTMON_READ_ROLES ?? '[]') as ReadRole[], () => (sts ??= new STSClient({})), (credentials) => new S3Client({ ...s3Options(), credentials })))(bucket),
  dynamo: () => (dynamo ??= new DynamoDBClient({})),
};
/** The config, cached per container; `geo: false` (the review API) neither needs nor loads the geo-IP database. */
export const configCache = (opts: { geo?: boolean } = {}) => (config ??= new ConfigCache(clients.s3(), env('CONFIG_BUCKET'), undefined, undefined, undefined, opts.geo ?? true));
export const flagStore = () => (store ??= new DynamoFlagStore(clients.dynamo(), env('TABLE_NAME')));

/** Tests swap in clients that talk to loopback servers. */
export function resetRuntime(): void {
  s3 = dynamo = sts = undefined;
  s3ForBucket = undefined;
  config = undefined;
  store = undefined;
}
