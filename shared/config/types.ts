import type { Problem } from './errors.ts';
import type { Classification, ExceptionCode } from '#shared/rules/index.ts';
import type { SourceSettings } from '#shared/sources/settings.ts';

export interface DatasetRule {
  id: string;
  name: string;
  jurisdiction: 'ITAR' | 'EAR';
  classification: Classification;
  /** EAR only: reasons for control that override the ECCN table. */
  reasons?: string[];
  match: { paths: string[]; names: string[]; tags: Record<string, string>; labels: string[] };
  /** The Technology Control Plan list: person ids and `group:` names; undefined = no TCP list. */
  authorized?: string[];
}

export interface LicenseRule {
  id: string;
  datasets: string[];
  /** Classification displays (`3E001`, `USML XV(e)`) the license covers. */
  classifications: string[];
  persons?: string[];
  countries: string[];
  expires: string;
  /** A part 740 license exception (with the reference of its assurance) rather than a license. */
  exception?: ExceptionCode;
  assurance?: string;
}

export interface AllowRule { account: string; reason: string; expires?: string }
export interface NetworkRule { cidr: string; country: string; label?: string }

export interface Person {
  id: string;
  name: string;
  email?: string;
  accounts: string[];
  citizenships: string[];
  permanentResidency?: string;
  /** §734.13(b): the country of most recent citizenship or permanent residency, when known. */
  mostRecentCitizenship?: string;
  usPerson: boolean;
  groups: string[];
}

export interface CatalogEntry { resource: string; tags: Record<string, string>; labels: string[] }

/** Everything a scan needs to know, loaded and checked. */
export interface Policy {
  home: string;
  /** Which countries an EAR deemed export goes to: every citizenship (all) or the most recent (§734.13(b)). */
  earDeemedExport?: 'all' | 'most-recent';
  datasets: DatasetRule[];
  licenses: LicenseRule[];
  allow: AllowRule[];
  networks: NetworkRule[];
  /** Path of a user-supplied .mmdb, or undefined for the bundled database. */
  geoip?: string;
  people: Person[];
  catalog: CatalogEntry[];
  files: { config: string; directory: string; catalog?: string };
  /** How this organisation writes some of its logs (Samba prefix, M365 label names). */
  sources: SourceSettings;
  /** Review page settings: show persons under pseudonyms until revealed (audited). */
  review: { pseudonymise: boolean };
  /** Identifiers (accounts, e-mails) that more than one person has: `check` rejects them. */
  identityConflicts?: Problem[];
}
