import { BlockList, isIP } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { makeRe } from 'minimatch';
import { LineCounter, parseDocument, isNode, visit } from 'yaml';
import type * as z from 'zod';
import {
  RulesError, eccnEntry, exceptionEligibility, licenseRequired, normaliseReason, parseClassification, resolveCountry, type Classification,
} from '#shared/rules/index.ts';
import { ConfigError, type Problem } from './errors.ts';
import { ENTRY_SCHEMAS, configSchema, type ConfigFile } from './schema.ts';
import type { CatalogEntry, DatasetRule, LicenseRule, Person, Policy } from './types.ts';

/** Reads a file by path: the local disk for the CLI, the config bucket in AWS. */
export type ReadText = (path: string) => Promise<string>;

export interface LoadOptions {
  /** Checks the `geoip:` file (exists, is an .mmdb): what is wrong with it, or undefined. */
  checkGeoip?: (path: string) => Promise<string | undefined>;
}

const PEOPLE_COLUMNS = ['id', 'name', 'email', 'accounts', 'citizenships', 'permanent_residency', 'us_person', 'groups'];
const CATALOG_COLUMNS = ['resource', 'tags', 'labels'];

const list = (text: string | undefined) => (text ?? '').split(';').map((s) => s.trim()).filter(Boolean);
const fieldPath = (path: readonly PropertyKey[]) => path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');

/**
 * Loads ittmon.yaml with the directory and catalog it names, and checks everything:
 * every problem is reported at once, each with file, line, field and fix.
 */
