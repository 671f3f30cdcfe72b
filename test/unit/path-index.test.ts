import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { makeRe } from 'minimatch';
import { literalPrefix, PathIndex, splitUri, isCaseInsensitive } from '#shared/classify/path-index.ts';

/** The naive answer: every glob's own regex against the URI's path. */
function naive(globs: string[], uri: string): number[] {
  const [scheme, path] = splitUri(uri);
  return globs.flatMap((g, i) => {
    const [gs, gp] = g.includes('://') ? splitUri(g) : ['*', g];
    if (gs === '*') return (makeRe(g, { dot: true }) || undefined)?.test(uri) ? [i] : [];
    if (gs !== scheme) return [];
    return (makeRe(gp, { dot: true, nocase: isCaseInsensitive(scheme) }) || undefined)?.test(path) ? [i] : [];
  });
}

const seg = fc.constantFrom('a', 'b', 'ab', 'project-1', 'project-12', 'P', 'x.h5', 'y.txt', 'Data');
const magic = fc.constantFrom('*', '**', '*.h5', 'project-*', '{a,b}', '+(a|b)', '@(x|y).*', 'a?', '[ab]');
const scheme = fc.constantFrom('s3', 'smb', 'github');
const glob = fc.tuple(scheme, fc.array(fc.oneof(seg, magic), { minLength: 1, maxLength: 4 })).map(([s, parts]) => `${s}://${parts.join('/')}`);
const uri = fc.tuple(scheme, fc.array(seg, { minLength: 1, maxLength: 5 })).map(([s, parts]) => `${s}://${parts.join('/')}`);

// The tree's own edge cases: dot-folders and `.`/`..`/empty segments (minimatch reads `a/../b` as
// `b` and `a//b` as `a/b`), braces whose alternatives start differently (or are empty), `**` first,
// and case: upper and lower forms, σ/ς (one upper case Σ), ß (upper case SS).
const edgeSeg = fc.constantFrom('a', 'A', 'ab', '.git', '.', '..', '', 'Data', 'DATA', 'σ', 'ς', 'Σ', 'ß', 'SS', 'x.h5', 'X.H5');
const edgeMagic = fc.constantFrom('**', '*', '.*', '*.h5', '{a,.git}', '{,a}', '{a,b}*', 'a{,b}', 'D*', '@(σ|x)', '[Aa]*', 'ab?');
const edgeScheme = fc.constantFrom('s3', 'smb', 'https');
const edgeGlob = fc.tuple(edgeScheme, fc.boolean(), fc.array(fc.oneof(edgeSeg, edgeMagic), { minLength: 1, maxLength: 4 }))
  .map(([s, globstarFirst, parts]) => `${s}://${[...(globstarFirst ? ['**'] : []), ...parts].join('/')}`);
const edgeUri = fc.tuple(edgeScheme, fc.array(edgeSeg, { minLength: 1, maxLength: 5 })).map(([s, parts]) => `${s}://${parts.join('/')}`);

