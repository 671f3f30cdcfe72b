import { event, skip, reject, type Action, type Actor } from '#shared/model/index.ts';
import type { JsonObject } from '#shared/read/envelopes.ts';
import { cleanIp, defineSource, hashId, isObject, isoTime, str } from '../common.ts';

/** Google Workspace Drive audit activities (Admin SDK Reports API), raw or as Panther flattens them. */
const READS: Record<string, Action> = { download: 'download', copy: 'copy', print: 'download', view: 'view', preview: 'preview' };
/** When an activity holds several events, the one that says most about release. */
const STRENGTH = ['download', 'copy', 'print', 'view', 'preview'];

interface DriveEvent { name: string; params: Record<string, unknown> }

/** `parameters` is a typed list in the API and a plain map in Panther's copy. */
function params(p: unknown): Record<string, unknown> {
  if (Array.isArray(p)) return Object.fromEntries(p.filter(isObject).map((x) => [String(x.name), x.value ?? x.boolValue ?? x.intValue ?? x.multiValue ?? x.multiIntValue]));
  return isObject(p) ? p : {};
}

function eventsOf(r: JsonObject): DriveEvent[] {
  if (typeof r.name === 'string') return [{ name: r.name, params: params(r.parameters) }];
  const list = Array.isArray(r.events) ? r.events : isObject(r.events) ? [r.events] : [];
  return list.filter(isObject).map((e) => ({ name: String(e.name ?? ''), params: params(e.parameters) }));
}

function actorOf(r: JsonObject): Actor {
  const actor = isObject(r.actor) ? r.actor : {};
  const email = str(actor.email);
  if (!email) return str(actor.callerType) === 'KEY' ? { candidates: [`google-key:${str(actor.key) ?? 'key'}`], service: true } : { candidates: [], anonymous: true };
  return { candidates: [`google:${email}`, `email:${email}`], display: email };
}

export const gdrive = defineSource({
  name: 'gdrive',
  detect: (r) => typeof r === 'object' && (r.kind === 'admin#reports#activity' || (isObject(r.id) && r.id.applicationName === 'drive')),
  parse(r, origin) {
    if (typeof r !== 'object') return reject('Google Drive audit records are JSON objects');
    const id = isObject(r.id) ? r.id : {};
    const time = isoTime(id.time);
    if (!time) return reject('Google Drive activity needs id.time');
    if (id.applicationName !== undefined && id.applicationName !== 'drive') return skip(`not Drive: ${String(id.applicationName)}`);
    const events = eventsOf(r).filter((e) => READS[e.name]).sort((a, b) => STRENGTH.indexOf(a.name) - STRENGTH.indexOf(b.name));
    const chosen = events[0];
    if (!chosen) return skip(`not a read: ${eventsOf(r).map((e) => e.name).join(', ') || 'no events'}`);
    const doc = str(chosen.params.doc_id);
    if (!doc) return reject(`${chosen.name} without doc_id`);
    const ip = cleanIp(r.ipAddress);
    const title = str(chosen.params.doc_title);
    return event({
      id: id.uniqueQualifier !== undefined && id.uniqueQualifier !== null ? `${time}:${String(id.uniqueQualifier)}` : hashId(r),
      source: 'gdrive', time, action: READS[chosen.name]!, release: true, actor: actorOf(r),
      ...(ip ? { ip } : {}),
      resource: { uri: `gdrive://${doc}`, ...(title ? { name: title } : {}) },
      origin,
    });
  },
});