export async function loadPolicy(configPath: string, readText: ReadText, options: LoadOptions = {}): Promise<Policy> {
  const problems: Problem[] = [];
  const file = configPath;
  let text: string;
  try {
    text = await readText(configPath);
  } catch (e) {
    throw new ConfigError([{ file, path: '(file)', message: `cannot read: ${(e as Error).message}`, hint: 'check the path: --config PATH for the CLI, the object key in the config bucket in AWS' }]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, keepSourceTokens: true });
  // No field is a number: keep what was written. Unquoted `3E001` would otherwise be the float 30.
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'number' && node.srcToken && 'source' in node.srcToken) node.value = node.srcToken.source;
    },
  });
  for (const err of doc.errors) problems.push({ file, line: lineCounter.linePos(err.pos[0]).line, path: '(yaml)', message: err.message.split('\n')[0]! });
  if (problems.length) throw new ConfigError(problems);

  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let p = [...path]; ; p = p.slice(0, -1)) {
      const node = p.length ? doc.getIn(p as (string | number)[], true) : doc.contents;
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      if (p.length === 0) return undefined;
    }
  };
  const at = (path: (string | number)[], message: string, hint?: string) => problems.push({ file, line: lineOf(path), path: fieldPath(path), message, ...(hint ? { hint } : {}) });

  // Every problem at once: a field that fails its schema is reported, and the rest is still checked.
  const raw = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(raw, { error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required, but missing' : undefined) });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
      at(path, issue.message, hintFor(issue.code, path, issue.message));
    }
  }
  const cfg = parsed.success ? parsed.data : salvage(raw);
  const base = dirname(configPath);
  const resolve = (p: string) => (isAbsolute(p) ? p : join(base, p));

  const home = (cfg.home ?? 'US').toUpperCase();
  const directoryPath = cfg.directory ? resolve(cfg.directory) : undefined;
  const catalogPath = cfg.catalog ? resolve(cfg.catalog) : undefined;
  // Both files are requested at once (in AWS each is an S3 round trip on a cold start), then read in order.
  const reads = new Map([directoryPath, catalogPath].filter((p): p is string => !!p).map((p) => [p, (async () => readText(p))()]));
  for (const read of reads.values()) read.catch(() => undefined); // a failure is reported where the file is read
  const readOnce: ReadText = (p) => reads.get(p) ?? readText(p);
  const people = directoryPath ? await loadPeople(directoryPath, readOnce, home, problems) : [];
  const catalog = catalogPath ? await loadCatalog(catalogPath, readOnce, problems) : [];
  const personIds = new Set(people.map((p) => p.id));
  const groups = new Set(people.flatMap((p) => p.groups));

  const datasets = cfg.datasets.map((d, i) => d && checkDataset(d, i, at, personIds, groups)).filter((d): d is DatasetRule => !!d);
  // Duplicates are looked for among all entries, valid or not.
  const entries = (key: string) => { const v = (raw as Record<string, unknown>)[key]; return Array.isArray(v) ? v as Record<string, unknown>[] : []; };
  unique(entries('datasets'), 'id', (i, id) => at(['datasets', i, 'id'], `duplicate dataset id "${id}"`, 'dataset ids must be unique: rename one'));
  unique(entries('licenses'), 'id', (i, id) => at(['licenses', i, 'id'], `duplicate license id "${id}"`, 'license ids must be unique: merge the two entries or correct the number'));
  unique(entries('allow'), 'account', (i, account) => at(['allow', i, 'account'], `duplicate allow entry for ${account}`, 'keep one entry per account'));
  const datasetIds = new Set(cfg.datasets.flatMap((d) => (d ? [d.id] : [])));
  const licenses = cfg.licenses.flatMap((l, i) => {
    if (!l) return [];
    const rule = checkLicense(l, i, at, datasetIds, personIds);
    checkException(rule, i, at, datasets, home);
    return [rule];
  });
  if (cfg.ear_deemed_export === 'most-recent') checkMostRecent(people, directoryPath!, problems);
  const networks = cfg.networks.flatMap((n, i) => {
    if (!n) return [];
    if (!validCidr(n.cidr)) at(['networks', i, 'cidr'], `"${n.cidr}" is not a CIDR block`, 'write e.g. 10.0.0.0/8 or 2001:db8::/32');
    return [{ ...n, country: country(n.country, ['networks', i, 'country'], at) }];
  });
  let geoip: string | undefined;
  if (cfg.geoip) {
    geoip = resolve(cfg.geoip);
    const wrong = await options.checkGeoip?.(geoip);
    if (wrong) at(['geoip'], wrong, 'name a MaxMind-format .mmdb country database (e.g. GeoLite2-Country.mmdb), or remove geoip: to use the bundled one');
  }
  try {
    resolveCountry(home);
  } catch {
    at(['home'], `unknown country "${cfg.home}"`, 'use an ISO 3166-1 alpha-2 code such as US');
  }
  // An identifier two people share is for `check` to reject; a scan still runs and flags it as AMBIGUOUS_IDENTITY.
  if (problems.some((p) => !p.identity)) throw new ConfigError(problems);
  const identityConflicts = problems.filter((p) => p.identity);
  return {
    home, earDeemedExport: cfg.ear_deemed_export ?? 'all', datasets, licenses, allow: cfg.allow.filter((a) => !!a), networks, people, catalog, review: { pseudonymise: cfg.review?.pseudonymise ?? false }, sources: stripUndefined(cfg.sources ?? {}),
    ...(geoip ? { geoip } : {}),
    files: { config: configPath, directory: directoryPath!, ...(catalogPath ? { catalog: catalogPath } : {}) },
    ...(identityConflicts.length ? { identityConflicts } : {}),
  };
}

type Salvaged = Omit<ConfigFile, 'datasets' | 'licenses' | 'allow' | 'networks' | 'directory' | 'home'> & {
  home?: string; directory?: string;
  datasets: (ConfigFile['datasets'][number] | undefined)[];
  licenses: (ConfigFile['licenses'][number] | undefined)[];
  allow: (ConfigFile['allow'][number] | undefined)[];
  networks: (ConfigFile['networks'][number] | undefined)[];
};

