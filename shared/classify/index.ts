import { combine, isCaseInsensitive, OwnerMarks, PathIndex, resourceKey, splitUri } from './path-index.ts';
import type { Resource } from '#shared/model/index.ts';
import type { CatalogEntry, DatasetRule } from '#shared/config/index.ts';

interface CompiledDataset {
  dataset: DatasetRule;
  names: { cs?: RegExp; ci?: RegExp };
  tags: [string, RegExp][];
  labels?: RegExp;
}

interface Labels { tags: Record<string, string>; labels: string[] }

/** The immutable part of a classifier: compiled once per policy, shared by every scan of it. */
export class CompiledPolicyMatch {
  readonly datasets: CompiledDataset[];
  readonly paths: PathIndex;
  readonly exactCatalog = new Map<string, Labels[]>();
  readonly globCatalog: PathIndex;
  // Stryker disable next-line ArrayDeclaration: the globs' owners are this list's indexes as it grows, whatever it starts with
  readonly globCatalogLabels: Labels[] = [];

  constructor(datasets: DatasetRule[], catalog: CatalogEntry[]) {
    this.datasets = datasets.map((dataset) => ({
      dataset,
      names: { cs: combine(dataset.match.names, false), ci: combine(dataset.match.names, true) },
      tags: Object.entries(dataset.match.tags).map(([k, v]) => [k.toLowerCase(), combine([v], true)!]),
      labels: combine(dataset.match.labels, true),
    }));
    this.paths = new PathIndex(datasets.flatMap((d, owner) => d.match.paths.map((glob) => ({ glob, owner }))));
    const globs: { glob: string; owner: number }[] = [];
    for (const entry of catalog) {
      const labels = { tags: entry.tags, labels: entry.labels };
      // Stryker disable next-line ConditionalExpression,Regex: a resource without special characters is filed as an exact key only to save the glob index the work; as a glob it matches the same text
      if (/[*?[\]{}()!+@]/.test(entry.resource)) {
        globs.push({ glob: entry.resource, owner: this.globCatalogLabels.length });
        this.globCatalogLabels.push(labels);
      } else {
        const key = resourceKey(entry.resource);
        this.exactCatalog.set(key, [...(this.exactCatalog.get(key) ?? []), labels]);
      }
    }
    this.globCatalog = new PathIndex(globs);
  }
}

/**
 * The policy applied in one scan: which datasets a resource belongs to, by its URI, its name, and
 * the tags and labels it carries (in the event, in the catalog, or learned from labelling events).
 */
export class Classifier {
  private readonly compiled: CompiledPolicyMatch;
  private readonly learned = new Map<string, Labels>();
  /** The datasets whose paths match, reused by every classify call (a scan is single-threaded). */
  private readonly byPath: OwnerMarks;

  constructor(datasets: DatasetRule[] | CompiledPolicyMatch, catalog: CatalogEntry[] = []) {
    this.compiled = datasets instanceof CompiledPolicyMatch ? datasets : new CompiledPolicyMatch(datasets, catalog);
    this.byPath = new OwnerMarks(this.compiled.datasets.length);
  }

  private get datasets() { return this.compiled.datasets; }

  /** Whether any dataset matches on tags or labels (else looking tags up is wasted work). */
  get usesLabels(): boolean {
    return this.datasets.some((d) => d.tags.length || d.labels);
  }

  /** Whether the catalog or the logs already say what the resource's tags are. */
  knowsLabels(resource: Resource): boolean {
    const key = resourceKey(resource.uri);
    return this.learned.has(key) || this.compiled.exactCatalog.has(key) || this.compiled.globCatalog.matches(resource.uri);
  }

  /** A labelling event: the resource's tags and labels as they now are (replace), or added, or removed. */
  learn(resource: Resource, change: 'replace' | 'add' | 'remove' = 'replace'): void {
    const key = resourceKey(resource.uri);
    const before = change === 'replace' ? undefined : this.learned.get(key);
    if (change === 'remove') {
      const tags = { ...before?.tags };
      for (const k of Object.keys(resource.tags ?? {})) delete tags[k];
      // Stryker disable next-line ArrayDeclaration: an absent list of labels to remove removes none, as does any list without the label
      this.learned.set(key, { tags, labels: (before?.labels ?? []).filter((l) => !(resource.labels ?? []).includes(l)) });
      return;
    }
    this.learned.set(key, {
      tags: { ...before?.tags, ...resource.tags },
      labels: [...new Set([...(before?.labels ?? []), ...(resource.labels ?? [])])],
    });
  }

  /** The tags and labels known for a resource, from every place they can come from. */
  labelsOf(resource: Resource): Labels {
    const key = resourceKey(resource.uri);
    const parts: Labels[] = [{ tags: resource.tags ?? {}, labels: resource.labels ?? [] }, ...(this.compiled.exactCatalog.get(key) ?? [])];
    const globs = new Set<number>();
    this.compiled.globCatalog.match(resource.uri, globs);
    for (const i of globs) parts.push(this.compiled.globCatalogLabels[i]!);
    const learned = this.learned.get(key);
    if (learned) parts.push(learned);
    return { tags: Object.assign({}, ...parts.map((p) => p.tags)), labels: [...new Set(parts.flatMap((p) => p.labels))] };
  }

  classify(resource: Resource): DatasetRule[] {
    const byPath = this.byPath;
    byPath.clear();
    this.compiled.paths.match(resource.uri, byPath);
    let nocase: boolean | undefined;
    let labels: Labels | undefined;
    let tags: TagEntries | undefined;
    const result: DatasetRule[] = [];
    for (let i = 0; i < this.datasets.length; i++) {
      const d = this.datasets[i]!;
      if (byPath.has(i)) { result.push(d.dataset); continue; }
      if (d.names.cs && resource.name) {
        nocase ??= isCaseInsensitive(splitUri(resource.uri)[0]);
        if ((nocase ? d.names.ci! : d.names.cs).test(resource.name)) { result.push(d.dataset); continue; }
      }
      // Stryker disable next-line ConditionalExpression: only saves looking labels up for a dataset that matches on none
      if (!d.tags.length && !d.labels) continue;
      labels ??= this.labelsOf(resource);
      if (d.labels && labels.labels.some((l) => d.labels!.test(l))) { result.push(d.dataset); continue; }
      if (d.tags.length && matchesTags(d.tags, (tags ??= lowerCaseKeys(labels.tags)))) result.push(d.dataset);
    }
    return result;
  }
}

/** A resource's tags as [lower-cased key, value] pairs: tag keys match case-insensitively. */
type TagEntries = readonly (readonly [string, string])[];
const lowerCaseKeys = (tags: Record<string, string>): TagEntries => Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v] as const);

function matchesTags(rules: [string, RegExp][], tags: TagEntries): boolean {
  return rules.some(([key, value]) => tags.some(([k, v]) => k === key && value.test(v)));
}
