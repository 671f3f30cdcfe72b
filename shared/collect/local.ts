import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CheckpointStore, PageSink } from './run.ts';
import type { Checkpoint, CollectorSource } from './types.ts';

/** Our own state beside the pages; `ittmon scan` never reads a `.ittmon` folder as logs. */
export const STATE_DIR = '.ittmon';

/** Pages as files under a directory, written whole (temp file, then rename). */
export function directorySink(dir: string): PageSink {
  return {
    async put(key, body) {
      const path = join(dir, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(`${path}.tmp`, body);
      await rename(`${path}.tmp`, path);
    },
  };
}

/** Checkpoints as `DIR/.ittmon/collect-SOURCE.json`, replaced atomically. */
export function fileCheckpoints(dir: string): CheckpointStore {
  const path = (source: CollectorSource) => join(dir, STATE_DIR, `collect-${source}.json`);
  return {
    async load(source) {
      try {
        return JSON.parse(await readFile(path(source), 'utf8')) as Checkpoint;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new Error(`the checkpoint ${path(source)} is unreadable (${(e as Error).message}); delete it to start again from --since`);
      }
    },
    async save(source, checkpoint) {
      await mkdir(dirname(path(source)), { recursive: true });
      await writeFile(`${path(source)}.tmp`, JSON.stringify(checkpoint));
      await rename(`${path(source)}.tmp`, path(source));
    },
  };
}