/** What of an invalid file is still usable, field by field and entry by entry (entries keep their index). */
function salvage(raw: unknown): Salvaged & ConfigFile {
  const input = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(configSchema.shape)) {
    const field = (schema as z.ZodType).safeParse(input[key]);
    if (field.success) out[key] = field.data;
    else if (key in ENTRY_SCHEMAS) {
      const items = Array.isArray(input[key]) ? input[key] as unknown[] : [];
      out[key] = items.map((item) => salvageEntry(key, item));
    } else out[key] = undefined;
  }
  return out as Salvaged & ConfigFile;
}

/** The fields of a salvaged entry that were missing or invalid: checks that need them are skipped. */
const invalidFields = new WeakMap<object, Set<string>>();
const invalid = (entry: object, field: string) => invalidFields.get(entry)?.has(field) ?? false;
/** Stand-ins for what an invalid entry lacks, so that its other fields are still checked. */
const STAND_INS: Record<string, Record<string, unknown>> = {
  datasets: { id: '-', name: '-', jurisdiction: 'ITAR', classification: 'EAR99', match: {} },
  licenses: { id: '-', countries: [], expires: '9999-12-31' },
};

function salvageEntry(list: string, item: unknown): unknown {
  const schema = ENTRY_SCHEMAS[list]!;
  const whole = schema.safeParse(item);
  if (whole.success) return whole.data;
  if (!item || typeof item !== 'object' || !STAND_INS[list]) return undefined;
  const bad = new Set(whole.error.issues.map((issue) => String(issue.path[0] ?? '')));
  const copy = Object.fromEntries(Object.entries(item).filter(([k]) => !bad.has(k)));
  for (const field of bad) if (field in STAND_INS[list]!) copy[field] = STAND_INS[list]![field];
  const partial = schema.safeParse(copy);
  if (!partial.success) return undefined;
  invalidFields.set(partial.data as object, bad);
  return partial.data;
}

/** Calls `duplicate` for each entry whose field (case-insensitively) an earlier entry has. */
function unique(entries: readonly Record<string, unknown>[], field: string, duplicate: (index: number, value: string) => void): void {
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    const value = e && typeof e === 'object' ? e[field] : undefined;
    if (typeof value !== 'string') return;
    if (seen.has(value.toLowerCase())) duplicate(i, value);
    seen.add(value.toLowerCase());
  });
}

type At = (path: (string | number)[], message: string, hint?: string) => void;

/** How to fix a schema problem, by field: required fields say what to write. */
const FIELD_HINTS: Record<string, string> = {
  directory: 'name the people file, e.g. directory: people.csv (relative to this file)',
  datasets: 'list the controlled data, each with id, name, jurisdiction, classification and match',
  id: 'give it a unique id',
  name: 'give it a name a reviewer recognises, e.g. name: Hypersonic glide vehicle CFD results',
  jurisdiction: 'write ITAR or EAR',
  classification: 'write the USML category (e.g. "IV(i)") or the ECCN (e.g. 3E001, EAR99)',
  match: 'give at least one of paths, names, tags, labels',
  countries: 'list the countries the license covers, e.g. countries: [GB]',
  expires: 'write the last day the license is valid, e.g. expires: 2027-12-31',
  account: 'write the account as kind:value, e.g. account: "github:acme-ci-bot"',
  reason: 'say why this account is not a person, e.g. reason: nightly mirror',
  cidr: 'write e.g. 10.0.0.0/8',
  country: 'write an ISO country code such as US',
  pseudonymise: 'write true or false',
};

function hintFor(code: string, path: (string | number)[], message: string): string | undefined {
  const last = path.at(-1);
  if (code === 'unrecognized_keys') return 'remove it, or check its spelling against the README\'s configuration reference';
  if (last === 'id' && path[0] === 'datasets' && message !== 'required, but missing') return undefined;
  if (last === 'match' && message === 'required, but missing') return 'give at least one of paths, names, tags, labels, e.g. match: { paths: ["s3://bucket/prefix/**"] }';
  return typeof last === 'string' ? FIELD_HINTS[last] : undefined;
}

