import type { Policy } from '#shared/config/index.ts';
import { Classifier, CompiledPolicyMatch } from '#shared/classify/index.ts';
import { Directory } from '#shared/directory/index.ts';
import { Geo } from '#shared/geo/index.ts';
import { assess, assessAmbiguous } from '#shared/assess/index.ts';
import { FlagAggregator } from '#shared/flags/index.ts';
import type { AccessEvent, Flag, FlagEvent, LookBack, Origin, Resource, SourceName } from '#shared/model/index.ts';
import type { DatasetRule } from '#shared/config/index.ts';

export interface ResourceLabels { tags: Record<string, string>; labels: string[] }
import { readRecordBatches, type ReadOptions } from '#shared/read/records.ts';
import type { RawRecord } from '#shared/read/envelopes.ts';
import { sourcesFor, type LogSource } from '#shared/sources/index.ts';
import { emptySummary, reasonCategory, total, type ScanSummary } from './summary.ts';

export { emptySummary, total, type ScanSummary } from './summary.ts';

interface CompiledPolicy { match: CompiledPolicyMatch; directory: Directory; geo: Geo; sources: LogSource[] }
const compiledPolicies = new WeakMap<Policy, WeakMap<object, CompiledPolicy>>();
const NO_GEO = {};

/**
 * What a policy compiles to (globs, the account index, the geo reader), made once per policy and
 * geo database and shared by every scan of them: a Lambda container scans many objects with one policy.
 */
function compile(policy: Policy, geoDatabase: Buffer | undefined): CompiledPolicy {
  const byGeo = compiledPolicies.get(policy) ?? new WeakMap<object, CompiledPolicy>();
  compiledPolicies.set(policy, byGeo);
  let c = byGeo.get(geoDatabase ?? NO_GEO);
  if (!c) {
    c = { match: new CompiledPolicyMatch(policy.datasets, policy.catalog), directory: new Directory(policy.people), geo: new Geo(policy.networks, policy.home, geoDatabase), sources: sourcesFor(policy.sources) };
    byGeo.set(geoDatabase ?? NO_GEO, c);
  }
  return c;
}

/** A record that could not be read, kept with the reason (quarantine). */
export interface Rejected {
  file: string; line: number; index?: number; source?: SourceName; reason: string; raw?: string;
  /** How many records this entry stands for, when more than one (lines counted but not kept). */
  records?: number;
}

/** Unknown lines held with bounded memory: the first HELD_MAX in full, then only their count. */
const HELD_MAX = 1_000;
class HeldLines {
  readonly held: Rejected[] = [];
  count = 0;
  hold(r: Rejected): void {
    this.count += 1;
    if (this.held.length < HELD_MAX) this.held.push(r);
  }
}

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** What one object contributed to a scan. */
export interface ObjectResult {
  flags: { flag: Flag; eventIds: string[]; allEvents?: FlagEvent[] }[];
  counts: { records: number; events: number; skipped: number; rejected: number };
}

/** A quarantine file: one rejected record per line, with the object it came from. */
export function quarantineLines(object: { key: string; etag: string }, rejected: readonly Rejected[]): string {
  return rejected.map((r) => `${JSON.stringify({ object: object.key, etag: object.etag, ...r })}\n`).join('');
}

export interface ScanOptions extends ReadOptions {
  /** Force one source (by name) instead of detecting per record. */
  source?: SourceName;
  /** Called for every rejected record: the CLI writes them to --quarantine, Lambdas to S3. */
  onReject?: (rejected: Rejected) => void;
  /** The geo database (.mmdb bytes); without it only networks and private ranges are placed. */
  geoDatabase?: Buffer;
  /**
   * Tags and labels of a resource that neither the catalog nor this scan's logs label: labels learned
   * from earlier objects, S3 object tags (in AWS). Asked only for releases, and only when the policy
   * matches on tags or labels.
   */
  lookupLabels?: (uri: string) => Promise<ResourceLabels | undefined>;
  /** Keeps what a labelling event says, for the scans of later objects (in AWS, the flag table). */
  onLabel?: (resource: Resource, change: 'replace' | 'add' | 'remove') => Promise<void>;
  /** A look-back (`ittmon scan --look-back`, a replay after a policy change): its flags say so. */
  lookBack?: LookBack;
}

const MAX_RAW = 4096;
const rawText = (record: RawRecord): string => {
  const text = typeof record === 'string' ? record : JSON.stringify(record);
  return text.length > MAX_RAW ? `${text.slice(0, MAX_RAW)}…` : text;
};

/**
 * The one way to turn log bytes into flags, used by the CLI, the Lambdas and the tests:
 * read → parse → classify → resolve → assess → aggregate. Feed it any number of streams.
 */
