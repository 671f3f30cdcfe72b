import { describe, expect, it } from 'vitest';
import { decodeKey, s3Access, tokenize } from '#shared/sources/s3-access/index.ts';

// Field order from the AWS documentation of the server access log format.
const origin = { file: 'f', line: 1 };
const line = (over: Partial<Record<'bucket' | 'time' | 'ip' | 'requester' | 'id' | 'op' | 'key' | 'status' | 'error' | 'bytes', string>> = {}) => {
  const v = { bucket: 'bucket-1', time: '[14/Oct/2026:08:02:11 +0000]', ip: '85.214.132.117', requester: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be', id: 'REQ1', op: 'REST.GET.OBJECT', key: 'hgv/a.h5', status: '200', error: '-', bytes: '1024', ...over };
  return `owner ${v.bucket} ${v.time} ${v.ip} ${v.requester} ${v.id} ${v.op} ${v.key} "GET /x HTTP/1.1" ${v.status} ${v.error} ${v.bytes} 2048 4 2 "-" "curl/8" - hostid SigV4 suite AuthHeader host TLSv1.2`;
};
const parse = (text: string) => s3Access.parse(text, origin);
const event = (text: string) => {
  const o = parse(text);
  if (o.kind !== 'event') throw new Error(`expected an event, got ${o.kind}: ${o.reason}`);
  return o.event;
};

describe('S3 access log reads', () => {
  it('every operation that delivers an object is a read: GET, website GET and torrent downloads, COPY sources copies', () => {
    expect(['REST.GET.OBJECT', 'WEBSITE.GET.OBJECT', 'REST.GET.OBJECT_TORRENT', 'REST.COPY.OBJECT_GET', 'REST.COPY.PART_GET'].map((op) => event(line({ op })).action))
      .toEqual(['download', 'download', 'download', 'copy', 'copy']);
  });
  it('operations that deliver no object are skipped with their name, whatever the status', () => {
    expect(parse(line({ op: 'REST.PUT.OBJECT' }))).toEqual({ kind: 'skip', reason: 'not a read: REST.PUT.OBJECT' });
    expect(parse(line({ op: 'REST.GET.ACL', status: '403' }))).toEqual({ kind: 'skip', reason: 'not a read: REST.GET.ACL' });
  });
  it('200 and 206 are releases; other statuses are skipped with the error code when there is one', () => {
    expect(event(line({ status: '206' })).id).toBe('REQ1:hgv/a.h5');
    expect(parse(line({ status: '304' }))).toEqual({ kind: 'skip', reason: 'request failed: REST.GET.OBJECT status 304' });
    expect(parse(line({ status: '404', error: 'NoSuchKey' }))).toEqual({ kind: 'skip', reason: 'request failed: REST.GET.OBJECT status 404 NoSuchKey' });
  });
  it('a read without an object key is rejected with the operation', () => {
    expect(parse(line({ key: '-' }))).toEqual({ kind: 'reject', reason: 'REST.GET.OBJECT without an object key' });
  });
  it('the event: bucket and decoded key make the URI, the request id and key the id, bytes sent', () => {
    expect(event(line({ bucket: 'lab', id: 'R9', key: 'runs/case%231+v2.h5', bytes: '77' }))).toEqual({
      id: 'R9:runs/case#1 v2.h5', source: 's3-access', time: '2026-10-14T08:02:11.000Z', action: 'download', release: true,
      actor: { candidates: ['aws:79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be'], display: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' },
      ip: '85.214.132.117', resource: { uri: 's3://lab/runs/case#1 v2.h5', name: 'case#1 v2.h5' }, bytes: 77, origin,
    });
  });
  it('no IP and no byte count: the event has neither', () => {
    const e = event(line({ ip: '-', bytes: '-' }));
    expect(e).not.toHaveProperty('ip');
    expect(e).not.toHaveProperty('bytes');
  });
  it('requesters: "-" is anonymous, AWS services and svc: principals are services, ARNs carry an e-mail session', () => {
    expect(event(line({ requester: '-' })).actor).toEqual({ candidates: [], anonymous: true });
    expect(event(line({ requester: 'AmazonS3' })).actor).toEqual({ candidates: ['aws:AmazonS3'], service: true, display: 'AmazonS3' });
    expect(event(line({ requester: 'svc:logging.s3.amazonaws.com' })).actor).toEqual({ candidates: ['aws:svc:logging.s3.amazonaws.com'], service: true, display: 'svc:logging.s3.amazonaws.com' });
    expect(event(line({ requester: 'arn:aws:sts::1:assumed-role/R/li@x.edu' })).actor).toEqual({ candidates: ['aws:arn:aws:sts::1:assumed-role/R/li@x.edu', 'email:li@x.edu'], display: 'li@x.edu' });
  });
  it('detects access log lines by their start, and nothing else', () => {
    expect(s3Access.detect(line())).toBe(true);
    expect(s3Access.detect(line({ time: '[14/Oct/2026:08:02:11 -0700]' }))).toBe(true);
    expect(s3Access.detect(`x ${line()}`)).toBe(false);
    expect(s3Access.detect('owner bucket 2026-10-14T08:02:11Z 1.2.3.4')).toBe(false);
    expect(s3Access.detect({ line: line() } as never)).toBe(false);
  });
});

describe('S3 access log fields', () => {
  it('tokenize keeps [time] and "quoted" fields whole, with spaces inside, and an unterminated one to the end', () => {
    expect(tokenize('a [b c] "d e" f')).toEqual(['a', '[b c]', '"d e"', 'f']);
    expect(tokenize('a  b')).toEqual(['a', 'b']);
    expect(tokenize('a "b c')).toEqual(['a', '"b c']);
    expect(tokenize('a [b c')).toEqual(['a', '[b c']);
    expect(tokenize('"x" y')).toEqual(['"x"', 'y']);
  });
  it('decodeKey: %-escapes and + are decoded; a malformed escape leaves the key as written', () => {
    expect(decodeKey('a%20b+c')).toBe('a b c');
    expect(decodeKey('100%25+done')).toBe('100% done');
    expect(decodeKey('bad%E0%A4%A')).toBe('bad%E0%A4%A');
  });
});
