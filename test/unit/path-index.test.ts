import { describe, expect, it } from 'vitest';
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
});
