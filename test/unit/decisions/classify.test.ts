import { describe, expect, it } from 'vitest';
import { Classifier } from '#shared/classify/index.ts';
import { combine, isCaseInsensitive, literalPrefix, PathIndex, resourceKey, splitUri } from '#shared/classify/path-index.ts';
import type { CatalogEntry, DatasetRule } from '#shared/config/index.ts';
import { parseClassification } from '#shared/rules/index.ts';

// Classifiers are built inside each test: Stryker activates a mutant only once tests run.
const dataset = (id: string, match: Partial<DatasetRule['match']>): DatasetRule => ({
  id, name: id, jurisdiction: 'EAR', classification: parseClassification('3E001'), match: { paths: [], names: [], tags: {}, labels: [], ...match },
});
const ids = (c: Classifier, uri: string, extra: object = {}) => c.classify({ uri, name: uri.slice(uri.lastIndexOf('/') + 1), ...extra }).map((d) => d.id);
const owners = (index: PathIndex, uri: string) => {
  const found = new Set<number>();
  index.match(uri, found);
  return [...found].sort();
};

describe('two globs in one directory', () => {
  it('of two datasets: each file goes to the dataset whose glob it matches', () => {
    const c = new Classifier([dataset('cfd', { paths: ['s3://lab/data/*.h5'] }), dataset('cad', { paths: ['s3://lab/data/*.step'] })]);
    expect(ids(c, 's3://lab/data/wing.h5')).toEqual(['cfd']);
    expect(ids(c, 's3://lab/data/wing.step')).toEqual(['cad']);
    expect(ids(c, 's3://lab/data/wing.txt')).toEqual([]);
  });
  it('of one dataset: both globs count, and a file matching neither does not', () => {
    const c = new Classifier([dataset('runs', { paths: ['s3://lab/data/*.h5', 's3://lab/data/*.cgns'] })]);
    expect(ids(c, 's3://lab/data/a.h5')).toEqual(['runs']);
    expect(ids(c, 's3://lab/data/a.cgns')).toEqual(['runs']);
    expect(ids(c, 's3://lab/data/a.csv')).toEqual([]);
  });
  it('with literal starts of different lengths (run-*, r-*, raw-*): each is found', () => {
    const index = new PathIndex([{ glob: 's3://lab/data/run-*', owner: 0 }, { glob: 's3://lab/data/r-*', owner: 1 }, { glob: 's3://lab/data/raw-*/**', owner: 2 }, { glob: 's3://lab/data/**/*.h5', owner: 3 }]);
    expect(owners(index, 's3://lab/data/run-7')).toEqual([0]);
    expect(owners(index, 's3://lab/data/r-7')).toEqual([1]);
    expect(owners(index, 's3://lab/data/raw-1/x/y.h5')).toEqual([2, 3]);
    expect(owners(index, 's3://lab/data/rex')).toEqual([]);
    expect(owners(index, 's3://lab/other/run-7')).toEqual([]);
  });
  it('in directories of different depths: a glob deep in the tree is found, a shallow one too', () => {
    const index = new PathIndex([{ glob: 's3://lab/a/b/c/d/*.h5', owner: 0 }, { glob: 's3://lab/*.txt', owner: 1 }, { glob: 's3://lab/a/b/exact.bin', owner: 2 }]);
    expect(owners(index, 's3://lab/a/b/c/d/x.h5')).toEqual([0]);
    expect(owners(index, 's3://lab/a/b/c/x.h5')).toEqual([]);
    expect(owners(index, 's3://lab/notes.txt')).toEqual([1]);
    expect(owners(index, 's3://lab/a/b/exact.bin')).toEqual([2]);
    expect(owners(index, 's3://lab/a/b/exact.bin2')).toEqual([]);
    expect(index.size).toBe(3);
  });
  it('`dir/**` matches the directory itself, on S3 and on a case-insensitive share', () => {
    const index = new PathIndex([{ glob: 's3://lab/hgv/**', owner: 0 }, { glob: 'smb://FS1/Lab/**', owner: 1 }]);
    expect(owners(index, 's3://lab/hgv')).toEqual([0]);
    expect(owners(index, 'smb://fs1/LAB')).toEqual([1]);
    expect(owners(index, 's3://lab/hgvx')).toEqual([]);
  });
  it('globs without a scheme match the whole URI of any scheme', () => {
    const index = new PathIndex([{ glob: '**/secret/**', owner: 0 }]);
    expect(owners(index, 's3://b/secret/x')).toEqual([0]);
    expect(owners(index, 'github://acme/secret/y')).toEqual([0]);
    expect(owners(index, 's3://b/public/x')).toEqual([]);
  });
});

