import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ObjectSinks } from '#shared/ingest/index.ts';
import { JsonLinesPublisher } from '#shared/publish/local.ts';
import { FileQuarantineSink, startLocalStore, type LocalStore } from '#shared/store/local.ts';
import { UsageError } from './io.ts';

export const DEFAULT_STORE = '.ittmon';
/** Links in local bus events point at `ittmon serve`. */
export const LOCAL_LINK_BASE = 'http://127.0.0.1:8787';

/** The local store: dynalite on disk in DIR, bus events to DIR/events.jsonl, quarantine in DIR/quarantine/. */
export class LocalSession {
  readonly sinks: ObjectSinks;

  private constructor(readonly dir: string, readonly local: LocalStore) {
    this.sinks = { store: local.store, quarantine: new FileQuarantineSink(join(dir, 'quarantine')), publisher: new JsonLinesPublisher(join(dir, 'events.jsonl')), linkBase: LOCAL_LINK_BASE };
  }

  static async open(dir: string, cwd: string, { create }: { create: boolean }): Promise<LocalSession> {
    const full = resolve(cwd, dir);
    if (!create && !existsSync(join(full, 'dynalite'))) throw new UsageError(`no flag store in ${dir}: run ittmon scan PATH --store ${dir} first`);
    return new LocalSession(full, await startLocalStore(join(full, 'dynalite')));
  }

  get store() { return this.local.store; }

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
