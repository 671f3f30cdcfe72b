import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { samba } from '#shared/sources/samba/index.ts';
import { parseWith, realFixture, handled } from '#test/helpers.ts';

const origin = { file: 'f', line: 1 };

describe('Samba full_audit — the documented sample (prefix %u|%I)', () => {
  it('opendir, create_file and an open for writing are not reads', async () => {
    const out = await parseWith(samba({ prefix: '%u|%I' }), readFileSync(realFixture('09-samba-full-audit.sample.log'), 'utf8'));
    expect(out.map((o) => (o.kind === 'event' ? 'event' : `${o.kind}: ${o.reason}`))).toEqual([
      'skip: not a read: opendir',
      'skip: not a read: create_file',
      'skip: not a read: open for writing',
      'skip: not a read: create_file',
    ]);
  });
  it('a read in the sample\'s form, without a syslog header, has no time and is rejected with that reason', () => {
    const reason = 'no time: Samba full_audit lines need their syslog timestamp (the line has no syslog header)';
    expect(samba({ prefix: '%u|%I' }).parse('smbd_audit: nobody|192.168.234.1|open|ok|r|/tmp/file.txt', origin)).toEqual({ kind: 'reject', reason });
    expect(samba().parse('smbd_audit: lwei|10.0.0.1|PC|Lab|openat|ok|r|HGV/a.h5', origin)).toEqual({ kind: 'reject', reason });
  });
});

// Lines as syslog writes them (authored: no public sample carries a header). Built per test: Stryker activates a mutant only once tests run.
const sambaSource = () => samba({ year: 2026 });
describe('Samba full_audit — with the default prefix %u|%I|%m|%S', () => {
  it('openat for reading is a release; the share and the path make the URI', () => {
    const out = sambaSource().parse('Oct 15 09:00:01 fs1 smbd_audit: lwei|10.20.31.7|LAB-PC7|Lab|openat|ok|r|HGV/runs/case12.h5', origin);
    expect(out).toMatchObject({ kind: 'event', event: { source: 'samba', time: '2026-10-15T09:00:01.000Z', action: 'view', ip: '10.20.31.7', actor: { candidates: ['samba:lwei'] }, resource: { uri: 'smb://fs1/Lab/HGV/runs/case12.h5', name: 'case12.h5' } } });
  });
  it('a path containing | is kept whole', () => {
    expect(sambaSource().parse('2026-10-15T09:00:01.123+02:00 fs1 smbd[812]: smbd_audit: lwei|10.0.0.1|PC|Lab|open|ok|r|odd|name.txt', origin)).toMatchObject({ kind: 'event', event: { time: '2026-10-15T07:00:01.123Z', resource: { uri: 'smb://fs1/Lab/odd|name.txt' } } });
  });
  it('writes, failures and other operations are not reads; a guest is anonymous', () => {
    expect(sambaSource().parse('Oct 15 09:00:01 fs1 smbd_audit: lwei|10.0.0.1|PC|Lab|unlinkat|ok|x', origin)).toEqual({ kind: 'skip', reason: 'not a read: unlinkat' });
    expect(sambaSource().parse('Oct 15 09:00:01 fs1 smbd_audit: lwei|10.0.0.1|PC|Lab|pread|ok|x', origin)).toEqual({ kind: 'skip', reason: 'not a read: pread' });
    expect(sambaSource().parse('Oct 15 09:00:01 fs1 smbd_audit: lwei|10.0.0.1|PC|Lab|openat|ok|w|x', origin)).toEqual({ kind: 'skip', reason: 'not a read: openat for writing' });
    expect(sambaSource().parse('Oct 15 09:00:01 fs1 smbd_audit: lwei|10.0.0.1|PC|Lab|openat|fail (Permission denied)|r|x', origin)).toEqual({ kind: 'skip', reason: 'request failed: openat fail (Permission denied)' });
    expect(sambaSource().parse('Oct 15 09:00:01 fs1 smbd_audit: nobody|10.0.0.1|PC|Public|openat|ok|r|x', origin)).toMatchObject({ kind: 'event', event: { actor: { anonymous: true } } });
  });
  it('a short line names the prefix it expected', () => {
    expect(sambaSource().parse('Oct 15 09:00:01 fs1 smbd_audit: lwei|openat|ok', origin)).toEqual({ kind: 'reject', reason: 'Samba full_audit line has 3 fields; the prefix %u|%I|%m|%S needs at least 6' });
  });
  it('RFC 3164 times take the latest year that is not in the future (fixed clock)', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-06-15T12:00:00Z'));
      const time = (stamp: string) => { const o = samba().parse(`${stamp} fs1 smbd_audit: a|10.0.0.1|PC|S|openat|ok|r|x`, origin); return o.kind === 'event' ? o.event.time : o.kind; };
      expect(time('Jun 15 11:00:00')).toBe('2026-06-15T11:00:00.000Z');
      expect(time('Mar  2 08:00:00')).toBe('2026-03-02T08:00:00.000Z');
      expect(time('Jul 20 08:00:00')).toBe('2025-07-20T08:00:00.000Z'); // July 2026 is in the future
    } finally {
      vi.useRealTimers();
    }
  });
  it('never throws (fuzz)', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 20 }), { maxLength: 12 }), fc.string({ maxLength: 40 }), (fields, head) => {
      for (const r of [`${head} smbd_audit: ${fields.join('|')}`, `Oct 15 09:00:01 fs1 smbd_audit: ${fields.join('|')}`, fields.join('|')]) expect(['event', 'skip', 'reject']).toContain(handled(sambaSource().parse(r, origin)));
    }), { numRuns: 300 });
  });
});
