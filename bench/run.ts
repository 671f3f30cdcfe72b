/**
 * `npm run bench`: every figure measured in this one run, each repeated (BENCH_RUNS, at least 5)
 * and reported as min / median / max, as ratios where the machine's speed cancels out. Times are
 * CPU time of this process where the work is in it, so that other load on a shared machine counts
 * less. Writes bench/results.json; `npm run bench -- --readme` rewrites the README's figures from it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { XMLParser } from 'fast-xml-parser';
import { Minimatch } from 'minimatch';
import { build } from 'esbuild';
import { Classifier } from '#shared/classify/index.ts';
import { loadPolicy, type DatasetRule, type Policy } from '#shared/config/index.ts';
import { Directory } from '#shared/directory/index.ts';
import { loadGeoDatabase } from '#shared/geo/index.ts';
import { Scan, total } from '#shared/pipeline/index.ts';
import { maybeGunzip } from '#shared/read/decompress.ts';
import { splitLines } from '#shared/read/lines.ts';
import { parseClassification } from '#shared/rules/index.ts';
import { BUNDLE_BUDGET_KB, lambdaBuild } from '../infra/bundling.ts';
import { coldBench, type ColdStart } from './cold.ts';
import { corpusFile, generators, patterns, peopleCsv, rng } from './corpus.ts';
import { spread, writeReadme, type BenchResults, type Spread } from './readme.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const RSS_MB = Number(process.env.BENCH_RSS_MB ?? 2048);
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function* chunks(buf: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
/** CPU milliseconds of this process (user + system) for `fn`. */
async function cpuMs(fn: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}
/** CPU milliseconds per call of `fn`, repeated for at least `minMs`. */
function timeSync(fn: () => void, minMs = 300): number {
  let runs = 0;
  const start = process.cpuUsage();
  let used = 0;
  do {
    fn();
    runs++;
    const u = process.cpuUsage(start);
    used = (u.user + u.system) / 1000;
  } while (used < minMs);
  return used / runs;
}

const xml = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true });
/** The floor: read, gunzip, split, and parse each record with nothing else. */
async function floor(source: string, data: Buffer): Promise<number> {
  let n = 0;
  const ms = await cpuMs(async () => {
    for await (const { text } of splitLines(maybeGunzip(chunks(data)))) {
      if (!text) continue;
      if (source === 'windows') xml.parse(text);
      else if (text[0] === '{') { const v = JSON.parse(text); n += Array.isArray(v.Records) ? v.Records.length - 1 : 0; }
      else text.split(' ');
      n++;
    }
  });
  return n / (ms / 1000);
}

const peopleFiles = (people: number, paths: string[]) => ({ 'ittmon.yaml': JSON.stringify({ home: 'US', directory: 'people.csv', datasets: [{ id: 'd', name: 'd', jurisdiction: 'EAR', classification: '3E001', match: { paths } }] }), 'people.csv': peopleCsv(people) });
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
/** `median (min–max)`, and a mark when the spread is wider than ±15 %. */
const show = (s: Spread) => `${s.median.toLocaleString('en-US')} (${s.min.toLocaleString('en-US')}–${s.max.toLocaleString('en-US')})${s.wide ? ' !' : ''}`;

/**
 * The directory's own heap: 100,000 people loaded once (the policy's rows), then indexed in each
 * run; live heap after a full GC, before and after. The previous run's index is dropped first.
 */
async function measureDirectory(): Promise<BenchResults['directory']> {
  const files = peopleFiles(100_000, ['s3://x/**']);
  gc();
  const before = process.memoryUsage().heapUsed;
  const loaded = await loadPolicy('ittmon.yaml', async (p) => files[p as keyof typeof files]);
  gc();
  gc();
  const peopleMB = Number(((process.memoryUsage().heapUsed - before) / 1048576).toFixed(1));
  const indexMB: number[] = [];
  let index: Directory | undefined;
  for (let run = 0; run < RUNS; run++) {
    index = undefined;
    gc();
    const h1 = process.memoryUsage().heapUsed;
    index = new Directory(loaded.people);
    gc();
    const h2 = process.memoryUsage().heapUsed;
    if (index.byId('p99999')?.email !== 'u99999@acme.edu') throw new Error('the directory lost a person');
    indexMB.push((h2 - h1) / 1048576);
  }
  return { people: loaded.people.length, peopleMB, indexMB: spread(indexMB, 1) };
}

