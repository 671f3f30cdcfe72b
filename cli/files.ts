import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

/** One thing to scan: `name` as shown to the user, `key` stable across working directories. */
export interface Input { name: string; key: string; open: () => AsyncIterable<Buffer> }

/** PATH arguments → inputs: files, directories (recursive, sorted), and `-` for stdin. */
export async function expandInputs(paths: string[], cwd: string, stdin: AsyncIterable<Buffer>): Promise<{ inputs: Input[]; missing: string[] }> {
  const inputs: Input[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      inputs.push({ name: '-', key: 'stdin:-', open: () => stdin });
      continue;
    }
    const full = resolve(cwd, p);
    const info = await stat(full).catch(() => undefined);
    if (!info) missing.push(p);
    else if (info.isDirectory()) for (const f of await walk(full)) inputs.push(fileInput(f, join(p, relative(full, f))));
    else inputs.push(fileInput(full, p));
  }
  return { inputs, missing };
}

/** Names are shown as the user wrote the path (absolute stays absolute); keys are absolute. */
function fileInput(path: string, name: string): Input {
  return { name, key: `file://${path}`, open: () => createReadStream(path) };
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const e of entries) {
    const full = join(dir, e.name);
    // Our own state (the local store, collector checkpoints) is never read as logs.
    if (e.isDirectory()) {
      if (e.name !== '.ittmon') files.push(...(await walk(full)));
    }
    else if (e.isFile()) files.push(full);
  }
  return files;
}
