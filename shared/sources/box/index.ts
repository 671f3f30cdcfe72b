import { event, skip, reject, type Action, type Actor, type Resource } from '#shared/model/index.ts';
import type { JsonObject } from '#shared/read/envelopes.ts';
import { cleanIp, defineSource, isEmail, isObject, isoTime, str, withIp } from '../common.ts';

/** Box events: the enterprise stream (admin_logs) and the user stream, in API pages (`entries`) or one per line. */
const READS: Record<string, Action> = {
  DOWNLOAD: 'download', PREVIEW: 'preview', ITEM_OPEN: 'view', ITEM_DOWNLOAD: 'download', ITEM_PREVIEW: 'preview', ITEM_COPY: 'copy', COPY: 'copy',
};
const METADATA = new Set(['METADATA_INSTANCE_CREATE', 'METADATA_INSTANCE_UPDATE', 'METADATA_INSTANCE_DELETE']);
const CLASSIFICATION_KEY = 'Box__Security__Classification__Key';

/** admin_logs keep `additional_details` as an object; some copies as a JSON string. */
function details(r: JsonObject): JsonObject {
  if (isObject(r.additional_details)) return r.additional_details;
  if (typeof r.additional_details === 'string') {
    try {
      const v = JSON.parse(r.additional_details);
      return isObject(v) ? v : {};
    } catch {
      return {};
    }
  }
  return {};
}

/** The Box Shield classification named anywhere in a metadata event's details. */
function classification(value: unknown, depth = 0): string | undefined {
  if (depth > 5 || !value || typeof value !== 'object') return undefined;
  if (isObject(value) && typeof value[CLASSIFICATION_KEY] === 'string') return value[CLASSIFICATION_KEY] as string;
  for (const v of Object.values(value)) {
    const found = classification(v, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function actorOf(r: JsonObject): Actor {
  const by = isObject(r.created_by) ? r.created_by : {};
  const id = by.id === undefined || by.id === null ? undefined : String(by.id);
  const login = str(by.login);
  if (!id && !login) return { candidates: [], anonymous: true };
  if (id === '2' || str(by.name) === 'Anonymous User') return { candidates: [], anonymous: true };
  const candidates = id ? [`box:${id}`] : [];
  if (isEmail(login)) candidates.push(`email:${login}`);
  const display = login ?? str(by.name);
  return display ? { candidates, display } : { candidates };
}

/** The file: admin_logs give `item_id`/`item_name`, the user stream the whole file object. */
function itemOf(r: JsonObject): { id: string; name: string | undefined } | undefined {
  const src = isObject(r.source) ? r.source : {};
  if (src.item_id !== undefined) return { id: String(src.item_id), name: str(src.item_name) };
  if ((src.type === 'file' || src.type === 'folder') && src.id !== undefined) return { id: String(src.id), name: str(src.name) };
  return undefined;
}

function resourceOf(id: string, name: string | undefined, labels?: string[]): Resource {
  const resource: Resource = { uri: `box://${id}` };
  if (name) resource.name = name;
  if (labels) resource.labels = labels;
  return resource;
}

export const box = defineSource({
  name: 'box',
  detect: (r) => typeof r === 'object' && r.type === 'event' && typeof r.event_type === 'string',
  parse(r, origin) {
    if (typeof r !== 'object') return reject('Box events are JSON objects');
    const type = str(r.event_type)!;
    if (!READS[type] && !METADATA.has(type)) return skip(`not a read: ${type}`); // most events: decided cheaply
    const id = str(r.event_id);
    const time = isoTime(r.created_at); // local offset → UTC
    if (!id || !time) return reject(`Box ${type} event needs event_id and created_at`);
    const item = itemOf(r);
    const ip = cleanIp(r.ip_address);
    const actor = actorOf(r);
    if (METADATA.has(type)) {
      const label = classification(details(r));
      if (!item || (!label && type !== 'METADATA_INSTANCE_DELETE')) return skip(`not a classification change: ${type}`);
      return event(withIp({ id, source: 'box', time, actor, origin, action: 'label', release: false, labelChange: 'replace', resource: resourceOf(item.id, item.name, label ? [label] : []) }, ip));
    }
    const action = READS[type]!; // every other event type was skipped above
    if (!item) return reject(`${type} without the file (source.item_id or source.id)`);
    // A copy releases the item copied. The user stream's ITEM_COPY names only the new copy (a file
    // object created by this event, Box adding " (1)" to its name in the same folder): the original
    // is matched by the name it shares, and the reviewer is told.
    const src = isObject(r.source) ? r.source : {};
    const newCopy = action === 'copy' && src.item_id === undefined && isoTime(src.created_at) !== undefined && Math.abs(Date.parse(isoTime(src.created_at)!) - Date.parse(time)) < 60_000;
    const name = newCopy && item.name ? item.name.replace(/ \(\d+\)(?=(\.[^.]*)?$)/, '') : item.name;
    const e = withIp({ id, source: 'box', time, actor, origin, action, release: true, resource: resourceOf(item.id, name) }, ip);
    if (newCopy) e.notes = [`Box names only the new copy (box://${item.id}); the item copied is not in the record, so it is matched by its name`];
    return event(e);
  },
});
