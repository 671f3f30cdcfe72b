import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import * as z from 'zod';
import { SOURCE_NAMES } from '#shared/model/index.ts';
import { COLLECTOR_SOURCES } from '#shared/collect/types.ts';

const account = z.coerce.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id, e.g. "444455556666" (quoted)');
const kmsKeyArn = z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'expected a KMS key ARN, arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (not an alias)');
const bucket = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (lower case, 3 to 63 characters)');
const prefix = z.string().regex(/^([^/].*\/)?$/, 'expected a key prefix ending in "/" (e.g. AWSLogs/), or "" for the whole bucket').default('');
const email = z.email('expected an e-mail address');

/** A bucket whose objects are access logs. */
const logSource = z.strictObject({
  bucket,
  prefix,
  /** The log format when it should not be detected per record. */
  format: z.enum(SOURCE_NAMES).optional(),
  /** The bucket's owner when it is another account. */
  account: account.optional(),
  /** How a bucket in another account is read: a role there that the ingest function assumes (default), or a bucket policy there. */
  access: z.enum(['assume-role', 'bucket-policy']).optional(),
  /** The bucket's SSE-KMS key (CloudTrail organisation trails usually have one). */
  kmsKeyArn: kmsKeyArn.optional(),
});

/** The schema of the stack settings file (`ittmon.stack.yaml`, named by cdk.json context `settingsFile`). */
export const stackSettingsSchema = z.strictObject({
  /** Role and queue names are derived from it (and must fit IAM's 64 characters). */
  stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,34}$/, 'expected up to 35 letters, digits and dashes, starting with a letter').default('ITTMonitor'),
  /** The monitor's account and region; required when a log source is in another account. */
  account: account.optional(),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as us-east-1').optional(),
  logSources: z.array(logSource).default([]),
  logGroups: z.array(z.string().regex(/^[.\-_/#A-Za-z0-9]{1,512}$/, 'expected a CloudWatch Logs log group name')).default([]),
  /** Buckets holding the data the logs name: the ingest function reads their objects' tags (GetObjectTagging). */
  dataBuckets: z.array(z.strictObject({ bucket, prefix })).default([]),
  notifications: z.strictObject({
    /** Critical flags and alarms are e-mailed here; an empty list must be said explicitly. */
    emails: z.array(email),
  }),
  concurrency: z.strictObject({
    /** SQS event source MaximumConcurrency of the ingest function (2–1000). */
    ingest: z.number().int().min(2).max(1000).default(10),
    /** Reserved concurrency of the stream ingest function (CloudWatch Logs subscriptions); 0: none. */
    stream: z.number().int().min(0).default(5),
    /** Reserved concurrency of the review API, so that a backfill cannot starve reviewers; 0: none. */
    review: z.number().int().min(0).default(5),
  }).prefault({}),
  review: z.strictObject({
    pseudonymise: z.boolean().default(false),
    /** The review page's public URL when it sits behind a custom domain. */
    url: z.url().optional(),
  }).prefault({}),
  /** SaaS audit-log collectors (README "Collectors"): one per source. */
  collectors: z.array(z.strictObject({
    source: z.enum(COLLECTOR_SOURCES),
    /** The Secrets Manager secret (name, not ARN) holding the credentials JSON. */
    secretName: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'expected a Secrets Manager secret name, e.g. ittmon/m365'),
    everyMinutes: z.number().int().min(1).max(1440).optional(),
    start: z.iso.datetime({ offset: true }).optional(),
    maxLagMinutes: z.number().int().min(1).optional(),
  })).default([]),
  /** Look-back after a policy change (README "Look back and backfill"). */
  lookBack: z.strictObject({
    /**
     * On each new config version whose diff touches datasets, people or allow entries, replay this
     * many days of the log prefixes it touches; 0: none (stored flags are still re-evaluated).
     */
    days: z.number().int().min(0).max(3660, 'at most 3660 days (ten years)').default(0),
  }).prefault({}),
  /** The secret (name) with the verification token of a GitLab streaming destination; adds the receiver. */
  gitlabStreamTokenSecret: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'expected a Secrets Manager secret name').optional(),
}).superRefine((s, ctx) => {
  for (const field of ['account', 'region'] as const) {
    if (s.logSources.some((src) => src.account) && !s[field]) ctx.addIssue({ code: 'custom', path: [field], message: `a log source is in another account: give the monitor's own ${field} too, so that the source account's stack can name the queue and role` });
  }
  for (const [i, c] of s.collectors.entries()) {
    if (s.collectors.findIndex((o) => o.source === c.source) !== i) ctx.addIssue({ code: 'custom', path: ['collectors', i, 'source'], message: `${c.source} is configured twice: one collector per source` });
  }
  for (const [i, src] of s.logSources.entries()) {
    if (src.access && !src.account) ctx.addIssue({ code: 'custom', path: ['logSources', i, 'access'], message: 'access applies only to a bucket in another account: give its account too' });
  }
});

export type StackSettings = z.infer<typeof stackSettingsSchema>;
export type LogSourceSettings = StackSettings['logSources'][number];

export class SettingsError extends Error {}

/**
 * Reads and checks the stack settings file. Every problem is reported with the file, line and
 * field, e.g. `ittmon.stack.yaml:7: logSources[1].kmsKeyArn: expected a KMS key ARN …`.
 */
export function loadStackSettings(file: string, root = process.cwd()): StackSettings {
  const path = isAbsolute(file) ? file : join(root, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SettingsError(`${file}: cannot read the stack settings (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); copy ittmon.stack.example.yaml to ${file}, or name another file with -c settingsFile=PATH`);
  }
  return parseStackSettings(text, file);
}

export function parseStackSettings(text: string, file = 'ittmon.stack.yaml'): StackSettings {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) throw new SettingsError(doc.errors.map((e) => `${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`).join('\n'));
  const parsed = stackSettingsSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const at = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    let line: number | undefined;
    // An unknown field is found at its own line; anything else at its value's (or its parent's).
    for (let p = issue.code === 'unrecognized_keys' ? [...at, issue.keys[0]!] : [...at]; line === undefined && p.length; p = p.slice(0, -1)) {
      const node = doc.getIn(p, true) as { range?: [number, number] } | undefined;
      if (node?.range) line = lines.linePos(node.range[0]).line;
    }
    const field = at.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '') || '(file)';
    const unknown = issue.code === 'unrecognized_keys' ? ` (known here: ${Object.keys(shapeAt(at)).join(', ')})` : '';
    return `${file}${line ? `:${line}` : ''}: ${field}: ${issue.message}${unknown}`;
  });
  throw new SettingsError(`the stack settings are not valid:\n  ${problems.join('\n  ')}`);
}

/** The fields allowed where an unknown one was found, to name them in the error. */
function shapeAt(path: (string | number)[]): Record<string, unknown> {
  let schema: z.ZodType = stackSettingsSchema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    const def = (s as unknown as { def: { type: string; innerType?: z.ZodType; element?: z.ZodType; in?: z.ZodType } }).def;
    if (def.innerType) return unwrap(def.innerType);
    if (def.type === 'pipe' && def.in) return unwrap(def.in);
    return s;
  };
  for (const k of path) {
    const s = unwrap(schema) as unknown as { shape?: Record<string, z.ZodType>; def: { element?: z.ZodType } };
    schema = typeof k === 'number' ? s.def.element! : s.shape![k]!;
  }
  return (unwrap(schema) as unknown as { shape?: Record<string, unknown> }).shape ?? {};
}
