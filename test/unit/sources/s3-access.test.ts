import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { s3Access, tokenize } from '#shared/sources/s3-access/index.ts';
import { events, pantherLogs, parseWith, realFixture, handled } from '#test/helpers.ts';

const fixture = (name: string) => readFileSync(realFixture(name), 'utf8');

describe('S3 server access logs — real fixtures', () => {
  it('reads the Elastic sample: a delete, a bucket listing, a service PUT and a lifecycle expiry are not reads', async () => {
    const out = await parseWith(s3Access, fixture('01-s3-access.sample.log'));
    expect(out).toHaveLength(4);
    expect(out.map((o) => (o.kind === 'skip' ? o.reason : o.kind))).toEqual([
      'not a read: BATCH.DELETE.OBJECT', 'not a read: REST.GET.BUCKET', 'not a read: REST.PUT.OBJECT', 'not a read: S3.EXPIRE.OBJECT',
    ]);
    for (const line of fixture('01-s3-access.sample.log').trim().split('\n')) expect(s3Access.detect(line)).toBe(true);
  });

  it('tolerates 24, 25 and 26+ fields (access point ARN, aclRequired, trailing fields)', () => {
    const lines = fixture('01-s3-access.sample.log').trim().split('\n');
    expect(lines.map((l) => tokenize(l).length)).toEqual([24, 24, 26, 26]);
  });

  it('reads the AWS documentation records, including a +0200 time zone', async () => {
    const out = await parseWith(s3Access, fixture('01-s3-access.sample-awsdocs-beats.log'));
    expect(out.map((o) => o.kind)).toEqual(['skip', 'skip', 'skip']);
    expect(out[0]).toEqual({ kind: 'skip', reason: 'not a read: REST.GET.BUCKETPOLICY' });
  });

  it('turns a REST.GET.OBJECT into an anonymous download event', async () => {
    const [e] = events(await parseWith(s3Access, fixture('01-s3-access.sample-get-object.log')));
    expect(e).toMatchObject({
      id: 'DD6CC733AEXAMPLE:s3-dg.pdf', source: 's3-access', time: '2019-02-06T00:01:57.000Z', action: 'download', release: true,
      actor: { candidates: [], anonymous: true }, ip: '192.0.2.3', resource: { uri: 's3://awsexamplebucket1/s3-dg.pdf', name: 's3-dg.pdf' },
    });
    expect(e!.bytes).toBeUndefined(); // Bytes Sent is "-"
  });

  it('the Panther sample is already parsed JSON, not an access log line: not detected as one', () => {
    const [log] = pantherLogs('01-s3-access.sample-panther-parsed-getobject.yml');
    expect(s3Access.detect(log as never)).toBe(false);
    expect(s3Access.parse(log as never, { file: 'x', line: 1 })).toEqual({ kind: 'reject', reason: 'S3 access log records are text lines' });
  });
});

const line = (over: Partial<Record<'time' | 'requester' | 'op' | 'key' | 'status' | 'error' | 'bytes', string>> = {}) => {
  const v = { time: '[14/Oct/2026:08:02:11 +0000]', requester: 'arn:aws:iam::111122223333:user/amoreno', op: 'REST.GET.OBJECT', key: 'hgv/a%20b+c.h5', status: '200', error: '-', bytes: '1024', ...over };
  return `owner bucket-1 ${v.time} 85.214.132.117 ${v.requester} REQ1 ${v.op} ${v.key} "GET /x HTTP/1.1" ${v.status} ${v.error} ${v.bytes} 2048 4 2 "-" "curl/8 \\"quoted\\" agent" - hostid SigV4 suite AuthHeader host TLSv1.2`;
};

