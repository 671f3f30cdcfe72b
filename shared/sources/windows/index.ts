import { XMLParser } from 'fast-xml-parser';
import { event, skip, reject, type Actor, type ParseOutcome } from '#shared/model/index.ts';
import type { JsonObject } from '#shared/read/envelopes.ts';
import { basename, cleanIp, defineSource, isObject, isoTime, str } from '../common.ts';

/**
 * Windows security events 4663 (object access) and 5145 (share access) — as event XML (WEF, FSx
 * audit logs in CloudWatch Logs), Winlogbeat JSON, or flat JSON (NXLog, Sentinel).
 *
 * Whether an access is a read is decided by AccessMask alone (file access rights, MS-DTYP 2.4.3;
 * the %%44xx strings of AccessList):
 *
 * | bits                                        | meaning                                | read? |
 * |---------------------------------------------|----------------------------------------|-------|
 * | 0x1 ReadData / ListDirectory (%%4416)       | file content (or a folder's listing)   | yes   |
 * | 0x80000000 GENERIC_READ, 0x10000000 GENERIC_ALL, 0x2000000 MAXIMUM_ALLOWED | may include ReadData | yes |
 * | 0x80 ReadAttributes (%%4423) alone, with 0x8 ReadEA, 0x20000 READ_CONTROL, 0x100000 SYNCHRONIZE | metadata only | no |
 * | 0x20 Execute / Traverse (%%4421) without ReadData | passing through a folder          | no    |
 * | 0x2, 0x4, 0x10, 0x100 (write), 0x10000 DELETE, 0x40000/0x80000 (DACL, owner) | changes | no |
 *
 * 5145 events on the share root (RelativeTargetName `\` or empty) are listings of the share, and
 * those on IPC$ are named pipes (svcctl, srvsvc, lsarpc…): neither is a file read, whatever the mask.
 * Audit Failure events (keyword 0x10000000000000) are refused accesses: not reads.
 */
interface WinEvent { eventId: number; time?: string; recordId?: string; computer?: string; failed?: boolean; data: Record<string, string> }

const READ_DATA = 0x1;
const READ_LIKE = READ_DATA | 0x80000000 | 0x10000000 | 0x2000000;
const WRITE_LIKE = 0x2 | 0x4 | 0x10 | 0x40 | 0x100 | 0x40000 | 0x80000 | 0x40000000;
const AUDIT_FAILURE = 0x10000000000000n;

/** Why an access mask is not a read, in the words of the table above. */
function notARead(mask: number): string {
  if (mask & WRITE_LIKE) return 'a write or a permission change';
  if (mask & 0x10000) return 'a delete';
  if (mask & 0x20) return 'a traverse (Execute) without ReadData';
  if (mask & (0x80 | 0x8 | 0x20000)) return 'metadata only (ReadAttributes, ReadEA or READ_CONTROL)';
  return 'no ReadData';
}

const isFailureKeyword = (k: string | undefined): boolean => {
  // Stryker disable next-line ConditionalExpression: the hex test below is false for undefined as well
  if (!k) return false;
  try {
    // Stryker disable next-line Regex: BigInt refuses whatever an unanchored pattern lets through, and the catch makes that false
    return /^0x[0-9a-f]+$/i.test(k) && (BigInt(k) & AUDIT_FAILURE) !== 0n;
  } catch {
    // Stryker disable next-line BooleanLiteral: reached only if the pattern above were loosened
    return false;
  }
};
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, parseTagValue: false, isArray: (name) => name === 'Data' });