describe('PathIndex', () => {
  it('matches exactly what each glob matches on its own (property)', () => {
    fc.assert(fc.property(fc.array(glob, { minLength: 1, maxLength: 30 }), fc.array(uri, { minLength: 1, maxLength: 20 }), (globs, uris) => {
      const index = new PathIndex(globs.map((g, owner) => ({ glob: g, owner })));
      for (const u of uris) {
        const found = new Set<number>();
        index.match(u, found);
        expect([...found].sort((a, b) => a - b)).toEqual(naive(globs, u));
      }
    }), { numRuns: 400 });
  });
  it('matches exactly what each glob matches on its own, at the edges: dot-folders, `..`, empty segments, braces, `**` first, case (property)', () => {
    fc.assert(fc.property(fc.array(edgeGlob, { minLength: 1, maxLength: 20 }), fc.array(edgeUri, { minLength: 1, maxLength: 20 }), (globs, uris) => {
      const index = new PathIndex(globs.map((g, owner) => ({ glob: g, owner })));
      for (const u of uris) {
        const found = new Set<number>();
        index.match(u, found);
        expect([...found].sort((a, b) => a - b)).toEqual(naive(globs, u));
      }
    }), { numRuns: 300 });
  });
  it('files globs under their literal prefix', () => {
    expect(literalPrefix('bucket/project-7-*/x')).toBe('bucket/project-7-');
    expect(literalPrefix('fs1/Lab/+(dir|data)/**')).toBe('fs1/Lab/');
    expect(literalPrefix('user@corp/a+b/**')).toBe('user@corp/a+b/');
  });
  it('is case-insensitive for SMB and SharePoint URIs only', () => {
    const index = new PathIndex([{ glob: 'smb://FS1/Lab/**', owner: 0 }, { glob: 's3://B/Lab/**', owner: 1 }, { glob: 'https://x.sharepoint.com/Sites/HGV/Doc.docx', owner: 2 }]);
    expect(index.matches('smb://fs1/lab/a')).toBe(true);
    expect(index.matches('s3://b/lab/a')).toBe(false);
    expect(index.matches('https://X.SharePoint.com/sites/hgv/doc.DOCX')).toBe(true);
  });
  const owners = (globs: string[], uri: string) => {
    const found = new Set<number>();
    new PathIndex(globs.map((glob, owner) => ({ glob, owner }))).match(uri, found);
    return [...found].sort((a, b) => a - b);
  };
  it('reads a glob as minimatch reads it: `x/..` dropped, doubled slashes as one', () => {
    expect(owners(['s3://lab/old/../hgv/**'], 's3://lab/hgv/run.h5')).toEqual([0]);
    expect(owners(['s3://lab/old/../hgv/**'], 's3://lab/old/hgv/run.h5')).toEqual([]);
    expect(owners(['smb://FS1/Lab//ITAR/*.docx'], 'smb://fs1/lab/itar/wing.docx')).toEqual([0]);
  });
  it('braces: each alternative is found, in the first segment or a later one', () => {
    expect(owners(['s3://lab/{hgv,cfd}/**'], 's3://lab/hgv/a')).toEqual([0]);
    expect(owners(['s3://lab/{hgv,cfd}/**'], 's3://lab/cfd/a')).toEqual([0]);
    expect(owners(['s3://lab/{hgv,cfd}/**'], 's3://lab/mesh/a')).toEqual([]);
    expect(owners(['s3://{lab,archive}/hgv/*.h5'], 's3://archive/hgv/a.h5')).toEqual([0]);
    expect(owners(['s3://{lab,archive}/hgv/*.h5'], 's3://backup/hgv/a.h5')).toEqual([]);
  });
  it('`**` first: any depth, down to the literal part that follows', () => {
    expect(owners(['s3://**/secret/*.h5'], 's3://b/x/y/secret/a.h5')).toEqual([0]);
    expect(owners(['s3://**/secret/*.h5'], 's3://b/secret/a.h5')).toEqual([0]);
    expect(owners(['s3://**/secret/*.h5'], 's3://b/public/a.h5')).toEqual([]);
  });
  it('case: a share folds σ and ς to one Σ as its regex does; S3 does not fold', () => {
    expect(owners(['smb://FS1/Σ/**'], 'smb://fs1/ς/x')).toEqual([0]);
    expect(owners(['smb://fs1/ς/**'], 'smb://FS1/σ/x')).toEqual([0]);
    expect(owners(['s3://b/Σ/**'], 's3://b/σ/x')).toEqual([]);
    expect(owners(['s3://b/Σ/**'], 's3://b/Σ/x')).toEqual([0]);
  });
  it('a segment\'s literal start may be all of it (`*` matches nothing), but not more than it', () => {
    expect(owners(['s3://lab/run-*'], 's3://lab/run-')).toEqual([0]);
    expect(owners(['s3://lab/run-*'], 's3://lab/run-7')).toEqual([0]);
    expect(owners(['s3://lab/run-*'], 's3://lab/run')).toEqual([]);
    expect(owners(['s3://lab/run-*', 's3://lab/r*'], 's3://lab/ru')).toEqual([1]);
  });
  it('a glob starting with # or ! is that text, not a comment or a negation', () => {
    expect(owners(['#drafts/**'], '#drafts/x')).toEqual([0]);
    expect(owners(['!secret'], 'public')).toEqual([]);
    expect(owners(['!secret'], '!secret')).toEqual([0]);
    expect(owners(['smb://fs1/!Archive/**'], 'smb://FS1/!archive/x')).toEqual([0]);
    expect(owners(['smb://fs1/!Archive/**'], 'smb://fs1/current/x')).toEqual([]);
  });
  it('an empty glob matches nothing, and takes nothing from the others', () => {
    expect(owners(['', 's3://', 's3://b/**'], 's3://b/x')).toEqual([2]);
    expect(owners(['', 's3://', 's3://b/**'], 's3://')).toEqual([]);
    expect(owners(['', 's3://'], '')).toEqual([]);
  });
  it('`*` and `**` match line breaks in keys (S3 keys may hold them), on S3 and on a share', () => {
    expect(owners(['s3://b/**'], 's3://b/a\nb/c')).toEqual([0]);
    expect(owners(['s3://b/*.h5'], 's3://b/a\u2028b.h5')).toEqual([0]);
    expect(owners(['smb://fs1/Lab/**'], 'smb://FS1/lab/x\r\ny')).toEqual([0]);
  });
  it('a lookup tests only the globs filed on its way, however many others there are (S3, and a case-insensitive share)', () => {
    const globs: string[] = [];
    for (let i = 0; i < 500; i++) globs.push(`s3://lab/p-${i}/**`, `s3://lab/q-${i}-*`, `s3://lab-${i}/{cfd,mesh}/*.h5`, `smb://FS1/P${i}/+(a|b)/*.docx`);
    const index = new PathIndex(globs.map((glob, owner) => ({ glob, owner })));
    const regexTests = (uri: string) => {
      const spy = vi.spyOn(RegExp.prototype, 'test');
      const found = new Set<number>();
      try {
        index.match(uri, found);
        return { found: [...found].map((o) => globs[o]), tests: spy.mock.calls.length };
      } finally {
        spy.mockRestore();
      }
    };
    expect(regexTests('s3://lab/p-7/run.h5')).toEqual({ found: ['s3://lab/p-7/**'], tests: 1 });
    expect(regexTests('s3://lab/q-7-solver')).toEqual({ found: ['s3://lab/q-7-*'], tests: 1 });
    expect(regexTests('s3://lab-7/mesh/a.h5')).toEqual({ found: ['s3://lab-7/{cfd,mesh}/*.h5'], tests: 1 });
    expect(regexTests('s3://lab/public/a.png')).toEqual({ found: [], tests: 0 });
    expect(regexTests('smb://fs1/p7/A/x.DOCX')).toEqual({ found: ['smb://FS1/P7/+(a|b)/*.docx'], tests: 1 });
    expect(regexTests('smb://fs1/public/x.docx')).toEqual({ found: [], tests: 0 });
    // A literal segment is looked up whole, not by its start: p-7x passes p-7 by.
    expect(regexTests('s3://lab/p-7x/run.h5')).toEqual({ found: [], tests: 0 });
    expect(regexTests('smb://fs1/p7x/A/x.docx')).toEqual({ found: [], tests: 0 });
  });
  it('an escaped special character is part of a literal segment, looked up whole', () => {
    const globs = ['s3://lab/a\\*b/**', 's3://lab/a\\[1]/**'];
    const index = new PathIndex(globs.map((glob, owner) => ({ glob, owner })));
    const spy = vi.spyOn(RegExp.prototype, 'test');
    try {
      const found = new Set<number>();
      index.match('s3://lab/ab/x', found);
      index.match('s3://lab/a-1/x', found);
      expect({ found: [...found], tests: spy.mock.calls.length }).toEqual({ found: [], tests: 0 });
    } finally {
      spy.mockRestore();
    }
    expect(owners(globs, 's3://lab/a*b/x')).toEqual([0]);
    expect(owners(globs, 's3://lab/a[1]/x')).toEqual([1]);
    expect(owners(globs, 's3://lab/a1/x')).toEqual([]);
  });
  it('the scheme is what comes before the first `://`, empty if that is first; a URI without one has none', () => {
    expect(splitUri('://b/x')).toEqual(['', 'b/x']);
    expect(splitUri('S3://b/X')).toEqual(['s3', 'b/X']);
    expect(splitUri('s3x')).toEqual(['', 's3x']);
    expect(owners(['://b/**'], '://b/x')).toEqual([0]);
    expect(owners(['s3://**'], 's3x')).toEqual([]);
    expect(owners(['s3://**'], 's3:/x')).toEqual([]);
  });
  it('globs without a scheme match case-sensitively, whatever the URI\'s scheme', () => {
    expect(owners(['**/Secret/**'], 'smb://fs1/Secret/x')).toEqual([0]);
    expect(owners(['**/Secret/**'], 'smb://fs1/secret/x')).toEqual([]);
    expect(owners(['**/Secret/**'], 's3://b/secret/x')).toEqual([]);
  });
  it('a path that starts with a slash (file:///…) has an empty first segment', () => {
    expect(owners(['file:///srv/Lab/**'], 'file:///SRV/lab/a.txt')).toEqual([0]);
    expect(owners(['file:///srv/Lab/**'], 'file://srv/Lab/a.txt')).toEqual([]);
  });
});
