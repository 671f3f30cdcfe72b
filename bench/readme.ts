/**
 * The README's benchmark figures, rendered from bench/results.json: one place for every figure, so
 * that the README cannot say what the benchmark did not measure. `npm run bench -- --readme`
 * rewrites the block between the markers; test/unit/bench-readme.test.ts checks they agree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { BUNDLE_BUDGET_KB } from '../infra/bundling.ts';

/** min / median / max of a figure over the runs; `wide` when a run lies more than 15 % from the median. */
export interface Spread { min: number; median: number; max: number; runs: number; spreadPct: number; wide: boolean }

export function spread(values: number[], digits = 0): Spread {
  if (!values.length) throw new Error('spread of no runs');
  const xs = [...values].sort((a, b) => a - b);
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  const pct = median ? (Math.max(median - xs[0]!, xs.at(-1)! - median) / median) * 100 : 0;
  const round = (n: number) => Number(n.toFixed(digits));
  return { min: round(xs[0]!), median: round(median), max: round(xs.at(-1)!), runs: xs.length, spreadPct: Number(pct.toFixed(1)), wide: pct > 15 };
}

export interface BenchResults {
  date: string;
  node: string;
  machine: { cpus: number; model: string; memoryGB: number };
  loadAverage: { min: number; max: number };
  runs: number;
  records: number;
  sources: Record<string, { floorPerSec: Spread; pipelinePerSec: Spread; ratio: Spread; records: number; flags: number }>;
  classification: { sizes: Record<string, { compiledNsPerRecord: Spread; naiveNsPerRecord?: Spread; speedup?: number }>; ratio10kTo10: Spread };
  directory: { people: number; peopleMB: number; indexMB: Spread };
  rss: { heapCapMB: number; inputMB: number; records: number; readyMB: Spread; peakMB: Spread; readyHeapMB: Spread; endHeapMB: Spread; mbPerSec: Spread };
  bundles: Record<string, { minifiedKB: number; importMs: Spread; coldStartMs?: Spread; cpuMs?: Spread }>;
  cost: { cpuSecondsPerMillionRecords: number; usdPerMillionRecords: number; assumptions: string };
}

export const BEGIN = '<!-- bench:begin — generated from bench/results.json by `npm run bench -- --readme`; do not edit by hand -->';
export const END = '<!-- bench:end -->';

const n = (x: number) => x.toLocaleString('en-US');
/** `median (min–max)`, with the spread called out when it is wider than ±15 %. */
const fig = (s: Spread, unit = '') => `${n(s.median)}${unit} (${n(s.min)}–${n(s.max)}${s.wide ? `, **spread ±${Math.round(s.spreadPct)} %**` : ''})`;
const meets = (ok: boolean, miss: string) => (ok ? 'met' : `**not met**: ${miss}`);

