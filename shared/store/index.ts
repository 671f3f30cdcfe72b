export { DynamoFlagStore } from './dynamo.ts';
export { flagFromItem } from './item.ts';
export { TABLE, STATUS_SHARDS, createTableInput } from './table.ts';
export { foldContribution, mergeContributions, MAX_CONTRIBUTION_IDS } from './merge.ts';
export { Retry, DEFAULT_RETRY, isThrottling, type RetryPolicy, type RetryStats } from './retry.ts';
export * from './types.ts';
