import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaBuild } from '../../infra/bundling.ts';
import { repoRoot } from '#test/helpers.ts';

/**
 * What each function's bundle holds, built as the CDK builds it (infra/bundling.ts): a cold start
 * compiles all of it, and loads every AWS SDK package it imports, so a path carries only what it
 * needs. (test/bundle runs the bundles themselves; bench/run.ts -- --bundles times them.)
 */
const FUNCTIONS = readdirSync(join(repoRoot, 'functions')).filter((f) => existsSync(join(repoRoot, 'functions', f, 'handler.ts')));
const built: Record<string, { bytes: number; inputs: string[]; sdk: string[]; staticSdk: string[] }> = {};

beforeAll(async () => {
  await Promise.all(FUNCTIONS.map(async (name) => {
    const r = await build({ ...lambdaBuild(join(repoRoot, 'functions', name, 'handler.ts'), join(repoRoot, 'bench/out', `${name}.mjs`)), write: false, metafile: true, sourcemap: false });
    const [, out] = Object.entries((r.metafile as Metafile).outputs).find(([k]) => k.endsWith('.mjs'))!;
    const code = r.outputFiles!.find((f) => f.path.endsWith('.mjs'))!.text;
    // Every external import, static or dynamic: the SDK packages this function may load.
    const sdk = [...new Set([...code.matchAll(/(?:from\s*|import\s*\(?\s*)"(@aws-sdk\/[^"]+)"/g)].map((m) => m[1]!))].sort();
    // Static imports: loaded on the cold start, before the first line of the handler runs.
    const staticSdk = [...new Set([...code.matchAll(/(?:from\s*|import\s*)"(@aws-sdk\/[^"]+)"/g)].map((m) => m[1]!))].sort();
    built[name] = { bytes: out.bytes, inputs: Object.keys(out.inputs), sdk, staticSdk };
  }));
}, 120_000);

const holds = (name: string, pattern: RegExp) => built[name]!.inputs.filter((i) => pattern.test(i));

describe('the function bundles', () => {
  it('are each under 1 MB minified (the README says so)', () => {
    expect(FUNCTIONS).toEqual(expect.arrayContaining(['ingest-object', 'ingest-stream', 'publish', 'review-api']));
    for (const name of FUNCTIONS) expect(built[name]!.bytes, name).toBeLessThan(1024 * 1024);
  });
  it('carry the ECCN table packed, never as the 515 KB object literal of eccn.json, and none of zod\'s locales', () => {
    for (const name of FUNCTIONS) {
      expect(holds(name, /rules\/data\/eccn\.json$/), name).toEqual([]);
      expect(holds(name, /zod\/v4\/locales\/(?!en\.js|index\.js)/), name).toEqual([]);
    }
    expect(holds('ingest-object', /rules\/data\/eccn-packed\.ts$/)).toHaveLength(1);
  });
  it('publish: the event mapping and the EventBridge client, nothing of the store, config, rules or log parsers', () => {
    expect(holds('publish', /^shared\/(config|rules|sources|pipeline|classify|geo|review)\/|shared\/store\/dynamo\.ts|node_modules\/(yaml|zod|csv-parse|fast-xml-parser|mmdb-lib|minimatch)\//)).toEqual([]);
    expect(built.publish!.sdk).toEqual(['@aws-sdk/client-eventbridge', '@aws-sdk/util-dynamodb']);
    expect(built.publish!.bytes).toBeLessThan(100 * 1024);
  });
  it('review-api: no log parsers, pipeline or XML parser; no SQS, STS or EventBridge client', () => {
    expect(holds('review-api', /^shared\/(sources|pipeline|read|ingest\/(?!replay))\/?|node_modules\/fast-xml-parser\//)).toEqual([]);
    for (const client of ['client-sqs', 'client-sts', 'client-eventbridge']) expect(built['review-api']!.sdk).not.toContain(`@aws-sdk/${client}`);
  });
  it('review-api: the Step Functions client only when the replay panel is opened, not on a cold start', () => {
    expect(built['review-api']!.sdk).toContain('@aws-sdk/client-sfn');
    expect(built['review-api']!.staticSdk).not.toContain('@aws-sdk/client-sfn');
  });
  it('ingest-stream: the parsers, but no SQS, Step Functions or EventBridge client (ingest-object has the first two)', () => {
    expect(holds('ingest-stream', /^shared\/sources\//).length).toBeGreaterThan(5);
    for (const client of ['client-sqs', 'client-sfn', 'client-eventbridge']) expect(built['ingest-stream']!.sdk).not.toContain(`@aws-sdk/${client}`);
    expect(built['ingest-object']!.sdk).toEqual(expect.arrayContaining(['@aws-sdk/client-sqs', '@aws-sdk/client-sfn']));
    expect(built['ingest-object']!.sdk).not.toContain('@aws-sdk/client-eventbridge');
  });
});
