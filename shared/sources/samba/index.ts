import { event, skip, reject, type Actor } from '#shared/model/index.ts';
import type { JsonObject, RawRecord } from '#shared/read/envelopes.ts';
import { basename, cleanIp, defineSource, hashId, isObject, isoTime, rememberLast, str, withIp } from '../common.ts';
import type { LogSource } from '../types.ts';
import type { SourceSettings } from '../settings.ts';

/**
 * Samba vfs_full_audit: `<prefix fields>|<op>|<ok|fail (…)>|<op fields>`, where the prefix is
 * smb.conf's `full_audit:prefix` (default `%u|%I|%m|%S`) and a read is `open`/`openat` ok with `r`.
 * The path comes last and may itself contain `|`. The same message arrives framed four ways:
 * - syslog text: RFC 3164 (`<13>Oct 15 09:00:01 fs1 smbd_audit[5841]: …`, `<PRI>` optional, as
 *   rsyslog writes files), RFC 5424 (`<166>1 2026-10-15T09:00:01+02:00 fs1 smbd_audit 5841 - - …`),
 *   or ISO-stamped (rsyslog's RSYSLOG_FileFormat);
 * - Samba's own log file (`full_audit:syslog = false`): `[2026/10/15 09:00:01.123456,  0] …vfs_full_audit.c:…(do_log)`
 *   then the message on the indented next line (or on the same line with `debug prefix timestamp`);
 * - journald JSON (`journalctl -o json`: MESSAGE, SYSLOG_IDENTIFIER, _HOSTNAME, __REALTIME_TIMESTAMP);
 * - rsyslog / Elastic JSON (msg or message, programname or appname, hostname, timereported or @timestamp).
 */
