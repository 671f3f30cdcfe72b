import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_KB, lambdaBuild } from '../../infra/bundling.ts';
import { repoRoot } from '#test/helpers.ts';

/**
 * What each function's bundle holds, built as the CDK builds it (infra/bundling.ts), the AWS SDK
 * included: a cold start compiles what it evaluates, so a path carries only what it needs, and what
 * only some requests need is reached through a dynamic import, evaluated when first used.
 * (test/bundle runs the bundles themselves; bench/run.ts -- --bundles times them.)
 */
const FUNCTIONS = readdirSync(join(repoRoot, 'functions')).filter((f) => existsSync(join(repoRoot, 'functions', f, 'handler.ts')));
const built: Record<string, { bytes: number; sdkBytes: number; inputs: string[]; sdk: string[]; staticSdk: string[] }> = {};

/** The SDK packages our code imports (client-s3, lib-dynamodb, ...; not their own dependencies) among some of a bundle's inputs. */
const OUR_SDK = new Set(Object.keys((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies).filter((d) => d.startsWith('@aws-sdk/')));
const sdkOf = (inputs: Iterable<string>) => [...new Set([...inputs].map((i) => /node_modules\/(@aws-sdk\/[^/]+)\//.exec(i)?.[1]).filter((p): p is string => !!p && OUR_SDK.has(p)))].sort();

/** The inputs the entry reaches by static imports alone: what the import of the bundle evaluates. */
function staticallyReached(meta: Metafile, entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const i of meta.inputs[path]?.imports ?? []) if (i.kind !== 'dynamic-import' && !i.external) visit(i.path);
  };
  visit(entry);
  return seen;
}

beforeAll(async () => {
  await Promise.all(FUNCTIONS.map(async (name) => {
    const r = await build({ ...lambdaBuild(join(repoRoot, 'functions', name, 'handler.ts'), join(repoRoot, 'bench/out', `${name}.mjs`)), write: false, metafile: true, sourcemap: false });
    const meta = r.metafile as Metafile;
    const [, out] = Object.entries(meta.outputs).find(([k]) => k.endsWith('.mjs'))!;
    const inputs = Object.keys(out.inputs);
    // The AWS SDK and the Smithy runtime under it, apart from the code that is ours to trim.
    const sdkBytes = Object.entries(out.inputs).filter(([i]) => /node_modules\/(@aws-sdk|@smithy|@aws|@aws-crypto)\//.test(i)).reduce((n, [, x]) => n + x.bytesInOutput, 0);
    built[name] = { bytes: out.bytes, sdkBytes, inputs, sdk: sdkOf(inputs), staticSdk: sdkOf(staticallyReached(meta, out.entryPoint!)) };
  }));
}, 120_000);

const holds = (name: string, pattern: RegExp) => built[name]!.inputs.filter((i) => pattern.test(i));

describe('the function bundles', () => {
  it(`are each under ${BUNDLE_BUDGET_KB} KB minified (the README says so), the AWS SDK included`, () => {
    expect(FUNCTIONS).toEqual(expect.arrayContaining(['ingest-object', 'ingest-stream', 'publish', 'review-api']));
    for (const name of FUNCTIONS) expect(built[name]!.bytes, name).toBeLessThan(BUNDLE_BUDGET_KB * 1024);
    // Bundled, not left to the runtime's copy (infra/bundling.ts says why).
    expect(built['review-api']!.sdk).toEqual(expect.arrayContaining(['@aws-sdk/client-s3', '@aws-sdk/client-dynamodb', '@aws-sdk/client-secrets-manager']));
  });
  it('carry only the S3 and DynamoDB commands they send: no module behind a dynamic import keeps a whole client', () => {
    // esbuild keeps every export of a module reached by import(), and so every command of an SDK client it imports (S3 has over 100).
    for (const name of FUNCTIONS) {
      for (const client of ['client-s3', 'client-dynamodb']) expect(holds(name, new RegExp(`@aws-sdk/${client}/dist-es/commands/[A-Z]`)).length, `${name}: ${client}`).toBeLessThan(12);
    }
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
    expect(built.publish!.bytes - built.publish!.sdkBytes).toBeLessThan(100 * 1024);
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
