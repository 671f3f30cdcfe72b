import { event, skip, reject } from '#shared/model/index.ts';
import { basename, cleanIp, defineSource, hashId, rememberLast } from '../common.ts';
import type { LogSource } from '../types.ts';
import type { SourceSettings } from '../settings.ts';

/**
 * Samba vfs_full_audit lines in syslog: `[header] smbd_audit: <prefix fields>|<op>|<ok|fail (…)>|<op fields>`.
 * The prefix is smb.conf's `full_audit:prefix` (default `%u|%I|%m|%S`); a read is `open`/`openat` ok with `r`.
 * The path comes last and may itself contain `|`.
 */
export const DEFAULT_SAMBA_PREFIX = '%u|%I|%m|%S';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MARKER = 'smbd_audit:';

/** The syslog header's time and host: RFC 5424/ISO, or RFC 3164 (no year: the latest year not in the future). */
function readHeader(text: string, year?: number): { time?: string; host?: string } {
  const iso = /^(?:<\d+>\d?\s*)?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+(\S+)/.exec(text);
  if (iso) {
    const t = new Date(/[Z+-]\d*:?\d*$/.test(iso[1]!.slice(19)) ? iso[1]! : `${iso[1]}Z`);
    return { ...(Number.isNaN(t.getTime()) ? {} : { time: t.toISOString() }), host: iso[2]! };
  }
  const bsd = /^(?:<\d+>)?([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\S+)/.exec(text);
  if (!bsd) return {};
  const month = MONTHS.indexOf(bsd[1]!);
  if (month < 0) return {};
  const now = new Date();
  let y = year ?? now.getUTCFullYear();
  const at = (yy: number) => Date.UTC(yy, month, Number(bsd[2]), Number(bsd[3]), Number(bsd[4]), Number(bsd[5]));
  if (year === undefined && at(y) > now.getTime() + 2 * 86_400_000) y -= 1;
  return { time: new Date(at(y)).toISOString(), host: bsd[6]! };
}

export function samba(settings: SourceSettings['samba'] = {}): LogSource {
  const prefix = (settings.prefix ?? DEFAULT_SAMBA_PREFIX).split('|');
  const user = prefix.indexOf('%u') >= 0 ? prefix.indexOf('%u') : prefix.indexOf('%U');
  const ipField = prefix.indexOf('%I');
  const shareField = prefix.indexOf('%S');
  // Syslog lines come in time order, many to the second: remember the last header read.
  const header = rememberLast((text: string) => readHeader(text, settings.year));
  return defineSource({
    name: 'samba',
    detect: (r) => typeof r === 'string' && r.includes(MARKER),
    parse(r, origin) {
      if (typeof r !== 'string') return reject('Samba audit records are syslog text lines');
      const at = r.indexOf(MARKER);
      if (at < 0) return reject(`not a Samba full_audit line: no "${MARKER}"`);
      const fields = r.slice(at + MARKER.length).trim().split('|');
      if (fields.length < prefix.length + 2) return reject(`Samba full_audit line has ${fields.length} fields; the prefix ${prefix.join('|')} needs at least ${prefix.length + 2}`);
      const op = fields[prefix.length]!;
      const result = fields[prefix.length + 1]!;
      const rest = fields.slice(prefix.length + 2);
      if (op !== 'open' && op !== 'openat') return skip(`not a read: ${op}`);
      if (result !== 'ok') return skip(`request failed: ${op} ${result}`);
      if (rest[0] !== 'r') return skip(`not a read: ${op} for ${rest[0] === 'w' ? 'writing' : rest[0]}`);
      const path = rest.slice(1).join('|').replace(/^\/+/, '');
      if (!path) return reject(`${op} without a path`);
      const { time, host } = header(r.slice(0, at));
      if (!time) return reject('no time: Samba full_audit lines need their syslog timestamp (the line has no syslog header)');
      const account = user >= 0 ? fields[user] : undefined;
      const ip = ipField >= 0 ? cleanIp(fields[ipField]) : undefined;
      const share = shareField >= 0 ? fields[shareField]! : '';
      const server = (settings.host ?? host ?? 'samba').toLowerCase();
      return event({
        id: hashId(r), source: 'samba', time, action: 'view', release: true,
        actor: account && account !== 'nobody' ? { candidates: [`samba:${account}`], display: account } : { candidates: [], anonymous: true },
        ...(ip ? { ip } : {}),
        resource: { uri: `smb://${server}/${share ? `${share}/` : ''}${path}`, name: basename(path) },
        origin,
      });
    },
  });
}
