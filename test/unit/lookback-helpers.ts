import { readFileSync } from 'node:fs';
import { loadPolicy, type Policy } from '#shared/config/index.ts';
import { loadGeoDatabase } from '#shared/geo/index.ts';
import { Scan } from '#shared/pipeline/index.ts';
import type { Flag, LookBack } from '#shared/model/index.ts';
import { bytes, examples } from '#test/helpers.ts';

const base = { yaml: readFileSync(examples('ittmon.yaml'), 'utf8'), people: readFileSync(examples('people.csv'), 'utf8'), catalog: readFileSync(examples('catalog.csv'), 'utf8') };

export interface PolicyEdit { yaml?: (y: string) => string; people?: (p: string) => string; catalog?: (c: string) => string }

/** The example policy with its files edited as an export-control officer would edit them. */
export function policy(edit: PolicyEdit = {}): Promise<Policy> {
  const files: Record<string, string> = {
    'ittmon.yaml': (edit.yaml ?? ((y) => y))(base.yaml),
    'people.csv': (edit.people ?? ((p) => p))(base.people),
    'catalog.csv': (edit.catalog ?? ((c) => c))(base.catalog),
  };
  return loadPolicy('ittmon.yaml', async (path) => files[path.replace(/^.*\//, '')] ?? '');
}

/** A person's row edited: `p-002` → a function of the row. */
export const person = (id: string, edit: (row: string) => string) => (csv: string) => csv.split('\n').map((l) => (l.startsWith(`${id},`) ? edit(l) : l)).join('\n');

/** One GitHub audit-log clone (the documented streaming format: @timestamp in ms, _document_id). */
export function clone(id: string, actor: string, repo: string, ip: string, time: string): string {
  return JSON.stringify({ '@timestamp': Date.parse(time), _document_id: id, action: 'git.clone', actor, actor_ip: ip, org: 'nfu-aero', repo: `nfu-aero/${repo}`, repository: `nfu-aero/${repo}`, repository_public: false, transport_protocol_name: 'http' });
}

export const geoDatabase = loadGeoDatabase(undefined);

/** The flags of some log lines under a policy, as the store would get them (one object). */
export async function scanLines(p: Policy, lines: string[], lookBack?: LookBack): Promise<{ flag: Flag; eventIds: string[] }[]> {
  const scan = new Scan(p, { geoDatabase, ...(lookBack ? { lookBack } : {}) });
  return (await scan.add(bytes(`${lines.join('\n')}\n`), 'audit.jsonl')).flags;
}

/** A dataset newly classified: the wind-tunnel repositories, EAR 9E003, no TCP list. */
export const WIND_TUNNEL = (y: string) => y.replace('licenses:', '  - id: wind-tunnel\n    name: Wind tunnel runs\n    jurisdiction: EAR\n    classification: 9E003\n    match:\n      paths: ["github://nfu-aero/tunnel-*"]\n\nlicenses:');
