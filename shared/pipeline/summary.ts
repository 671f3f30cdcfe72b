import type { Severity, SourceName } from '#shared/model/index.ts';

/** Where every record went. records = events + skipped + rejected, always. */
export interface ScanSummary {
  files: number;
  records: number;
  events: number;
  skipped: Record<string, number>;
  rejected: Record<string, number>;
  bySource: Partial<Record<SourceName, number>>;
  releases: number;
  /** Release events on data of at least one dataset. */
  controlledEvents: number;
  flagsBySeverity: Record<Severity, number>;
  clearedByLicense: number;
}

export const emptySummary = (): ScanSummary => ({
  files: 0, records: 0, events: 0, skipped: {}, rejected: {}, bySource: {}, releases: 0, controlledEvents: 0,
  flagsBySeverity: { critical: 0, high: 0, medium: 0, low: 0 }, clearedByLicense: 0,
});

const categories = new Map<string, string>();
/** The reason without its details (positions, values), to count alike reasons together. */
export const reasonCategory = (reason: string): string => {
  let category = categories.get(reason);
  if (category === undefined) {
    const colon = reason.indexOf(': ');
    category = colon > 0 ? reason.slice(0, colon) : reason;
    if (categories.size < 10_000) categories.set(reason, category);
  }
  return category;
};

export const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);
