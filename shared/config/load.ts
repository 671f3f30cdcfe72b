import { BlockList, isIP } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { makeRe } from 'minimatch';
import { LineCounter, parseDocument, isNode, visit } from 'yaml';
import {
  RulesError, eccnEntry, exceptionEligibility, licenseRequired, normaliseReason, parseClassification, resolveCountry, type Classification,
} from '#shared/rules/index.ts';
import { ConfigError, type Problem } from './errors.ts';
import { configSchema, type ConfigFile } from './schema.ts';
import type { CatalogEntry, DatasetRule, LicenseRule, Person, Policy } from './types.ts';

/** Reads a file by path: the local disk for the CLI, the config bucket in AWS. */
export type ReadText = (path: string) => Promise<string>;

const PEOPLE_COLUMNS = ['id', 'name', 'email', 'accounts', 'citizenships', 'permanent_residency', 'us_person', 'groups'];
const CATALOG_COLUMNS = ['resource', 'tags', 'labels'];

const list = (text: string | undefined) => (text ?? '').split(';').map((s) => s.trim()).filter(Boolean);
const fieldPath = (path: readonly PropertyKey[]) => path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');

/**
 * Loads ittmon.yaml with the directory and catalog it names, and checks everything:
 * every problem is reported at once, each with file, line, field and fix.
 */
export async function loadPolicy(configPath: string, readText: ReadText): Promise<Policy> {
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

  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
      at(path, issue.message, hintFor(issue.code, path));
    }
    throw new ConfigError(problems);
  }
  const cfg = parsed.data;
  const base = dirname(configPath);
  const resolve = (p: string) => (isAbsolute(p) ? p : join(base, p));

  const home = cfg.home.toUpperCase();
  const directoryPath = resolve(cfg.directory);
  const people = await loadPeople(directoryPath, readText, home, problems);
  const catalogPath = cfg.catalog ? resolve(cfg.catalog) : undefined;
  const catalog = catalogPath ? await loadCatalog(catalogPath, readText, problems) : [];
  const personIds = new Set(people.map((p) => p.id));
  const groups = new Set(people.flatMap((p) => p.groups));

  const datasets = cfg.datasets.map((d, i) => checkDataset(d, i, at, personIds, groups)).filter((d): d is DatasetRule => !!d);
  const seen = new Set<string>();
  cfg.datasets.forEach((d, i) => {
    if (seen.has(d.id)) at(['datasets', i, 'id'], `duplicate dataset id "${d.id}"`, 'dataset ids must be unique');
    seen.add(d.id);
  });
  const licenses = cfg.licenses.map((l, i) => checkLicense(l, i, at, seen, personIds));
  licenses.forEach((l, i) => checkException(l, i, at, datasets, home));
  if (cfg.ear_deemed_export === 'most-recent') checkMostRecent(people, directoryPath, problems);
  const networks = cfg.networks.map((n, i) => {
    if (!validCidr(n.cidr)) at(['networks', i, 'cidr'], `"${n.cidr}" is not a CIDR block`, 'write e.g. 10.0.0.0/8 or 2001:db8::/32');
    return { ...n, country: country(n.country, ['networks', i, 'country'], at) };
  });
  let geoip: string | undefined;
  if (cfg.geoip) geoip = resolve(cfg.geoip);
  try {
    resolveCountry(home);
  } catch {
    at(['home'], `unknown country "${cfg.home}"`, 'use an ISO 3166-1 alpha-2 code such as US');
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    home, earDeemedExport: cfg.ear_deemed_export, datasets, licenses, allow: cfg.allow, networks, people, catalog, review: { pseudonymise: cfg.review?.pseudonymise ?? false }, sources: stripUndefined(cfg.sources),
    ...(geoip ? { geoip } : {}),
    files: { config: configPath, directory: directoryPath, ...(catalogPath ? { catalog: catalogPath } : {}) },
  };
}

type At = (path: (string | number)[], message: string, hint?: string) => void;

function hintFor(code: string, path: (string | number)[]): string | undefined {
  const last = path.at(-1);
  if (code === 'unrecognized_keys') return 'remove it, or check its spelling against the README\'s configuration reference';
  if (last === 'jurisdiction') return 'write ITAR or EAR';
  if (last === 'match') return 'give at least one of paths, names, tags, labels';
  return undefined;
}

function country(input: string, path: (string | number)[], at: At): string {
  try {
    return resolveCountry(input);
  } catch (e) {
    at(path, (e as RulesError).message, (e as RulesError).hint);
    return input;
  }
}

