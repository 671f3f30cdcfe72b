import type { StoredFlag } from './types.ts';

// A flag item's fields, apart from the DynamoDB client: the bus publisher reads stream images with
// these alone, without loading the store.
export const FLAG_FIELDS = ['id', 'severity', 'dataset', 'classification', 'jurisdiction', 'day', 'actor', 'reasons', 'cleared', 'eventCount', 'bytes', 'firstSeen', 'lastSeen', 'events'] as const;
export const REVIEW_FIELDS = ['status', 'version', 'rev', 'assignee', 'disposition', 'reference', 'justification', 'createdAt', 'updatedAt'] as const;
/** How a flag was first raised (live or on a look-back): set when it is created, never by later evidence. */
export const ORIGIN_FIELDS = ['foundBy', 'policyVersion', 'foundAt'] as const;

/** A stored flag from a table item (also from a DynamoDB stream image, once unmarshalled). */
export function flagFromItem(item: Record<string, unknown>): StoredFlag {
  const out: Record<string, unknown> = {};
  for (const k of [...FLAG_FIELDS, ...REVIEW_FIELDS, ...ORIGIN_FIELDS]) if (item[k] !== undefined) out[k] = item[k];
  return out as unknown as StoredFlag;
}
