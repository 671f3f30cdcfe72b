import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';
import { Reader } from 'mmdb-lib';
import type { NetworkRule } from '#shared/config/index.ts';
import { isCountryCode } from '#shared/rules/countries.ts';

export interface Place { country: string; label?: string }

/** Addresses that never leave the organisation's network: placed at home. */
const PRIVATE: [string, number, 'ipv4' | 'ipv6'][] = [
  ['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['fc00::', 7, 'ipv6'], ['fe80::', 10, 'ipv6'], ['::1', 128, 'ipv6'],
];
/** Documentation ranges (RFC 5737, RFC 3849): no real client has them, so they are not placed. */
const DOCUMENTATION: [string, number, 'ipv4' | 'ipv6'][] = [
  ['192.0.2.0', 24, 'ipv4'], ['198.51.100.0', 24, 'ipv4'], ['203.0.113.0', 24, 'ipv4'], ['2001:db8::', 32, 'ipv6'],
];
const CACHE_LIMIT = 100_000;

/**
 * The bundled CC0 country database (geo-whois-asn-country), or the user's own .mmdb.
 * In a Lambda bundle the database is copied beside the code and named by ITTMON_GEO_DB.
 */
export function loadGeoDatabase(path?: string): Buffer {
  return readFileSync(geoDatabaseFile(path));
}

/** The same, read off the main thread (8 MB): a function's cold start reads it while it waits on S3. */
export async function readGeoDatabase(path?: string): Promise<Buffer> {
  return readFile(geoDatabaseFile(path));
}

const geoDatabaseFile = (path?: string) => path ?? process.env.ITTMON_GEO_DB ?? createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');

type CountryRecord = { country_code?: string; country?: { iso_code?: string } };

/** IP → country: configured networks first (first match wins), private ranges at home, then the database. */
export class Geo {
  private readonly networks: { list: BlockList; place: Place }[];
  private readonly privateRanges = new BlockList();
  private readonly documentationRanges = new BlockList();
  private readonly reader?: { get(ip: string): unknown };
  private readonly cache = new Map<string, Place | undefined>();

  constructor(networks: readonly NetworkRule[], private readonly home: string, database?: Buffer) {
    this.networks = networks.map((n) => {
      const [addr, bits] = n.cidr.split('/');
      const list = new BlockList();
      list.addSubnet(addr!, Number(bits), isIP(addr!) === 6 ? 'ipv6' : 'ipv4');
      return { list, place: { country: n.country, ...(n.label ? { label: n.label } : {}) } };
    });
    for (const [addr, bits, family] of PRIVATE) this.privateRanges.addSubnet(addr, bits, family);
    for (const [addr, bits, family] of DOCUMENTATION) this.documentationRanges.addSubnet(addr, bits, family);
    if (database) this.reader = new Reader(database);
  }

  place(ip: string): Place | undefined {
    if (this.cache.has(ip)) return this.cache.get(ip);
    const place = this.lookup(ip);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(ip, place);
    return place;
  }

  private lookup(ip: string): Place | undefined {
    const family = isIP(ip);
    if (!family) return undefined;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    for (const n of this.networks) if (n.list.check(ip, type)) return n.place;
    if (this.privateRanges.check(ip, type)) return { country: this.home, label: 'private network' };
    if (this.documentationRanges.check(ip, type)) return undefined;
    const record = this.reader?.get(ip) as CountryRecord | null | undefined;
    const code = record?.country_code ?? record?.country?.iso_code;
    // Databases also hold codes that are no country (EU, AP, A1, T1, ZZ): the location is unknown.
    return code && isCountryCode(code.toUpperCase()) ? { country: code.toUpperCase() } : undefined;
  }
}
