/**
 * The large-object task's built image doing the real work (bench/aws-image.sh calls this; it needs
 * root and buildah): a gzip S3 access log of a few MB, without a `.gz` suffix, in a loopback S3
 * (s3rver), a flag table in dynalite created as the stack creates it, the configuration in the
 * config bucket; then the image's own command run in the built image (`buildah run --network host`)
 * with the environment the synthesized task definition gives its container, plus the object the
 * state machine passes (ITTMON_OBJECT) and the loopback endpoints. The flags it stores must equal
 * `ittmon scan` of the same file, and the object's record count its lines.
 * Usage: node --import tsx bench/aws-image-run.ts [image] (default ittmon-ingest-large:local).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Flag } from '#shared/model/index.ts';
import { startLocalStore } from '#shared/store/local.ts';
import { synthesize, TEST_SETTINGS } from '#test/aws/assembly.ts';
import { repoRoot } from '#test/helpers.ts';
import { loopbackEnv, s3Loopback } from '../test/integration/aws.ts';
import { corpusFile, peopleCsv } from './corpus.ts';

const run = promisify(execFile);
const image = process.argv[2] ?? 'ittmon-ingest-large:local';
const buildah = (...args: string[]) => run('buildah', ['--storage-driver', 'vfs', ...args], { maxBuffer: 64 << 20, env: { ...process.env, BUILDAH_ISOLATION: 'chroot' } });
const RECORDS = 120_000;
const BAD_LINE = 60_001;
const BAD = 'this line is not an S3 server access log record';
const REVIEW_URL = 'https://review.example.edu';

// The container's environment as the stack defines it (the task definition of a synthesized assembly).
const assembly = await synthesize({ settingsFile: TEST_SETTINGS });
const taskDefinitions = Object.values(assembly.template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
if (taskDefinitions.length !== 1) throw new Error(`expected one ECS task definition in the template, found ${taskDefinitions.length}`);
const [container] = taskDefinitions[0]!.Properties!.ContainerDefinitions as { Environment: { Name: string; Value: unknown }[] }[];

const store = await startLocalStore(undefined, 'ittmon-flags');
const s3 = await s3Loopback();
try {
  for (const b of ['ittmon-config', 'logs', 'ittmon-quarantine']) await s3.bucket(b);
  // Resources the template refers to by token, as the loopback services name them.
  const loopbackValues: Record<string, string> = { TABLE_NAME: 'ittmon-flags', CONFIG_BUCKET: 'ittmon-config', QUARANTINE_BUCKET: 'ittmon-quarantine', REVIEW_URL };
  const taskEnv = Object.fromEntries(container!.Environment.map(({ Name, Value }) => {
    if (typeof Value === 'string') return [Name, Value];
    const value = loopbackValues[Name];
    if (!value) throw new Error(`the task definition sets ${Name} to ${JSON.stringify(Value)}: give it a loopback value in bench/aws-image-run.ts`);
    return [Name, value];
  }));

  // The configuration and the people, as `ittmon` reads them and as the config bucket holds them.
  const configDir = mkdtempSync(join(tmpdir(), 'ittmon-image-config-'));
  // Two datasets (ITAR, and EAR with an authorised group) over the corpus's controlled keys (0.4 % of records).
  writeFileSync(join(configDir, 'ittmon.yaml'), JSON.stringify({ home: 'US', directory: 'people.csv', datasets: [
    { id: 'hgv', name: 'HGV loads', jurisdiction: 'ITAR', classification: 'IV(i)', match: { paths: ['s3://bucket-*/project-1*/**'] } },
    { id: 'asic', name: 'Rad-hard ASIC', jurisdiction: 'EAR', classification: '3E001', match: { paths: ['s3://bucket-*/project-[2-9]*/**'] }, authorized: ['group:tcp'] },
  ] }));
  writeFileSync(join(configDir, 'people.csv'), peopleCsv(100_000));
  await s3.upload('ittmon-config', configDir);

  // The log object: gzip, named without `.gz` (compression is told by its magic bytes).
  // One line in the middle is not a log record: it must reach the quarantine bucket, and nothing else be lost.
  const lines = corpusFile('s3-access', RECORDS, 23).toString().split('\n');
  lines.splice(BAD_LINE - 1, 0, BAD);
  const plain = Buffer.from(lines.join('\n'));
  const file = join(configDir, 's3-access-2026-10-15-00-00-00-LARGE');
  writeFileSync(file, gzipSync(plain));
  const key = 'AWSLogs/111122223333/large/s3-access-2026-10-15-00-00-00-LARGE';
  await s3.put('logs', key, gzipSync(plain));
  const etag = (await s3.client.send(new HeadObjectCommand({ Bucket: 'logs', Key: key }))).ETag!.replace(/"/g, '');
  console.log(`object: s3://logs/${key}, ${(plain.length / 1048576).toFixed(1)} MB of ${RECORDS.toLocaleString()} S3 access records and one bad line, ${(gzipSync(plain).length / 1048576).toFixed(1)} MB gzip`);

  // The image's own command, as its user, in its working directory, with its ENV and the task's.
  const config = (JSON.parse((await buildah('inspect', '--type', 'image', image)).stdout) as { OCIv1: { config: { Cmd: string[]; User?: string; WorkingDir?: string } } }).OCIv1.config;
  const env = {
    ...loopbackEnv({ s3: s3.endpoint, dynamodb: store.endpoint }), AWS_DEFAULT_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...taskEnv, ITTMON_OBJECT: JSON.stringify({ bucket: 'logs', key, etag }),
  };
  console.log(`image ${image}: user ${config.User}, workdir ${config.WorkingDir}, cmd ${JSON.stringify(config.Cmd)}; task environment ${Object.keys(taskEnv).join(', ')}`);
  const ctr = (await buildah('from', '--pull=never', image)).stdout.trim();
  const started = performance.now();
  let logs: string;
  try {
    const out = await buildah('run', '--network', 'host', ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]), ctr, '--', ...config.Cmd)
      .catch((e: { stdout: string; stderr: string; code: number }) => { throw new Error(`the task exited ${e.code}:\n${e.stdout}${e.stderr}`); });
    logs = `${out.stdout}${out.stderr}`;
  } finally {
    await buildah('rm', ctr);
  }
  console.log(`task: exit 0 in ${((performance.now() - started) / 1000).toFixed(1)} s; its log: ${logs.trim().split('\n').filter((l) => l.includes('large object processed')).join(' ') || logs.trim()}`);

  // The same file through the CLI, and the comparison.
  const cli = await run(process.execPath, [join(repoRoot, 'cli/bin.mjs'), 'scan', file, '--config', join(configDir, 'ittmon.yaml'), '--quarantine', join(configDir, 'cli-quarantine.jsonl'), '--json'], { maxBuffer: 1 << 28, env: { ...process.env, NODE_OPTIONS: '' } });
  const view = (f: Flag) => JSON.stringify({ id: f.id, severity: f.severity, dataset: f.dataset, classification: f.classification, jurisdiction: f.jurisdiction, day: f.day, actor: f.actor.key, person: f.actor.person, reasons: f.reasons.map((r) => `${r.code} ${r.country ?? ''} ${r.severity}`).sort(), eventCount: f.eventCount, bytes: f.bytes, firstSeen: f.firstSeen, lastSeen: f.lastSeen });
  const cliFlags = cli.stdout.trim().split('\n').filter(Boolean).map((l) => view(JSON.parse(l) as Flag)).sort();
  const stored = (await store.store.allFlags()).map((f) => view(f)).sort();
  const counts = (await store.store.allObjectCounts()).find((c) => c.object.endsWith(key));
  const quarantined = await Promise.all(((await s3.client.send(new ListObjectsV2Command({ Bucket: 'ittmon-quarantine' }))).Contents ?? [])
    .map(async (o) => (await (await s3.client.send(new GetObjectCommand({ Bucket: 'ittmon-quarantine', Key: o.Key! }))).Body!.transformToString()).trim().split('\n').map((l) => JSON.parse(l) as { line?: number; raw?: string })));
  const rejectedLines = quarantined.flat().map((r) => `line ${r.line}: ${r.raw}`);
  const cliRejected = readFileSync(join(configDir, 'cli-quarantine.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line?: number; raw?: string }).map((r) => `line ${r.line}: ${r.raw}`);
  console.log(`quarantine bucket: ${quarantined.length} object(s), rejected records: ${rejectedLines.join(', ') || 'none'}; the CLI's: ${cliRejected.join(', ') || 'none'}`);
  const equal = cliFlags.length > 0 && JSON.stringify(stored) === JSON.stringify(cliFlags);
  console.log(`object counts: ${JSON.stringify(counts && { records: counts.records, rejected: counts.rejected, flags: counts.flags })}`);
  console.log(`flags: task ${stored.length}, CLI ${cliFlags.length}; equal (id, severity, dataset, actor, reasons, events, bytes, first and last seen): ${equal}`);
  if (!equal) {
    for (const f of cliFlags.filter((x) => !stored.includes(x))) console.log(`  CLI only:  ${f}`);
    for (const f of stored.filter((x) => !cliFlags.includes(x))) console.log(`  task only: ${f}`);
  }
  // Every line counted, the bad one rejected (in the quarantine bucket, as the CLI rejects it).
  if (!equal || counts?.records !== RECORDS + 1 || counts.rejected !== 1 || rejectedLines.join() !== `line ${BAD_LINE}: ${BAD}` || cliRejected.join() !== rejectedLines.join()) process.exitCode = 1;
  console.log(process.exitCode ? 'FAILED' : 'OK: the image read the object to its end and stored the CLI\'s flags');
} finally {
  await s3.close();
  await store.close();
}