function country(input: string, path: (string | number)[], at: At): string {
  try {
    return resolveCountry(input);
  } catch (e) {
    at(path, (e as RulesError).message, (e as RulesError).hint);
    return input;
  }
}

/**
 * What is wrong with a glob, or undefined. minimatch reads an unclosed `[`, `{` or `(` as a literal
 * character, so `[a-` would silently match nothing: reject it instead.
 */
export function globProblem(glob: string): string | undefined {
  const open: string[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\') { i++; continue; }
    if (open.at(-1) === '[') {
      if (c === ']' && !(glob[i - 1] === '[' || ((glob[i - 1] === '!' || glob[i - 1] === '^') && glob[i - 2] === '['))) open.pop();
      continue;
    }
    if (c === '[' || c === '{' || c === '(') open.push(c);
    else if (c === '}' || c === ')') {
      if (open.at(-1) !== (c === '}' ? '{' : '(')) return `"${glob}" has a "${c}" with no opening "${c === '}' ? '{' : '('}"`;
      open.pop();
    }
  }
  if (open.length) return `"${glob}" has an unclosed "${open.at(-1)}"`;
  if (makeRe(glob) === false) return `"${glob}" is not a valid glob pattern`;
  return undefined;
}
const GLOB_HINT = 'close it, or escape a literal bracket or brace with a backslash (\\[)';

function checkGlobs(globs: string[] | undefined, path: (string | number)[], at: At) {
  globs?.forEach((g, i) => {
    const wrong = globProblem(g);
    if (wrong) at([...path, i], wrong, GLOB_HINT);
  });
}

