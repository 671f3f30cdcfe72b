export { DynamoFlagStore, flagFromItem } from './dynamo.ts';
export { TABLE, STATUS_SHARDS, createTableInput } from './table.ts';
export { mergeContributions, MAX_CONTRIBUTION_IDS } from './merge.ts';
export * from './types.ts';
