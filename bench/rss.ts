/** Scans MB megabytes of generated S3 access log lines, streamed (nothing on disk), and reports peak RSS. */
import { loadPolicy } from '#shared/config/index.ts';
import { loadGeoDatabase } from '#shared/geo/index.ts';
import { Scan } from '#shared/pipeline/index.ts';
import { generators, patterns, peopleCsv, rng } from './corpus.ts';

const mb = Number(process.argv[2] ?? 2048);
const files: Record<string, string> = { 'ittmon.yaml': JSON.stringify({ directory: 'people.csv', datasets: [{ id: 'd', name: 'd', jurisdiction: 'EAR', classification: '3E001', match: { paths: patterns(100) } }] }), 'people.csv': peopleCsv(100_000) };
const policy = await loadPolicy('ittmon.yaml', async (p) => files[p]!);
const gen = generators['s3-access']!.gen;
async function* stream(total: number) {
  const r = rng(5);
  let sent = 0;
  let i = 0;
  while (sent < total) {
    const lines: string[] = [];
    for (let n = 0; n < 2000; n++) lines.push(gen(r, i++));
    const buf = Buffer.from(`${lines.join('\n')}\n`);
    sent += buf.length;
    yield buf;
  }
}
const scan = new Scan(policy, { geoDatabase: loadGeoDatabase() });
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const readyMB = Math.round(process.memoryUsage().rss / 1048576);
const readyHeapMB = Math.round(process.memoryUsage().heapUsed / 1048576);
let peak = 0;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
const t = performance.now();
await scan.add(stream(mb * 1024 * 1024), 'big.log');
const secs = (performance.now() - t) / 1000;
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
gc?.();
const endHeapMB = Math.round(process.memoryUsage().heapUsed / 1048576);
// readyMB: after loading the policy (100,000 people) and compiling it; peakMB: the most while scanning.
// readyHeapMB → endHeapMB: the live heap after a full GC before and after scanning (flat = nothing retained per record).
console.log(JSON.stringify({ inputMB: mb, records: scan.summary.records, readyMB, readyHeapMB, endHeapMB, peakMB: Math.round(peak / 1048576), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), mbPerSec: mb / secs, seconds: Math.round(secs) }));