function checkDataset(d: ConfigFile['datasets'][number], i: number, at: At, personIds: Set<string>, groups: Set<string>): DatasetRule | undefined {
  const m = d.match;
  if (!invalid(d, 'match')) {
    if (!m.paths?.length && !m.names?.length && !m.labels?.length && !Object.keys(m.tags ?? {}).length) {
      at(['datasets', i, 'match'], 'matches nothing', 'give at least one of paths, names, tags, labels');
    }
    checkGlobs(m.paths, ['datasets', i, 'match', 'paths'], at);
    checkGlobs(m.names, ['datasets', i, 'match', 'names'], at);
    checkGlobs(m.labels, ['datasets', i, 'match', 'labels'], at);
    for (const [key, value] of Object.entries(m.tags ?? {})) {
      const wrong = globProblem(value);
      if (wrong) at(['datasets', i, 'match', 'tags', key], wrong, GLOB_HINT);
    }
    m.paths?.forEach((p, j) => {
      if (!/^[a-z0-9+.-]+:\/\//i.test(p) && !p.startsWith('*')) at(['datasets', i, 'match', 'paths', j], `"${p}" is not a resource URI pattern`, 'start with the scheme, e.g. s3://bucket/prefix/** or github://org/repo');
    });
  }
  d.authorized?.forEach((a, j) => {
    if (a.startsWith('group:')) {
      if (!groups.has(a.slice(6))) at(['datasets', i, 'authorized', j], `no one in the directory is in group "${a.slice(6)}"`, 'check the groups column of people.csv');
    } else if (!personIds.has(a)) at(['datasets', i, 'authorized', j], `no person "${a}" in the directory`, 'use a person id from people.csv or group:NAME');
  });
  if (invalid(d, 'classification')) return undefined;
  let classification: Classification;
  try {
    classification = parseClassification(d.classification);
  } catch (e) {
    at(['datasets', i, 'classification'], (e as RulesError).message, (e as RulesError).hint);
    return undefined;
  }
  if (classification.jurisdiction !== d.jurisdiction && !invalid(d, 'jurisdiction')) {
    at(['datasets', i, 'jurisdiction'], `${d.jurisdiction} does not fit classification "${d.classification}", which is ${classification.jurisdiction}`,
      classification.jurisdiction === 'EAR' ? 'ECCNs and EAR99 are EAR; write jurisdiction: EAR' : 'USML categories are ITAR; write jurisdiction: ITAR');
  }
  let reasons: string[] | undefined;
  if (d.reasons) {
    if (classification.jurisdiction === 'ITAR' || (classification.jurisdiction === 'EAR' && classification.eccn === 'EAR99')) {
      at(['datasets', i, 'reasons'], 'reasons for control apply only to ECCNs', 'remove reasons:');
    }
    reasons = d.reasons.map((r, j) => {
      try {
        return normaliseReason(r);
      } catch (e) {
        at(['datasets', i, 'reasons', j], (e as RulesError).message, (e as RulesError).hint);
        return r;
      }
    });
  } else if (classification.jurisdiction === 'EAR' && classification.eccn !== 'EAR99') {
    try {
      eccnEntry(classification.eccn);
    } catch (e) {
      at(['datasets', i, 'classification'], (e as RulesError).message, (e as RulesError).hint);
    }
  }
  return {
    id: d.id, name: d.name, jurisdiction: classification.jurisdiction, classification,
    ...(reasons ? { reasons } : {}),
    match: { paths: m.paths ?? [], names: m.names ?? [], tags: m.tags ?? {}, labels: m.labels ?? [] },
    ...(d.authorized ? { authorized: d.authorized } : {}),
  };
}

function checkLicense(l: ConfigFile['licenses'][number], i: number, at: At, datasetIds: Set<string>, personIds: Set<string>): LicenseRule {
  if (!l.datasets?.length && !l.classifications?.length) at(['licenses', i], `license ${l.id} covers nothing`, 'give datasets: [...] or classifications: [...]');
  l.datasets?.forEach((d, j) => {
    if (!datasetIds.has(d)) at(['licenses', i, 'datasets', j], `no dataset "${d}"`, 'use a dataset id from datasets:');
  });
  const classifications = (l.classifications ?? []).map((c, j) => {
    try {
      return parseClassification(c).display;
    } catch (e) {
      at(['licenses', i, 'classifications', j], (e as RulesError).message, (e as RulesError).hint);
      return c;
    }
  });
  l.persons?.forEach((p, j) => {
    if (!personIds.has(p)) at(['licenses', i, 'persons', j], `no person "${p}" in the directory`, 'use a person id from people.csv');
  });
  const countries = l.countries.map((c, j) => country(c, ['licenses', i, 'countries', j], at));
  return {
    id: l.id, datasets: l.datasets ?? [], classifications, ...(l.persons ? { persons: l.persons } : {}), countries, expires: l.expires,
    ...(l.exception ? { exception: l.exception } : {}), ...(l.assurance ? { assurance: l.assurance } : {}),
  };
}

/**
 * A license entry that cites a license exception must name its assurance, and the exception must be
 * available for every classification and country it lists (part 740 and the entry's own flags).
 */
function checkException(l: LicenseRule, i: number, at: At, datasets: DatasetRule[], home: string) {
  if (!l.exception) {
    if (l.assurance) at(['licenses', i, 'assurance'], 'assurance: belongs to an entry that cites a license exception', 'add exception: TSR (or STA, TMP, GOV, ENC), or remove assurance:');
    return;
  }
  if (!l.assurance) at(['licenses', i, 'assurance'], `license exception ${l.exception} needs the reference of its assurance or statement`, 'add assurance: REF, e.g. the file number of the recipient\'s written assurance (§740.6(a)(3) for TSR)');
  const covered: { label: string; classification: Classification; reasons?: string[] }[] = [
    ...datasets.filter((d) => l.datasets.includes(d.id)).map((d) => ({ label: `dataset ${d.id} (${d.classification.display})`, classification: d.classification, ...(d.reasons ? { reasons: d.reasons } : {}) })),
    ...l.classifications.flatMap((c) => {
      try {
        return [{ label: c, classification: parseClassification(c) }];
      } catch {
        return [];
      }
    }),
  ];
  for (const item of covered) {
    for (const country of l.countries) {
      let answer;
      try {
        answer = licenseRequired(item.classification, country, { home, ...(item.reasons ? { reasons: item.reasons } : {}) });
      } catch {
        continue; // the classification or country is reported where it is written
      }
      if (!answer.licenseRequired) continue;
      const verdict = exceptionEligibility(l.exception, item.classification, answer.country, answer.reasons);
      if (!verdict.eligible) {
        at(['licenses', i, 'exception'], `${l.exception} is not available for ${item.label} to ${answer.country}: ${verdict.why}`,
          'cite the license number instead of the exception, or list only the countries and data it is eligible for');
      }
    }
  }
}

/** With ear_deemed_export: most-recent, the column must name one of the person's own countries. */
function checkMostRecent(people: Person[], path: string, problems: Problem[]) {
  for (const p of people) {
    if (!p.mostRecentCitizenship) continue;
    const own = [...p.citizenships, ...(p.permanentResidency ? [p.permanentResidency] : [])];
    if (!own.includes(p.mostRecentCitizenship)) {
      problems.push({ file: path, path: 'most_recent_citizenship', message: `person ${p.id}: most recent citizenship ${p.mostRecentCitizenship} is not among their citizenships or permanent residency (${own.join(', ')})`, hint: 'give one of the countries in citizenships or permanent_residency' });
    }
  }
}

function validCidr(cidr: string): boolean {
  const [addr, bits, ...rest] = cidr.split('/');
  const family = isIP(addr ?? '');
  const n = Number(bits);
  if (!family || rest.length || !/^\d+$/.test(bits ?? '') || n > (family === 4 ? 32 : 128)) return false;
  new BlockList().addSubnet(addr!, n, family === 4 ? 'ipv4' : 'ipv6');
  return true;
}

async function readCsv(path: string, readText: ReadText, columns: string[], problems: Problem[]): Promise<{ row: Record<string, string>; line: number }[]> {
  let text: string;
  try {
    text = await readText(path);
  } catch (e) {
    problems.push({ file: path, path: '(file)', message: `cannot read: ${(e as Error).message}`, hint: 'check the path in ittmon.yaml (relative to that file)' });
    return [];
  }
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true, comment: '#', comment_no_infix: true, relax_column_count: true });
  } catch (e) {
    const err = e as Error & { lines?: number };
    problems.push({ file: path, ...(err.lines ? { line: err.lines } : {}), path: '(csv)', message: err.message });
    return [];
  }
  const header = records[0] ? (records[0].info as unknown as { columns: { name: string }[] }).columns.map((c) => c.name) : [];
  const missingColumns = columns.filter((c) => records.length && !header.includes(c));
  if (missingColumns.length) problems.push({ file: path, line: 1, path: '(header)', message: `missing column${missingColumns.length > 1 ? 's' : ''} ${missingColumns.join(', ')}`, hint: `the header is ${columns.join(',')}` });
  // A short or long row is reported, and the rest of the file is still checked.
  for (const r of records) {
    const error = (r.info as { error?: { code?: string; record?: unknown[] } }).error;
    if (error?.code === 'CSV_RECORD_INCONSISTENT_COLUMNS') {
      const n = error.record?.length ?? 0;
      problems.push({ file: path, line: r.info.lines, path: '(row)', message: `${n} field${n === 1 ? '' : 's'} where the header has ${header.length}`, hint: `write every column, with empty ones between commas: ${header.join(',')}` });
    }
  }
  return records.map((r) => ({ row: r.record, line: r.info.lines }));
}

