import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { basename, isoTime } from '#shared/sources/common.ts';

/** What Date makes of a time string (zone-less taken as UTC): the reading the hand parser must equal. */
const byDate = (text: string): string | undefined => {
  const d = new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};
const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

describe('isoTime', () => {
  it('reads YYYY-MM-DDTHH:MM:SS[.sss][Z] as Date does, invalid days and hours included', () => {
    const stamp = fc.tuple(fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0')), two(13), two(32), two(25), two(61), two(61), fc.option(fc.integer({ min: 0, max: 999 })), fc.boolean())
      .map(([y, mo, d, h, mi, s, ms, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${ms === null ? '' : `.${String(ms).padStart(3, '0')}`}${z ? 'Z' : ''}`);
    fc.assert(fc.property(stamp, (t) => { expect(isoTime(t)).toBe(byDate(t)); }), { numRuns: 5000 });
  });

  it('leap days: 29 February only in leap years (2024 and 2000, not 2026 or 1900)', () => {
    expect(isoTime('2024-02-29T12:00:00Z')).toBe('2024-02-29T12:00:00.000Z');
    expect(isoTime('2000-02-29T12:00:00')).toBe('2000-02-29T12:00:00.000Z');
    expect(isoTime('2026-02-29T12:00:00Z')).toBe(byDate('2026-02-29T12:00:00Z'));
    expect(isoTime('1900-02-29T12:00:00Z')).toBe(byDate('1900-02-29T12:00:00Z'));
  });

  it('keeps milliseconds, adds them when absent, and leaves other forms to Date', () => {
    expect(isoTime('2026-10-15T09:00:01.123Z')).toBe('2026-10-15T09:00:01.123Z');
    expect(isoTime('2026-10-15T09:00:01')).toBe('2026-10-15T09:00:01.000Z');
    expect(isoTime('2026-10-15T09:00:01+02:00')).toBe('2026-10-15T07:00:01.000Z');
    expect(isoTime('2026-10-15T09:00:01-05:00')).toBe('2026-10-15T14:00:01.000Z');
    expect(isoTime('2026-10-15 09:00:01')).toBe('2026-10-15T09:00:01.000Z');
    expect(isoTime('2026-10-15T09:00:01.5Z')).toBe('2026-10-15T09:00:01.500Z');
    expect(isoTime('2026-10-15T24:00:00Z')).toBe(byDate('2026-10-15T24:00:00Z'));
    expect(isoTime('2026-1O-15T09:00:01Z')).toBeUndefined();
  });
});

describe('basename', () => {
  it('is the last path segment, trailing slashes and backslashes dropped', () => {
    expect(basename('a/b/c.txt')).toBe('c.txt');
    expect(basename('c.txt')).toBe('c.txt');
    expect(basename('a/b/dir/')).toBe('dir');
    expect(basename('a/b/dir\\')).toBe('dir');
    expect(basename('a\\b')).toBe('a\\b');
  });
});
