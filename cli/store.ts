import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ObjectSinks } from '#shared/ingest/index.ts';
import { JsonLinesPublisher } from '#shared/publish/local.ts';
import { FileQuarantineSink, startLocalStore, type LocalStore } from '#shared/store/local.ts';
import { UsageError } from './io.ts';

export const DEFAULT_STORE = '.ittmon';
/** Links in local bus events point at `ittmon serve`. */
export const LOCAL_LINK_BASE = 'http://127.0.0.1:8787';

/** Who holds a store open: kept in DIR/owner.json while a command has it. */
interface Owner { pid: number; command: string; since: string }

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Only one process can open a store (its database takes a lock). Say who holds it and what to do,
 * before the database refuses with an error of its own. An owner file left by a process that has
 * gone is taken over.
 */
function takeStore(full: string, dir: string, command: string): () => void {
  mkdirSync(full, { recursive: true });
  const file = join(full, 'owner.json');
  const me: Owner = { pid: process.pid, command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner: Owner | undefined;
    try { owner = JSON.parse(readFileSync(file, 'utf8')) as Owner; } catch { owner = undefined; }
    if (owner && owner.pid !== process.pid && alive(owner.pid)) {
      throw new UsageError(`the store ${dir} is in use by \`ittmon ${owner.command}\` (process ${owner.pid}, since ${owner.since.slice(0, 19).replace('T', ' ')} UTC): `
        + `stop it (Ctrl-C in its terminal, or kill ${owner.pid}) and run this again, or give another --store DIR`);
    }
    rmSync(file, { force: true }); // left by a process that has gone
  }
  throw new UsageError(`the store ${dir} is being opened by another process: run this again`);
}

/** The local store: dynalite on disk in DIR, bus events to DIR/events.jsonl, quarantine in DIR/quarantine/. */
export class LocalSession {
  readonly sinks: ObjectSinks;

  private constructor(readonly dir: string, readonly local: LocalStore, private readonly release: () => void) {
    this.sinks = { store: local.store, quarantine: new FileQuarantineSink(join(dir, 'quarantine')), publisher: new JsonLinesPublisher(join(dir, 'events.jsonl')), linkBase: LOCAL_LINK_BASE };
  }

  static async open(dir: string, cwd: string, { create, command }: { create: boolean; command: string }): Promise<LocalSession> {
    const full = resolve(cwd, dir);
    if (!create && !existsSync(join(full, 'dynalite'))) throw new UsageError(`no flag store in ${dir}: run ittmon scan PATH --store ${dir} first`);
    const release = takeStore(full, dir, command);
    try {
      return new LocalSession(full, await startLocalStore(join(full, 'dynalite')), release);
    } catch (e) {
      release();
      throw e;
    }
  }

  get store() { return this.local.store; }

  async close() {
    try {
      await this.local.close();
    } finally {
      this.release();
    }
  }
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
