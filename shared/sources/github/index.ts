import { event, skip, reject, type Action, type Actor } from '#shared/model/index.ts';
import type { JsonObject } from '#shared/read/envelopes.ts';
import { isCountryCode } from '#shared/rules/countries.ts';
import { cleanIp, defineSource, emailCandidate, hashId, isObject, isoTime, str } from '../common.ts';

/** GitHub audit log: REST API pages (arrays), streamed JSON lines, and Panther's renamed fields. */
const READS: Record<string, Action> = { 'git.clone': 'clone', 'git.fetch': 'fetch', 'repo.download_zip': 'download' };
const NOT_READS: Record<string, string> = { 'repo.access': 'repo.access is a visibility change, not a read' };
/** Repository topics are labels: adding one can classify later clones. */
const TOPICS: Record<string, 'add' | 'remove'> = { 'repo.add_topic': 'add', 'repo.remove_topic': 'remove' };
const ACTION = /^[a-z_]+(\.[a-z_]+)+$/;

function timeOf(record: JsonObject): string | undefined {
  // `@timestamp` and `created_at` are epoch ms; Panther renames `@timestamp` to a zone-less string.
  return isoTime(record['@timestamp'] ?? record.created_at ?? record.at_sign_timestamp);
}

function actorOf(record: JsonObject): Actor {
  // A personal security-log export names the account it belongs to in `user`, often without `actor`.
  const login = str(record.actor) ?? str(record.user);
  if (str(record.programmatic_access_type)?.toLowerCase().includes('deploy')) return { candidates: login ? [`github:${login}`] : ['github:deploy-key'], service: true, display: 'deploy key' };
  if (!login) return { candidates: [], anonymous: true };
  const actor: Actor = { candidates: [`github:${login}`, ...emailCandidate(str(record.external_identity_nameid))], display: login };
  if (login.endsWith('[bot]')) actor.service = true;
  return actor;
}

export const github = defineSource({
  name: 'github',
  // Enterprise and organization logs carry actor, org or business; a personal security-log export
  // may carry none of them: a dotted action and a GitHub time field are enough.
  detect: (record) => typeof record === 'object' && typeof record.action === 'string' && ACTION.test(record.action)
    && ('@timestamp' in record || 'created_at' in record || 'at_sign_timestamp' in record),
  parse(record, origin) {
    if (typeof record !== 'object') return reject('GitHub audit records are JSON objects');
    const name = str(record.action);
    if (name && !READS[name] && !TOPICS[name]) return skip(NOT_READS[name] ?? `not a read: ${name}`); // decided before any parsing
    const time = timeOf(record);
    if (!name || !time) return reject('GitHub audit record needs action and @timestamp (or created_at)');
    const repo = str(record.repo) ?? str(record.repository);
    const topic = TOPICS[name];
    if (topic) {
      const label = str(record.topic);
      if (!repo || !label) return reject(`${name} without repo or topic`);
      return event({ id: str(record._document_id) ?? hashId(record), source: 'github', time, action: 'label', release: false, labelChange: topic, actor: actorOf(record), resource: { uri: `github://${repo}`, labels: [label] }, origin });
    }
    const action = READS[name]!; // every other action was skipped above
    if (!repo || !repo.includes('/')) return reject(`${name} without repo "org/name"`);
    const ip = cleanIp(record.actor_ip);
    const code = isObject(record.actor_location) ? str(record.actor_location.country_code)?.toUpperCase() : undefined;
    const location = code && isCountryCode(code) ? code : undefined;
    const notes = code && !location ? [`location unknown: actor_location.country_code "${code.slice(0, 8)}" is not an ISO 3166 country`] : undefined;
    return event({
      id: str(record._document_id) ?? hashId(record),
      source: 'github',
      time,
      action,
      release: true,
      actor: actorOf(record),
      ...(ip ? { ip } : {}),
      ...(location ? { sourceCountry: location } : {}),
      ...(notes ? { notes } : {}),
      resource: { uri: `github://${repo}`, name: repo.slice(repo.indexOf('/') + 1) },
      origin,
    });
  },
});
