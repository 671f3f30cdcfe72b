import { hash } from 'node:crypto';
import { isIP } from 'node:net';
import { reject, type AccessEvent } from '#shared/model/index.ts';
import type { JsonObject, RawRecord } from '#shared/read/envelopes.ts';
import type { LogSource } from './types.ts';

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
export const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** The event id of a source without one of its own: a hash of the raw record (an id, not a secret). */
export function hashId(record: RawRecord): string {
  return hash('sha1', typeof record === 'string' ? record : JSON.stringify(record), 'hex');
}

/** An IP address without port or brackets, or undefined when the field holds none. */
export function cleanIp(value: unknown): string | undefined {
  const text = str(value)?.trim();
  if (!text || text === '-') return undefined;
  if (isIP(text)) return text;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed && isIP(bracketed[1]!)) return bracketed[1];
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text);
  if (v4port && isIP(v4port[1]!)) return v4port[1];
  return undefined;
}

const EMAIL = /^[^\s@/:]+@[^\s@/:]+\.[^\s@/:]+$/;
export const isEmail = (text: string | undefined): text is string => !!text && EMAIL.test(text);
export const emailCandidate = (text: string | undefined): string[] => (isEmail(text) ? [`email:${text}`] : []);

/**
 * A conversion that remembers its last input and answer: logs come in time order, many records
 * to the same second, so time fields repeat from one record to the next.
 */
export function rememberLast<A, R>(convert: (value: A) => R): (value: A) => R {
  let last: { value: A; result: R } | undefined;
  return (value) => {
    if (last && last.value === value) return last.result;
    const result = convert(value);
    last = { value, result };
    return result;
  };
}

/** ISO UTC from a time value: epoch milliseconds, ISO with zone, or zone-less (taken as UTC). */
export const isoTime: (value: unknown) => string | undefined = rememberLast(toIsoTime);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The number written by the ASCII digits of `text` from `at` to `end`, or -1 if any is not one. */
function digits(text: string, at: number, end: number): number {
  let n = 0;
  for (let i = at; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The ISO UTC string of `YYYY-MM-DDTHH:MM:SS`, with `.sss` or not, with `Z` or not (UTC), read by
 * hand: most log times are written this way, and Date parsing is slow. Anything else (offsets,
 * other fractions, 24:00, leap seconds) is undefined here and left to Date.
 */
function canonicalIso(text: string): string | undefined {
  const n = text.length;
  const zoned = text.charCodeAt(n - 1) === 90; // 'Z'
  const bare = zoned ? n - 1 : n;
  if ((bare !== 19 && bare !== 23) || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return undefined;
  if (bare === 23 && (text[19] !== '.' || digits(text, 20, 23) < 0)) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! + (month === 2 && leap ? 1 : 0)) return undefined;
  return `${text.slice(0, 19)}${bare === 23 ? text.slice(19, 23) : '.000'}Z`;
}

function toIsoTime(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const fast = canonicalIso(value);
    if (fast !== undefined) return fast;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? safeIso(new Date(value < 1e11 ? value * 1000 : value)) : undefined;
  const text = str(value)?.trim();
  if (!text) return undefined;
  if (/^\d{10,13}$/.test(text)) return toIsoTime(Number(text));
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text.replace(' ', 'T')}Z`;
  return safeIso(new Date(zoned));
}

function safeIso(d: Date): string | undefined {
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

const SLASH = 47;
const BACKSLASH = 92;
export const basename = (path: string): string => {
  const last = path.charCodeAt(path.length - 1);
  if (last !== SLASH && last !== BACKSLASH) return path.slice(path.lastIndexOf('/') + 1); // the usual case, without a regex
  return path.slice(path.replace(/[\\/]+$/, '').lastIndexOf('/') + 1).replace(/[\\/]+$/, '');
};

/**
 * The event with its IP when there is one. Parsers build events as object literals and add what is
 * optional afterwards: spreading `...(ip ? { ip } : {})` into a literal costs far more per record.
 */
export function withIp(e: AccessEvent, ip: string | undefined): AccessEvent {
  if (ip) e.ip = ip;
  return e;
}

/** Wraps a source so that no record can make its sniff or parser throw. */
export function defineSource(source: LogSource): LogSource {
  return {
    name: source.name,
    detect: (record) => {
      try {
        return source.detect(record);
      } catch {
        return false;
      }
    },
    parse: (record, origin) => {
      try {
        return source.parse(record, origin);
      } catch (e) {
        return reject(`${source.name} record could not be read: ${(e as Error).message}`);
      }
    },
  };
}
