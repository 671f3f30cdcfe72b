import { loadPolicy } from '#shared/config/index.ts';
import { loadGeoDatabase } from '#shared/geo/index.ts';
import { Scan } from '#shared/pipeline/index.ts';
import { corpusFile, patterns, peopleCsv } from './corpus.ts';
const files: Record<string, string> = { 'ittmon.yaml': JSON.stringify({ directory: 'people.csv', datasets: [{ id: 'd', name: 'd', jurisdiction: 'EAR', classification: '3E001', match: { paths: patterns(100) } }] }), 'people.csv': peopleCsv(100_000) };
const policy = await loadPolicy('ittmon.yaml', async (p) => files[p]!);
const src = process.argv[2] ?? 'github';
const data = corpusFile(src, 100000);
async function* chunks(buf: Buffer) { for (let i = 0; i < buf.length; i += 65536) yield buf.subarray(i, i + 65536); }
const scan = new Scan(policy, { geoDatabase: loadGeoDatabase() });
const t = performance.now();
await scan.add(chunks(data), 'x');
console.log(src, Math.round(100000 / ((performance.now() - t) / 1000)), 'rec/s', JSON.stringify(scan.summary.skipped));