/**
 * 7. The Lambda bundles, built as the CDK builds them (infra/bundling.ts): minified size, and the
 * cold start as Lambda pays it, in a new process per run (bench/cold.ts): wall time, and the
 * child's CPU time, which other load on a shared machine disturbs less.
 */
async function measureBundles(): Promise<BenchResults['bundles']> {
  const out = join(HERE, 'out');
  mkdirSync(out, { recursive: true });
  const bundles: BenchResults['bundles'] = {};
  const rows: (string | number)[][] = [['function', 'minified KB', 'import ms', 'import + first request ms', 'CPU ms (process, to the first reply)']];
  const cold = await coldBench(ROOT);
  try {
    for (const name of ['ingest-object', 'ingest-stream', 'publish', 'review-api']) {
      const file = join(out, `${name}.mjs`);
      await build(lambdaBuild(join(ROOT, 'functions', name, 'handler.ts'), file));
      const runs: ColdStart[] = [];
      for (let run = 0; run < RUNS; run++) runs.push(await cold.measure(name, file));
      const firstRequest = cold.hasFirstRequest(name);
      const b = bundles[name] = {
        minifiedKB: Math.round(statSync(file).size / 1024), importMs: spread(runs.map((x) => x.importMs)),
        ...(firstRequest ? { coldStartMs: spread(runs.map((x) => x.importMs + x.firstRequestMs)) } : {}),
        cpuMs: spread(runs.map((x) => x.cpuMs)),
      };
      rows.push([name, b.minifiedKB, show(b.importMs), b.coldStartMs ? show(b.coldStartMs) : '-', show(b.cpuMs)]);
    }
  } finally {
    await cold.close();
  }
  console.log(`Lambda bundles (targets: < ${BUNDLE_BUDGET_KB} KB minified; cold start ingest < 300 ms, review-api < 150 ms), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`${table(rows)}\n`);
  return bundles;
}

/**
 * The classification benchmark's policies: `count` distinct path patterns (a big policy names many
 * projects, it does not repeat a few: `patterns()` repeats itself after 5,000 and names each repo,
 * site and share prefix ten times, so its 10,000 are 3,300), mixing literal prefixes, `**`, braces
 * and extglobs, ten datasets.
 */
const policyPattern = (i: number): string => [
  `s3://bucket-${i % 50}/project-${i}/**`,
  `s3://bucket-${i % 50}/project-${i}/{cfd,mesh}/*.h5`,
  `github://acme/project-${i}-*`,
  `https://acme.sharepoint.com/sites/project-${i}/**`,
  `smb://fs1.acme.local/project-${i}/+(dir|data)/**/*.@(txt|csv)`,
][i % 5]!;
/** A URI that pattern `i` matches (the share's in another case, as Windows writes it). */
const uriUnder = (i: number, n: number): string => [
  `s3://bucket-${i % 50}/project-${i}/cfd/run-${n}/f.h5`,
  `s3://bucket-${i % 50}/project-${i}/mesh/m-${n}.h5`,
  `github://acme/project-${i}-solver`,
  `https://acme.sharepoint.com/sites/project-${i}/Shared Documents/doc-${n}.docx`,
  `smb://fs1.acme.local/Project-${i}/data/x/file-${n}.csv`,
][i % 5]!;
/**
 * The URIs a policy of `count` patterns classifies: the same 95 % that no policy names, and 5 % under
 * patterns of that policy, drawn at random. A user's share of controlled reads is a fact of their
 * organisation, not of how finely the policy describes it; with one URI set for every size, 10
 * patterns matched 1 URI in 5,000 and 10,000 matched 201, and the ratio measured the matches.
 */
function classificationUris(count: number): { uri: string; name: string }[] {
  const r = rng(3);
  return Array.from({ length: 5000 }, (_, n) => {
    if (r() < 0.05) return uriUnder(Math.floor(r() * count), n);
    return [`s3://bucket-${n % 50}/public/site/img-${n}.png`, `github://acme/web-${n}`, `https://acme.sharepoint.com/sites/intranet/doc-${n}.docx`, 'smb://fs1.acme.local/Public/a.txt'][n % 4]!;
  }).map((uri) => ({ uri, name: uri.slice(uri.lastIndexOf('/') + 1) }));
}

/**
 * 3-4. Classification alone, compiled vs naive, by policy size. The policies are compiled and
 * warmed up first (compiling is not counted). Each run then measures every size in short slices,
 * interleaved, in alternating order, so that a change in the machine's load falls on every size
 * alike; a run's figure per size is its median slice, and the 10,000 ÷ 10 ratio is taken within
 * the run.
 */
function classificationBench(): BenchResults['classification'] {
  const COUNTS = [10, 100, 1000, 10_000];
  const SLICES = 15;
  const sizes = COUNTS.map((count) => {
    const pats = Array.from({ length: count }, (_, i) => policyPattern(i));
    const ds: DatasetRule[] = Array.from({ length: 10 }, (_, d) => ({ id: `d${d}`, name: 'x', jurisdiction: 'EAR', classification: parseClassification('3E001'), match: { paths: pats.filter((_, i) => i % 10 === d), names: [], tags: {}, labels: [] } }));
    const uris = classificationUris(count);
    const classifier = new Classifier(ds);
    const pass = () => { for (const u of uris) classifier.classify(u); };
    return { count, pats, uris, pass };
  });
  for (const s of sizes) timeSync(s.pass, 200);
  const compiled = new Map<number, number[]>(COUNTS.map((c) => [c, []]));
  const naive = new Map<number, number[]>(COUNTS.map((c) => [c, []]));
  const ratio10k: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    gc();
    const slices = new Map<number, number[]>(COUNTS.map((c) => [c, []]));
    for (let slice = 0; slice < SLICES; slice++) {
      for (const s of slice % 2 ? sizes : [...sizes].reverse()) slices.get(s.count)!.push((timeSync(s.pass, 30) * 1e6) / s.uris.length);
    }
    for (const count of COUNTS) compiled.get(count)!.push(spread(slices.get(count)!).median);
    ratio10k.push(compiled.get(10_000)!.at(-1)! / compiled.get(10)!.at(-1)!);
    for (const { count, pats, uris } of sizes.filter((s) => s.count <= 1000)) {
      const mms = pats.map((p) => new Minimatch(p, { dot: true }));
      naive.get(count)!.push((timeSync(() => { for (const u of uris) for (const m of mms) m.match(u.uri); }, count === 1000 ? 500 : 300) * 1e6) / uris.length);
    }
  }
  const classification: BenchResults['classification'] = { sizes: {}, ratio10kTo10: spread(ratio10k, 2) };
  const classRows: (string | number)[][] = [['patterns', 'compiled ns/rec', 'naive ns/rec', 'naive ÷ compiled']];
  for (const count of COUNTS) {
    const c = spread(compiled.get(count)!);
    const n = naive.get(count)!.length ? spread(naive.get(count)!) : undefined;
    classification.sizes[count] = { compiledNsPerRecord: c, ...(n ? { naiveNsPerRecord: n, speedup: Math.round(n.median / c.median) } : {}) };
    classRows.push([count, show(c), n ? show(n) : 'not run', n ? Math.round(n.median / c.median) : '-']);
  }
  console.log('Classification, CPU ns per record (targets: 10k ÷ 10 ≤ 1.5×; ≥ 50× faster than naive at 1,000)');
  console.log(table(classRows));
  console.log(`10k ÷ 10 patterns: ${show(classification.ratio10kTo10)}×\n`);
  return classification;
}