export const DEFAULT_SAMBA_PREFIX = '%u|%I|%m|%S';
const TAG = 'smbd_audit';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The tag, with or without a process id: `smbd_audit:` or `smbd_audit[5841]:`. */
const TAG_IN_LINE = /(?:^|\s)smbd_audit(?:\[\d+\])?:\s?/;
/** RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG`. */
const RFC5424 = /^<\d{1,3}>1 (\S+) (\S+) (\S+) \S+ \S+ (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (.*))?$/s;
/** A syslog line of any program (RFC 3164 with or without `<PRI>`, RFC 5424, ISO-stamped): the tag after the host. */
const SYSLOG_LINE = /^(?:<\d{1,3}>)?(?:1 \S+ \S+ (\S+) |(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\S*) \S+ ([^\s:[]+)(?:\[\d+\])?:)/;
const SAMBA_DEBUG = /^\[(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?,\s*\d+[^\]]*\]\s?(.*)$/s;

interface Message {
  text: string; time?: string; host?: string;
  /** A Samba log message that is not full_audit's, or the syslog message of another program. */
  other?: boolean; program?: string;
}

/** The header's time and host: ISO (RFC 5424, RSYSLOG_FileFormat) or RFC 3164 (no year: the latest year not in the future). */
function readHeader(text: string, year?: number): { time?: string; host?: string } {
  const iso = /^(?:<\d+>\d?\s*)?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+(\S+)/.exec(text);
  if (iso) {
    const time = isoTime(iso[1]);
    return { ...(time ? { time } : {}), host: iso[2]! };
  }
  const bsd = /^(?:<\d+>)?([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\S+)/.exec(text);
  if (!bsd) return {};
  const month = MONTHS.indexOf(bsd[1]!);
  if (month < 0) return {};
  const now = new Date();
  let y = year ?? now.getUTCFullYear();
  const at = (yy: number) => Date.UTC(yy, month, Number(bsd[2]), Number(bsd[3]), Number(bsd[4]), Number(bsd[5]));
  if (year === undefined && at(y) > now.getTime() + 2 * 86_400_000) y -= 1;
  const ms = at(y);
  return { ...(Number.isNaN(ms) ? {} : { time: new Date(ms).toISOString() }), host: bsd[6]! };
}

type ReadHeader = (text: string) => { time?: string; host?: string };

/** A text record: a syslog line or a message of Samba's log file. */
function fromText(line: string, header: ReadHeader): Message | string {
  // The first character tells the frames apart without a regex: `[` Samba's log file, `<` a syslog priority.
  const debug = line.charCodeAt(0) === 0x5b ? SAMBA_DEBUG.exec(line) : null;
  if (debug) {
    // Samba writes its log file in the server's local time, without a zone: taken as UTC.
    const [, y, mo, d, h, mi, s, frac, rest] = debug;
    const time = isoTime(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac ?? ''}Z`);
    const nl = rest!.indexOf('\n');
    const location = nl >= 0 ? rest!.slice(0, nl) : '';
    const text = (nl >= 0 ? rest!.slice(nl + 1) : rest!).split('\n').map((l) => l.trim()).join(' ').trim();
    return { text, ...(time ? { time } : {}), other: nl >= 0 && !/full_audit/.test(location) };
  }
  const rfc5424 = line.charCodeAt(0) === 0x3c ? RFC5424.exec(line) : null;
  if (rfc5424 && rfc5424[3] === TAG) {
    return { text: (rfc5424[5] ?? '').replace(/^\uFEFF/, ''), ...timeAndHost(rfc5424[1]!, rfc5424[2]!) };
  }
  const tag = TAG_IN_LINE.exec(line);
  if (!tag) {
    const other = SYSLOG_LINE.exec(line);
    return other ? { text: '', other: true, program: other[1] ?? other[2]! } : `not a Samba full_audit line: no "${TAG}:" tag`;
  }
  const head = line.slice(0, tag.index).trim();
  const text = line.slice(tag.index + tag[0].length);
  if (!head) return { text };
  const { time, host } = header(head); // either may be undefined: a message's fields are read, never listed
  return { text, time, host };
}

function timeAndHost(time: string, host: string): { time?: string; host?: string } {
  const t = isoTime(time);
  return { ...(t ? { time: t } : {}), ...(host !== '-' ? { host } : {}) };
}

/** The tag in the fields journald, rsyslog and Elastic agents write. */
const TAG_FIELDS = ['SYSLOG_IDENTIFIER', 'programname', 'appname', 'app_name', 'app-name', 'syslogtag', 'ident', 'tag'];
const tagOf = (r: JsonObject): string | undefined => {
  for (const k of TAG_FIELDS) if (typeof r[k] === 'string') return (r[k] as string).replace(/(\[\d+\])?:?$/, '');
  const log = isObject(r.log) && isObject(r.log.syslog) ? r.log.syslog : undefined;
  const process = isObject(r.process) ? r.process : undefined;
  return str(log?.appname) ?? str(process?.name);
};
/** A record of a syslog JSON export (journald, rsyslog, Elastic), whatever program wrote it. */
const isSyslogJson = (r: JsonObject): boolean => typeof r.SYSLOG_IDENTIFIER === 'string' || typeof r.programname === 'string' || typeof r.syslogtag === 'string' || (isObject(r.log) && isObject(r.log.syslog));
/** journald writes MESSAGE as an array of bytes when it is not valid UTF-8. */
const messageOf = (r: JsonObject): string | undefined => {
  const m = r.MESSAGE ?? r.msg ?? r.message;
  if (Array.isArray(m) && m.every((b) => typeof b === 'number')) return Buffer.from(m as number[]).toString('utf8');
  return typeof m === 'string' ? m : undefined;
};

/** A JSON export of the syslog line: journald, rsyslog's JSON templates, Elastic agents. */
function fromJson(r: JsonObject, header: ReadHeader): Message | string {
  const message = messageOf(r);
  const raw = str(r.rawmsg);
  if (tagOf(r) !== TAG) {
    // Some exports keep the whole line (rsyslog `rawmsg`, a plain `message`): read it as text.
    const line = [raw, message].find((t) => t && TAG_IN_LINE.test(t));
    if (line) return fromText(line, header);
    const program = isSyslogJson(r) ? tagOf(r) : undefined;
    return program ? { text: '', other: true, program } : `not a Samba full_audit record: no ${TAG} tag in ${TAG_FIELDS.join(', ')}`;
  }
  if (message === undefined) return 'Samba full_audit JSON record without MESSAGE, msg or message';
  const micros = str(r.__REALTIME_TIMESTAMP) ?? (typeof r.__REALTIME_TIMESTAMP === 'number' ? String(r.__REALTIME_TIMESTAMP) : undefined);
  const time = micros && /^\d{13,19}$/.test(micros) ? isoTime(Math.floor(Number(micros) / 1000)) : isoTime(r.timereported ?? r['@timestamp'] ?? r.timestamp ?? r.time ?? r.timegenerated);
  const host = str(r._HOSTNAME) ?? str(r.hostname) ?? str(r.HOSTNAME) ?? (isObject(r.host) ? str(r.host.hostname) ?? str(r.host.name) : str(r.host)) ?? str(r.fromhost);
  // A message that is itself a whole syslog line (a relay kept the header) is read as one.
  const text = TAG_IN_LINE.test(message) ? fromText(message, header) : undefined;
  if (text && typeof text !== 'string') return { ...text, ...(text.time || !time ? {} : { time }), ...(text.host || !host ? {} : { host }) };
  return { text: message, ...(time ? { time } : {}), ...(host ? { host } : {}) };
}

/** Case-insensitive `root` is `path` or a directory above it (Windows clients, Samba shares). */
function under(path: string, root: string): string | undefined {
  const r = root.replace(/\/+$/, '');
  if (path.toLowerCase() === r.toLowerCase()) return '';
  return path.toLowerCase().startsWith(`${r.toLowerCase()}/`) ? path.slice(r.length + 1) : undefined;
}

/**
 * The share and the share-relative path of what was opened. Newer Samba logs `openat` paths
 * relative to the share; older Samba and other operations log the absolute server path. With
 * `shares` configured, the share the line names is used when its directory holds the path, else the
 * share whose directory is the longest prefix of it. Without, a directory named like the share
 * marks the share root (its first occurrence). Otherwise the absolute path is kept under the share.
 */
export function sharePath(path: string, share: string | undefined, shares: Record<string, string> = {}): { share?: string; path: string } {
  const clean = path.includes('//') || path.startsWith('./') ? path.replace(/\/{2,}/g, '/').replace(/^(\.\/)+/, '') : path;
  if (!clean.startsWith('/')) return share ? { share, path: clean } : { path: clean };
  const entries = Object.entries(shares);
  const named = share ? entries.find(([name]) => name.toLowerCase() === share.toLowerCase()) : undefined;
  const inNamed = named ? under(clean, named[1]) : undefined;
  if (named && inNamed !== undefined) return { share: share!, path: inNamed };
  let best: { share: string; path: string; depth: number } | undefined;
  for (const [name, root] of entries) {
    const rel = under(clean, root);
    const depth = root.replace(/\/+$/, '').length;
    if (rel !== undefined && (!best || depth > best.depth)) best = { share: name, path: rel, depth };
  }
  if (best) return { share: best.share, path: best.path };
  if (share) {
    const parts = clean.split('/');
    const at = parts.findIndex((p, i) => i > 0 && p.toLowerCase() === share.toLowerCase());
    if (at > 0) return { share, path: parts.slice(at + 1).join('/') };
  }
  const relative = clean.replace(/^\/+/, '');
  return share ? { share, path: relative } : { path: relative };
}

/** Where the `|` of `text` are. */
function barsOf(text: string): number[] {
  const at: number[] = [];
  // Stryker disable next-line EqualityOperator: charCodeAt past the end is NaN, never a |
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x7c) at.push(i);
  }
  return at;
}
/** Field `n` of `text`, given where its `|` are (the last field runs to the end). */
const fieldOf = (text: string, bars: number[], n: number): string => text.slice((bars[n - 1] ?? -1) + 1, bars[n]);
/** The most common skips: skip() already shares one outcome per reason; these also spare building the reason on every write. */
const OPEN_FOR_WRITING = skip('not a read: open for writing');
const OPENAT_FOR_WRITING = skip('not a read: openat for writing');

export function samba(settings: SourceSettings['samba'] = {}): LogSource {
  const prefix = (settings.prefix ?? DEFAULT_SAMBA_PREFIX).split('|');
  const user = prefix.indexOf('%u') >= 0 ? prefix.indexOf('%u') : prefix.indexOf('%U');
  const ipField = prefix.indexOf('%I');
  const shareField = prefix.indexOf('%S');
  // Syslog lines come in time order, many to the second: remember the last header read.
  const header = rememberLast((text: string) => readHeader(text, settings.year));

  function parseMessage(m: Message, r: RawRecord, origin: { file: string; line: number }) {
    if (m.program) return skip(`syslog message of another program: ${m.program.slice(0, 40)}`);
    if (m.other) return skip(`Samba log message, not a full_audit record: ${m.text.slice(0, 60)}`);
    const text = m.text.trim();
    // Most lines are not reads: their fields are read from where the `|` are, not split off.
    const bars = barsOf(text);
    if (bars.length < prefix.length + 1) {
      if (typeof r === 'string' && SAMBA_DEBUG.test(r) && !/\|(ok|fail)\b/.test(m.text)) return skip(`Samba log message, not a full_audit record: ${m.text.slice(0, 60)}`);
      return reject(`Samba full_audit line has ${bars.length + 1} fields; the prefix ${prefix.join('|')} needs at least ${prefix.length + 2}`);
    }
    const op = fieldOf(text, bars, prefix.length);
    const result = fieldOf(text, bars, prefix.length + 1);
    if (op !== 'open' && op !== 'openat') return skip(`not a read: ${op}`);
    if (result !== 'ok') return skip(`request failed: ${op} ${result}`);
    const mode = bars.length > prefix.length + 1 ? fieldOf(text, bars, prefix.length + 2) : undefined;
    if (mode !== 'r') return mode === 'w' ? (op === 'open' ? OPEN_FOR_WRITING : OPENAT_FOR_WRITING) : skip(`not a read: ${op} for ${mode}`);
    // The path is the rest, `|` and all.
    const logged = bars.length > prefix.length + 2 ? text.slice(bars[prefix.length + 2]! + 1) : '';
    if (!logged) return reject(`${op} without a path`);
    if (!m.time) return reject('no time: Samba full_audit lines need their syslog timestamp (the line has no syslog header)');
    const account = user >= 0 ? fieldOf(text, bars, user) : undefined;
    const ip = ipField >= 0 ? cleanIp(fieldOf(text, bars, ipField)) : undefined;
    const target = sharePath(logged, shareField >= 0 ? fieldOf(text, bars, shareField) || undefined : undefined, settings.shares);
    if (!target.path) return skip(`not a file: ${op} of the share root`);
    const server = (settings.host ?? m.host ?? 'samba').toLowerCase();
    const named = account && account !== 'nobody' ? account : undefined;
    const actor: Actor = named
      ? { candidates: named.includes('\\') ? [`samba:${named}`, `windows:${named}`] : [`samba:${named}`], display: named }
      : { candidates: [], anonymous: true };
    return event(withIp({
      id: hashId(r), source: 'samba', time: m.time, action: 'view', release: true, actor,
      resource: { uri: `smb://${server}/${target.share ? `${target.share}/` : ''}${target.path}`, name: basename(target.path) },
      origin,
    }, ip));
  }

  return defineSource({
    name: 'samba',
    detect: (r) => (typeof r === 'string'
      ? r.includes(TAG) || (r.charCodeAt(0) === 0x5b && SAMBA_DEBUG.test(r)) || SYSLOG_LINE.test(r)
      : isSyslogJson(r) || tagOf(r) === TAG || (typeof r.rawmsg === 'string' && r.rawmsg.includes(`${TAG}`)) || (typeof (r.MESSAGE ?? r.message ?? r.msg) === 'string' && TAG_IN_LINE.test(String(r.MESSAGE ?? r.message ?? r.msg)))),
    parse(r, origin) {
      const m = typeof r === 'string' ? fromText(r, header) : fromJson(r, header);
      if (typeof m === 'string') return reject(m);
      return parseMessage(m, r, origin);
    },
  });
}
