import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Reader } from 'mmdb-lib';
import { loadPolicy, type Policy } from '#shared/config/index.ts';

/** What is wrong with a geoip: file on disk, or undefined: it must exist and be a MaxMind database. */
export async function checkGeoipFile(path: string, cwd: string): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(resolve(cwd, path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `no file ${path}` : code === 'EISDIR' ? `${path} is a directory, not an .mmdb file` : `cannot read ${path}: ${(e as Error).message}`;
  }
  try {
    new Reader(bytes); // throws on anything that is not an MMDB (e.g. "Unknown type 112" for a CSV)
    return undefined;
  } catch {
    return `${path} is not a MaxMind .mmdb database`;
  }
}

/** Loads ittmon.yaml (and what it names) from the local disk; messages name paths as the user gave them. */
export function loadPolicyFromDisk(config: string | undefined, cwd: string): Promise<Policy> {
  return loadPolicy(config ?? 'ittmon.yaml', (path) => readFile(resolve(cwd, path), 'utf8'), { checkGeoip: (path) => checkGeoipFile(path, cwd) });
}