async function loadPeople(path: string, readText: ReadText, home: string, problems: Problem[]): Promise<Person[]> {
  const rows = await readCsv(path, readText, PEOPLE_COLUMNS, problems);
  const people: Person[] = [];
  const ids = new Map<string, number>();
  const identifierOwner = new Map<string, { id: string; line: number }>();
  for (const { row, line } of rows) {
    const at = (field: string, message: string, hint?: string) => problems.push({ file: path, line, path: field, message, ...(hint ? { hint } : {}) });
    const id = row.id ?? '';
    if (!id) { at('id', 'empty id'); continue; }
    const earlier = ids.get(id);
    if (earlier !== undefined) at('id', `duplicate id "${id}" (also on line ${earlier})`, 'person ids must be unique');
    else ids.set(id, line);
    const toCountry = (c: string, field: string) => {
      try {
        return resolveCountry(c);
      } catch (e) {
        at(field, (e as RulesError).message, (e as RulesError).hint);
        return c;
      }
    };
    const citizenships = list(row.citizenships).map((c) => toCountry(c, 'citizenships'));
    const pr = row.permanent_residency ? toCountry(row.permanent_residency, 'permanent_residency') : undefined;
    if (citizenships.length === 0 && !pr) at('citizenships', `person ${id} has no citizenship`, 'give at least one ISO code, e.g. US or CN;GB');
    const mostRecent = row.most_recent_citizenship ? toCountry(row.most_recent_citizenship, 'most_recent_citizenship') : undefined;
    const flag = (row.us_person ?? '').toLowerCase();
    let usPerson: boolean;
    if (flag === 'true') usPerson = true;
    else if (flag === 'false') usPerson = false;
    else {
      if (flag) at('us_person', `"${row.us_person}" is not true, false or blank`, 'write true or false, or leave it blank to derive it from citizenships and permanent_residency');
      usPerson = citizenships.includes(home) || pr === home;
    }
    const accounts = list(row.accounts);
    const email = row.email || undefined;
    // Every identifier belongs to one person: a shared one would make the match depend on row order.
    const identifiers = new Map<string, { field: string; shown: string }>();
    for (const a of accounts) {
      if (!/^[a-z0-9-]+:.+$/.test(a)) at('accounts', `"${a}" is not kind:value`, 'e.g. github:lwei;aws:arn:aws:iam::123456789012:user/lwei');
      identifiers.set(a.toLowerCase(), { field: 'accounts', shown: `account ${a}` });
    }
    if (email) identifiers.set(`email:${email.toLowerCase()}`, { field: 'email', shown: `e-mail ${email}` });
    for (const [key, { field, shown }] of identifiers) {
      const owner = identifierOwner.get(key);
      if (owner && owner.id !== id) {
        problems.push({ file: path, line, path: field, message: `${shown} belongs to both ${owner.id} (line ${owner.line}) and ${id} (line ${line})`, hint: 'give each account and e-mail to one person: a scan flags events of a shared one as AMBIGUOUS_IDENTITY', identity: true });
      } else if (!owner) identifierOwner.set(key, { id, line });
    }
    people.push({ id, name: row.name || id, ...(email ? { email } : {}), accounts, citizenships, ...(pr ? { permanentResidency: pr } : {}), ...(mostRecent ? { mostRecentCitizenship: mostRecent } : {}), usPerson, groups: list(row.groups) });
  }
  return people;
}

async function loadCatalog(path: string, readText: ReadText, problems: Problem[]): Promise<CatalogEntry[]> {
  const rows = await readCsv(path, readText, CATALOG_COLUMNS, problems);
  return rows.flatMap(({ row, line }) => {
    const resource = row.resource ?? '';
    if (!resource) {
      problems.push({ file: path, line, path: 'resource', message: 'empty resource' });
      return [];
    }
    const wrong = globProblem(resource);
    if (wrong) problems.push({ file: path, line, path: 'resource', message: wrong, hint: GLOB_HINT });
    const tags: Record<string, string> = {};
    for (const pair of list(row.tags)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) problems.push({ file: path, line, path: 'tags', message: `"${pair}" is not key=value`, hint: 'write tags as k=v;k=v' });
      else tags[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    return [{ resource, tags, labels: list(row.labels) }];
  });
}

/** zod leaves optional keys as undefined; the settings types want them absent. */
function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? {})) as T;
}