function fromXml(text: string): WinEvent | string {
  if (/^- </.test(text)) return 'an Event Viewer copy, not XML: remove the "- " markers Event Viewer adds';
  let doc: JsonObject;
  try {
    doc = xml.parse(text, true) as JsonObject;
  } catch (e) {
    return `not well-formed XML: ${(e as Error).message.split('\n')[0]}`;
  }
  const ev = isObject(doc.Event) ? doc.Event : undefined;
  const sys = ev && isObject(ev.System) ? ev.System : undefined;
  if (!ev || !sys) return 'XML without Event/System';
  const data: Record<string, string> = {};
  const eventData = isObject(ev.EventData) ? ev.EventData : {};
  // Stryker disable next-line ArrayDeclaration,ConditionalExpression,LogicalOperator: an unnamed <Data> would land under the key 'undefined', which nothing reads
  for (const d of Array.isArray(eventData.Data) ? eventData.Data : []) if (isObject(d) && typeof d['@Name'] === 'string') data[d['@Name']] = String(d['#text'] ?? '');
  const created = isObject(sys.TimeCreated) ? str(sys.TimeCreated['@SystemTime']) : undefined;
  const failed = isFailureKeyword(str(sys.Keywords));
  return { ...(failed ? { failed } : {}), eventId: Number(isObject(sys.EventID) ? sys.EventID['#text'] : sys.EventID), ...(created ? { time: created } : {}), ...(sys.EventRecordID !== undefined ? { recordId: String(sys.EventRecordID) } : {}), ...(str(sys.Computer) ? { computer: str(sys.Computer)! } : {}), data };
}

function fromJson(r: JsonObject): WinEvent | undefined {
  const w = isObject(r.winlog) ? r.winlog : undefined;
  if (w && isObject(w.event_data)) {
    // Only text and numbers: an object (`{"toString":0}` in hostile JSON) cannot even be made a string.
    const data = Object.fromEntries(Object.entries(w.event_data).filter(([, v]) => typeof v === 'string' || typeof v === 'number').map(([k, v]) => [k, String(v)]));
    const time = str(w.time_created) ?? str(r['@timestamp']);
    const outcome = isObject(r.event) ? str(r.event.outcome) : undefined;
    const failed = outcome === 'failure' || (Array.isArray(w.keywords) && w.keywords.includes('Audit Failure'));
    return { ...(failed ? { failed } : {}), eventId: Number(w.event_id), ...(time ? { time } : {}), ...(w.record_id !== undefined ? { recordId: String(w.record_id) } : {}), ...(str(w.computer_name) ? { computer: str(w.computer_name)! } : {}), data };
  }
  const id = r.EventID ?? r.EventId ?? r.event_id;
  if (id === undefined) return undefined;
  const data = Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v === 'string' || typeof v === 'number').map(([k, v]) => [k, String(v)]));
  const time = str(r.TimeCreated) ?? str(r.EventTime) ?? str(r.TimeGenerated) ?? str(r.timestamp);
  const computer = str(r.Computer) ?? str(r.Hostname) ?? str(r.computer_name);
  const recordId = r.EventRecordID ?? r.RecordNumber;
  const keywords = str(r.Keywords) ?? str(r.EventType);
  // Stryker disable next-line StringLiteral: Stryker's stand-in text matches no audit failure, like ''
  const failed = isFailureKeyword(keywords) || /audit[_ ]failure/i.test(keywords ?? '');
  return { ...(failed ? { failed } : {}), eventId: Number(id), ...(time ? { time } : {}), ...(recordId !== undefined ? { recordId: String(recordId) } : {}), ...(computer ? { computer } : {}), data };
}

/** Doubled backslashes of JSON-in-JSON copies become single ones; paths use forward slashes in URIs. */
const unescape = (s: string) => s.replace(/\\\\+/g, '\\');
const slashes = (s: string) => unescape(s).replace(/\\/g, '/');

/** 4663 ResourceAttributes (SDDL claims): `(\"Name\",TS,0x0,\"ITAR\")`, `(\"Impact_MS\",TI,0x10020,3000)` → tags. */
export function resourceTags(sddl: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  // Stryker disable next-line StringLiteral: Stryker's stand-in text holds no SDDL claim, like ''
  for (const m of (sddl ?? '').matchAll(/\(\s*"((?:[^"\\]|\\.)+)"\s*,\s*T[A-Z]\s*,\s*0x[0-9a-f]+\s*,\s*((?:"[^"]*"\s*,?\s*)+|[^)]+)\)/gi)) {
    const values = [...m[2]!.matchAll(/"([^"]*)"/g)].map((v) => v[1]!);
    tags[m[1]!.replace(/\\(.)/g, '$1')] = values.length ? values.join(';') : m[2]!.trim();
  }
  return tags;
}