describe('files under dot-folders', () => {
  it('`**` reaches into .git and other dot-folders, on S3 and on a share', () => {
    const c = new Classifier([dataset('s3', { paths: ['s3://lab/hgv/**'] }), dataset('smb', { paths: ['smb://fs1/Lab/ITAR/**/*.docx'] })]);
    expect(ids(c, 's3://lab/hgv/.git/config')).toEqual(['s3']);
    expect(ids(c, 's3://lab/hgv/runs/.cache/x.h5')).toEqual(['s3']);
    expect(ids(c, 'smb://FS1/lab/itar/.archive/Wing.docx')).toEqual(['smb']);
  });
  it('a name glob matches a dot-file, case-sensitively on S3 and not on a share', () => {
    const c = new Classifier([dataset('names', { names: ['*.step'] })]);
    expect(ids(c, 's3://other/x/.wing.step')).toEqual(['names']);
    expect(ids(c, 's3://other/x/.wing.STEP')).toEqual([]);
    expect(ids(c, 'smb://fs2/share/.wing.STEP')).toEqual(['names']);
  });
});

describe('tags', () => {
  it('a tag value under a different key does not match', () => {
    const c = new Classifier([dataset('tags', { tags: { 'export-control': 'ITAR*' } })]);
    expect(ids(c, 's3://x/y', { tags: { classification: 'ITAR' } })).toEqual([]);
    expect(ids(c, 's3://x/y', { tags: { 'export-control': 'EAR99', owner: 'ITAR-team' } })).toEqual([]);
    expect(ids(c, 's3://x/y', { tags: { Owner: 'x', 'EXPORT-CONTROL': 'itar-xv' } })).toEqual(['tags']);
  });
  it('a dataset with two tag rules matches on either, each under its own key', () => {
    const c = new Classifier([dataset('tags', { tags: { program: 'HGV', 'Export-Control': 'ITAR' } })]);
    expect(ids(c, 's3://x/y', { tags: { program: 'hgv' } })).toEqual(['tags']);
    expect(ids(c, 's3://x/y', { tags: { 'export-control': 'itar' } })).toEqual(['tags']);
    expect(ids(c, 's3://x/y', { tags: { program: 'ITAR', 'export-control': 'HGV' } })).toEqual([]);
  });
  it('labels match by glob; a dataset without tags or labels never looks them up', () => {
    const c = new Classifier([dataset('labels', { labels: ['EAR-*', 'ITAR'] }), dataset('paths', { paths: ['s3://x/**'] })]);
    expect(ids(c, 'github://acme/a', { labels: ['public', 'itar'] })).toEqual(['labels']);
    expect(ids(c, 'github://acme/a', { labels: ['public'] })).toEqual([]);
    expect(c.usesLabels).toBe(true);
    expect(new Classifier([dataset('paths', { paths: ['s3://x/**'] })]).usesLabels).toBe(false);
    expect(new Classifier([dataset('tags', { tags: { a: 'b' } })]).usesLabels).toBe(true);
  });
});

