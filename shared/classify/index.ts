import { makeRe } from 'minimatch';
import type { Resource } from '#shared/model/index.ts';
import type { CatalogEntry, DatasetRule } from '#shared/config/index.ts';

/** Windows, Samba and SharePoint paths match case-insensitively; the rest case-sensitively (DESIGN §3.5). */
const CASE_INSENSITIVE = new Set(['smb', 'file', 'http', 'https']);

/** `s3://bucket/key` → ['s3', 'bucket/key']; a URI without a scheme has scheme ''. */
function splitUri(uri: string): [string, string] {
  const i = uri.indexOf('://');
  return i < 0 ? ['', uri] : [uri.slice(0, i).toLowerCase(), uri.slice(i + 3)];
}

const isCaseInsensitive = (scheme: string) => CASE_INSENSITIVE.has(scheme);

/** One regex for many globs, compiled once; minimatch only compiles. */
function combine(globs: string[], nocase: boolean): RegExp | undefined {
  const sources = globs.map((g) => makeRe(g, { dot: true, nocase, nocomment: true, nonegate: true })).filter((r): r is RegExp => r !== false).map((r) => `(?:${r.source})`);
  return sources.length ? new RegExp(sources.join('|'), nocase ? 'i' : '') : undefined;
}

interface UriMatcher { scheme: string; test: (path: string) => boolean }

/** Path globs of one dataset or catalog entry, grouped by URI scheme (`*` = any scheme). */
function compileUriGlobs(globs: string[]): UriMatcher[] {
  const byScheme = new Map<string, string[]>();
  for (const glob of globs) {
    const [scheme, path] = glob.includes('://') ? splitUri(glob) : ['*', glob];
    byScheme.set(scheme, [...(byScheme.get(scheme) ?? []), path]);
  }
  return [...byScheme].map(([scheme, paths]) => {
    const cs = combine(paths, false);
    const ci = combine(paths, true);
    return { scheme, test: (path: string) => ((isCaseInsensitive(scheme) ? ci : cs)?.test(path) ?? false) };
  });
}

function matchesUri(matchers: UriMatcher[], scheme: string, path: string, fullUri: string): boolean {
  for (const m of matchers) {
    if (m.scheme === scheme) { if (m.test(path)) return true; }
    else if (m.scheme === '*' && m.test(fullUri)) return true;
  }
  return false;
}

interface CompiledDataset {
  dataset: DatasetRule;
  paths: UriMatcher[];
  names: { cs?: RegExp; ci?: RegExp };
  tags: [string, RegExp][];
  labels?: RegExp;
}

interface Labels { tags: Record<string, string>; labels: string[] }

/**
 * The policy compiled for one scan: which datasets a resource belongs to, by its URI, its name,
 * and the tags and labels it carries (in the event, in the catalog, or learned from labelling events).
 */
export class Classifier {
  private readonly datasets: CompiledDataset[];
  private readonly exactCatalog = new Map<string, Labels[]>();
  private readonly globCatalog: { matchers: UriMatcher[]; labels: Labels }[] = [];
  private readonly learned = new Map<string, Labels>();

  constructor(datasets: DatasetRule[], catalog: CatalogEntry[] = []) {
    this.datasets = datasets.map((dataset) => ({
      dataset,
      paths: compileUriGlobs(dataset.match.paths),
      names: { cs: combine(dataset.match.names, false), ci: combine(dataset.match.names, true) },
      tags: Object.entries(dataset.match.tags).map(([k, v]) => [k.toLowerCase(), combine([v], true)!]),
      labels: combine(dataset.match.labels, true),
    }));
    for (const entry of catalog) {
      const labels = { tags: entry.tags, labels: entry.labels };
      if (/[*?[\]{}()!+@]/.test(entry.resource)) this.globCatalog.push({ matchers: compileUriGlobs([entry.resource]), labels });
      else {
        const key = uriKey(entry.resource);
        this.exactCatalog.set(key, [...(this.exactCatalog.get(key) ?? []), labels]);
      }
    }
  }

  /** Whether any dataset matches on tags or labels (else looking tags up is wasted work). */
  get usesLabels(): boolean {
    return this.datasets.some((d) => d.tags.length || d.labels);
  }

  /** Whether the catalog or the logs already say what the resource's tags are. */
  knowsLabels(resource: Resource): boolean {
    const key = uriKey(resource.uri);
    if (this.learned.has(key) || this.exactCatalog.has(key)) return true;
    const [scheme, path] = splitUri(resource.uri);
    return this.globCatalog.some((g) => matchesUri(g.matchers, scheme, path, resource.uri));
  }

  /** A labelling event: the resource's tags and labels as they now are (replace), or added, or removed. */
  learn(resource: Resource, change: 'replace' | 'add' | 'remove' = 'replace'): void {
    const key = uriKey(resource.uri);
    const before = change === 'replace' ? undefined : this.learned.get(key);
    if (change === 'remove') {
      const tags = { ...before?.tags };
      for (const k of Object.keys(resource.tags ?? {})) delete tags[k];
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
    const key = uriKey(resource.uri);
    const [scheme, path] = splitUri(resource.uri);
    const parts: Labels[] = [{ tags: resource.tags ?? {}, labels: resource.labels ?? [] }, ...(this.exactCatalog.get(key) ?? [])];
    for (const g of this.globCatalog) if (matchesUri(g.matchers, scheme, path, resource.uri)) parts.push(g.labels);
    const learned = this.learned.get(key);
    if (learned) parts.push(learned);
    return { tags: Object.assign({}, ...parts.map((p) => p.tags)), labels: [...new Set(parts.flatMap((p) => p.labels))] };
  }

  classify(resource: Resource): DatasetRule[] {
    const [scheme, path] = splitUri(resource.uri);
    const nocase = isCaseInsensitive(scheme);
    let labels: Labels | undefined;
    const result: DatasetRule[] = [];
    for (const d of this.datasets) {
      if (matchesUri(d.paths, scheme, path, resource.uri)) { result.push(d.dataset); continue; }
      const nameRe = nocase ? d.names.ci : d.names.cs;
      if (nameRe && resource.name && nameRe.test(resource.name)) { result.push(d.dataset); continue; }
      if (!d.tags.length && !d.labels) continue;
      labels ??= this.labelsOf(resource);
      if (d.labels && labels.labels.some((l) => d.labels!.test(l))) { result.push(d.dataset); continue; }
      if (d.tags.length && matchesTags(d.tags, labels.tags)) result.push(d.dataset);
    }
    return result;
  }
}

function matchesTags(rules: [string, RegExp][], tags: Record<string, string>): boolean {
  const entries = Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v] as const);
  return rules.some(([key, value]) => entries.some(([k, v]) => k === key && value.test(v)));
}

/** The key a resource is known by: case-folded where its paths are case-insensitive. */
function uriKey(uri: string): string {
  const [scheme] = splitUri(uri);
  return isCaseInsensitive(scheme) ? uri.toLowerCase() : uri;
}