function checkGlobs(globs: string[] | undefined, path: (string | number)[], at: At) {
  globs?.forEach((g, i) => {
    if (makeRe(g) === false) at([...path, i], `"${g}" is not a valid glob pattern`);
  });
}

function checkDataset(d: ConfigFile['datasets'][number], i: number, at: At, personIds: Set<string>, groups: Set<string>): DatasetRule | undefined {
  let classification: Classification;
  try {
    classification = parseClassification(d.classification);
  } catch (e) {
    at(['datasets', i, 'classification'], (e as RulesError).message, (e as RulesError).hint);
    return undefined;
  }
  if (classification.jurisdiction !== d.jurisdiction) {
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
  const m = d.match;
  if (!m.paths?.length && !m.names?.length && !m.labels?.length && !Object.keys(m.tags ?? {}).length) {
    at(['datasets', i, 'match'], 'matches nothing', 'give at least one of paths, names, tags, labels');
  }
  checkGlobs(m.paths, ['datasets', i, 'match', 'paths'], at);
  checkGlobs(m.names, ['datasets', i, 'match', 'names'], at);
  checkGlobs(m.labels, ['datasets', i, 'match', 'labels'], at);
  m.paths?.forEach((p, j) => {
    if (!/^[a-z0-9+.-]+:\/\//i.test(p) && !p.startsWith('*')) at(['datasets', i, 'match', 'paths', j], `"${p}" is not a resource URI pattern`, 'start with the scheme, e.g. s3://bucket/prefix/** or github://org/repo');
  });
  d.authorized?.forEach((a, j) => {
    if (a.startsWith('group:')) {
      if (!groups.has(a.slice(6))) at(['datasets', i, 'authorized', j], `no one in the directory is in group "${a.slice(6)}"`, 'check the groups column of people.csv');
    } else if (!personIds.has(a)) at(['datasets', i, 'authorized', j], `no person "${a}" in the directory`, 'use a person id from people.csv or group:NAME');
  });
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
    records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true, comment: '#', comment_no_infix: true });
  } catch (e) {
    const err = e as Error & { lines?: number };
    problems.push({ file: path, ...(err.lines ? { line: err.lines } : {}), path: '(csv)', message: err.message });
    return [];
  }
  const header = records[0] ? Object.keys(records[0].record) : [];
  const missingColumns = columns.filter((c) => records.length && !header.includes(c));
  if (missingColumns.length) problems.push({ file: path, line: 1, path: '(header)', message: `missing column${missingColumns.length > 1 ? 's' : ''} ${missingColumns.join(', ')}`, hint: `the header is ${columns.join(',')}` });
  return records.map((r) => ({ row: r.record, line: r.info.lines }));
}

async function loadPeople(path: string, readText: ReadText, home: string, problems: Problem[]): Promise<Person[]> {
  const rows = await readCsv(path, readText, PEOPLE_COLUMNS, problems);
  const people: Person[] = [];
  const ids = new Set<string>();
  const accountOwner = new Map<string, string>();
  for (const { row, line } of rows) {
    const at = (field: string, message: string, hint?: string) => problems.push({ file: path, line, path: field, message, ...(hint ? { hint } : {}) });
    const id = row.id ?? '';
    if (!id) { at('id', 'empty id'); continue; }
    if (ids.has(id)) at('id', `duplicate id "${id}"`);
    ids.add(id);
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
    if (['true', 'yes', 'y', '1'].includes(flag)) usPerson = true;
    else if (['false', 'no', 'n', '0'].includes(flag)) usPerson = false;
    else {
      if (flag) at('us_person', `"${row.us_person}" is not true, false or blank`);
      usPerson = citizenships.includes(home) || pr === home;
    }
    const accounts = list(row.accounts);
    for (const a of accounts) {
      if (!/^[a-z0-9-]+:.+$/.test(a)) at('accounts', `"${a}" is not kind:value`, 'e.g. github:lwei;aws:arn:aws:iam::123456789012:user/lwei');
      const key = a.toLowerCase();
      const owner = accountOwner.get(key);
      if (owner && owner !== id) at('accounts', `account ${a} belongs to both ${owner} and ${id}`);
      accountOwner.set(key, id);
    }
    const email = row.email || undefined;
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
    if (makeRe(resource) === false) problems.push({ file: path, line, path: 'resource', message: `"${resource}" is not a valid glob` });
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
