import { createHash } from 'node:crypto';
import type { Policy } from '#shared/config/index.ts';
import { SOURCE_NAMES, type SourceName } from '#shared/model/index.ts';

/**
 * What changed between two policies, and what the change touches: the datasets, people and log
 * sources whose past logs must be looked at again. Pure: two loaded policies in, plain data out.
 */
export interface FieldChange { field: string; before?: unknown; after?: unknown }
export interface EntityChange { id: string; change: 'added' | 'removed' | 'changed'; fields: FieldChange[] }

export interface PolicyDiff {
  home?: FieldChange;
  datasets: EntityChange[];
  people: EntityChange[];
  licenses: EntityChange[];
  allow: EntityChange[];
  networks: EntityChange[];
  catalog: EntityChange[];
  touches: {
    /** Datasets whose past releases may now be judged differently. */
    datasets: string[];
    /** People whose past releases may now be judged differently (any dataset). */
    people: string[];
    /** Accounts whose allow entries changed. */
    accounts: string[];
    /** The log sources that can hold those releases. */
    sources: SourceName[];
  };
}

/** Resource URI schemes (DESIGN §3.5) → the sources that write them. */
const SCHEME_SOURCES: Record<string, SourceName[]> = {
  s3: ['s3-access', 'cloudtrail'], codecommit: ['cloudtrail'], github: ['github'], gitlab: ['gitlab'],
  https: ['m365'], gdrive: ['gdrive'], box: ['box'], smb: ['windows', 'samba'], file: ['windows'],
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Field-by-field changes of two records (nested objects compared by their JSON, as `match.paths`). */
function fieldChanges(before: Record<string, unknown>, after: Record<string, unknown>, prefix = ''): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[field];
    const b = after[field];
    if (same(a, b)) continue;
    const isRecord = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (isRecord(a) && isRecord(b)) out.push(...fieldChanges(a as Record<string, unknown>, b as Record<string, unknown>, `${prefix}${field}.`));
    else out.push({ field: `${prefix}${field}`, ...(a !== undefined ? { before: a } : {}), ...(b !== undefined ? { after: b } : {}) });
  }
  return out;
}

function entityChanges<T extends object>(before: T[], after: T[], key: (t: T) => string): EntityChange[] {
  const old = new Map(before.map((t) => [key(t), t]));
  const now = new Map(after.map((t) => [key(t), t]));
  const out: EntityChange[] = [];
  for (const [id, t] of now) {
    const prior = old.get(id);
    if (!prior) out.push({ id, change: 'added', fields: [] });
    else {
      const fields = fieldChanges(prior as Record<string, unknown>, t as Record<string, unknown>);
      if (fields.length) out.push({ id, change: 'changed', fields });
    }
  }
  for (const id of old.keys()) if (!now.has(id)) out.push({ id, change: 'removed', fields: [] });
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Fields of a person that decide a finding (not the display name). */
const PERSON_DECIDES = (field: string) => field !== 'name';
/** Fields of a dataset that decide whether and how it is released (not its title). */
const DATASET_DECIDES = (field: string) => field !== 'name';

export function diffPolicies(before: Policy, after: Policy): PolicyDiff {
  // A classification is compared as written (`3E001`, `USML IV(i)`), not field by field.
  const view = (p: Policy) => p.datasets.map((d) => ({ ...d, classification: d.classification.display }));
  const datasets = entityChanges(view(before), view(after), (d) => d.id);
  const people = entityChanges(before.people, after.people, (p) => p.id);
  const licenses = entityChanges(before.licenses, after.licenses, (l) => l.id);
  const allow = entityChanges(before.allow, after.allow, (a) => a.account.toLowerCase());
  const networks = entityChanges(before.networks, after.networks, (n) => n.cidr);
  const catalog = entityChanges(before.catalog, after.catalog, (c) => c.resource);
  const home = before.home === after.home ? undefined : { field: 'home', before: before.home, after: after.home };

  // Everything is touched when the ground under every finding moves.
  const everything = !!home || networks.length > 0 || catalog.length > 0;
  const touchedDatasets = new Set<string>();
  const addDataset = (id: string) => { if (after.datasets.some((d) => d.id === id)) touchedDatasets.add(id); };
  for (const d of datasets) if (d.change !== 'removed' && (d.change === 'added' || d.fields.some((f) => DATASET_DECIDES(f.field)))) addDataset(d.id);
  for (const l of licenses) {
    const rules = [before.licenses.find((x) => x.id === l.id), after.licenses.find((x) => x.id === l.id)].filter((x) => !!x);
    for (const rule of rules) {
      for (const id of rule.datasets) addDataset(id);
      for (const d of after.datasets) if (rule.classifications.includes(d.classification.display)) addDataset(d.id);
    }
  }
  const touchedPeople = people.filter((p) => p.change !== 'changed' || p.fields.some((f) => PERSON_DECIDES(f.field))).map((p) => p.id);
  // A person whose groups changed may have joined or left a TCP list: those datasets too.
  for (const p of people) {
    const groups = p.fields.find((f) => f.field === 'groups');
    if (!groups) continue;
    const moved = new Set([...((groups.before as string[] | undefined) ?? []), ...((groups.after as string[] | undefined) ?? [])]);
    for (const d of after.datasets) if (d.authorized?.some((a) => a.startsWith('group:') && moved.has(a.slice(6)))) addDataset(d.id);
  }
  if (everything) for (const d of after.datasets) touchedDatasets.add(d.id);

  // Sources: a dataset matched only by paths is read where those URIs are written; names, tags,
  // labels and any person change can appear in every source.
  const sources = new Set<SourceName>();
  const anywhere = everything || touchedPeople.length > 0 || allow.length > 0;
  for (const id of touchedDatasets) {
    const d = after.datasets.find((x) => x.id === id)!;
    if (d.match.names.length || d.match.labels.length || Object.keys(d.match.tags).length) { for (const s of SOURCE_NAMES) sources.add(s); continue; }
    for (const p of d.match.paths) for (const s of SCHEME_SOURCES[/^([a-z0-9-]+):/i.exec(p)?.[1]?.toLowerCase() ?? ''] ?? SOURCE_NAMES) sources.add(s);
  }
  if (anywhere) for (const s of SOURCE_NAMES) sources.add(s);

  return {
    ...(home ? { home } : {}),
    datasets, people, licenses, allow, networks, catalog,
    touches: {
      datasets: (anywhere && touchedPeople.length ? after.datasets.map((d) => d.id) : [...touchedDatasets]).sort(),
      people: touchedPeople,
      accounts: allow.map((a) => a.id),
      sources: SOURCE_NAMES.filter((s) => sources.has(s)),
    },
  };
}

/** True when the diff changes nothing that decides a finding. */
export const nothingTouched = (d: PolicyDiff) => !d.touches.datasets.length && !d.touches.people.length && !d.touches.accounts.length;

/** JSON with object keys sorted at every depth: the same content always gives the same text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * A policy's version: the first 12 hex of the SHA-256 of what decides findings (datasets, people,
 * licenses, allow entries, networks, catalog, home, geo database path, source settings), in a
 * canonical form. Stable across machines, file locations and key order, so the laptop and AWS
 * (which loads the same files from the config bucket) name one policy alike; any change that can
 * change a finding gives a new version. Review-page settings and file paths are not part of it.
 */
export function policyVersion(policy: Policy): string {
  const { files: _files, review: _review, identityConflicts: _conflicts, ...decides } = policy;
  return createHash('sha256').update(canonical(decides)).digest('hex').slice(0, 12);
}
