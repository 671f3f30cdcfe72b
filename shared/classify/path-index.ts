import { GLOBSTAR, makeRe, Minimatch } from 'minimatch';

/** Windows, Samba and SharePoint paths match case-insensitively; the rest case-sensitively (DESIGN §3.5). */
const CASE_INSENSITIVE = new Set(['smb', 'file', 'http', 'https']);
export const isCaseInsensitive = (scheme: string) => CASE_INSENSITIVE.has(scheme);

/**
 * The key a resource is known by (catalog, learned labels): the scheme in lower case (schemes are
 * case-insensitive, RFC 3986 §3.1), the path case-folded where the store's paths are case-insensitive.
 */
export function resourceKey(uri: string): string {
  const [scheme, path] = splitUri(uri);
  if (isCaseInsensitive(scheme)) return uri.toLowerCase();
  return scheme ? `${scheme}://${path}` : uri;
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

const OPTIONS = { dot: true, nocomment: true, nonegate: true } as const;

/**
 * Case-folds a key the way a case-insensitive regex (`i`, no `u`) compares characters: by upper
 * case, so that σ and ς (one Σ) land under one key; a character whose upper case the regex does not
 * use (ß → SS) only adds candidates, which the regex then rejects.
 */
const fold = (text: string) => text.toUpperCase();

interface Entry { owner: number; re: RegExp }

/** Where a lookup puts the owners it finds: a Set, or OwnerMarks to reuse from one lookup to the next. */
export interface Owners { has(owner: number): boolean; add(owner: number): unknown }

/**
 * The owners one lookup found, reused by the next at no cost: `clear` starts a new round instead of
 * emptying anything. A reused Set's clear() allocates a new table, in the old generation once the
 * Set has lived through a GC, so every lookup of a long scan filled the old generation and paid
 * for major GCs over the whole compiled policy: the cost grew with the number of globs.
 */
export class OwnerMarks implements Owners {
  /** owner → the round in which it was last found (a double counts rounds exactly for 2^53 lookups). */
  private readonly rounds: Float64Array;
  private round = 1;
  constructor(owners: number) { this.rounds = new Float64Array(owners); }
  has(owner: number): boolean { return this.rounds[owner] === this.round; }
  add(owner: number): void { this.rounds[owner] = this.round; }
  clear(): void { this.round++; }
}

/** A directory in the tree of the globs' literal path segments. */
interface Node {
  /** The next literal segment → its node. */
  children: Map<string, Node>;
  /** Globs whose literal part ends here: tested against every path that reaches this node. */
  here: Entry[];
  /** Globs whose next segment starts with a literal (`project-7-*`), under that literal. */
  byStart: Map<string, Entry[]>;
  /** The lengths of those literals, shortest first. */
  startLengths: number[];
}

/** While building: node → '' (here) or a segment's literal start → owner → globs. */
type Pending = Map<Node, { nocase: boolean; starts: Map<string, Map<number, string[]>> }>;

// Stryker disable next-line ArrayDeclaration: each node that holds globs gets its own lists; a node on the way to them has no literal starts, so its lengths find nothing
const node = (): Node => ({ children: new Map(), here: [], byStart: new Map(), startLengths: [] });

/**
 * Many globs on resource URIs, compiled once, matched in time that does not grow with their number.
 * The globs, as minimatch parses them (braces expanded, `a/../b` and `a//b` as it reads them), form
 * a tree of their literal path segments, one per scheme. A URI walks its own segments down that
 * tree, one map lookup each, and stops where no glob goes further; it tests only the globs filed on
 * its way: those whose literal part ends at a node it reaches, and those whose next segment starts
 * with the literal its segment starts with. Owners are the indexes of whatever the globs belong to.
 */
export class PathIndex {
  /** scheme → the root of its tree. */
  private readonly roots = new Map<string, { root: Node; nocase: boolean }>();
  /** Globs without a scheme match the whole URI. */
  private readonly anyScheme: Entry[];
  readonly size: number;

  constructor(globs: { glob: string; owner: number }[]) {
    const pending: Pending = new Map();
    const anyScheme = new Map<number, string[]>();
    for (const { glob, owner } of globs) {
      if (!glob.includes('://')) {
        push(anyScheme, owner, glob);
        continue;
      }
      const [scheme, path] = splitUri(glob);
      let tree = this.roots.get(scheme);
      if (!tree) this.roots.set(scheme, (tree = { root: node(), nocase: isCaseInsensitive(scheme) }));
      for (const [at, start] of places(path, tree.root, tree.nocase)) {
        push(getOr(getOr(pending, at, () => ({ nocase: tree.nocase, starts: new Map() })).starts, start, () => new Map()), owner, path);
      }
    }
    this.anyScheme = compile(anyScheme, false);
    for (const [at, { nocase, starts }] of pending) {
      for (const [start, owners] of starts) {
        if (start === '') at.here = compile(owners, nocase);
        else at.byStart.set(start, compile(owners, nocase));
      }
      // Stryker disable next-line ArrayDeclaration: a length listed twice is only looked up twice
      at.startLengths = [...new Set([...at.byStart.keys()].map((k) => k.length))].sort((a, b) => a - b);
    }
    this.size = globs.length;
  }

  /** Adds to `into` the owner of every glob that matches the URI. */
  match(uri: string, into: Owners): void {
    const colon = uri.indexOf('://');
    const tree = colon < 0 ? undefined : this.roots.get(uri.slice(0, colon).toLowerCase());
    if (tree) {
      const path = uri.slice(colon + 3);
      const key = tree.nocase ? fold(path) : path;
      let at = tree.root;
      test(at.here, path, into);
      for (let start = 0; ;) {
        const slash = key.indexOf('/', start);
        const end = slash < 0 ? key.length : slash;
        for (const length of at.startLengths) {
          // Stryker disable next-line ConditionalExpression,ArithmeticOperator: only saves lookups; a literal start longer than the segment finds nothing
          if (start + length > end) break;
          const entries = at.byStart.get(key.slice(start, start + length));
          if (entries) test(entries, path, into);
        }
        const next = at.children.get(key.slice(start, end));
        if (!next) break;
        test(next.here, path, into);
        // Stryker disable next-line ConditionalExpression: past the last segment, walking on from the top only tests more globs, whose regexes say no
        if (slash < 0) break;
        at = next;
        start = slash + 1;
      }
    }
    test(this.anyScheme, uri, into);
  }

  matches(uri: string): boolean {
    const found = new Set<number>();
    this.match(uri, found);
    return found.size > 0;
  }
}

/**
 * Where a glob is filed: for each way minimatch reads it (one per brace alternative), the node of
 * its leading literal segments, and the literal start of the next segment ('' = none).
 */
function places(path: string, root: Node, nocase: boolean): [Node, string][] {
  // Stryker disable next-line ObjectLiteral: the options change no literal segment of a path that starts with a host, bucket or owner name (never `#` or `!`); only where the glob is filed
  return new Minimatch(path, { ...OPTIONS, nocase }).set.map((parts) => {
    let at = root;
    for (const part of parts) {
      if (part === GLOBSTAR) return [at, ''];
      // A literal segment is a string, or (case-insensitive) a regex part whose glob is all literal.
      const text = typeof part === 'string' ? part : part._glob!;
      const literal = typeof part === 'string' ? part : literalPrefix(text);
      if (literal !== text) return [at, nocase ? fold(literal) : literal];
      at = getOr(at.children, nocase ? fold(literal) : literal, node);
    }
    return [at, ''];
  });
}

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  // Stryker disable next-line ArrayDeclaration: a stray first glob would match only its own text ("Stryker was here")
  getOr(map, key, () => []).push(value);
}