async function main() {
  const load: number[][] = [loadavg()];
  console.log(`ITT Monitor benchmark — ${RECORDS.toLocaleString()} records per source, ${RUNS} runs of each figure, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log('Figures: median (min–max) over the runs; "!" marks a spread wider than ±15 %.\n');
  const geo = loadGeoDatabase();
  const policy = await policyWith(100);

  // The policy compiles once per container (as in Lambda); warm the JIT on a small scan of each
  // source, and the floor's code the same way, so that neither's first run pays for compiling.
  for (const source of Object.keys(generators)) {
    const warm = corpusFile(source, 2000, 99);
    await floor(source, warm);
    await new Scan(policy, { geoDatabase: geo }).add(chunks(warm), 'warm-up');
  }

  // 1-2. Floor and full pipeline per source, in CPU time; the ratio is taken within each run.
  const sources: BenchResults['sources'] = {};
  const perSource: (string | number)[][] = [['source', 'floor rec/s', 'pipeline rec/s', 'ratio', 'flags']];
  let cpuTotal = 0;
  let cpuRecords = 0;
  for (const source of Object.keys(generators)) {
    const data = corpusFile(source, RECORDS);
    const f: number[] = [];
    const p: number[] = [];
    const ratio: number[] = [];
    let records = 0;
    let flags = 0;
    for (let run = 0; run < RUNS; run++) {
      // Each after a full GC (neither pays for the other's garbage), and the order alternating
      // from run to run (neither always runs on the warmer or the quieter side of the pair).
      const floorRun = async () => { gc(); f.push(await floor(source, data)); };
      if (run % 2 === 0) await floorRun();
      const scan = new Scan(policy, { geoDatabase: geo });
      gc();
      const ms = await cpuMs(() => scan.add(chunks(data), `${source}.log`));
      if (run % 2 === 1) await floorRun();
      cpuTotal += ms;
      cpuRecords += scan.summary.records;
      records = scan.summary.records;
      flags = scan.flags().length;
      if (records !== scan.summary.events + total(scan.summary.skipped) + total(scan.summary.rejected)) throw new Error(`${source}: counts do not add up`);
      p.push(records / (ms / 1000));
      ratio.push(p.at(-1)! / f.at(-1)!);
    }
    sources[source] = { floorPerSec: spread(f), pipelinePerSec: spread(p), ratio: spread(ratio, 2), records, flags };
    perSource.push([source, show(sources[source].floorPerSec), show(sources[source].pipelinePerSec), show(sources[source].ratio), flags]);
  }
  load.push(loadavg());
  console.log('Throughput, records per CPU-second (target: pipeline ≥ 60 % of the floor)');
  console.log(`${table(perSource)}\n`);
  // BENCH_SECTIONS=throughput: this section only (printed; bench/results.json is left as it was).
  if (process.env.BENCH_SECTIONS === 'throughput') {
    console.log(`load average ${load.map((l) => l[0]!.toFixed(1)).join(' → ')}`);
    return;
  }

  const classification = classificationBench();
  load.push(loadavg());

  // 5. The directory's own heap.
  const directory = await measureDirectory();
  console.log(`Directory of 100,000 people (target: the directory under 60 MB): index ${show(directory.indexMB)} MB; the people themselves (the policy's rows) ${directory.peopleMB} MB\n`);

  // 6. Peak RSS while scanning a large input, in a fresh process per run.
  // Bundled like a Lambda (no TypeScript loader), with the heap capped (--max-old-space-size) as a
  // memory-limited function would be; uncapped, V8 lets the heap grow lazily.
  mkdirSync(join(HERE, 'out'), { recursive: true });
  await build({ entryPoints: [join(HERE, 'rss.ts')], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile: join(HERE, 'out', 'rss.mjs'), logLevel: 'error', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  const rssRuns: { readyMB: number; peakMB: number; readyHeapMB: number; endHeapMB: number; mbPerSec: number; records: number }[] = [];
  const CAP = 200;
  for (let run = 0; run < RUNS; run++) {
    const rss = spawnSync(process.execPath, ['--expose-gc', `--max-old-space-size=${CAP}`, join(HERE, 'out', 'rss.mjs'), String(RSS_MB)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    rssRuns.push(JSON.parse(rss.stdout.trim().split('\n').at(-1) ?? '{}'));
  }
  const pick = (k: keyof (typeof rssRuns)[number]) => spread(rssRuns.map((x) => x[k]));
  const rss = { heapCapMB: CAP, inputMB: RSS_MB, records: rssRuns[0]!.records, readyMB: pick('readyMB'), peakMB: pick('peakMB'), readyHeapMB: pick('readyHeapMB'), endHeapMB: pick('endHeapMB'), mbPerSec: pick('mbPerSec') };
  load.push(loadavg());
  console.log(`Memory scanning ${RSS_MB} MB of S3 access logs (${rss.records.toLocaleString()} records), 100,000-person directory loaded, heap capped at ${CAP} MB (target: peak < 300 MB)`);
  console.log(`${table([['before scan MB', 'peak MB', 'live heap before → after GC MB', 'MB/s'], [show(rss.readyMB), show(rss.peakMB), `${rss.readyHeapMB.median} → ${rss.endHeapMB.median}`, show(rss.mbPerSec)]])}\n`);

  // 7. Lambda bundles: size, and the cold start as Lambda pays it (bench/cold.ts).
  const bundles = await measureBundles();
  load.push(loadavg());

  // 8. Cost per million records on Lambda arm64, 1,024 MB, from the CPU time measured above.
  const secondsPerMillion = (cpuTotal / 1000 / cpuRecords) * 1e6;
  const gbSecondPrice = 0.0000133334; // arm64, USD per GB-second
  const cost = { cpuSecondsPerMillionRecords: Number(secondsPerMillion.toFixed(2)), usdPerMillionRecords: Number((secondsPerMillion * gbSecondPrice).toFixed(5)), assumptions: 'arm64, 1,024 MB, compute only (no requests, S3 or DynamoDB), CPU time of this machine' };
  console.log(`Cost: ${cost.cpuSecondsPerMillionRecords} CPU-seconds per million records → about $${cost.usdPerMillionRecords} per million records on Lambda arm64 at 1,024 MB (compute only)`);

  const results: BenchResults = {
    date: new Date().toISOString(), node: process.version,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memoryGB: Math.round(totalmem() / 2 ** 30) },
    loadAverage: { min: Math.min(...load.map((l) => l[0]!)), max: Math.max(...load.map((l) => l[0]!)) },
    runs: RUNS, records: RECORDS, sources, classification, directory, rss, bundles, cost,
  };
  writeFileSync(join(HERE, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nwrote bench/results.json (`npm run bench -- --readme` puts it in the README)');
}

// `npm run bench -- --aws`: the AWS path at scale instead (bench/aws.ts).
// `npm run bench -- --readme`: no measuring; the README's figures rewritten from bench/results.json.
if (process.argv.includes('--aws')) await (await import('./aws.ts')).main();
else if (process.env.BENCH_SECTIONS === 'classification') {
  // `BENCH_SECTIONS=classification npm run bench`: only the classification figures, printed (results.json untouched).
  console.log(`Classification only, ${RUNS} runs, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  classificationBench();
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}
else if (process.argv.includes('--directory')) {
  // `npm run bench -- --directory`: only the directory's heap, into results.json.
  const file = join(HERE, 'results.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  results.directory = await measureDirectory();
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`directory index ${show(results.directory.indexMB)} MB, people ${results.directory.peopleMB} MB → bench/results.json`);
} else if (process.argv.includes('--bundles')) {
  // `npm run bench -- --bundles`: only the Lambda bundles (size, cold start), into results.json.
  const file = join(HERE, 'results.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  results.bundles = await measureBundles();
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log('bundles → bench/results.json');
} else if (process.argv.includes('--readme')) {
  writeReadme(join(ROOT, 'README.md'), JSON.parse(readFileSync(join(HERE, 'results.json'), 'utf8')) as BenchResults);
  console.log('README.md: the figures between the bench markers now say what bench/results.json says');
} else {
  await main();
  if (process.argv.includes('--write-readme')) writeReadme(join(ROOT, 'README.md'), JSON.parse(readFileSync(join(HERE, 'results.json'), 'utf8')) as BenchResults);
}
