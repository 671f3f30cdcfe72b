import { makeRe } from 'minimatch';

/** Windows, Samba and SharePoint paths match case-insensitively; the rest case-sensitively (DESIGN §3.5). */
const CASE_INSENSITIVE = new Set(['smb', 'file', 'http', 'https']);
export const isCaseInsensitive = (scheme: string) => CASE_INSENSITIVE.has(scheme);

/** `s3://bucket/key` → ['s3', 'bucket/key']; a URI without a scheme has scheme ''. */
export function splitUri(uri: string): [string, string] {
  const i = uri.indexOf('://');
  return i < 0 ? ['', uri] : [uri.slice(0, i).toLowerCase(), uri.slice(i + 3)];
}

/** The part of a glob before its first special character (extglob `+(` `@(` `!(` included). */
export function literalPrefix(glob: string): string {
  const m = /[*?[{(\\]|[+@!](?=\()/.exec(glob);
  return m ? glob.slice(0, m.index) : glob;
}

interface Entry { owner: number; re: RegExp }

/**
 * Many globs on resource URIs, compiled once, matched in time that barely grows with their number:
 * each glob is filed under the directory part of its literal prefix, and a URI only tests the globs
 * filed under one of its own directory prefixes (a few map lookups), plus exact literals by one lookup.
 * Owners are the indexes of whatever the globs belong to (datasets, catalog entries).
 */
export class PathIndex {
  /** scheme → directory prefix → globs of each owner (one combined regex per owner and prefix). */
  private readonly byScheme = new Map<string, Map<string, Entry[]>>();
  /** scheme → exact path → owners. */
  private readonly exact = new Map<string, Map<string, number[]>>();
  /** Globs without a scheme match the whole URI. */
  private readonly anyScheme: Entry[] = [];
  readonly size: number;

  constructor(globs: { glob: string; owner: number }[]) {
    const pending = new Map<string, Map<string, Map<number, string[]>>>();
    for (const { glob, owner } of globs) {
      const [scheme, path] = glob.includes('://') ? splitUri(glob) : ['*', glob];
      const nocase = scheme !== '*' && isCaseInsensitive(scheme);
      const literal = literalPrefix(path);
      if (literal === path && scheme !== '*') {
        const key = nocase ? path.toLowerCase() : path;
        const byPath = this.exact.get(scheme) ?? new Map<string, number[]>();
        byPath.set(key, [...(byPath.get(key) ?? []), owner]);
        this.exact.set(scheme, byPath);
        continue;
      }
      const dir = literal.slice(0, literal.lastIndexOf('/') + 1);
      const groups = pending.get(scheme) ?? new Map<string, Map<number, string[]>>();
      const group = groups.get(nocase ? dir.toLowerCase() : dir) ?? new Map<number, string[]>();
      group.set(owner, [...(group.get(owner) ?? []), path]);
      groups.set(nocase ? dir.toLowerCase() : dir, group);
      pending.set(scheme, groups);
    }
    for (const [scheme, groups] of pending) {
      const nocase = scheme !== '*' && isCaseInsensitive(scheme);
      const compiled = new Map<string, Entry[]>();
      for (const [dir, owners] of groups) {
        const entries = [...owners].flatMap(([owner, paths]) => {
          const re = combine(paths, nocase);
          return re ? [{ owner, re }] : [];
        });
        if (scheme === '*') this.anyScheme.push(...entries);
        else compiled.set(dir, entries);
      }
      if (scheme !== '*') this.byScheme.set(scheme, compiled);
    }
    this.size = globs.length;
  }

  /** Adds to `into` the owner of every glob that matches the URI. */
  match(uri: string, into: Set<number>): void {
    const [scheme, path] = splitUri(uri);
    const nocase = isCaseInsensitive(scheme);
    const key = nocase ? path.toLowerCase() : path;
    for (const o of this.exact.get(scheme)?.get(key) ?? []) into.add(o);
    const groups = this.byScheme.get(scheme);
    if (groups) {
      const test = (entries: Entry[] | undefined) => {
        if (entries) for (const e of entries) if (!into.has(e.owner) && e.re.test(path)) into.add(e.owner);
      };
      test(groups.get(''));
      for (let slash = key.indexOf('/'); slash !== -1; slash = key.indexOf('/', slash + 1)) test(groups.get(key.slice(0, slash + 1)));
    }
    for (const e of this.anyScheme) if (!into.has(e.owner) && e.re.test(uri)) into.add(e.owner);
  }

  matches(uri: string): boolean {
    const found = new Set<number>();
    this.match(uri, found);
    return found.size > 0;
  }
}

/** One regex for several globs; minimatch only compiles. */
export function combine(globs: string[], nocase: boolean): RegExp | undefined {
  const sources = globs.map((g) => makeRe(g, { dot: true, nocase, nocomment: true, nonegate: true })).filter((r): r is RegExp => r !== false).map((r) => `(?:${r.source})`);
  return sources.length ? new RegExp(sources.join('|'), nocase ? 'i' : '') : undefined;
}
