import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { samba } from '#shared/sources/samba/index.ts';
import { PEOPLE_HEADER, handled, parseWith, policyFrom, realFixture } from '#test/helpers.ts';

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

// Samples written from the documented shapes (test/fixtures/variants/README.md names each source).
const variant = (name: string) => readFileSync(new URL(`../../fixtures/variants/logs/${name}`, import.meta.url));
const summary = (out: Awaited<ReturnType<typeof parseWith>>) => out.map((o) => (o.kind === 'event' ? `${o.event.time} ${o.event.resource.uri} ${o.event.actor.candidates.join(',') || 'anonymous'}` : `${o.kind}: ${o.reason}`));

describe('Samba full_audit — every framing the daemon and the collectors really write', () => {
  it('RFC 3164 with <PRI> and a tag with a process id; absolute paths cut at the share directory', async () => {
    expect(summary(await parseWith(samba({ year: 2026 }), variant('samba-syslog-rfc3164.log')))).toEqual([
      '2026-10-15T09:00:01.000Z smb://fs1/research/HGV/runs/case12.h5 samba:lwei',
      'skip: not a read: pread_recv',
      'skip: not a read: openat for writing',
      'skip: request failed: openat fail (Permission denied)',
      '2026-10-15T09:00:05.000Z smb://fs1/public/IT/printer-guide.pdf anonymous', // share-relative path kept as it is
      '2026-10-15T09:00:06.000Z smb://fs1/Research/HGV/mesh|v2.step samba:ACME\\lwei,windows:ACME\\lwei', // share name in another case
    ]);
  });
  it('RFC 5424: the time with its offset, structured data and the BOM before the message; other programs are skipped', async () => {
    expect(summary(await parseWith(samba(), variant('samba-syslog-rfc5424.log')))).toEqual([
      '2026-10-01T13:19:54.000Z smb://fs2/public/IT/x.pdf samba:lwei',
      '2026-10-01T13:19:55.004Z smb://fs2.acme.edu/public/IT/y.pdf samba:lwei',
      'skip: not a read: unlinkat',
      'skip: syslog message of another program: systemd',
    ]);
  });
  it("Samba's own log file: a header line, then the message on indented lines, or on the same line", async () => {
    expect(summary(await parseWith(samba({ host: 'FS5' }), variant('log.smbd')))).toEqual([
      '2026-10-15T09:00:01.123Z smb://fs5/research/HGV/runs/case12.h5 samba:lwei',
      'skip: not a read: openat for writing',
      'skip: Samba log message, not a full_audit record: smbd version 4.19.5 started. Copyright Andrew Tridgell and t',
      '2026-10-15T09:00:04.000Z smb://fs5/research/HGV/runs/case13.h5 samba:mkumar',
    ]);
  });
  it('journald JSON: microsecond time, host, MESSAGE as text or as bytes', async () => {
    expect(summary(await parseWith(samba(), variant('samba-journald.jsonl')))).toEqual([
      '2026-10-15T09:00:01.123Z smb://fs3/research/HGV/runs/case12.h5 samba:lwei',
      '2026-10-15T09:00:02.000Z smb://fs3/research/HGV/data-\ufffd.bin samba:lwei',
      'skip: syslog message of another program: smbd',
    ]);
  });
  it('rsyslog JSON: msg, programname and @timestamp with its offset', async () => {
    expect(summary(await parseWith(samba(), variant('samba-rsyslog.jsonl')))).toEqual([
      '2026-10-15T07:00:01.123Z smb://fs4/research/HGV/runs/case12.h5 samba:lwei',
      'skip: not a read: mkdirat',
      'skip: syslog message of another program: sshd',
    ]);
  });
  it('a JSON record whose message is a whole syslog line is read as that line', () => {
    const out = samba({ year: 2026 }).parse({ message: '<13>Oct 15 09:00:01 fs6 smbd_audit[7]: lwei|10.0.0.1|PC|Lab|openat|ok|r|a.txt', '@timestamp': '2026-10-15T09:00:09Z' }, origin);
    expect(out).toMatchObject({ kind: 'event', event: { time: '2026-10-15T09:00:01.000Z', resource: { uri: 'smb://fs6/Lab/a.txt' } } });
  });
});

