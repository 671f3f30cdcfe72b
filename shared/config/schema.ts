import * as z from 'zod';
import { EXCEPTION_CODES } from '#shared/rules/exceptions.ts';

/** A day that exists: 2027-02-30 is refused, not rolled over to March. */
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine((d) => { const t = Date.parse(`${d}T00:00:00Z`); return !Number.isNaN(t) && new Date(t).toISOString().startsWith(d); }, { error: (iss) => `"${String(iss.input)}" is not a day of the calendar` });
const stringList = z.array(z.string().min(1));

export const datasetSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'expected lower-case letters, digits and dashes, e.g. hgv-cfd'),
  name: z.string().min(1),
  jurisdiction: z.enum(['ITAR', 'EAR']),
  classification: z.string().min(1),
  reasons: stringList.optional(),
  match: z.strictObject({
    paths: stringList.optional(),
    names: stringList.optional(),
    tags: z.record(z.string(), z.string()).optional(),
    labels: stringList.optional(),
  }),
  authorized: stringList.optional(),
});

const licenseSchema = z.strictObject({
  id: z.string().min(1),
  datasets: stringList.optional(),
  classifications: stringList.optional(),
  persons: stringList.optional(),
  countries: stringList.min(1),
  expires: date,
  /** A part 740 license exception instead of a license number; cleared only where eligible. */
  exception: z.enum(EXCEPTION_CODES).optional(),
  /** The reference of the assurance or statement the exception needs (TSR: the written assurance). */
  assurance: z.string().min(1).optional(),
});
const allowSchema = z.strictObject({ account: z.string().regex(/^[a-z0-9-]+:.+$/, 'expected kind:value, e.g. github:acme-ci-bot'), reason: z.string().min(1), expires: date.optional() });
const networkSchema = z.strictObject({ cidr: z.string(), country: z.string(), label: z.string().optional() });

export const configSchema = z.strictObject({
  home: z.string().regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166-1 alpha-2 code such as US').default('US'),
  directory: z.string().min(1),
  catalog: z.string().min(1).nullish(),
  geoip: z.string().min(1).nullish(),
  networks: z.array(networkSchema).default([]),
  datasets: z.array(datasetSchema).min(1, 'at least one dataset is needed: what data is controlled?'),
  licenses: z.array(licenseSchema).default([]),
  /** §734.13(b): EAR deemed exports go to the most recent citizenship; `all` counts every one (conservative). */
  ear_deemed_export: z.enum(['all', 'most-recent']).default('all'),
  sources: z.strictObject({
    samba: z.strictObject({ prefix: z.string().regex(/^%[a-zA-Z](\|%[a-zA-Z])*$/, 'expected smb.conf substitutions joined by |, e.g. %u|%I|%m|%S').optional(), host: z.string().min(1).optional(), year: z.coerce.number().int().min(1990).max(2100).optional(), shares: z.record(z.string().min(1), z.string().regex(/^\//, 'expected the absolute directory the share exports (smb.conf path), e.g. /srv/shares/public')).optional() }).optional(),
    m365: z.strictObject({ labels: z.record(z.string(), z.string()).optional() }).optional(),
  }).default({}),
  review: z.strictObject({ pseudonymise: z.boolean().default(false) }).optional(),
  allow: z.array(allowSchema).default([]),
});

/** The schema of one entry of each list: an invalid entry is reported, and its valid siblings still checked. */
export const ENTRY_SCHEMAS: Record<string, z.ZodType> = { datasets: datasetSchema, licenses: licenseSchema, allow: allowSchema, networks: networkSchema };

export type ConfigFile = z.infer<typeof configSchema>;
