import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadPolicy, type Policy } from '#shared/config/index.ts';

/** Loads ittmon.yaml (and what it names) from the local disk; messages name paths as the user gave them. */
export function loadPolicyFromDisk(config: string | undefined, cwd: string): Promise<Policy> {
  return loadPolicy(config ?? 'ittmon.yaml', (path) => readFile(resolve(cwd, path), 'utf8'));
}
