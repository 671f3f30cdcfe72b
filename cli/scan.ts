import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem } from '#shared/config/index.ts';
import { loadGeoDatabase } from '#shared/geo/index.ts';
import { SEVERITIES, severityRank, type Severity } from '#shared/model/index.ts';
import { Scan, type Rejected } from '#shared/pipeline/index.ts';
import { SOURCES, sourceByName } from '#shared/sources/index.ts';
import { expandInputs } from './files.ts';
import { formatFlags, formatSummary } from './format.ts';
import { SCAN_USAGE } from './usage.ts';
import { EXIT, UsageError, type Io } from './io.ts';
import { loadPolicyFromDisk } from './policy.ts';
import { evidenceEtag, keepObject } from '#shared/ingest/index.ts';
import { policyVersion } from '#shared/diff/index.ts';
import { hashing, LocalSession } from './store.ts';

export async function scan(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      config: { type: 'string' }, json: { type: 'boolean' }, source: { type: 'string' }, quarantine: { type: 'string' },
      store: { type: 'string' }, 'fail-on': { type: 'string' }, 'include-cleared': { type: 'boolean' }, 'look-back': { type: 'boolean' },
    },
  });
  if (!positionals.length) throw new UsageError(`usage: ${SCAN_USAGE}`);
  const failOn = values['fail-on'];
  if (failOn !== undefined && !SEVERITIES.includes(failOn as Severity)) throw new UsageError(`--fail-on takes one of ${SEVERITIES.join(', ')}, not "${failOn}"`);
  const source = values.source === undefined ? undefined : sourceByName(values.source);
  if (values.source !== undefined && !source) throw new UsageError(`--source takes one of ${SOURCES.map((s) => s.name).join(', ')}, not "${values.source}"`);

  const policy = await loadPolicyFromDisk(values.config, io.cwd);
  for (const c of policy.identityConflicts ?? []) io.err(`ittmon: warning: ${formatProblem(c)}\n`);
  const { inputs, missing } = await expandInputs(positionals, io.cwd, io.stdin);
  if (missing.length) throw new UsageError(`no such file or directory: ${missing.join(', ')}`);

  let geoDatabase: Buffer;
  try {
    geoDatabase = loadGeoDatabase(policy.geoip && resolve(io.cwd, policy.geoip));
  } catch (e) {
    throw new UsageError(`${policy.files.config}: geoip: cannot read ${policy.geoip}: ${(e as Error).message}`);
  }
  let quarantine: WriteStream | undefined;
  if (values.quarantine) {
    const file = resolve(io.cwd, values.quarantine);
    try {
      quarantine = createWriteStream(file, { fd: openSync(file, 'w') }); // fails here, not later in the scan
    } catch (e) {
      throw new UsageError(`--quarantine ${values.quarantine}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): name a file in a directory that exists and you can write to`);
    }
  }
  // A look-back: past logs read again under this policy; flags it raises say so (and which version).
  const lookBack = values['look-back'] ? { policyVersion: policyVersion(policy), at: new Date().toISOString() } : undefined;
  let objectRejects: Rejected[] = [];
  const run = new Scan(policy, {
    ...(lookBack ? { lookBack } : {}),
    geoDatabase,
    ...(source ? { source: source.name } : {}),
    onReject: (r: Rejected) => {
      quarantine?.write(`${JSON.stringify(r)}\n`);
      if (session) objectRejects.push(r);
    },
  });
  const session = values.store !== undefined ? await LocalSession.open(values.store, io.cwd, { create: true, command: 'scan' }) : undefined;
  const stored = { raised: 0, updated: 0 };

  let current = '';
  const progress = io.tty ? setInterval(() => io.err(`\r\x1b[K  scanning ${current} — ${run.summary.records} records`), 500) : undefined;
  try {
    for (const [i, input] of inputs.entries()) {
      current = `${input.name} (${i + 1}/${inputs.length})`;
      objectRejects = [];
      const read = hashing(input.open());
      const result = await run.add(read.stream, input.name); // unreadable files become rejected records
      if (session) {
        const object = { key: input.key, etag: evidenceEtag(read.etag(), lookBack) };
        const changes = await keepObject(session.sinks, object, result, objectRejects);
        for (const c of changes) stored[c.before ? 'updated' : 'raised'] += 1;
      }
    }
  } finally {
    if (progress) { clearInterval(progress); io.err('\r\x1b[K'); }
    await session?.close();
  }
  if (quarantine) await new Promise<void>((done) => quarantine.end(done));

  const flags = run.flags(values['include-cleared'] ?? false);
  if (values.json) for (const f of flags) io.out(`${JSON.stringify(f)}\n`);
  else io.out(formatFlags(flags));
  io.err(formatSummary(run.summary));
  if (lookBack) io.err(`  look-back: policy version ${lookBack.policyVersion}; new flags say "raised on look-back after policy version ${lookBack.policyVersion} on ${lookBack.at.slice(0, 10)}"\n`);
  if (session) io.err(`  store:    ${values.store}: ${stored.raised} flag${stored.raised === 1 ? '' : 's'} raised, ${stored.updated} updated (events in ${values.store}/events.jsonl)\n`);
  if (failOn && flags.some((f) => f.reasons.length && severityRank(f.severity) >= severityRank(failOn as Severity))) return EXIT.threshold;
  return EXIT.ok;
}
