import { box } from './box/index.ts';
import { cloudtrail } from './cloudtrail/index.ts';
import { gdrive } from './gdrive/index.ts';
import { github } from './github/index.ts';
import { gitlab } from './gitlab/index.ts';
import { m365 } from './m365/index.ts';
import { s3Access } from './s3-access/index.ts';
import { samba } from './samba/index.ts';
import type { SourceSettings } from './settings.ts';
import type { LogSource } from './types.ts';
import { windows } from './windows/index.ts';

export type { LogSource } from './types.ts';
export type { SourceSettings } from './settings.ts';

/** Every source, in the order detection tries them, configured for this organisation's logs. */
export function sourcesFor(settings: SourceSettings = {}): LogSource[] {
  return [s3Access, samba(settings.samba), windows, cloudtrail, github, gitlab, m365(settings.m365), gdrive, box];
}

/** The sources with default settings. */
export const SOURCES: readonly LogSource[] = sourcesFor();

export function sourceByName(name: string, settings?: SourceSettings): LogSource | undefined {
  return (settings ? sourcesFor(settings) : SOURCES).find((s) => s.name === name);
}
