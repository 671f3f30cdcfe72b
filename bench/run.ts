/**
 * `npm run bench`: every figure measured in this one run, reported as ratios where the machine's
 * speed cancels out. Writes bench/results.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { Minimatch } from 'minimatch';
import { build } from 'esbuild';
import { Classifier } from '#shared/classify/index.ts';
import { loadPolicy, type DatasetRule, type Policy } from '#shared/config/index.ts';
import { loadGeoDatabase } from '#shared/geo/index.ts';
import { Scan, total } from '#shared/pipeline/index.ts';
import { maybeGunzip } from '#shared/read/decompress.ts';
import { splitLines } from '#shared/read/lines.ts';
import { parseClassification } from '#shared/rules/index.ts';
import { corpusFile, generators, patterns, peopleCsv, rng } from './corpus.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const RSS_MB = Number(process.env.BENCH_RSS_MB ?? 2048);
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, records: RECORDS };

async function* chunks(buf: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
function timeSync(fn: () => void, minMs = 300): number {
  let runs = 0;
  const start = performance.now();
  do { fn(); runs++; } while (performance.now() - start < minMs);
  return (performance.now() - start) / runs;
}

const xml = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true });
/** The floor: read, gunzip, split, and parse each record with nothing else. */
async function floor(source: string, data: Buffer): Promise<number> {
  const t = performance.now();
  let n = 0;
  for await (const { text } of splitLines(maybeGunzip(chunks(data)))) {
    if (!text) continue;
    if (source === 'windows') xml.parse(text);
    else if (text[0] === '{') { const v = JSON.parse(text); n += Array.isArray(v.Records) ? v.Records.length - 1 : 0; }
    else text.split(' ');
    n++;
  }
  return n / ((performance.now() - t) / 1000);
}

async function policyWith(count: number): Promise<Policy> {
  const pats = patterns(count);
  const perDataset = Math.ceil(pats.length / 10);
  const datasets = Array.from({ length: 10 }, (_, d) => ({ id: `ds-${d}`, name: `Dataset ${d}`, jurisdiction: d % 2 ? 'ITAR' : 'EAR', classification: d % 2 ? 'XV(e)' : '3E001', match: { paths: pats.slice(d * perDataset, (d + 1) * perDataset), names: d === 0 ? ['*HGV*.step', '*HGV*.xlsx'] : [] }, authorized: ['group:tcp'] }));
  const files: Record<string, string> = { 'ittmon.yaml': JSON.stringify({ home: 'US', directory: 'people.csv', datasets: datasets.filter((d) => d.match.paths.length || d.match.names.length) }), 'people.csv': peopleCsv(100_000) };
  return loadPolicy('ittmon.yaml', async (p) => files[p]!);
}

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ')).join('\n');
}
const fmt = (n: number, digits = 0) => Number(n.toFixed(digits));

