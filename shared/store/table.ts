/**
 * The one table's definition, used by the CDK stack and by the local bootstrap alike (no drift).
 * Plain data: no AWS SDK import.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** TTL: evidence and decisions are kept five years from the export (EAR part 762), then expire. */
  ttlAttribute: 'expiresAt',
  indexes: {
    /** Review queue: `STATUS#{status}#{shard}` → `{severityRank}#{lastSeen}#{id}`, read newest first. */
    byStatus: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** Flags of a dataset: `DATASET#{id}` → `{day}#{flagId}`. */
    byDataset: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    /** Flags of a person or account: `ACTOR#{key}` → `{day}#{flagId}`. */
    byActor: { partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  },
  /** The publisher reads both images to tell raised, updated and decided flags apart. */
  stream: 'NEW_AND_OLD_IMAGES',
} as const;

/** The status index is sharded so that millions of open flags do not share one partition. */
export const STATUS_SHARDS = 8;

/** CreateTable input (the SDK's shape, as plain data) for the local store and tests. */
export function createTableInput(tableName: string) {
  const attr = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  const indexes = Object.entries(TABLE.indexes);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [TABLE.partitionKey, TABLE.sortKey, ...indexes.flatMap(([, i]) => [i.partitionKey, i.sortKey])].map(attr),
    KeySchema: [{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' as const }, { AttributeName: TABLE.sortKey, KeyType: 'RANGE' as const }],
    GlobalSecondaryIndexes: indexes.map(([name, i]) => ({
      IndexName: name,
      KeySchema: [{ AttributeName: i.partitionKey, KeyType: 'HASH' as const }, { AttributeName: i.sortKey, KeyType: 'RANGE' as const }],
      Projection: { ProjectionType: 'ALL' as const },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.stream },
  };
}
