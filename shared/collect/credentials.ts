import * as z from 'zod';
import type { CollectorSource } from './types.ts';

/**
 * What each collector needs to sign in, as one JSON object: the secret's value in AWS Secrets
 * Manager, or the ITTMON_<SOURCE>_* environment variables on a laptop. URLs default to the public
 * clouds; override them for sovereign clouds (GCC High), GitHub Enterprise Server or self-managed
 * GitLab.
 */
const url = z.url();
export const CREDENTIALS = {
  m365: z.object({
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    /** A client secret, or a certificate (its private key and SHA-1 thumbprint, as Entra shows it). */
    clientSecret: z.string().min(1).optional(),
    certificate: z.object({ privateKey: z.string().min(1), thumbprint: z.string().regex(/^[0-9A-Fa-f]{40}$/, 'the certificate\'s SHA-1 thumbprint: 40 hex digits') }).optional(),
    /** Audit.SharePoint covers SharePoint and OneDrive file access; Audit.General adds a few more. */
    contentTypes: z.array(z.string().regex(/^[A-Za-z]+\.[A-Za-z]+$/)).min(1).default(['Audit.SharePoint']),
    /** https://manage.office365.us for GCC High; https://manage.protection.apps.mil for DoD. */
    apiUrl: url.default('https://manage.office.com'),
    loginUrl: url.default('https://login.microsoftonline.com'),
  }).refine((c) => !!c.clientSecret !== !!c.certificate, { message: 'give clientSecret or certificate (one of them)' }),
  gdrive: z.object({
    /** The service account's key file as Google gives it (client_email, private_key, token_uri). */
    serviceAccount: z.object({ client_email: z.string().min(1), private_key: z.string().min(1), token_uri: url.default('https://oauth2.googleapis.com/token') }).loose(),
    /** A super-admin (or reports-reader) user the service account acts for (domain-wide delegation). */
    subject: z.email(),
    apiUrl: url.default('https://admin.googleapis.com'),
    /** Drive activities appear in the Reports API hours late: each run re-reads this far back. */
    overlapMinutes: z.number().int().min(0).max(7 * 24 * 60).default(240),
  }),
  box: z.object({
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    enterpriseId: z.string().regex(/^\d+$/, 'the enterprise id is a number (Admin Console → Account & Billing)'),
    apiUrl: url.default('https://api.box.com'),
  }),
  github: z.object({
    /** `org` or `enterprise`: whose audit log to read. */
    org: z.string().min(1).optional(),
    enterprise: z.string().min(1).optional(),
    /** A token with read:audit_log, or a GitHub App (appId, installationId, privateKey). */
    token: z.string().min(1).optional(),
    appId: z.string().min(1).optional(),
    installationId: z.string().min(1).optional(),
    privateKey: z.string().min(1).optional(),
    apiUrl: url.default('https://api.github.com'),
  }).refine((c) => !!c.org !== !!c.enterprise, { message: 'give exactly one of org and enterprise' })
    .refine((c) => !!c.token || (!!c.appId && !!c.installationId && !!c.privateKey), { message: 'give token, or appId, installationId and privateKey of a GitHub App' }),
  gitlab: z.object({
    token: z.string().min(1),
    url: url.default('https://gitlab.com'),
    /** Read one group's audit events (Owner); without it, the instance's (administrator). */
    group: z.string().min(1).optional(),
  }),
} as const;

export type Credentials = { [S in CollectorSource]: z.infer<(typeof CREDENTIALS)[S]> };

/** The environment variables for each source on a laptop (`ittmon collect`). */
export const ENV: { [S in CollectorSource]: Record<string, string> } = {
  m365: { tenantId: 'ITTMON_M365_TENANT_ID', clientId: 'ITTMON_M365_CLIENT_ID', clientSecret: 'ITTMON_M365_CLIENT_SECRET', certificateKey: 'ITTMON_M365_CERTIFICATE_KEY', certificateThumbprint: 'ITTMON_M365_CERTIFICATE_THUMBPRINT', apiUrl: 'ITTMON_M365_API_URL', loginUrl: 'ITTMON_M365_LOGIN_URL' },
  gdrive: { serviceAccount: 'ITTMON_GOOGLE_SERVICE_ACCOUNT', subject: 'ITTMON_GOOGLE_SUBJECT', apiUrl: 'ITTMON_GOOGLE_API_URL' },
  box: { clientId: 'ITTMON_BOX_CLIENT_ID', clientSecret: 'ITTMON_BOX_CLIENT_SECRET', enterpriseId: 'ITTMON_BOX_ENTERPRISE_ID', apiUrl: 'ITTMON_BOX_API_URL' },
  github: { org: 'ITTMON_GITHUB_ORG', enterprise: 'ITTMON_GITHUB_ENTERPRISE', token: 'ITTMON_GITHUB_TOKEN', appId: 'ITTMON_GITHUB_APP_ID', installationId: 'ITTMON_GITHUB_INSTALLATION_ID', privateKey: 'ITTMON_GITHUB_PRIVATE_KEY', apiUrl: 'ITTMON_GITHUB_API_URL' },
  gitlab: { token: 'ITTMON_GITLAB_TOKEN', url: 'ITTMON_GITLAB_URL', group: 'ITTMON_GITLAB_GROUP' },
};

export class CredentialsError extends Error {}

/** Validates a credentials object; the error names each field (and its variable, on a laptop) and says what is wrong. */
export function parseCredentials<S extends CollectorSource>(source: S, value: unknown, where: 'env' | string = 'env'): Credentials[S] {
  const result = CREDENTIALS[source].safeParse(value);
  if (result.success) return result.data as Credentials[S];
  const names = ENV[source];
  const problems = result.error.issues.map((i) => {
    const field = String(i.path[0] ?? '');
    const label = where === 'env' ? (names[field] ?? field) || source : `${where}: ${field || '(object)'}`;
    return `${label}: ${i.code === 'invalid_type' && i.input === undefined ? 'missing' : i.message}`;
  });
  throw new CredentialsError(`${source} credentials: ${problems.join('; ')}`);
}

/** Credentials from the environment; the Google key may be a file path or the JSON itself. */
export function credentialsFromEnv<S extends CollectorSource>(source: S, env: NodeJS.ProcessEnv, readFile: (path: string) => string): Credentials[S] {
  const value: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(ENV[source])) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (field === 'serviceAccount') {
      const text = raw.trim().startsWith('{') ? raw : readFile(raw);
      try {
        value[field] = JSON.parse(text);
      } catch {
        throw new CredentialsError(`${name}: not a service-account key (JSON, or the path of its .json file)`);
      }
    } else if (field === 'contentTypes') value[field] = raw.split(',').map((s) => s.trim());
    else value[field] = raw;
  }
  if (source === 'm365') {
    const key = value.certificateKey as string | undefined;
    const thumbprint = value.certificateThumbprint as string | undefined;
    delete value.certificateKey;
    delete value.certificateThumbprint;
    if (key || thumbprint) value.certificate = { privateKey: key && !key.includes('-----BEGIN') ? readFile(key) : key, thumbprint };
  }
  if (source === 'm365' && env.ITTMON_M365_CONTENT_TYPES) value.contentTypes = env.ITTMON_M365_CONTENT_TYPES.split(',').map((s) => s.trim()).filter(Boolean);
  if (source === 'gdrive' && env.ITTMON_GOOGLE_OVERLAP_MINUTES) value.overlapMinutes = Number(env.ITTMON_GOOGLE_OVERLAP_MINUTES);
  return parseCredentials(source, value);
}
