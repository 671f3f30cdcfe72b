import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COLLECTOR_SOURCES, CredentialError, CredentialsError, collect, collectorFor, credentialsFromEnv, type CollectorSource } from '#shared/collect/index.ts';
import { directorySink, fileCheckpoints } from '#shared/collect/local.ts';
import { EXIT, UsageError, type Io } from './io.ts';
import { COLLECT_USAGE } from './usage.ts';


/** Relative times for --since: 7d, 12h, 30m; or an ISO date/time. */
export function parseSince(text: string, now: Date): Date {
  const rel = /^(\d+)([dhm])$/.exec(text.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as 'd' | 'h' | 'm']);
  const at = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(text)) throw new UsageError(`--since takes an ISO date or time (2026-11-01, 2026-11-01T08:00:00Z) or an age (7d, 12h), not "${text}"`);
  return new Date(at);
}

/**
 * `ittmon collect m365 --since 7d --out logs/m365`: the same collector the AWS schedule runs,
 * writing pages under DIR (which `ittmon scan DIR` reads) and its checkpoint in DIR/.ittmon/, so a
 * second run continues where the first stopped. Credentials come from ITTMON_<SOURCE>_* variables.
 */
export async function collectCommand(args: string[], io: Io, env: NodeJS.ProcessEnv = process.env, now: () => Date = () => new Date()): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { since: { type: 'string' }, out: { type: 'string' } } });
  const [source] = positionals;
  if (!source || positionals.length > 1 || !values.out) throw new UsageError(`usage: ${COLLECT_USAGE}`);
  if (!COLLECTOR_SOURCES.includes(source as CollectorSource)) throw new UsageError(`collect takes one of ${COLLECTOR_SOURCES.join(', ')}, not "${source}"`);
  const started = now();
  const since = values.since ? parseSince(values.since, started) : new Date(started.getTime() - 86_400_000);
  const out = resolve(io.cwd, values.out);
  let creds;
  try {
    creds = credentialsFromEnv(source as CollectorSource, env, (path) => readFileSync(resolve(io.cwd, path), 'utf8'));
  } catch (e) {
    if (e instanceof CredentialsError) throw new UsageError(`${e.message}\n(see README "Collectors" for what each variable holds)`);
    throw e;
  }
  let retries = 0;
  const collector = collectorFor(source as CollectorSource, creds, { onRetry: () => { retries++; } });
  try {
    const result = await collect(collector, { sink: directorySink(out), checkpoints: fileCheckpoints(out), context: { since, now } });
    io.err(`${source}: ${result.records} record${result.records === 1 ? '' : 's'} in ${result.pages} page${result.pages === 1 ? '' : 's'} written to ${values.out}${retries ? ` (${retries} retr${retries === 1 ? 'y' : 'ies'})` : ''}; ${result.lagSeconds === undefined ? 'no record yet' : `newest record ${result.checkpoint?.newest}`}\n`);
    io.err(`next: ittmon scan ${values.out} --config ittmon.yaml\n`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CredentialError) {
      io.err(`ittmon collect: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}
