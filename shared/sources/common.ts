import { hash } from 'node:crypto';
import { isIP } from 'node:net';
import { reject } from '#shared/model/index.ts';
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

function toIsoTime(value: unknown): string | undefined {
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

export const basename = (path: string): string => path.slice(path.replace(/[\\/]+$/, '').lastIndexOf('/') + 1).replace(/[\\/]+$/, '');

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