describe('Samba paths: sources.samba.shares, and the default without it', () => {
  const line = (share: string, path: string) => `2026-10-15T09:00:01Z fs1 smbd_audit: lwei|10.0.0.1|PC|${share}|openat|ok|r|${path}`;
  const uri = (src: ReturnType<typeof samba>, share: string, path: string) => { const o = src.parse(line(share, path), origin); return o.kind === 'event' ? o.event.resource.uri : o.reason; };
  it('a configured share directory is cut, whatever the directory is called', () => {
    const src = samba({ shares: { hgv: '/export/projects/h-g-v/', public: '/srv/pub' } });
    expect(uri(src, 'hgv', '/export/projects/h-g-v/runs/a.h5')).toBe('smb://fs1/hgv/runs/a.h5');
    expect(uri(src, 'HGV', '/EXPORT/projects/h-g-v/runs/b.h5')).toBe('smb://fs1/HGV/runs/b.h5');
  });
  it('a path outside the named share goes to the share whose directory holds it (the deepest one)', () => {
    const src = samba({ prefix: '%u|%I', shares: { data: '/srv/data', proj: '/srv/data/proj' } });
    const at = (path: string) => { const o = src.parse(`2026-10-15T09:00:01Z fs1 smbd_audit: lwei|10.0.0.1|openat|ok|r|${path}`, origin); return o.kind === 'event' ? o.event.resource.uri : o.reason; };
    expect(at('/srv/data/proj/x.txt')).toBe('smb://fs1/proj/x.txt');
    expect(at('/srv/data/other/x.txt')).toBe('smb://fs1/data/other/x.txt');
    expect(at('/home/lwei/x.txt')).toBe('smb://fs1/home/lwei/x.txt'); // no share known: the server path
  });
  it('by default the first directory named like the share is the share root', () => {
    const src = samba();
    expect(uri(src, 'public', '/srv/shares/public/IT/x.pdf')).toBe('smb://fs1/public/IT/x.pdf');
    expect(uri(src, 'public', '/srv/public/docs/public/y.pdf')).toBe('smb://fs1/public/docs/public/y.pdf');
    expect(uri(src, 'homes', '/home/lwei/z.txt')).toBe('smb://fs1/homes/home/lwei/z.txt'); // not in the path: kept whole
    expect(uri(src, 'public', 'IT/x.pdf')).toBe('smb://fs1/public/IT/x.pdf');
    expect(uri(src, 'public', './IT//x.pdf')).toBe('smb://fs1/public/IT/x.pdf');
  });
  it('opening the share root itself is not a file', () => {
    expect(samba().parse(line('public', '/srv/shares/public'), origin)).toEqual({ kind: 'skip', reason: 'not a file: openat of the share root' });
  });
});

describe('sources.samba.shares in ittmon.yaml', () => {
  const config = (shares: string) => ({ 'ittmon.yaml': `home: US\ndirectory: people.csv\ndatasets:\n  - { id: d, name: D, jurisdiction: EAR, classification: EAR99, match: { paths: ['smb://**'] } }\nsources:\n  samba:\n    shares: ${shares}\n`, 'people.csv': `${PEOPLE_HEADER}\n` });
  it('maps share names to the absolute directories they export', async () => {
    expect((await policyFrom(config('{ public: /srv/shares/public, Research: /export/research }'))).sources.samba?.shares).toEqual({ public: '/srv/shares/public', Research: '/export/research' });
  });
  it('a relative directory is an error that names the field and the fix', async () => {
    await expect(policyFrom(config('{ public: srv/shares/public }'))).rejects.toThrow(/sources\.samba\.shares\.public.*absolute directory the share exports/s);
  });
});

