import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { s3Access } from '#shared/sources/s3-access/index.ts';
import { samba } from '#shared/sources/samba/index.ts';
import type { ParseOutcome } from '#shared/model/index.ts';

// A log line's time decides its flag's UTC day: every month name and both offset signs are pinned.
const origin = { file: 'f', line: 1 };
const timeOf = (o: ParseOutcome) => (o.kind === 'event' ? o.event.time : `${o.kind}: ${o.reason}`);

describe('S3 server access log times', () => {
  const s3 = (time: string) => timeOf(s3Access.parse(`owner bucket-1 ${time} 192.0.2.3 - REQ1 REST.GET.OBJECT hgv/a.h5 "GET /hgv/a.h5 HTTP/1.1" 200 - 10 10 4 2 "-" "curl/8" - hostid SigV4 suite AuthHeader host TLSv1.2`, origin));

  it('January is month 1 and December month 12', () => {
    expect(s3('[01/Jan/2026:00:30:00 +0000]')).toBe('2026-01-01T00:30:00.000Z');
    expect(s3('[31/Dec/2025:23:59:59 +0000]')).toBe('2025-12-31T23:59:59.000Z');
  });
  it.each([
    ['Feb', '02'], ['Mar', '03'], ['Apr', '04'], ['May', '05'], ['Jun', '06'], ['Jul', '07'], ['Aug', '08'], ['Sep', '09'], ['Oct', '10'], ['Nov', '11'],
  ])('%s is month %s', (name, number) => {
    expect(s3(`[15/${name}/2026:12:00:00 +0000]`)).toBe(`2026-${number}-15T12:00:00.000Z`);
  });
  it('a negative UTC offset is added: -0500 in the evening is the next UTC day', () => {
    expect(s3('[31/Dec/2025:20:30:00 -0500]')).toBe('2026-01-01T01:30:00.000Z');
    expect(s3('[14/Oct/2026:22:15:00 -0330]')).toBe('2026-10-15T01:45:00.000Z'); // minutes of the offset count too
  });
  it('a positive UTC offset is subtracted: +0200 just after midnight is the previous UTC day', () => {
    expect(s3('[01/Jan/2026:01:00:00 +0200]')).toBe('2025-12-31T23:00:00.000Z');
    expect(s3('[14/Oct/2026:08:00:00 +0545]')).toBe('2026-10-14T02:15:00.000Z');
  });
  it('a month name the format does not use is rejected with the field and the form', () => {
    expect(s3('[15/Foo/2026:12:00:00 +0000]')).toBe('reject: S3 access log time [15/Foo/2026:12:00:00 +0000] is not [dd/Mon/yyyy:HH:MM:SS +zzzz]');
    expect(s3('[15/jan/2026:12:00:00 +0000]')).toMatch(/^reject: /); // AWS writes the month capitalised
  });
});

describe('Samba syslog times (RFC 3164 has no year)', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());
  const smb = (stamp: string, year?: number) => timeOf(samba(year === undefined ? {} : { year }).parse(`${stamp} fs1 smbd_audit: lwei|10.0.0.1|PC|Lab|openat|ok|r|HGV/a.h5`, origin));

  it('a December line read in January belongs to the year before', () => {
    vi.setSystemTime(new Date('2027-01-02T08:00:00Z'));
    expect(smb('Dec 31 23:59:59')).toBe('2026-12-31T23:59:59.000Z');
    expect(smb('Dec  1 00:00:00')).toBe('2026-12-01T00:00:00.000Z');
    expect(smb('Jan  2 07:00:00')).toBe('2027-01-02T07:00:00.000Z'); // the same January: this year
  });
  it('a January line read in December is this year', () => {
    vi.setSystemTime(new Date('2026-12-30T08:00:00Z'));
    expect(smb('Jan  5 10:00:00')).toBe('2026-01-05T10:00:00.000Z');
    expect(smb('Dec 30 07:59:59')).toBe('2026-12-30T07:59:59.000Z');
  });
  it('up to two days ahead of the clock is clock skew, not last year', () => {
    vi.setSystemTime(new Date('2026-03-10T00:00:00Z'));
    expect(smb('Mar 12 00:00:00')).toBe('2026-03-12T00:00:00.000Z'); // exactly two days ahead
    expect(smb('Mar 12 00:00:01')).toBe('2025-03-12T00:00:01.000Z'); // a second more: last year
    expect(smb('Mar 11 12:00:00')).toBe('2026-03-11T12:00:00.000Z');
  });
  it('a configured year is taken as is, in the future too', () => {
    vi.setSystemTime(new Date('2027-01-02T08:00:00Z'));
    expect(smb('Dec 31 23:59:59', 2027)).toBe('2027-12-31T23:59:59.000Z');
    expect(smb('Jan  1 00:00:00', 2025)).toBe('2025-01-01T00:00:00.000Z');
  });
  it('every month name is read; a header with an unknown month gives no time', () => {
    vi.setSystemTime(new Date('2026-12-31T12:00:00Z'));
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    expect(months.map((m) => smb(`${m}  9 10:11:12`).slice(0, 10))).toEqual(months.map((_, i) => `2026-${String(i + 1).padStart(2, '0')}-09`));
    expect(smb('Foo  9 10:11:12')).toMatch(/^reject: no time/);
  });
  it('ISO headers carry their own offset, of either sign, or are UTC', () => {
    expect(smb('2026-12-31T22:30:00-05:00')).toBe('2027-01-01T03:30:00.000Z');
    expect(smb('2027-01-01T01:30:00+0200')).toBe('2026-12-31T23:30:00.000Z');
    expect(smb('2026-10-15 09:00:01')).toBe('2026-10-15T09:00:01.000Z');
    expect(smb('<134>1 2026-10-15T09:00:01.5Z')).toBe('2026-10-15T09:00:01.500Z');
  });
});
