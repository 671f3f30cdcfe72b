import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadPolicy, type Policy } from '#shared/config/index.ts';

/** Loads ittmon.yaml (and what it names) from the local disk. */
export function loadPolicyFromDisk(config: string | undefined, cwd: string): Promise<Policy> {
  return loadPolicy(resolve(cwd, config ?? 'ittmon.yaml'), (path) => readFile(path, 'utf8'));
}