export class Scan {
  readonly summary: ScanSummary = emptySummary();
  private readonly classifier: Classifier;
  private readonly directory: Directory;
  private readonly geo: Geo;
  private readonly aggregator: FlagAggregator;
  /** One object's flags keep every event: the store pages them for the reviewer. */
  private objectAggregator: FlagAggregator;
  private lastSource: LogSource | undefined;
  private readonly sources: readonly LogSource[];
  private readonly forced: LogSource | undefined;
  private readonly unrecognised: string;
  /** Records in no known format, held until the file shows a known line or ends (undefined: not judging this file). */
  private unknownLines: HeldLines | undefined;

  constructor(readonly policy: Policy, private readonly options: ScanOptions = {}) {
    this.aggregator = new FlagAggregator(options.lookBack ? { lookBack: options.lookBack } : {});
    this.objectAggregator = this.newObjectAggregator();
    const compiled = compile(policy, options.geoDatabase);
    this.classifier = new Classifier(compiled.match);
    this.directory = compiled.directory;
    this.geo = compiled.geo;
    this.sources = compiled.sources;
    this.unrecognised = `not a recognised log format (tried ${this.sources.map((s) => s.name).join(', ')})`;
    this.forced = options.source ? this.sources.find((s) => s.name === options.source) : undefined;
    if (options.source && !this.forced) throw new RangeError(`unknown source "${options.source}"`);
  }

  /**
   * Reads one file or object to the end and returns what it contributed: its own flags (with their
   * event ids, the evidence the store keeps per object) and where its records went.
   * Never throws for bad content.
   */
  async add(chunks: AsyncIterable<Buffer | Uint8Array>, file: string, read: Pick<ReadOptions, 'start' | 'stop' | 'progress'> = {}): Promise<ObjectResult> {
    this.summary.files += 1;
    this.objectAggregator = this.newObjectAggregator();
    const before = { records: this.summary.records, events: this.summary.events, skipped: total(this.summary.skipped), rejected: total(this.summary.rejected) };
    const progress = read.progress ?? { bytes: 0, line: 0, stopped: false };
    // Read from its first line, a file is judged whole: if no line of it is in a known format, it
    // is one rejected record ("unrecognised file"), not thousands of rejected lines.
    this.unknownLines = (read.start?.line ?? 0) === 0 && !this.forced ? new HeldLines() : undefined;
    for await (const batch of readRecordBatches(chunks, file, { ...this.options, ...read, progress })) {
      for (const item of batch) {
        if (item.kind === 'record') {
          const pending = this.record(item.record, item.origin); // a promise only when labels are looked up or kept
          if (pending) await pending;
        } else {
          this.summary.records += 1;
          if (item.kind === 'skip') this.skipped(item.reason);
          else this.rejected({ ...item.origin, reason: item.reason, ...(item.raw ? { raw: item.raw } : {}) });
        }
      }
    }
    const unknown = this.unknownLines;
    this.unknownLines = undefined;
    if (unknown?.count && !progress.stopped) {
      const first = unknown.held[0]!;
      this.summary.records += 1;
      this.rejected({
        file, line: first.line,
        reason: `unrecognised file: ${progress.bytes} bytes, ${plural(unknown.count, 'record')} and none in a known log format (tried ${this.sources.map((s) => s.name).join(', ')})`,
        ...(first.raw ? { raw: first.raw } : {}),
      });
    } else if (unknown) this.releaseHeld(unknown, file);
    return {
      flags: this.objectAggregator.entries(),
      counts: {
        records: this.summary.records - before.records, events: this.summary.events - before.events,
        skipped: total(this.summary.skipped) - before.skipped, rejected: total(this.summary.rejected) - before.rejected,
      },
    };
  }

  /**
   * Events already normalised — a stored flag's evidence judged again under this policy — go the
   * same way as log records: classify → resolve → assess → aggregate. `classify` may amend the
   * datasets found (what stored evidence can no longer show, such as tags the log record carried).
   * Returns their flags, those a license now clears included.
   */
  judgeEvents(events: readonly AccessEvent[], classify?: (event: AccessEvent, found: DatasetRule[]) => DatasetRule[]): ObjectResult['flags'] {
    this.objectAggregator = this.newObjectAggregator();
    for (const e of events) this.event(e, classify);
    return this.objectAggregator.entries(true);
  }

  private newObjectAggregator(): FlagAggregator {
    return new FlagAggregator({ keepAllEvents: true, ...(this.options.lookBack ? { lookBack: this.options.lookBack } : {}) });
  }

