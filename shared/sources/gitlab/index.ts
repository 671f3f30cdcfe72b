import { event, skip, reject, type Action, type Actor } from '#shared/model/index.ts';
import type { JsonObject } from '#shared/read/envelopes.ts';
import { cleanIp, defineSource, emailCandidate, hashId, isObject, isoTime, num, str } from '../common.ts';

/**
 * GitLab audit events: streamed `repository_git_operation` (git-upload-pack = clone or fetch,
 * git-receive-pack = push; the UI "Download" button logs the plain-string custom_message
 * "Repository Download Started"), `repository_download_operation` and, since GitLab 17.0, its
 * stream-only twin for public projects `public_repository_download_operation`; and the
 * self-managed audit_json.log.
 */
const DOWNLOADS = new Set(['repository_download_operation', 'public_repository_download_operation']);
/** Credentials that belong to no person: deploy keys and deploy tokens. */
const SERVICE_CLASSES: Record<string, string> = { DeployKey: 'deploy key', DeployToken: 'deploy token' };
function actorOf(r: JsonObject, details: JsonObject): Actor {
  const id = num(r.author_id);
  const cls = str(details.author_class) ?? str(r.author_class);
  const name = str(r['meta.user']) ?? str(details.author_name) ?? str(r.author_name);
  const service = cls ? SERVICE_CLASSES[cls] : id === -3 ? 'deploy key' : undefined;
  if (service) return { candidates: [`gitlab:${name ?? service.replace(' ', '-')}`], service: true, display: service };
  if (id === -1 || name === 'An unauthenticated user') return { candidates: [], anonymous: true };
  if (!name && id === undefined) return { candidates: [], anonymous: true };
  return {
    candidates: [...(name ? [`gitlab:${name}`] : []), ...(id !== undefined ? [`gitlab-id:${id}`] : []), ...emailCandidate(str(details.author_email) ?? str(r.author_email))],
    ...(name ? { display: name } : {}),
  };
}

export const gitlab = defineSource({
  name: 'gitlab',
  detect: (r) => typeof r === 'object' && ('event_type' in r || 'entity_type' in r) && ('author_id' in r || 'author_name' in r),
  parse(r, origin) {
    if (typeof r !== 'object') return reject('GitLab audit records are JSON objects');
    const details = isObject(r.details) ? r.details : {};
    const time = isoTime(r.created_at ?? r.time);
    if (!time) return reject('GitLab audit event needs created_at');
    const type = str(r.event_type) ?? str(r.event_name);
    let action: Action | undefined;
    if (type === 'repository_git_operation') {
      const message = details.custom_message;
      if (typeof message === 'string') {
        if (!/download/i.test(message)) return skip(`not a read: ${message.slice(0, 60)}`);
        action = 'download';
      } else {
        const op = isObject(message) ? str(message.action) : undefined;
        if (op !== 'git-upload-pack') return skip(`not a read: ${op ?? 'git operation'}`);
        action = 'clone';
      }
    } else if (type && DOWNLOADS.has(type)) action = 'download';
    else return skip(`not a read: ${type ?? str(r.change) ?? str(r['meta.caller_id']) ?? 'audit event'}`);
    const path = str(r.entity_path) ?? str(details.entity_path);
    if (!path) return reject(`${type} without entity_path`);
    const ip = cleanIp(r.ip_address) ?? cleanIp(details.ip_address) ?? cleanIp(r['meta.remote_ip']);
    return event({
      id: r.id !== undefined && r.id !== null ? String(r.id) : hashId(r),
      source: 'gitlab', time, action, release: true, actor: actorOf(r, details),
      ...(ip ? { ip } : {}),
      resource: { uri: `gitlab://${path}`, name: path.slice(path.lastIndexOf('/') + 1) },
      origin,
    });
  },
});
