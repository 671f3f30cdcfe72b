import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Rejected } from '#shared/pipeline/index.ts';
import { busEventsFor } from '#shared/publish/events.ts';
import { JsonLinesPublisher } from '#shared/publish/local.ts';
import { startLocalStore, type LocalStore } from '#shared/store/local.ts';
import type { FlagChange, SourceObject } from '#shared/store/index.ts';
import { UsageError } from './io.ts';

export const DEFAULT_STORE = '.ittmon';

/** The local store: dynalite on disk in DIR, bus events to DIR/events.jsonl, quarantine in DIR/quarantine/. */
export class LocalSession {
  private constructor(readonly dir: string, readonly local: LocalStore, private readonly publisher: JsonLinesPublisher) {}

  static async open(dir: string, cwd: string, { create }: { create: boolean }): Promise<LocalSession> {
    const full = resolve(cwd, dir);
    if (!create && !existsSync(join(full, 'dynalite'))) throw new UsageError(`no flag store in ${dir}: run ittmon scan PATH --store ${dir} first`);
    const local = await startLocalStore(join(full, 'dynalite'));
    return new LocalSession(full, local, new JsonLinesPublisher(join(full, 'events.jsonl')));
  }

  get store() { return this.local.store; }

  /** Announces stored changes as the bus would (the stream publisher does this in AWS). */
  async publish(changes: FlagChange[], linkBase: string): Promise<void> {
    await this.publisher.publish(changes.flatMap((c) => busEventsFor(c, linkBase)));
  }

  /** Keeps an object's rejected records, replacing what an earlier scan of it kept. */
  async quarantine(object: SourceObject, rejected: Rejected[]): Promise<void> {
    const dir = join(this.dir, 'quarantine');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${createHash('sha256').update(object.key).digest('hex').slice(0, 16)}.jsonl`);
    await writeFile(file, rejected.map((r) => `${JSON.stringify({ object: object.key, etag: object.etag, ...r })}\n`).join(''));
  }

  close() { return this.local.close(); }
}

/** Streams bytes through while hashing them: the etag of a local file is the hash of what was read. */
export function hashing(chunks: AsyncIterable<Buffer>): { stream: AsyncIterable<Buffer>; etag: () => string } {
  const hash = createHash('sha256');
  return {
    stream: (async function* () {
      for await (const c of chunks) { hash.update(c); yield c; }
    })(),
    etag: () => hash.copy().digest('hex').slice(0, 32),
  };
}