  flags(includeCleared = false): Flag[] {
    const flags = this.aggregator.flags(includeCleared);
    this.summary.flagsBySeverity = { critical: 0, high: 0, medium: 0, low: 0 };
    for (const f of flags) if (f.reasons.length) this.summary.flagsBySeverity[f.severity] += 1;
    return flags;
  }

  private record(record: RawRecord, origin: Origin): Promise<void> | undefined {
    const source = this.forced ?? this.detect(record);
    if (!source) {
      const rejected = { ...origin, reason: this.unrecognised, raw: rawText(record) };
      if (this.unknownLines) this.unknownLines.hold(rejected);
      else {
        this.summary.records += 1;
        this.rejected(rejected);
      }
      return undefined;
    }
    if (this.unknownLines) {
      // A line in a known format: the file is a log after all, and its unknown lines are rejected one by one.
      this.releaseHeld(this.unknownLines, origin.file);
      this.unknownLines = undefined;
    }
    this.summary.records += 1;
    const outcome = source.parse(record, origin);
    this.summary.bySource[source.name] = (this.summary.bySource[source.name] ?? 0) + 1;
    if (outcome.kind === 'skip') this.skipped(outcome.reason);
    else if (outcome.kind === 'reject') this.rejected({ ...origin, source: source.name, reason: outcome.reason, raw: rawText(record) });
    else {
      const e = outcome.event;
      const { lookupLabels, onLabel } = this.options;
      if (onLabel && e.action === 'label' && !e.actor.service) {
        this.event(e);
        return onLabel(e.resource, e.labelChange ?? 'replace');
      }
      if (lookupLabels && e.release && !e.actor.service && this.classifier.usesLabels && !this.classifier.knowsLabels(e.resource)) {
        return lookupLabels(e.resource.uri).then((found) => {
          if (found) e.resource = { ...e.resource, tags: { ...found.tags, ...e.resource.tags }, labels: [...new Set([...found.labels, ...(e.resource.labels ?? [])])] };
          this.event(e);
        });
      }
      this.event(e);
    }
    return undefined;
  }

  private detect(record: RawRecord): LogSource | undefined {
    if (this.lastSource?.detect(record)) return this.lastSource;
    const found = this.sources.find((s) => s.detect(record));
    if (found) this.lastSource = found;
    return found;
  }

  private event(event: AccessEvent, amend?: (event: AccessEvent, found: DatasetRule[]) => DatasetRule[]): void {
    if (event.actor.service) {
      this.skipped(`service principal: ${event.actor.candidates[0] ?? 'service'}`);
      return;
    }
    this.summary.events += 1;
    if (event.action === 'label') {
      this.classifier.learn(event.resource, event.labelChange);
      return;
    }
    if (!event.release) return;
    this.summary.releases += 1;
    const found = this.classifier.classify(event.resource);
    const datasets = amend ? amend(event, found) : found;
    if (!datasets.length) return;
    this.summary.controlledEvents += 1;
    const identity = event.actor.anonymous ? undefined : this.directory.identify(event.actor.candidates);
    const person = identity?.kind === 'person' ? identity.person : undefined;
    const place = event.ip ? this.geo.place(event.ip) : event.sourceCountry ? { country: event.sourceCountry } : undefined;
    for (const dataset of datasets) {
      const { reasons, cleared } = identity?.kind === 'ambiguous'
        ? assessAmbiguous(event, dataset, identity.people, place, this.policy)
        : assess(event, dataset, person, place, this.policy);
      this.summary.clearedByLicense += cleared.length;
      if (!reasons.length && !cleared.length) continue;
      const candidates = identity?.kind === 'ambiguous' ? identity.people : undefined;
      this.aggregator.add(event, dataset, person, reasons, cleared, place?.country, candidates);
      this.objectAggregator.add(event, dataset, person, reasons, cleared, place?.country, candidates);
    }
  }

  /** The unknown lines held while a file has shown no line in a known format, now rejected one by one. */
  private releaseHeld(unknown: HeldLines, file: string): void {
    for (const r of unknown.held) {
      this.summary.records += 1;
      this.rejected(r);
    }
    const notKept = unknown.count - unknown.held.length;
    if (notKept > 0) {
      this.summary.records += notKept;
      this.rejected({ file, line: unknown.held.at(-1)!.line + 1, records: notKept, reason: `${this.unrecognised}: ${plural(notKept, 'more record')} before the first known one, counted but not kept` });
    }
  }

  private skipped(reason: string): void {
    const key = reasonCategory(reason);
    this.summary.skipped[key] = (this.summary.skipped[key] ?? 0) + 1;
  }

  private rejected(r: Rejected): void {
    const key = reasonCategory(r.reason);
    this.summary.rejected[key] = (this.summary.rejected[key] ?? 0) + (r.records ?? 1);
    this.options.onReject?.(r);
  }
}