function actorOf(d: Record<string, string>): Actor {
  const user = d.SubjectUserName ?? d.Account?.split('\\').pop() ?? '';
  const domain = d.SubjectDomainName ?? (d.Account?.includes('\\') ? d.Account.split('\\')[0] : undefined);
  if (!user || user === '-') return { candidates: [], anonymous: true };
  const account = `windows:${domain ? `${domain}\\` : ''}${user}`;
  const sid = d.SubjectUserSid ? [`windows-sid:${d.SubjectUserSid}`] : [];
  // Machine accounts (NAME$) and the system's own identities are services, not people.
  // Stryker disable next-line Regex: a SID starts with S-1-5- and no other SID begins S-1-5-18, -19 or -20
  if (user.endsWith('$') || /^S-1-5-(18|19|20)$/.test(d.SubjectUserSid ?? '')) return { candidates: [account, ...sid], service: true, display: account.slice(8) };
  return { candidates: [account, ...sid], display: account.slice(8) };
}

function toOutcome(w: WinEvent, origin: { file: string; line: number }): ParseOutcome {
  if (w.eventId !== 4663 && w.eventId !== 5145) return skip(`not a file access event: Windows event ${w.eventId}`);
  const time = isoTime(w.time);
  if (!time) return reject(`Windows event ${w.eventId} without TimeCreated`);
  if (w.failed) return skip(`request failed: Windows event ${w.eventId} is an Audit Failure`);
  // Stryker disable next-line StringLiteral: Stryker's stand-in text is no hex number either (NaN, as for '')
  const mask = parseInt(w.data.AccessMask ?? '', 16);
  if (Number.isNaN(mask)) return reject(`Windows event ${w.eventId} without AccessMask`);
  if (!(mask & READ_LIKE)) return skip(`not a read: AccessMask ${w.data.AccessMask} is ${notARead(mask)}`);
  const computer = (w.computer ?? 'unknown-computer').toLowerCase();
  const id = `${w.recordId ?? time}@${computer}`;
  const actor = actorOf(w.data);
  if (w.eventId === 5145) {
    const share = unescape(w.data.ShareName ?? '').split('\\').filter((p) => p && p !== '*').pop();
    if (!share) return reject('5145 without ShareName');
    const relative = slashes(w.data.RelativeTargetName ?? '').replace(/^\/+/, '');
    if (share.toUpperCase() === 'IPC$') return skip(`not a file: named pipe ${relative || '(none)'} on IPC$`);
    if (!relative) return skip('not a read: a listing of the share root');
    const ip = cleanIp((w.data.IpAddress ?? '').replace(/^::ffff:/i, ''));
    return event({ id, source: 'windows', time, action: 'view', release: true, actor, ...(ip ? { ip } : {}), resource: { uri: `smb://${computer}/${share}/${relative}`, name: basename(relative) || share }, origin });
  }
  const object = slashes(w.data.ObjectName ?? '');
  if (!object) return reject('4663 without ObjectName');
  if ((w.data.ObjectType ?? 'File') !== 'File') return skip(`not a file: ${w.data.ObjectType}`);
  const tags = resourceTags(w.data.ResourceAttributes);
  return event({ id, source: 'windows', time, action: 'view', release: true, actor, resource: { uri: `file://${computer}/${object}`, name: basename(object), ...(Object.keys(tags).length ? { tags } : {}) }, origin });
}

export const windows = defineSource({
  name: 'windows',
  detect: (r) => (typeof r === 'string' ? /^(- )?<Event[\s>]/.test(r) : (isObject(r.winlog) && 'event_data' in r.winlog) || (('EventID' in r || 'EventId' in r) && ('SubjectUserName' in r || 'Account' in r || 'ObjectName' in r))),
  parse(r, origin) {
    const w = typeof r === 'string' ? fromXml(r) : fromJson(r);
    if (w === undefined) return reject('not a Windows event: no EventID');
    if (typeof w === 'string') return reject(w);
    return toOutcome(w, origin);
  },
});
