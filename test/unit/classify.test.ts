import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Classifier } from '#shared/classify/index.ts';
import type { DatasetRule } from '#shared/config/index.ts';
import { parseClassification } from '#shared/rules/index.ts';

const dataset = (id: string, match: Partial<DatasetRule['match']>): DatasetRule => ({
  id, name: id, jurisdiction: 'EAR', classification: parseClassification('3E001'),
  match: { paths: [], names: [], tags: {}, labels: [], ...match },
});
const ids = (c: Classifier, uri: string, extra: object = {}) => c.classify({ uri, name: uri.slice(uri.lastIndexOf('/') + 1), ...extra }).map((d) => d.id);

// Built per test, not in the describe body: Stryker activates a mutant only once tests run.
const classifier = () => new Classifier([
    dataset('s3', { paths: ['s3://acme-research/hgv/**', 's3://acme-research/{cfd,mesh}/*.h5'] }),
    dataset('git', { paths: ['github://acme/hgv-*'] }),
    dataset('smb', { paths: ['smb://FS1/Lab/ITAR/**'] }),
    dataset('sp', { paths: ['https://acme.sharepoint.com/sites/HGV/**'] }),
    dataset('names', { names: ['*HGV*.step'] }),
    dataset('tags', { tags: { 'export-control': 'ITAR*' } }),
    dataset('labels', { labels: ['EAR-*'] }),
  ], [
    { resource: 's3://acme-research/drop/itar-*.xlsx', tags: { 'Export-Control': 'itar-xv' }, labels: [] },
    { resource: 'github://acme/solver', tags: {}, labels: ['EAR-3E001'] },
  ]);

describe('Classifier', () => {
  it('matches path globs on the URI, with braces and **', () => {
    expect(ids(classifier(), 's3://acme-research/hgv/runs/a b.h5')).toEqual(['s3']);
    expect(ids(classifier(), 's3://acme-research/cfd/x.h5')).toEqual(['s3']);
    expect(ids(classifier(), 's3://acme-research/cfd/sub/x.h5')).toEqual([]);
    expect(ids(classifier(), 'github://acme/hgv-solver')).toEqual(['git']);
    expect(ids(classifier(), 'gitlab://acme/hgv-solver')).toEqual([]); // the scheme is part of the match
  });
  it('S3 and git URIs are case-sensitive; Windows, Samba and SharePoint are not', () => {
    expect(ids(classifier(), 's3://acme-research/HGV/x')).toEqual([]);
    expect(ids(classifier(), 'smb://fs1/lab/itar/Wing.doc')).toEqual(['smb']);
    expect(ids(classifier(), 'SMB://FS1/LAB/ITAR/x')).toEqual(['smb']);
    expect(ids(classifier(), 'https://ACME.sharepoint.com/Sites/hgv/Shared Documents/x.docx')).toEqual(['sp']);
  });
  it('matches names case-sensitively except on case-insensitive stores', () => {
    expect(ids(classifier(), 's3://other/x/model-HGV-2.step')).toEqual(['names']);
    expect(ids(classifier(), 's3://other/x/model-hgv-2.step')).toEqual([]);
    expect(ids(classifier(), 'smb://fs2/share/model-hgv-2.STEP')).toEqual(['names']);
  });
  it('tags and labels from the event, and from the catalog (exact and glob)', () => {
    expect(ids(classifier(), 's3://x/y', { tags: { 'export-control': 'ITAR-XV' } })).toEqual(['tags']);
    expect(ids(classifier(), 's3://x/y', { tags: { 'export-control': 'EAR99' } })).toEqual([]);
    expect(ids(classifier(), 's3://acme-research/drop/itar-loads.xlsx')).toEqual(['tags']); // tag key and value compared case-insensitively
    expect(ids(classifier(), 'github://acme/solver')).toEqual(['labels']);
    expect(ids(classifier(), 's3://x/y', { labels: ['ear-9E003'] })).toEqual(['labels']);
  });
  it('learns tags from labelling events: later reads are classified, replaced tags unclassify', () => {
    const k = new Classifier([dataset('tags', { tags: { 'export-control': 'ITAR*' } })]);
    expect(ids(k, 's3://b/f')).toEqual([]);
    k.learn({ uri: 's3://b/f', tags: { 'export-control': 'ITAR' } }, 'replace');
    expect(ids(k, 's3://b/f')).toEqual(['tags']);
    k.learn({ uri: 's3://b/f', tags: {} }, 'replace');
    expect(ids(k, 's3://b/f')).toEqual([]);
  });
  it('one resource can belong to several datasets', () => {
    expect(ids(classifier(), 's3://acme-research/hgv/HGV-body.step')).toEqual(['s3', 'names']);
  });
  it('each classify starts afresh: a dataset found for one URI is not carried to the next', () => {
    const c = classifier();
    expect(ids(c, 's3://acme-research/hgv/a.h5')).toEqual(['s3']);
    expect(ids(c, 's3://acme-research/public/a.h5')).toEqual([]);
    expect(ids(c, 'smb://fs1/lab/itar/a.docx')).toEqual(['smb']);
    expect(ids(c, 'github://acme/hgv-solver')).toEqual(['git']);
  });
  // A scan classifies millions of records with one classifier. A reused Set's clear() allocated a
  // new table in the old generation once the Set had lived through a GC: the old generation filled,
  // and the major GCs that followed walked the whole compiled policy, so big policies cost more.
  it('classifying allocates nothing that outlives it: no major GC, the old generation does not grow', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const c = classifier();
    const uris = ['s3://acme-research/hgv/a.h5', 'smb://FS1/Lab/ITAR/x.docx', 's3://acme-research/public/a.png', 'github://acme/web'].map((uri) => ({ uri, name: 'x' }));
    for (const u of uris) c.classify(u);
    const majors: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as unknown as { detail: { kind: number } }).detail.kind;
        if (kind !== constants.NODE_PERFORMANCE_GC_MINOR) majors.push(kind);
      }
    });
    gc(); // the classifier, and whatever it keeps, is now in the old generation
    await new Promise((resolve) => setTimeout(resolve, 10));
    observer.observe({ entryTypes: ['gc'] });
    const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
    const before = oldSpace();
    for (let i = 0; i < 200_000; i++) c.classify(uris[i % 4]!);
    const grown = oldSpace() - before;
    await new Promise((resolve) => setTimeout(resolve, 10));
    observer.disconnect();
    expect({ majors, grownMB: Math.round(grown / 1048576) }).toEqual({ majors: [], grownMB: 0 });
  });
});
