import { event, skip, reject, type Actor } from '#shared/model/index.ts';
import { basename, cleanIp, defineSource, num, rememberLast, withIp } from '../common.ts';
import { awsArnActor } from '../aws-identity.ts';

/**
 * Amazon S3 server access logs: space-separated positional fields, `[time]` and `"quoted"`
 * fields, `-` for none, and fields appended at the end over the years (ignored).
 */
const F = { bucket: 1, time: 2, ip: 3, requester: 4, requestId: 5, operation: 6, key: 7, status: 9, error: 10, bytes: 11 } as const;
const MIN_FIELDS = 17;
const LINE = /^\S+ \S+ \[\d{2}\/[A-Za-z]{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] /;
/** The operations that release an object's content (a Map: a line's `toString` is no operation). */
const READS = new Map<string, 'download' | 'copy'>([
  ['REST.GET.OBJECT', 'download'],
  ['WEBSITE.GET.OBJECT', 'download'],
  ['REST.GET.OBJECT_TORRENT', 'download'],
  ['REST.COPY.OBJECT_GET', 'copy'],
  ['REST.COPY.PART_GET', 'copy'],
]);
/** What an operation looks like (`REST.GET.OBJECT`): a pre-check that finds none falls back to reading every field. */
const OPERATION = /^[A-Z0-9_]+\.[A-Z0-9_.]+$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Splits on spaces, keeping `[…]` and `"…"` fields whole (quotes inside are not escaped in practice);
 * the first `limit` fields only, when given.
 */
export function tokenize(line: string, limit = Infinity): string[] {
  return readFields(line, limit).fields;
}

/** The first `keep` fields of `line`, and how many fields it has, counted up to `limit`. */
function readFields(line: string, keep: number, limit = keep): { fields: string[]; count: number } {
  const fields: string[] = [];
  let count = 0;
  let i = 0;
  while (i < line.length && count < limit) {
    if (line[i] === ' ') { i++; continue; }
    let end: number;
    if (line[i] === '[') {
      end = line.indexOf(']', i);
      end = end === -1 ? line.length : end + 1;
    } else if (line[i] === '"') {
      end = line.indexOf('" ', i + 1);
      end = end === -1 ? line.length : end + 1;
    } else {
      end = line.indexOf(' ', i);
      if (end === -1) end = line.length;
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the fields past `keep` are never read, so taking them changes no answer
    if (count < keep) fields.push(line.slice(i, end));
    count++;
    i = end;
  }
  return { fields, count };
}

const parseTime = rememberLast(convertTime);

function convertTime(field: string): string | undefined {
  const m = /^\[(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]$/.exec(field);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2]!);
  if (month < 0) return undefined;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const ms = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset * 60_000;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Object keys are URL-encoded, with `+` for a space. */
export function decodeKey(key: string): string {
  if (!key.includes('%') && !key.includes('+')) return key; // nothing encoded: most keys
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

function requesterActor(requester: string): Actor {
  if (requester === '-') return { candidates: [], anonymous: true };
  if (requester.startsWith('svc:') || requester === 'AmazonS3') return { candidates: [`aws:${requester}`], service: true, display: requester };
  if (requester.startsWith('arn:')) return awsArnActor(requester);
  return { candidates: [`aws:${requester}`], display: requester }; // canonical user id
}

export const s3Access = defineSource({
  name: 's3-access',
  detect: (record) => typeof record === 'string' && LINE.test(record),
  parse(record, origin) {
    if (typeof record !== 'string') return reject('S3 access log records are text lines');
    // Most records are not reads: find the operation (after 7 spaces, the time holding one) first.
    let at = -1;
    for (let n = 0; n < 7 && (at = record.indexOf(' ', at + 1)) !== -1; n++);
    const opEnd = at === -1 ? -1 : record.indexOf(' ', at + 1);
    const quickOp = opEnd === -1 ? undefined : record.slice(at + 1, opEnd);
    if (quickOp && !READS.has(quickOp) && OPERATION.test(quickOp)) return skip(`not a read: ${quickOp}`);
    const { fields: f, count } = readFields(record, F.bytes + 1, MIN_FIELDS); // the fields read are the first ones
    if (count < MIN_FIELDS) return reject(`S3 access log line has ${count} fields; at least ${MIN_FIELDS} expected`);
    const time = parseTime(f[F.time]!);
    if (!time) return reject(`S3 access log time ${f[F.time]} is not [dd/Mon/yyyy:HH:MM:SS +zzzz]`);
    const operation = f[F.operation]!;
    const action = READS.get(operation);
    if (!action) return skip(`not a read: ${operation}`);
    const status = f[F.status]!;
    if (status !== '200' && status !== '206') return skip(`request failed: ${operation} status ${status}${f[F.error] !== '-' ? ` ${f[F.error]}` : ''}`);
    const rawKey = f[F.key]!;
    if (rawKey === '-') return reject(`${operation} without an object key`);
    const key = decodeKey(rawKey);
    const bucket = f[F.bucket]!;
    const e = withIp({
      id: `${f[F.requestId]}:${key}`,
      source: 's3-access',
      time,
      action,
      release: true,
      actor: requesterActor(f[F.requester]!),
      resource: { uri: `s3://${bucket}/${key}`, name: basename(key) },
      origin,
    }, cleanIp(f[F.ip]));
    const bytes = num(f[F.bytes]);
    if (bytes !== undefined) e.bytes = bytes;
    return event(e);
  },
});