describe('S3 server access logs — behaviour', () => {
  it('decodes keys (%20 and + are spaces) and keeps bytes sent', async () => {
    const [e] = events(await parseWith(s3Access, line()));
    expect(e!.resource).toEqual({ uri: 's3://bucket-1/hgv/a b c.h5', name: 'a b c.h5' });
    expect(e!.bytes).toBe(1024);
    expect(e!.actor.candidates).toEqual(['aws:arn:aws:iam::111122223333:user/amoreno']);
  });
  it('206 partial content is a release; 403 is not', async () => {
    expect(events(await parseWith(s3Access, line({ status: '206' })))).toHaveLength(1);
    expect(await parseWith(s3Access, line({ status: '403', error: 'AccessDenied' }))).toEqual([{ kind: 'skip', reason: 'request failed: REST.GET.OBJECT status 403 AccessDenied' }]);
  });
  it('HEAD and PUT are not reads; COPY source reads are copies', async () => {
    expect((await parseWith(s3Access, line({ op: 'REST.HEAD.OBJECT' })))[0]).toEqual({ kind: 'skip', reason: 'not a read: REST.HEAD.OBJECT' });
    expect((await parseWith(s3Access, line({ op: 'REST.PUT.OBJECT' })))[0]!.kind).toBe('skip');
    expect(events(await parseWith(s3Access, line({ op: 'REST.COPY.OBJECT_GET' })))[0]!.action).toBe('copy');
  });
  it('an operation named like an object property (toString, constructor, __proto__) is no read', async () => {
    for (const op of ['toString', 'constructor', '__proto__']) {
      expect(await parseWith(s3Access, line({ op }))).toEqual([{ kind: 'skip', reason: `not a read: ${op}` }]);
    }
  });
  it('an SSO session named by e-mail gives an e-mail candidate; svc: requesters are services', async () => {
    const [sso] = events(await parseWith(s3Access, line({ requester: 'arn:aws:sts::1:assumed-role/AWSReservedSSO_R/li.wei@northfield.edu' })));
    expect(sso!.actor.candidates).toContain('email:li.wei@northfield.edu');
    const [svc] = events(await parseWith(s3Access, line({ requester: 'svc:backup.amazonaws.com' })));
    expect(svc!.actor.service).toBe(true);
  });
  it('converts the time zone to UTC', async () => {
    const [e] = events(await parseWith(s3Access, line({ time: '[09/Feb/2021:14:48:42 +0200]' })));
    expect(e!.time).toBe('2021-02-09T12:48:42.000Z');
  });
  it('rejects short lines and bad times with a reason', async () => {
    expect((await parseWith(s3Access, 'owner bucket [14/Oct/2026:08:02:11 +0000] 1.2.3.4 - REQ REST.GET.OBJ'))[0]).toEqual({ kind: 'reject', reason: 'S3 access log line has 7 fields; at least 17 expected' });
    expect((await parseWith(s3Access, line({ time: '[99/Foo/2021:14:48:42 +0200]' })))[0]!.kind).toBe('reject');
  });
  it('17 fields are enough and 16 are not (the boundary); tokenize with a limit gives only the first fields', async () => {
    const full = 'owner bucket [14/Oct/2026:08:02:11 +0000] 1.2.3.4 arn:aws:iam::1:user/a REQ REST.GET.OBJECT k.txt "GET /k.txt HTTP/1.1" 200 - 10 10 1 1 "-" "ua"';
    expect(tokenize(full)).toHaveLength(17);
    expect(events(await parseWith(s3Access, full))).toHaveLength(1);
    const short = full.slice(0, full.lastIndexOf(' '));
    expect((await parseWith(s3Access, short))[0]).toEqual({ kind: 'reject', reason: 'S3 access log line has 16 fields; at least 17 expected' });
    expect(tokenize(full, 3)).toEqual(['owner', 'bucket', '[14/Oct/2026:08:02:11 +0000]']);
    expect(tokenize(`${full} extra more`, 17)).toEqual(tokenize(full));
  });
  it('every month name of the documented time format, and offsets of either sign with minutes', async () => {
    const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    for (const [i, name] of names.entries()) {
      const [e] = events(await parseWith(s3Access, line({ time: `[15/${name}/2026:08:02:11 +0000]` })));
      expect(e!.time).toBe(`2026-${String(i + 1).padStart(2, '0')}-15T08:02:11.000Z`);
    }
    expect(events(await parseWith(s3Access, line({ time: '[14/Oct/2026:20:02:11 -0500]' })))[0]!.time).toBe('2026-10-15T01:02:11.000Z');
    expect(events(await parseWith(s3Access, line({ time: '[14/Oct/2026:08:02:11 +0530]' })))[0]!.time).toBe('2026-10-14T02:32:11.000Z');
  });
  it('a time that is not [dd/Mon/yyyy:HH:MM:SS +zzzz] is rejected with the field and the format', async () => {
    expect(await parseWith(s3Access, line({ time: '[14/Oct/2026:08:02:11]' }))).toEqual([{ kind: 'reject', reason: 'S3 access log time [14/Oct/2026:08:02:11] is not [dd/Mon/yyyy:HH:MM:SS +zzzz]' }]);
    expect(await parseWith(s3Access, line({ time: '[14/Okt/2026:08:02:11 +0000]' }))).toEqual([{ kind: 'reject', reason: 'S3 access log time [14/Okt/2026:08:02:11 +0000] is not [dd/Mon/yyyy:HH:MM:SS +zzzz]' }]);
  });
  it('a key with only %-escapes or only + is decoded too', async () => {
    expect(events(await parseWith(s3Access, line({ key: 'hgv/a%20b.h5' })))[0]!.resource.uri).toBe('s3://bucket-1/hgv/a b.h5');
    expect(events(await parseWith(s3Access, line({ key: 'hgv/a+b.h5' })))[0]!.resource.uri).toBe('s3://bucket-1/hgv/a b.h5');
    expect(events(await parseWith(s3Access, line({ key: 'hgv/%E0%A4%A.h5' })))[0]!.resource.uri).toBe('s3://bucket-1/hgv/%E0%A4%A.h5'); // not valid escapes: kept as logged
  });
  it('a line that is no read is skipped as such whatever else is wrong with it: it is never a release, so nothing goes to quarantine', async () => {
    expect(await parseWith(s3Access, line({ op: 'REST.PUT.OBJECT', time: '[99/Foo/2021:14:48:42 +0200]' }))).toEqual([{ kind: 'skip', reason: 'not a read: REST.PUT.OBJECT' }]);
    expect(await parseWith(s3Access, 'owner bucket [14/Oct/2026:08:02:11 +0000] 1.2.3.4 - REQ REST.HEAD.OBJECT k.txt')).toEqual([{ kind: 'skip', reason: 'not a read: REST.HEAD.OBJECT' }]);
    // A read with the same faults is rejected: the operation alone does not make a release.
    expect((await parseWith(s3Access, line({ time: '[99/Foo/2021:14:48:42 +0200]' })))[0]!.kind).toBe('reject');
    expect((await parseWith(s3Access, 'owner bucket [14/Oct/2026:08:02:11 +0000] 1.2.3.4 - REQ REST.GET.OBJECT k.txt'))[0]!.kind).toBe('reject');
  });
  it('the operation is found when a field before it holds a quoted space or two spaces separate fields', async () => {
    expect(events(await parseWith(s3Access, line().replace('REQ1', '"REQ 1"')))[0]!.id).toBe('"REQ 1":hgv/a b c.h5');
    expect(events(await parseWith(s3Access, line().replace(' REQ1 ', '  REQ1 ')))).toHaveLength(1);
    expect(await parseWith(s3Access, line({ op: 'REST.PUT.OBJECT' }).replace('REQ1', '"REQ 1"'))).toEqual([{ kind: 'skip', reason: 'not a read: REST.PUT.OBJECT' }]);
  });
  it('is the source named s3-access (the name sources.* and --source use)', () => {
    expect(s3Access.name).toBe('s3-access');
  });
  it('never throws, whatever the line (fuzz)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), fc.array(fc.string({ maxLength: 30 }), { maxLength: 30 }), (garbage, fields) => {
      for (const text of [garbage, line() + garbage, fields.join(' '), `a b [14/Oct/2026:08:02:11 +0000] ${fields.join(' ')}`]) {
        const outcome = s3Access.parse(text, { file: 'f', line: 1 });
        expect(['event', 'skip', 'reject']).toContain(handled(outcome));
      }
    }), { numRuns: 300 });
  });
});
