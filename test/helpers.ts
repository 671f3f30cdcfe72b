import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError, loadPolicy, type LoadOptions, type Policy } from '#shared/config/index.ts';
import type { ParseOutcome } from '#shared/model/index.ts';
import { readRecords } from '#shared/read/records.ts';
import type { ReadItem } from '#shared/read/envelopes.ts';
import type { LogSource } from '#shared/sources/index.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The shared fixtures sit beside the repository (as in CI and the workplace); ITTMON_SHARED_DIR
 * names them when a clone lives elsewhere.
 */
const sharedDir = [process.env.ITTMON_SHARED_DIR, resolve(repoRoot, '..', 'shared'), '/work/shared'].find((d): d is string => !!d && existsSync(resolve(d, 'fixtures', 'real')));
if (!sharedDir) throw new Error('the shared fixtures (shared/fixtures/real) are not beside this repository: set ITTMON_SHARED_DIR');
export const realFixture = (name: string) => resolve(sharedDir, 'fixtures', 'real', name);
export const examples = (...parts: string[]) => join(repoRoot, 'examples', ...parts);

export async function* bytes(...chunks: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield Buffer.isBuffer(c) ? c : Buffer.from(c);
}

export async function readAll(data: string | Buffer, file = 'test.log'): Promise<ReadItem[]> {
  const items: ReadItem[] = [];
  for await (const item of readRecords(bytes(data), file)) items.push(item);
  return items;
}

/** Reads a text through the reader and one source's parser: one outcome per record. */
export async function parseWith(source: LogSource, data: string | Buffer, file = 'test.log'): Promise<ParseOutcome[]> {
  return (await readAll(data, file)).map((item) => (item.kind === 'record' ? source.parse(item.record, item.origin) : { kind: item.kind, reason: item.reason }));
}

/** The `Log:` records of a Panther test-case file (some files hold two test lists: both are read). */
export function pantherLogs(name: string): Record<string, unknown>[] {
  const text = readFileSync(realFixture(name), 'utf8');
  const parts = text.split(/^Tests:\s*$/m);
  return parts.flatMap((part) => ((parseYaml(part) ?? []) as { Log: Record<string, unknown> }[]).map((c) => c.Log));
}

export const events = (outcomes: ParseOutcome[]) => outcomes.flatMap((o) => (o.kind === 'event' ? [o.event] : []));

/** A policy from in-memory files, as the config bucket would serve them. */
export function policyFrom(files: Record<string, string>, config = 'ittmon.yaml', options: LoadOptions = {}): Promise<Policy> {
  return loadPolicy(config, async (path) => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
    return text;
  }, options);
}

/** The problems a configuration of in-memory files is refused with (one per line); none: it loads. */
export async function configProblems(files: Record<string, string>): Promise<string[]> {
  try {
    await policyFrom(files);
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    throw e;
  }
  return [];
}

export const PEOPLE_HEADER = 'id,name,email,accounts,citizenships,permanent_residency,us_person,groups';

/**
 * A parser's outcome under fuzzing: an event, a skip, or a reject with the parser's own reason —
 * never an exception that defineSource had to catch (so a "never throws" test can fail).
 */
export function handled(outcome: ParseOutcome): ParseOutcome['kind'] {
  if (outcome.kind === 'reject' && / record could not be read: /.test(outcome.reason)) throw new Error(`the parser threw instead of rejecting: ${outcome.reason}`);
  return outcome.kind;
}
