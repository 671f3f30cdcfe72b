import type { SourceName } from '#shared/model/index.ts';
import { cloudtrail } from './cloudtrail/index.ts';
import { github } from './github/index.ts';
import { s3Access } from './s3-access/index.ts';
import type { LogSource } from './types.ts';

export type { LogSource } from './types.ts';

/** Every source, in the order detection tries them. */
export const SOURCES: readonly LogSource[] = [s3Access, cloudtrail, github];

export function sourceByName(name: string): LogSource | undefined {
  return SOURCES.find((s) => s.name === name);
}

export const implementedSources = (): SourceName[] => SOURCES.map((s) => s.name);
