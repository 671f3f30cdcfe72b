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
  it('leading slashes of the path go; a read without a path is rejected', () => {
    expect(samba().parse(`${head} smbd_audit: lwei|10.0.0.7|PC|Lab|open|ok|r|//HGV/a.h5`, origin)).toMatchObject({ event: { resource: { uri: 'smb://fs1/Lab/HGV/a.h5' } } });
    expect(samba().parse(`${head} smbd_audit: lwei|10.0.0.7|PC|Lab|open|ok|r|/`, origin)).toEqual({ kind: 'reject', reason: 'open without a path' });
  });
  it('only text lines with the marker are Samba records', () => {
    expect(samba().detect(`${head} smbd_audit: x`)).toBe(true);
    expect(samba().detect(`${head} sshd: x`)).toBe(false);
    expect(samba().detect({ message: 'smbd_audit:' } as never)).toBe(false);
    expect(samba().parse({ message: 'smbd_audit:' } as never, origin)).toEqual({ kind: 'reject', reason: 'Samba audit records are syslog text lines' });
    expect(samba().parse(`${head} sshd: x`, origin)).toEqual({ kind: 'reject', reason: 'not a Samba full_audit line: no "smbd_audit:"' });
  });
  it('the event id is a hash of the line: the same line twice is one event, another line another', () => {
    const id = (l: string) => { const o = samba().parse(l, origin); return o.kind === 'event' ? o.event.id : o.kind; };
    const a = `${head} smbd_audit: lwei|10.0.0.7|PC|Lab|open|ok|r|a.h5`;
    expect(id(a)).toBe(id(a));
    expect(id(a)).toMatch(/^[0-9a-f]{40}$/);
    expect(id(a.replace('a.h5', 'b.h5'))).not.toBe(id(a));
  });
});
