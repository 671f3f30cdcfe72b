import type { Rejected } from '#shared/pipeline/index.ts';

/** What the quarantine says about rejected records it did not keep one by one. */
export interface Omitted { kept: number; omitted: number; byReason: Record<string, number>; samples: Rejected[] }

/** Rejected records kept in full before only their counts are kept: about 4 MB at most (raw text is capped at 4 KB). */
export const QUARANTINE_KEEP = 1_000;
const SAMPLES_PER_REASON = 3;

/**
 * The rejected records of one object with bounded memory: the first `keep` in full, then per
 * reason a count and a few samples. A 400 MB file in an unknown format costs a few MB, not 400.
 */
export class RejectedRecords {
  readonly kept: Rejected[] = [];
  private omitted = 0;
  private readonly byReason = new Map<string, { count: number; samples: Rejected[] }>();

  constructor(private readonly keep = QUARANTINE_KEEP) {}

  private count = 0;

  add(r: Rejected): void {
    this.count += r.records ?? 1;
    if (this.kept.length < this.keep) { this.kept.push(r); return; }
    this.omitted += r.records ?? 1;
    const had = this.byReason.get(r.reason) ?? { count: 0, samples: [] };
    had.count += r.records ?? 1;
    if (had.samples.length < SAMPLES_PER_REASON) had.samples.push(r);
    this.byReason.set(r.reason, had);
  }

  /** The rejected records, counting an entry that stands for several as that many. */
  get total(): number { return this.count; }

  /** What was not kept one by one, or undefined when everything was. */
  overflow(): Omitted | undefined {
    if (!this.omitted) return undefined;
    const reasons = [...this.byReason.entries()].sort(([a], [b]) => a.localeCompare(b));
    return { kept: this.kept.length, omitted: this.omitted, byReason: Object.fromEntries(reasons.map(([k, v]) => [k, v.count])), samples: reasons.flatMap(([, v]) => v.samples) };
  }
}

/** The quarantine's closing line when records were omitted: how many, why, and samples. */
export const omittedLine = (object: { key: string; etag: string }, o: Omitted | undefined): string =>
  (o ? `${JSON.stringify({ object: object.key, etag: object.etag, omitted: o.omitted, byReason: o.byReason, samples: o.samples, note: `only the first ${o.kept} rejected records are kept in full` })}\n` : '');