/** The markdown between the markers. */
export function renderFigures(r: BenchResults): string {
  const lines: string[] = [];
  const wide = [...Object.values(r.sources).flatMap((s) => [s.floorPerSec, s.pipelinePerSec, s.ratio]), ...Object.values(r.classification.sizes).flatMap((c) => [c.compiledNsPerRecord, ...(c.naiveNsPerRecord ? [c.naiveNsPerRecord] : [])]), r.classification.ratio10kTo10, r.directory.indexMB, r.rss.peakMB, ...Object.values(r.bundles).flatMap((b) => [b.importMs, ...(b.coldStartMs ? [b.coldStartMs] : [])])].some((s) => s.wide);
  lines.push(`Measured ${r.date.slice(0, 10)} on ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGB} GB, Node ${r.node}, load average ${r.loadAverage.min.toFixed(1)}–${r.loadAverage.max.toFixed(1)} during the run`
    + ` (a shared machine: absolute times are pessimistic, ratios less so). ${n(r.records)} records per source; every figure is the median of ${r.runs} runs, with min–max in brackets${wide ? '; a spread wider than ±15 % is marked in bold' : ''}.`);
  lines.push('');
  lines.push('| source | floor (read, gunzip, split, parse) rec/s | full pipeline rec/s | ratio (target ≥ 0.6) |');
  lines.push('|---|---|---|---|');
  for (const [source, s] of Object.entries(r.sources)) lines.push(`| ${source} | ${fig(s.floorPerSec)} | ${fig(s.pipelinePerSec)} | ${fig(s.ratio)} |`);
  lines.push('');
  lines.push('| path patterns | compiled ns/record | naive (minimatch each) ns/record | speed-up |');
  lines.push('|---|---|---|---|');
  for (const [count, c] of Object.entries(r.classification.sizes)) lines.push(`| ${n(Number(count))} | ${fig(c.compiledNsPerRecord)} | ${c.naiveNsPerRecord ? fig(c.naiveNsPerRecord) : '(not run)'} | ${c.speedup ? `${n(c.speedup)}×` : '—'} |`);
  lines.push('');
  lines.push(`| function | minified KB (target < ${n(BUNDLE_BUDGET_KB)}) | import ms | import + first request ms |`);
  lines.push('|---|---|---|---|');
  for (const [name, b] of Object.entries(r.bundles)) lines.push(`| ${name} | ${n(b.minifiedKB)} | ${fig(b.importMs)} | ${b.coldStartMs ? fig(b.coldStartMs) : '—'} |`);
  lines.push('');
  const worst = Object.entries(r.sources).sort((a, b) => a[1].ratio.median - b[1].ratio.median)[0]!;
  const ratio = r.classification.ratio10kTo10;
  const review = r.bundles['review-api']?.coldStartMs;
  const ingest = r.bundles['ingest-object']?.coldStartMs;
  lines.push(`- **Throughput**: lowest pipeline ÷ floor ${worst[1].ratio.median} (${worst[0]}); target ≥ 0.6 on every source: ${meets(worst[1].ratio.median >= 0.6, `${worst[0]} is ${Math.round((0.6 - worst[1].ratio.median) * 100)} points short`)}.`);
  lines.push(`- **Classification** at 10,000 patterns costs ${fig(ratio, '×')} its cost at 10 (target ≤ 1.5×: ${meets(ratio.median <= 1.5, `${Math.round((ratio.median / 1.5 - 1) * 100)} % over`)}); ${n(r.classification.sizes['1000']?.speedup ?? 0)}× faster than the naive loop at 1,000 patterns (target ≥ 50×).`);
  lines.push(`- **Directory**: ${n(r.directory.people)} people index in ${fig(r.directory.indexMB, ' MB')} of heap (target: well under 60 MB: ${meets(r.directory.indexMB.median < 60, `${r.directory.indexMB.median - 60} MB over`)}); the people's own rows, which the policy holds, take ${r.directory.peopleMB} MB more.`);
  lines.push(`- **Memory**: scanning ${n(r.rss.inputMB)} MB of S3 access logs (${n(r.rss.records)} records) with the V8 heap capped at ${r.rss.heapCapMB} MB, peak RSS ${fig(r.rss.peakMB, ' MB')} (target < 300 MB: ${meets(r.rss.peakMB.median < 300, `${r.rss.peakMB.median - 300} MB over`)}); ${fig(r.rss.readyMB, ' MB')} of it before the first record; live heap after a full GC ${r.rss.readyHeapMB.median} MB before and ${r.rss.endHeapMB.median} MB after.`);
  if (review && ingest) lines.push(`- **Cold start** (new process, import, first request against loopback services): review-api ${fig(review, ' ms')} (target < 150 ms: ${meets(review.median < 150, `${Math.round(review.median - 150)} ms over`)}), ingest-object ${fig(ingest, ' ms')} (target < 300 ms: ${meets(ingest.median < 300, `${Math.round(ingest.median - 300)} ms over`)}).`);
  const largest = Object.entries(r.bundles).sort((a, b) => b[1].minifiedKB - a[1].minifiedKB)[0];
  if (largest) lines.push(`- **Bundles**: the largest, ${largest[0]}, is ${n(largest[1].minifiedKB)} KB minified (target < ${n(BUNDLE_BUDGET_KB)} KB: ${meets(largest[1].minifiedKB < BUNDLE_BUDGET_KB, `${n(largest[1].minifiedKB - BUNDLE_BUDGET_KB)} KB over`)}).`);
  lines.push(`- **Cost**: ${r.cost.cpuSecondsPerMillionRecords} CPU-seconds per million records, about **$${r.cost.usdPerMillionRecords} per million records** on Lambda arm64 at 1,024 MB (compute only; requests, S3, DynamoDB and label lookups are extra).`);
  return lines.join('\n');
}

/** The README's text between the markers (undefined when they are missing). */
export function figuresBlock(readme: string): string | undefined {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) return undefined;
  return readme.slice(a + BEGIN.length, b).trim();
}

export function writeReadme(path: string, results: BenchResults): void {
  const readme = readFileSync(path, 'utf8');
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${path}: the benchmark markers are missing; put ${BEGIN} and ${END} around the figures in "## Performance"`);
  writeFileSync(path, `${readme.slice(0, a + BEGIN.length)}\n${renderFigures(results)}\n${readme.slice(b)}`);
}
