import { event, skip, reject, type Action, type Actor, type Resource } from '#shared/model/index.ts';
import type { JsonObject } from '#shared/read/envelopes.ts';
import { cleanIp, defineSource, hashId, isObject, isoTime, str, withIp } from '../common.ts';

/**
 * Google Workspace Drive audit activities (Admin SDK Reports API), raw or as Panther flattens them.
 * Drive label events (label_added, label_added_by_item_create, label_field_changed, label_removed)
 * classify the document, as M365 sensitivity labels do: the label's title is learned, and each
 * field value as `Title: value` (a config glob `labels: ["Export Control: ITAR*"]` matches it).
 */
const LABEL_ADDS = new Set(['label_added', 'label_added_by_item_create', 'label_applied', 'label_field_changed', 'label_field_value_changed']);
const LABEL_REMOVES = new Set(['label_removed']);
const text = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(text) : typeof v === 'string' && v.trim() ? [v.trim()] : typeof v === 'number' ? [String(v)] : []);

/** The labels a label event names: the title, and `Title: value` for each field value it sets or clears. */
function labelsOf(params: Record<string, unknown>, values: 'new' | 'old'): string[] {
  const title = str(params.label_title) ?? str(params.label_name) ?? str(params.label);
  if (!title) return [];
  const raw = values === 'new'
    ? [params.new_value, params.new_values, params.new_value_display_name, params.field_value]
    : [params.old_value, params.old_values, params.old_value_display_name];
  return [title, ...raw.flatMap(text).map((v) => `${title}: ${v}`)];
}
const READS: Record<string, Action> = { download: 'download', copy: 'copy', print: 'download', view: 'view', preview: 'preview' };
/** When an activity holds several events, the one that says most about release. */
const STRENGTH = ['download', 'copy', 'print', 'view', 'preview'];

interface DriveEvent { name: string; params: Record<string, unknown> }

/** `parameters` is a typed list in the API and a plain map in Panther's copy. */
function params(p: unknown): Record<string, unknown> {
  if (!Array.isArray(p)) return isObject(p) ? p : {};
  const out: Record<string, unknown> = {};
  for (const x of p) if (isObject(x)) out[String(x.name)] = x.value ?? x.boolValue ?? x.intValue ?? x.multiValue ?? x.multiIntValue;
  return out;
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
    const all = eventsOf(r);
    let chosen: DriveEvent | undefined; // the first of the strongest
    for (const e of all) if (READS[e.name] && (!chosen || STRENGTH.indexOf(e.name) < STRENGTH.indexOf(chosen.name))) chosen = e;
    if (!chosen) {
      const labelling = all.filter((e) => LABEL_ADDS.has(e.name) || LABEL_REMOVES.has(e.name));
      if (labelling.length) return labelEvent(r, labelling, time, origin);
      return skip(`not a read: ${all.map((e) => e.name).join(', ') || 'no events'}`);
    }
    const doc = str(chosen.params.doc_id);
    if (!doc) return reject(`${chosen.name} without doc_id`);
    const resource: Resource = { uri: `gdrive://${doc}` };
    const title = str(chosen.params.doc_title);
    if (title) resource.name = title;
    return event(withIp({
      id: id.uniqueQualifier !== undefined && id.uniqueQualifier !== null ? `${time}:${String(id.uniqueQualifier)}` : hashId(r),
      source: 'gdrive', time, action: READS[chosen.name]!, release: true, actor: actorOf(r), resource, origin,
    }, cleanIp(r.ipAddress)));
  },
});

/**
 * What label events say about a document. Values set are added; a label removed takes its title
 * and the values it names away. Old values of a changed field stay learned (a later change may
 * not name them): a stale value can raise a flag to review, never hide one.
 */
function labelEvent(r: JsonObject, labelling: DriveEvent[], time: string, origin: { file: string; line: number }) {
  const doc = labelling.map((e) => str(e.params.doc_id)).find(Boolean);
  if (!doc) return reject(`${labelling[0]!.name} without doc_id`);
  const adds = labelling.filter((e) => LABEL_ADDS.has(e.name)).flatMap((e) => labelsOf(e.params, 'new'));
  // Stryker disable next-line MethodExpression: removes are used only when no add names a title, and an add without one contributes nothing
  const removes = labelling.filter((e) => LABEL_REMOVES.has(e.name)).flatMap((e) => [...labelsOf(e.params, 'old'), ...labelsOf(e.params, 'new')]);
  const change = adds.length ? 'add' : 'remove';
  const labels = [...new Set(adds.length ? adds : removes)];
  if (!labels.length) return reject(`${labelling[0]!.name} without label_title`);
  const id = isObject(r.id) ? r.id : {};
  const title = labelling.map((e) => str(e.params.doc_title)).find(Boolean);
  return event({
    id: id.uniqueQualifier !== undefined && id.uniqueQualifier !== null ? `${time}:${String(id.uniqueQualifier)}` : hashId(r),
    source: 'gdrive', time, action: 'label', release: false, labelChange: change, actor: actorOf(r),
    resource: { uri: `gdrive://${doc}`, ...(title ? { name: title } : {}), labels },
    origin,
  });
}