describe('the catalog and learned labels', () => {
  const catalog = (): CatalogEntry[] => [
    { resource: 'smb://FS1/Lab/Wing.docx', tags: { 'export-control': 'ITAR' }, labels: [] },
    { resource: 's3://Lab/Exact.h5', tags: {}, labels: ['EAR-3E001'] },
    { resource: 's3://lab/drop/*.xlsx', tags: { program: 'hgv' }, labels: [] },
    { resource: 's3://lab/drop/itar-*', tags: {}, labels: ['EAR-9E003'] },
  ];
  const classifier = () => new Classifier([dataset('tags', { tags: { 'export-control': 'ITAR' } }), dataset('program', { tags: { program: 'hgv' } }), dataset('labels', { labels: ['EAR-*'] })], catalog());

  it('exact entries: case-insensitive on a share, case-sensitive on S3', () => {
    expect(ids(classifier(), 'smb://fs1/lab/WING.DOCX')).toEqual(['tags']);
    expect(ids(classifier(), 's3://Lab/Exact.h5')).toEqual(['labels']);
    expect(ids(classifier(), 's3://lab/exact.h5')).toEqual([]);
  });
  it('glob entries: every matching entry contributes', () => {
    expect(ids(classifier(), 's3://lab/drop/itar-loads.xlsx')).toEqual(['program', 'labels']);
    expect(ids(classifier(), 's3://lab/drop/loads.xlsx')).toEqual(['program']);
    expect(classifier().labelsOf({ uri: 's3://lab/drop/itar-loads.xlsx', tags: { own: 'tag' } })).toEqual({ tags: { own: 'tag', program: 'hgv' }, labels: ['EAR-9E003'] });
  });
  it('knowsLabels: from the catalog (exact or glob) or from what was learned', () => {
    const c = classifier();
    expect(c.knowsLabels({ uri: 'smb://FS1/LAB/wing.docx' })).toBe(true);
    expect(c.knowsLabels({ uri: 's3://lab/drop/a.xlsx' })).toBe(true);
    expect(c.knowsLabels({ uri: 's3://lab/other' })).toBe(false);
    c.learn({ uri: 's3://lab/other', tags: {} });
    expect(c.knowsLabels({ uri: 's3://lab/other' })).toBe(true);
  });
  it('learning: add keeps what was there, remove takes away only what it names', () => {
    const c = classifier();
    c.learn({ uri: 's3://b/f', tags: { program: 'hgv' }, labels: ['x'] }, 'replace');
    c.learn({ uri: 's3://b/f', tags: { 'export-control': 'ITAR' }, labels: ['EAR-1', 'x'] }, 'add');
    expect(c.labelsOf({ uri: 's3://b/f' })).toEqual({ tags: { program: 'hgv', 'export-control': 'ITAR' }, labels: ['x', 'EAR-1'] });
    expect(ids(c, 's3://b/f')).toEqual(['tags', 'program', 'labels']);
    c.learn({ uri: 's3://b/f', tags: { program: 'ignored value' }, labels: ['EAR-1'] }, 'remove');
    expect(c.labelsOf({ uri: 's3://b/f' })).toEqual({ tags: { 'export-control': 'ITAR' }, labels: ['x'] });
    expect(ids(c, 's3://b/f')).toEqual(['tags']);
    c.learn({ uri: 's3://b/g', labels: ['EAR-2'] }, 'remove'); // removing from nothing leaves nothing
    expect(c.labelsOf({ uri: 's3://b/g' })).toEqual({ tags: {}, labels: [] });
    c.learn({ uri: 's3://b/h', labels: ['EAR-2'] }, 'add'); // adding to nothing
    expect(ids(c, 's3://b/h')).toEqual(['labels']);
  });
  it('an exact entry gives exactly its own tags and labels; a second entry for the same resource adds its own', () => {
    expect(classifier().labelsOf({ uri: 's3://Lab/Exact.h5' })).toEqual({ tags: {}, labels: ['EAR-3E001'] });
    const c = new Classifier([], [...catalog(), { resource: 's3://Lab/Exact.h5', tags: { program: 'hgv' }, labels: ['EAR-9E003'] }]);
    expect(c.labelsOf({ uri: 's3://Lab/Exact.h5' })).toEqual({ tags: { program: 'hgv' }, labels: ['EAR-3E001', 'EAR-9E003'] });
  });
  it('a labelling event without a kind of change says what the labels now are (replace)', () => {
    const c = classifier();
    c.learn({ uri: 's3://b/f', tags: { program: 'hgv' }, labels: ['x'] });
    c.learn({ uri: 's3://b/f', tags: { 'export-control': 'ITAR' } });
    expect(c.labelsOf({ uri: 's3://b/f' })).toEqual({ tags: { 'export-control': 'ITAR' }, labels: [] });
    c.learn({ uri: 's3://b/g', labels: ['EAR-2'] }, 'add');
    expect(c.labelsOf({ uri: 's3://b/g' })).toEqual({ tags: {}, labels: ['EAR-2'] });
  });
  it('learned labels on a share are found whatever the case of the URI', () => {
    const c = classifier();
    c.learn({ uri: 'smb://FS1/Lab/New.docx', tags: { 'export-control': 'ITAR' } });
    expect(ids(c, 'smb://fs1/lab/new.docx')).toEqual(['tags']);
  });
  it('the scheme is case-insensitive everywhere (RFC 3986 §3.1): learned and catalogued labels reach the other spelling, the path keeps its case', () => {
    const c = classifier();
    c.learn({ uri: 'S3://b/Run.h5', tags: { 'export-control': 'ITAR' } });
    expect(ids(c, 's3://b/Run.h5')).toEqual(['tags']);
    expect(ids(c, 's3://b/run.h5')).toEqual([]);
    c.learn({ uri: 'github://acme/Solver', labels: ['EAR-3E001'] });
    expect(ids(c, 'GitHub://acme/Solver')).toEqual(['labels']);
    const catalogued = new Classifier([dataset('program', { tags: { program: 'hgv' } })], [{ resource: 'S3://Lab/Exact.h5', tags: { program: 'hgv' }, labels: [] }]);
    expect(ids(catalogued, 's3://Lab/Exact.h5')).toEqual(['program']);
    expect(catalogued.knowsLabels({ uri: 's3://Lab/Exact.h5' })).toBe(true);
    expect(ids(catalogued, 's3://lab/exact.h5')).toEqual([]);
  });
});