async function main() {
  console.log(`ITT Monitor benchmark — ${RECORDS.toLocaleString()} records per source, Node ${process.version}\n`);
  const geo = loadGeoDatabase();
  const policy = await policyWith(100);

  // The policy compiles once per container (as in Lambda); warm the JIT on a small scan of each source.
  for (const source of Object.keys(generators)) await new Scan(policy, { geoDatabase: geo }).add(chunks(corpusFile(source, 2000, 99)), 'warm-up');

  // 1-2. Floor and full pipeline per source.
  const perSource: (string | number)[][] = [['source', 'floor rec/s', 'pipeline rec/s', 'ratio', 'flags']];
  const sourceResults: Record<string, unknown> = {};
  let cpuMicros = 0;
  let cpuRecords = 0;
  for (const source of Object.keys(generators)) {
    const data = corpusFile(source, RECORDS);
    const f = await floor(source, data);
    const cpu = process.cpuUsage();
    const t = performance.now();
    const scan = new Scan(policy, { geoDatabase: geo });
    await scan.add(chunks(data), `${source}.log`);
    const secs = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    cpuMicros += used.user + used.system;
    cpuRecords += scan.summary.records;
    const p = scan.summary.records / secs;
    const flags = scan.flags().length;
    if (scan.summary.records !== scan.summary.events + total(scan.summary.skipped) + total(scan.summary.rejected)) throw new Error(`${source}: counts do not add up`);
    perSource.push([source, fmt(f), fmt(p), fmt(p / f, 2), flags]);
    sourceResults[source] = { floorPerSec: fmt(f), pipelinePerSec: fmt(p), ratio: fmt(p / f, 3), records: scan.summary.records, flags };
  }
  results.sources = sourceResults;
  console.log('Throughput (target: pipeline ≥ 50% of the floor)');
  console.log(`${table(perSource)}\n`);

  // 3-4. Classification alone, compiled vs naive, by policy size.
  const r = rng(3);
  const uris = Array.from({ length: 5000 }, (_, i) => {
    const k = r() < 0.05 ? `project-${i % 100}/cfd/run-${i}/f.h5` : `public/site/img-${i}.png`;
    const forms = [`s3://bucket-${i % 50}/${k}`, `github://acme/${r() < 0.05 ? `project-${i % 100}-solver` : `web-${i}`}`, `https://acme.sharepoint.com/sites/${r() < 0.05 ? `project-${i % 100}` : 'intranet'}/doc-${i}.docx`, `smb://fs1.acme.local/${r() < 0.05 ? `project-${i % 100}/data/x/file.csv` : 'Public/a.txt'}`];
    return forms[i % 4]!;
  }).map((uri) => ({ uri, name: uri.slice(uri.lastIndexOf('/') + 1) }));
  const classRows: (string | number)[][] = [['patterns', 'compiled ns/rec', 'naive ns/rec', 'naive/compiled']];
  const classResults: Record<string, unknown> = {};
  const compiledNs: Record<number, number> = {};
  for (const count of [10, 100, 1000, 10_000]) {
    const pats = patterns(count);
    const ds: DatasetRule[] = Array.from({ length: 10 }, (_, d) => ({ id: `d${d}`, name: 'x', jurisdiction: 'EAR', classification: parseClassification('3E001'), match: { paths: pats.filter((_, i) => i % 10 === d), names: [], tags: {}, labels: [] } }));
    const classifier = new Classifier(ds);
    const compiled = (timeSync(() => { for (const u of uris) classifier.classify(u); }) * 1e6) / uris.length;
    compiledNs[count] = compiled;
    let naive = NaN;
    if (count <= 1000) {
      const mms = pats.map((p) => new Minimatch(p, { dot: true }));
      naive = (timeSync(() => { for (const u of uris) for (const m of mms) m.match(u.uri); }, 500) * 1e6) / uris.length;
    }
    classRows.push([count, fmt(compiled), Number.isNaN(naive) ? 'not run' : fmt(naive), Number.isNaN(naive) ? '-' : fmt(naive / compiled, 1)]);
    classResults[count] = { compiledNsPerRecord: fmt(compiled, 1), ...(Number.isNaN(naive) ? {} : { naiveNsPerRecord: fmt(naive, 1), speedup: fmt(naive / compiled, 1) }) };
  }
  results.classification = { ...classResults, ratio10kTo10: fmt(compiledNs[10_000]! / compiledNs[10]!, 2) };
  console.log('Classification (targets: 10k/10 ≤ 2×; ≥ 50× faster than naive at 1,000)');
  console.log(table(classRows));
  console.log(`10k / 10 patterns: ${fmt(compiledNs[10_000]! / compiledNs[10]!, 2)}×\n`);

  // 5. Peak RSS while scanning a large input, in a fresh process.
  // Bundled like a Lambda (no TypeScript loader), with the heap capped (--max-old-space-size) as a
  // memory-limited function would be; uncapped, V8 lets the heap grow lazily. Two caps: the smaller
  // one holds RSS lower at the price of more garbage collection.
  mkdirSync(join(HERE, 'out'), { recursive: true });
  await build({ entryPoints: [join(HERE, 'rss.ts')], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile: join(HERE, 'out', 'rss.mjs'), logLevel: 'error', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  const rssRows: (string | number)[][] = [['heap cap MB', 'before scan MB', 'peak while scanning MB', 'live heap before → after GC MB', 'MB/s']];
  const rssResults: Record<string, unknown> = {};
  for (const cap of [200, 256]) {
    const rss = spawnSync(process.execPath, ['--expose-gc', `--max-old-space-size=${cap}`, join(HERE, 'out', 'rss.mjs'), String(RSS_MB)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    const r = JSON.parse(rss.stdout.trim().split('\n').at(-1) ?? '{}');
    rssResults[cap] = r;
    rssRows.push([cap, r.readyMB, r.peakMB, `${r.readyHeapMB} → ${r.endHeapMB}`, fmt(r.mbPerSec)]);
  }
  results.rss = rssResults;
  console.log(`Memory scanning ${RSS_MB} MB of S3 access logs (${((rssResults[256] as { records: number }).records).toLocaleString()} records) with a 100,000-person directory loaded (target: peak < 300 MB)`);
  console.log(`${table(rssRows)}\n`);

  // 6. Lambda bundles: size and cold load.
  const out = join(HERE, 'out');
  mkdirSync(out, { recursive: true });
  const bundleRows: (string | number)[][] = [['function', 'minified KB', 'cold load ms']];
  const bundles: Record<string, unknown> = {};
  const baseline = coldLoad(join(HERE, 'empty.mjs'), true);
  for (const name of ['ingest-object', 'ingest-stream', 'publish', 'review-api']) {
    const file = join(out, `${name}.mjs`);
    // As the CDK bundles them: the AWS SDK v3 is in the Lambda runtime, so it stays out of the bundle.
    await build({ entryPoints: [join(ROOT, 'functions', name, 'handler.ts')], bundle: true, minify: true, platform: 'node', target: 'node22', format: 'esm', outfile: file, logLevel: 'error', external: ['@aws-sdk/*'], banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
    const kb = statSync(file).size / 1024;
    const ms = coldLoad(file) - baseline;
    bundleRows.push([name, fmt(kb), fmt(ms)]);
    bundles[name] = { minifiedKB: fmt(kb), coldLoadMs: fmt(ms, 1) };
  }
  results.bundles = bundles;
  console.log('Lambda bundles (targets: ingest < 1 MB minified, cold load < 300 ms)');
  console.log(`${table(bundleRows)}\n`);

  // 7. Cost per million records on Lambda arm64, 1,024 MB, from the CPU time measured above.
  const secondsPerMillion = (cpuMicros / 1e6 / cpuRecords) * 1e6;
  const gbSecondPrice = 0.0000133334; // arm64, USD per GB-second
  const cost = secondsPerMillion * 1 * gbSecondPrice;
  results.cost = { cpuSecondsPerMillionRecords: fmt(secondsPerMillion, 2), usdPerMillionRecords: fmt(cost, 5), assumptions: 'arm64, 1,024 MB, compute only (no requests, S3 or DynamoDB), CPU time of this machine' };
  console.log(`Cost: ${fmt(secondsPerMillion, 2)} CPU-seconds per million records → about $${cost.toFixed(5)} per million records on Lambda arm64 at 1,024 MB (compute only)`);

  writeFileSync(join(HERE, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nwrote bench/results.json');
}

/** Milliseconds for a fresh Node process to import the file (best of three). */
function coldLoad(file: string, plain = false): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); console.log(performance.now() - t);`;
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', plain ? script : script], { encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    best = Math.min(best, Number(out.trim()));
  }
  return best;
}

// `npm run bench -- --aws`: the AWS path at scale instead (bench/aws.ts).
if (process.argv.includes('--aws')) await (await import('./aws.ts')).main();
else await main();
