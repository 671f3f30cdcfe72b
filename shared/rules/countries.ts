import iso from './data/iso3166.json' with { type: 'json' };
import chart from './data/country-chart.json' with { type: 'json' };
import groups from './data/country-groups.json' with { type: 'json' };
import { RulesError } from './errors.ts';

/** ICU's short names, except Macau: the EAR's name for it (Supp. No. 1 to part 740, §742.6(a)(6)(i)(B)), which its rules quote. */
const names: Record<string, string> = { ...iso.codes, MO: chart.rows.MO.name };

/** Everyday and regulatory names that differ from the ISO short name. */
const aliases: Record<string, string> = {
  'united states of america': 'US', usa: 'US', america: 'US', uk: 'GB', britain: 'GB', 'great britain': 'GB',
  'south korea': 'KR', 'korea, south': 'KR', 'republic of korea': 'KR', 'north korea': 'KP', 'korea, north': 'KP', dprk: 'KP',
  prc: 'CN', 'people\'s republic of china': 'CN', 'mainland china': 'CN', burma: 'MM', turkey: 'TR', 'türkiye': 'TR', turkiye: 'TR',
  russia: 'RU', 'russian federation': 'RU', iran: 'IR', syria: 'SY', vietnam: 'VN', 'viet nam': 'VN', laos: 'LA', macao: 'MO', 'macao sar china': 'MO',
  'czech republic': 'CZ', czechia: 'CZ', 'ivory coast': 'CI', 'cote d\'ivoire': 'CI', uae: 'AE', 'hong kong': 'HK', taiwan: 'TW',
  drc: 'CD', 'democratic republic of the congo': 'CD', 'republic of the congo': 'CG', 'vatican city': 'VA', 'holy see': 'VA',
  bolivia: 'BO', venezuela: 'VE', tanzania: 'TZ', moldova: 'MD', brunei: 'BN', 'cape verde': 'CV', swaziland: 'SZ', kosovo: 'XK',
};

const byName = new Map<string, string>();
const addName = (name: string, code: string) => byName.set(name.toLowerCase(), code);
for (const [code, name] of Object.entries(names)) addName(name, code);
for (const [code, row] of Object.entries({ ...chart.rows, ...chart.pointerRows })) addName(row.name, code);
for (const [alias, code] of Object.entries(aliases)) addName(alias, code);

export function isCountryCode(code: string): boolean {
  return Object.hasOwn(names, code);
}

export function countryName(code: string): string {
  return names[code] ?? code;
}

/** A country by ISO 3166-1 alpha-2 code or by name, case-insensitive. */
export function resolveCountry(input: string): string {
  const text = input.trim();
  const upper = text.toUpperCase();
  if (isCountryCode(upper)) return upper;
  const code = byName.get(text.toLowerCase());
  if (code) return code;
  throw new RulesError('UNKNOWN_COUNTRY', `unknown country "${input}"`, 'use an ISO 3166-1 alpha-2 code such as CN, GB or IN, or an English country name');
}

const groupMembers: Record<string, readonly string[]> = groups.groups;

export function countryGroups(code: string): string[] {
  return Object.entries(groupMembers).filter(([, members]) => members.includes(code)).map(([group]) => group);
}

export function inCountryGroup(code: string, group: string): boolean {
  return groupMembers[group]?.includes(code) ?? false;
}
