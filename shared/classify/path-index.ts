import { makeRe } from 'minimatch';

/** Windows, Samba and SharePoint paths match case-insensitively; the rest case-sensitively (DESIGN §3.5). */
const CASE_INSENSITIVE = new Set(['smb', 'file', 'http', 'https']);
export const isCaseInsensitive = (scheme: string) => CASE_INSENSITIVE.has(scheme);

/** The key a resource is known by (catalog, learned labels): case-folded where its paths are case-insensitive. */
export function resourceKey(uri: string): string {
  return isCaseInsensitive(splitUri(uri)[0]) ? uri.toLowerCase() : uri;
}

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
 * The globs filed under one directory prefix: those whose next segment starts with a literal
 * (`project-7-*`) under that literal, the others (`*.h5`, `**`) tested always.
 */
interface Group { always: Entry[]; byLiteral: Map<string, Entry[]>; lengths: number[] }

/**
 * Many globs on resource URIs, compiled once, matched in time that barely grows with their number:
 * each glob is filed under the directory part of its literal prefix and the literal start of the
 * next segment, so a URI only tests the globs filed under its own prefixes (a few map lookups);
 * exact literals take one lookup. Owners are the indexes of whatever the globs belong to.
 */
export class PathIndex {
  /** scheme → directory prefix → group. */
  private readonly byScheme = new Map<string, Map<string, Group>>();
  /** scheme → the most '/' any directory prefix of it has: deeper levels need no lookup. */
  private readonly depth = new Map<string, number>();
  /** scheme → exact path → owners. */
  private readonly exact = new Map<string, Map<string, number[]>>();
  /** Globs without a scheme match the whole URI. */
  private readonly anyScheme: Entry[] = [];
  readonly size: number;

  constructor(globs: { glob: string; owner: number }[]) {
    // scheme → dir → next-segment literal ('' = none) → owner → paths
    const pending = new Map<string, Map<string, Map<string, Map<number, string[]>>>>();
    const add = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
      let v = map.get(key);
      if (v === undefined) map.set(key, (v = make()));
      return v;
    };
    for (const { glob, owner } of globs) {
      const [scheme, path] = glob.includes('://') ? splitUri(glob) : ['*', glob];
      const nocase = scheme !== '*' && isCaseInsensitive(scheme);
      const literal = literalPrefix(path);
      if (literal === path && scheme !== '*') {
        add(add(this.exact, scheme, () => new Map<string, number[]>()), nocase ? path.toLowerCase() : path, () => []).push(owner);
        continue;
      }
      const cut = literal.lastIndexOf('/') + 1;
      const dir = nocase ? literal.slice(0, cut).toLowerCase() : literal.slice(0, cut);
      const rest = scheme === '*' ? '' : nocase ? literal.slice(cut).toLowerCase() : literal.slice(cut);
      add(add(add(add(pending, scheme, () => new Map()), dir, () => new Map()), rest, () => new Map<number, string[]>()), owner, () => []).push(path);
    }
    for (const [scheme, dirs] of pending) {
      const nocase = scheme !== '*' && isCaseInsensitive(scheme);
      const compile = (owners: Map<number, string[]>): Entry[] => [...owners].flatMap(([owner, paths]) => {
        const re = combine(paths, nocase);
        return re ? [{ owner, re }] : [];
      });
      if (scheme === '*') {
        for (const rests of dirs.values()) for (const owners of rests.values()) this.anyScheme.push(...compile(owners));
        continue;
      }
      const groups = new Map<string, Group>();
      let depth = 0;
      for (const [dir, rests] of dirs) {
        const group: Group = { always: [], byLiteral: new Map(), lengths: [] };
        for (const [rest, owners] of rests) {
          if (rest === '') group.always.push(...compile(owners));
          else group.byLiteral.set(rest, compile(owners));
        }
        group.lengths = [...new Set([...group.byLiteral.keys()].map((k) => k.length))].sort((a, b) => a - b);
        groups.set(dir, group);
        depth = Math.max(depth, dir.split('/').length - 1);
      }
      this.byScheme.set(scheme, groups);
      this.depth.set(scheme, depth);
    }
    this.size = globs.length;
  }

  /** Adds to `into` the owner of every glob that matches the URI. */
  match(uri: string, into: Set<number>): void {
    const colon = uri.indexOf('://');
    const scheme = colon < 0 ? '' : uri.slice(0, colon).toLowerCase();
    const path = colon < 0 ? uri : uri.slice(colon + 3);
    const key = isCaseInsensitive(scheme) ? path.toLowerCase() : path;
    const exact = this.exact.get(scheme)?.get(key);
    if (exact) for (const o of exact) into.add(o);
    const groups = this.byScheme.get(scheme);
    if (groups) {
      this.visit(groups, key, path, 0, '', into);
      const depth = this.depth.get(scheme)!;
      for (let level = 1, slash = key.indexOf('/'); slash !== -1 && level <= depth; slash = key.indexOf('/', slash + 1), level++) {
        this.visit(groups, key, path, slash + 1, key.slice(0, slash + 1), into);
      }
      const whole = groups.get(`${key}/`); // `dir/**` matches `dir` itself
      if (whole) test(whole.always, path, into);
    }
    if (this.anyScheme.length) test(this.anyScheme, uri, into);
  }

  private visit(groups: Map<string, Group>, key: string, path: string, dirEnd: number, dir: string, into: Set<number>): void {
    const group = groups.get(dir);
    if (!group) return;
    test(group.always, path, into);
    for (const length of group.lengths) {
      const entries = group.byLiteral.get(key.slice(dirEnd, dirEnd + length));
      if (entries) test(entries, path, into);
    }
  }

  matches(uri: string): boolean {
    const found = new Set<number>();
    this.match(uri, found);
    return found.size > 0;
  }
}

function test(entries: Entry[], text: string, into: Set<number>): void {
  for (const e of entries) if (!into.has(e.owner) && e.re.test(text)) into.add(e.owner);
}

/**
 * One regex for several globs; minimatch only compiles. The `s` flag lets `*`, `?` and `**` match
 * line breaks and U+2028/U+2029 too: S3 keys may hold them, and every character of a key is ordinary.
 */
export function combine(globs: string[], nocase: boolean): RegExp | undefined {
  // A glob repeated (big policies name one prefix in many datasets' rules) is compiled once: a
  // regex with the same alternative ten times costs ten times as much on every path it matches.
  const sources = [...new Set(globs)].map((g) => makeRe(g, { dot: true, nocase, nocomment: true, nonegate: true })).filter((r): r is RegExp => r !== false).map((r) => `(?:${r.source})`);
  return sources.length ? new RegExp(sources.join('|'), nocase ? 'is' : 's') : undefined;
}