function compile(owners: Map<number, string[]>, nocase: boolean): Entry[] {
  return [...owners].flatMap(([owner, paths]) => {
    const re = combine(paths, nocase);
    return re ? [{ owner, re }] : [];
  });
}

function test(entries: Entry[], text: string, into: Owners): void {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: an owner already found needs no second regex; adding it again changes nothing
  for (const e of entries) if (!into.has(e.owner) && e.re.test(text)) into.add(e.owner);
}

/**
 * One regex for several globs; minimatch only compiles. The `s` flag lets `*`, `?` and `**` match
 * line breaks and U+2028/U+2029 too: S3 keys may hold them, and every character of a key is ordinary.
 */
export function combine(globs: string[], nocase: boolean): RegExp | undefined {
  // A glob repeated (big policies name one prefix in many datasets' rules) is compiled once: a
  // regex with the same alternative ten times costs ten times as much on every path it matches.
  // Stryker disable next-line ConditionalExpression,MethodExpression,BooleanLiteral: makeRe says false only for an empty glob, whose stray alternative would match only the text "undefined"
  const sources = [...new Set(globs)].map((g) => makeRe(g, { ...OPTIONS, nocase })).filter((r): r is RegExp => r !== false).map((r) => `(?:${r.source})`);
  return sources.length ? new RegExp(sources.join('|'), nocase ? 'is' : 's') : undefined;
}