describe('URIs and globs', () => {
  it('a glob is filed under the literal text before its first special character', () => {
    expect(literalPrefix('a/b?c')).toBe('a/b');
    expect(literalPrefix('a/[bc]')).toBe('a/');
    expect(literalPrefix('a/x{1,2}')).toBe('a/x');
    expect(literalPrefix('a/x\\*')).toBe('a/x');
    expect(literalPrefix('a/(x)')).toBe('a/');
    expect(literalPrefix('a/!(x)')).toBe('a/');
    expect(literalPrefix('a/@(x)')).toBe('a/');
    expect(literalPrefix('a/b!c+d@e')).toBe('a/b!c+d@e');
    expect(literalPrefix('plain/path')).toBe('plain/path');
  });
  it('splitUri: the scheme lower-cased, or none', () => {
    expect(splitUri('S3://Bucket/Key')).toEqual(['s3', 'Bucket/Key']);
    expect(splitUri('no-scheme/x')).toEqual(['', 'no-scheme/x']);
  });
  it('Windows files, Samba and web (SharePoint) URIs are case-insensitive; S3, git and Drive are not', () => {
    expect(['smb', 'file', 'http', 'https', 's3', 'github', 'gdrive', ''].map(isCaseInsensitive)).toEqual([true, true, true, true, false, false, false, false]);
    expect(resourceKey('file://FS1/Share/A.doc')).toBe('file://fs1/share/a.doc');
    expect(resourceKey('http://Intranet/A')).toBe('http://intranet/a');
    expect(resourceKey('s3://B/A')).toBe('s3://B/A');
    expect(resourceKey('S3://B/A')).toBe('s3://B/A');
    expect(resourceKey('GitHub://Acme/Repo')).toBe('github://Acme/Repo');
    expect(resourceKey('SMB://FS1/A')).toBe('smb://fs1/a');
    expect(resourceKey('Inventory.csv')).toBe('Inventory.csv');
  });
  it('a glob without special characters or scheme matches that text only', () => {
    const index = new PathIndex([{ glob: 'inventory.csv', owner: 0 }, { glob: 'file://FS1/Exact/Doc.txt', owner: 1 }]);
    expect(owners(index, 'inventory.csv')).toEqual([0]);
    expect(owners(index, 'inventory.csv.bak')).toEqual([]);
    expect(owners(index, 'file://fs1/exact/doc.TXT')).toEqual([1]);
    expect(owners(index, 's3://fs1/Exact/Doc.txt')).toEqual([]);
  });
  it('combine: several globs in one expression, case-folded only when asked; none gives none', () => {
    const re = combine(['*.h5', 'data/**'], false)!;
    expect(['a.h5', 'data/x/y', 'A.H5', 'b.txt'].map((t) => re.test(t))).toEqual([true, true, false, false]);
    expect(combine(['*.h5'], true)!.test('A.H5')).toBe(true);
    expect(combine([], false)).toBeUndefined();
  });
});