describe('Samba full_audit — the fields of a line, at their boundaries', () => {
  const at = (message: string, settings: Parameters<typeof samba>[0] = {}) => samba({ year: 2026, ...settings }).parse(`Oct 15 09:00:01 fs1 smbd_audit: ${message}`, origin);
  it('the prefix, the operation and its result are the least a line holds: one field fewer is rejected', () => {
    // Default prefix (4 fields): 6 fields are enough to judge the operation, 5 are not.
    expect(at('lwei|10.0.0.1|PC|Lab|close|ok')).toEqual({ kind: 'skip', reason: 'not a read: close' });
    expect(at('lwei|10.0.0.1|PC|Lab|openat')).toEqual({ kind: 'reject', reason: 'Samba full_audit line has 5 fields; the prefix %u|%I|%m|%S needs at least 6' });
    // A two-field prefix: 4 are enough, 3 are not.
    expect(at('lwei|10.0.0.1|close|ok', { prefix: '%u|%I' })).toEqual({ kind: 'skip', reason: 'not a read: close' });
    expect(at('lwei|10.0.0.1|openat', { prefix: '%u|%I' })).toEqual({ kind: 'reject', reason: 'Samba full_audit line has 3 fields; the prefix %u|%I needs at least 4' });
  });
  it('an open without its mode, or with a mode that is neither r nor w, is not a read and says which', () => {
    expect(at('lwei|10.0.0.1|PC|Lab|openat|ok')).toEqual({ kind: 'skip', reason: 'not a read: openat for undefined' });
    expect(at('lwei|10.0.0.1|PC|Lab|open|ok|rw|a.txt')).toEqual({ kind: 'skip', reason: 'not a read: open for rw' });
    expect(at('lwei|10.0.0.1|PC|Lab|open|ok|w|a.txt')).toEqual({ kind: 'skip', reason: 'not a read: open for writing' });
  });
  it('a read without a path is rejected, with or without the last |', () => {
    expect(at('lwei|10.0.0.1|PC|Lab|openat|ok|r')).toEqual({ kind: 'reject', reason: 'openat without a path' });
    expect(at('lwei|10.0.0.1|PC|Lab|open|ok|r|')).toEqual({ kind: 'reject', reason: 'open without a path' });
  });
  it('whitespace around the message is not part of the first or the last field', () => {
    const out = at('lwei|10.0.0.1|PC|Lab|openat|ok|r|HGV/a.h5   ');
    expect(out).toMatchObject({ kind: 'event', event: { release: true, action: 'view', actor: { candidates: ['samba:lwei'], display: 'lwei' }, resource: { uri: 'smb://fs1/Lab/HGV/a.h5', name: 'a.h5' } } });
    expect(samba({ year: 2026 }).parse('Oct 15 09:00:01 fs1 smbd_audit:   lwei|10.0.0.1|PC|Lab|openat|ok|r|b.h5', origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: ['samba:lwei'] } } });
  });
  it('each prefix field is read where the prefix puts it, the first one included', () => {
    expect(at('10.0.0.9|lwei|Lab|openat|ok|r|a.txt', { prefix: '%I|%u|%S' })).toMatchObject({ kind: 'event', event: { ip: '10.0.0.9', actor: { candidates: ['samba:lwei'] }, resource: { uri: 'smb://fs1/Lab/a.txt' } } });
    expect(at('Lab|lwei|openat|ok|r|a.txt', { prefix: '%S|%u' })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['samba:lwei'] }, resource: { uri: 'smb://fs1/Lab/a.txt' } } });
    // No %u or %U in the prefix: nobody is named, the access is anonymous.
    const out = at('10.0.0.9|Lab|openat|ok|r|a.txt', { prefix: '%I|%S' });
    expect(out).toMatchObject({ kind: 'event', event: { ip: '10.0.0.9', actor: { candidates: [], anonymous: true }, resource: { uri: 'smb://fs1/Lab/a.txt' } } });
  });
  it('a message of another Samba module is skipped even when its text looks like an audit line', () => {
    const line = '[2026/10/15 09:00:01.000000,  0] ../../source3/smbd/open.c:100(open_file)\n  lwei|10.0.0.1|PC|Lab|openat|ok|r|HGV/a.h5';
    expect(samba().parse(line, origin)).toEqual({ kind: 'skip', reason: 'Samba log message, not a full_audit record: lwei|10.0.0.1|PC|Lab|openat|ok|r|HGV/a.h5' });
  });
  it("a line of Samba's own log file has no host: the server is \"samba\" unless sources.samba.host names it", () => {
    const line = '[2026/10/15 09:00:01.000000,  0] ../../source3/modules/vfs_full_audit.c:1200(do_log)\n  lwei|10.0.0.1|PC|Lab|openat|ok|r|HGV/a.h5';
    expect(samba().parse(line, origin)).toMatchObject({ kind: 'event', event: { time: '2026-10-15T09:00:01.000Z', resource: { uri: 'smb://samba/Lab/HGV/a.h5' } } });
    expect(samba({ host: 'FS7' }).parse(line, origin)).toMatchObject({ kind: 'event', event: { resource: { uri: 'smb://fs7/Lab/HGV/a.h5' } } });
  });
  it('a short message of Samba\'s log file is a log message when it reports no result, else a short audit line', () => {
    const head = '[2026/10/15 09:00:01.000000,  0] ';
    expect(samba().parse(`${head}smbd started`, origin)).toEqual({ kind: 'skip', reason: 'Samba log message, not a full_audit record: smbd started' });
    expect(samba().parse(`${head}lwei|openat|ok`, origin)).toEqual({ kind: 'reject', reason: 'Samba full_audit line has 3 fields; the prefix %u|%I|%m|%S needs at least 6' });
    expect(samba().parse(`${head}${'x'.repeat(70)}`, origin)).toEqual({ kind: 'skip', reason: `Samba log message, not a full_audit record: ${'x'.repeat(60)}` });
  });
  it('another program is named in at most 40 characters', () => {
    const program = 'p'.repeat(50);
    expect(samba().parse(`Oct 15 09:00:01 fs1 ${program}[1]: hello`, origin)).toEqual({ kind: 'skip', reason: `syslog message of another program: ${'p'.repeat(40)}` });
  });
});
