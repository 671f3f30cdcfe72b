import { describe, expect, it } from 'vitest';
import { samba } from '#shared/sources/samba/index.ts';

const origin = { file: 'f', line: 1 };
const head = '2026-10-15T09:00:01Z fs1';

describe('Samba full_audit prefixes (smb.conf full_audit:prefix)', () => {
  it('the default prefix %u|%I|%m|%S: user, IP and share', () => {
    expect(samba().parse(`${head} smbd_audit: lwei|10.0.0.7|PC|Lab|openat|ok|r|HGV/a.h5`, origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: ['samba:lwei'], display: 'lwei' }, ip: '10.0.0.7', resource: { uri: 'smb://fs1/Lab/HGV/a.h5', name: 'a.h5' } } });
  });
  it('%U (the session user) stands in for %u; a prefix without %I or %S gives no IP and no share', () => {
    const out = samba({ prefix: '%U|%m' }).parse(`${head} smbd_audit: lwei|PC|open|ok|r|/srv/a.h5`, origin);
    expect(out).toMatchObject({ kind: 'event', event: { actor: { candidates: ['samba:lwei'] }, resource: { uri: 'smb://fs1/srv/a.h5' } } });
    expect(out.kind === 'event' && 'ip' in out.event).toBe(false);
  });
  it('a prefix without a user is anonymous; so is the guest account "nobody"', () => {
    expect(samba({ prefix: '%I|%S' }).parse(`${head} smbd_audit: 10.0.0.7|Lab|open|ok|r|a.h5`, origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true }, ip: '10.0.0.7' } });
    expect(samba().parse(`${head} smbd_audit: nobody|10.0.0.7|PC|Lab|open|ok|r|a.h5`, origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
  });
  it('the server is the configured host, else the syslog host, lower-cased', () => {
    expect(samba({ host: 'FS-Main' }).parse(`${head} smbd_audit: lwei|10.0.0.7|PC|Lab|open|ok|r|a.h5`, origin)).toMatchObject({ event: { resource: { uri: 'smb://fs-main/Lab/a.h5' } } });
    expect(samba().parse('2026-10-15T09:00:01Z FS2 smbd_audit: lwei|10.0.0.7|PC|Lab|open|ok|r|a.h5', origin)).toMatchObject({ event: { resource: { uri: 'smb://fs2/Lab/a.h5' } } });
  });
  it('leading slashes of the path go; a read without a path is rejected; the share root is not a file', () => {
    expect(samba().parse(`${head} smbd_audit: lwei|10.0.0.7|PC|Lab|open|ok|r|//HGV/a.h5`, origin)).toMatchObject({ event: { resource: { uri: 'smb://fs1/Lab/HGV/a.h5' } } });
    expect(samba().parse(`${head} smbd_audit: lwei|10.0.0.7|PC|Lab|open|ok|r|`, origin)).toEqual({ kind: 'reject', reason: 'open without a path' });
    expect(samba().parse(`${head} smbd_audit: lwei|10.0.0.7|PC|Lab|openat|ok|r|`, origin)).toEqual({ kind: 'reject', reason: 'openat without a path' });
    // "/" (or ".") is the share's own directory, opened to list it: skipped with its reason, not a read of a file (issue 13).
    expect(samba().parse(`${head} smbd_audit: lwei|10.0.0.7|PC|Lab|open|ok|r|/`, origin)).toEqual({ kind: 'skip', reason: 'not a file: open of the share root' });
    expect(samba().parse(`${head} smbd_audit: lwei|10.0.0.7|PC|Lab|openat|ok|r|//`, origin)).toEqual({ kind: 'skip', reason: 'not a file: openat of the share root' });
  });
  it('only lines with the marker are Samba records; syslog lines of other programs are claimed and skipped, naming the program', () => {
    expect(samba().detect(`${head} smbd_audit: x`)).toBe(true);
    // A syslog file mixes programs (issue 13): another program's line is skipped with its name, not rejected as an unknown format.
    expect(samba().detect(`${head} sshd: x`)).toBe(true);
    expect(samba().parse(`${head} sshd: x`, origin)).toEqual({ kind: 'skip', reason: 'syslog message of another program: sshd' });
    expect(samba().parse(`<38>Oct 15 09:00:01 fs1 sshd[812]: x`, origin)).toEqual({ kind: 'skip', reason: 'syslog message of another program: sshd' });
    // A text line that is no syslog line and has no marker is not Samba's.
    expect(samba().detect('sshd: x')).toBe(false);
    expect(samba().parse('sshd: x', origin)).toEqual({ kind: 'reject', reason: 'not a Samba full_audit line: no "smbd_audit:" tag' });
    // A JSON record is Samba's only by its tag, not by "smbd_audit:" somewhere in it.
    expect(samba().detect({ note: 'smbd_audit:' } as never)).toBe(false);
    expect(samba().parse({ note: 'smbd_audit:' } as never, origin)).toEqual({ kind: 'reject', reason: 'not a Samba full_audit record: no smbd_audit tag in SYSLOG_IDENTIFIER, programname, appname, app_name, app-name, syslogtag, ident, tag' });
    // A message that is itself the syslog line is read as that line (rsyslog, Elastic): here an empty one.
    expect(samba().detect({ message: 'smbd_audit:' } as never)).toBe(true);
    expect(samba().parse({ message: 'smbd_audit:' } as never, origin)).toEqual({ kind: 'reject', reason: 'Samba full_audit line has 1 fields; the prefix %u|%I|%m|%S needs at least 6' });
  });
  it('the event id is a hash of the line: the same line twice is one event, another line another', () => {
    const id = (l: string) => { const o = samba().parse(l, origin); return o.kind === 'event' ? o.event.id : o.kind; };
    const a = `${head} smbd_audit: lwei|10.0.0.7|PC|Lab|open|ok|r|a.h5`;
    expect(id(a)).toBe(id(a));
    expect(id(a)).toMatch(/^[0-9a-f]{40}$/);
    expect(id(a.replace('a.h5', 'b.h5'))).not.toBe(id(a));
  });
});
