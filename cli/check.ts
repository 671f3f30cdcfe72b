import { parseArgs } from 'node:util';
import { ConfigError } from '#shared/config/index.ts';
import { plural } from './format.ts';
import { EXIT, type Io } from './io.ts';
import { loadPolicyFromDisk } from './policy.ts';

/** `ittmon check`: load and validate everything, and say what was loaded. */
export async function check(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } } });
  const p = await loadPolicyFromDisk(values.config, io.cwd);
  // A scan tolerates an identifier two people share (it flags it); check does not.
  if (p.identityConflicts?.length) throw new ConfigError(p.identityConflicts);
  const today = new Date().toISOString().slice(0, 10);
  const us = p.people.filter((x) => x.usPerson).length;
  const lines = [
    `${p.files.config}: OK (home ${p.home})`,
    `directory ${p.files.directory}: ${plural(p.people.length, 'person', 'people')} — ${plural(us, 'US person')}, ${plural(p.people.length - us, 'foreign person')}`,
    `catalog ${p.files.catalog ?? '(none)'}: ${plural(p.catalog.length, 'entry', 'entries')}`,
    `geo-IP: ${p.geoip ?? 'bundled country database (geo-whois-asn-country, CC0)'}; ${p.networks.length} network override${p.networks.length === 1 ? '' : 's'}`,
    `datasets (${p.datasets.length}):`,
    ...p.datasets.flatMap((d) => [
      `  ${d.id}: ${d.name} — ${d.jurisdiction} ${d.classification.display}${d.reasons ? ` reasons ${d.reasons.join(', ')}` : ''}`,
      ...(d.match.paths.length ? [`    paths:  ${d.match.paths.join(', ')}`] : []),
      ...(d.match.names.length ? [`    names:  ${d.match.names.join(', ')}`] : []),
      ...(Object.keys(d.match.tags).length ? [`    tags:   ${Object.entries(d.match.tags).map(([k, v]) => `${k}=${v}`).join(', ')}`] : []),
      ...(d.match.labels.length ? [`    labels: ${d.match.labels.join(', ')}`] : []),
      `    authorized: ${d.authorized ? d.authorized.join(', ') : '(no TCP list)'}`,
    ]),
    `licenses (${p.licenses.length}):`,
    ...p.licenses.map((l) => `  ${l.id}: ${[...l.datasets, ...l.classifications].join(', ')} → ${l.countries.join(', ')}${l.persons ? ` for ${l.persons.join(', ')}` : ''}; expires ${l.expires}${l.expires < today ? ' (EXPIRED)' : ''}`),
    `allow list (${p.allow.length}):`,
    ...p.allow.map((a) => `  ${a.account}: ${a.reason}${a.expires ? `; expires ${a.expires}${a.expires < today ? ' (EXPIRED)' : ''}` : ''}`),
  ];
  io.out(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
