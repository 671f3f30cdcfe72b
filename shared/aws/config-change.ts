import { GetObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ConfigError, loadPolicy, type Policy } from '#shared/config/index.ts';
import { diffPolicies, nothingTouched, policyVersion as versionOf, type PolicyDiff } from '#shared/diff/index.ts';
import type { ReevaluateOptions } from '#shared/flags/reevaluate.ts';
import type { SourceName } from '#shared/model/index.ts';
import type { FlagStore } from '#shared/store/index.ts';
import type { ReplayRequest } from '#shared/ingest/replay.ts';
import { startReplay } from './replay.ts';

/**
 * What runs when a new version of a config object is written (functions/config-changed): the
 * policy before and after, their diff, the stored flags re-evaluated under the new policy, the
 * policy version recorded, and (when `lookBack.days` > 0) a look-back replay of the log prefixes
 * the diff touches. AWS calls: s3:ListBucketVersions, s3:GetObjectVersion, s3:GetObject on the config
 * bucket; dynamodb:PutItem (the policy version record; the re-evaluation's own calls besides);
 * states:StartExecution on the replay state machine.
 */

/** A log prefix a look-back may replay, and the sources it can hold (`null`: any). */
export interface ReplaySource { bucket: string; prefix: string; sources: SourceName[] | null }

/** The re-evaluation of stored flags (reevaluateStoredFlags in shared/flags/reevaluate.ts; injected for tests). */
export type Reevaluate = (store: FlagStore, opts: Pick<ReevaluateOptions, 'config' | 'policyVersion' | 'now' | 'geoDatabase'>) => Promise<unknown>;

export interface ConfigChangeDeps {
  s3: S3Client;
  configBucket: string;
  /** ittmon.yaml's key. */
  configKey: string;
  dynamo: DynamoDBClient;
  tableName: string;
  store: FlagStore;
  reevaluate: Reevaluate;
  sfn: SFNClient;
  stateMachineArn: string;
  /** The stack setting `lookBack.days`; 0: no look-back replay. */
  lookBackDays: number;
  sources: ReplaySource[];
  now: () => Date;
  /** The geo database to place stored IPs again by (the policy's `geoip`, else the bundled one). */
  geoDatabase?: (policy: Policy) => Promise<Buffer | undefined>;
}

export type ConfigChangeOutcome =
  | { outcome: 'not-policy'; key: string }
  | { outcome: 'invalid'; key: string; problems: string }
  | { outcome: 'recorded'; policyVersion: string; previous?: string; diff?: PolicyDiff; replays: string[]; reevaluated: boolean };


/** Loads the policy with `key` at `versionId` and every other file at its current version. */
async function loadAt(d: ConfigChangeDeps, key: string, versionId: string): Promise<{ policy: Policy; versions: Map<string, string> }> {
  const versions = new Map<string, string>();
  const policy = await loadPolicy(d.configKey, async (path) => {
    const res = await d.s3.send(new GetObjectCommand({ Bucket: d.configBucket, Key: path, ...(path === key ? { VersionId: versionId } : {}) }));
    versions.set(path, res.VersionId ?? res.ETag ?? '');
    return res.Body!.transformToString('utf8');
  });
  return { policy, versions };
}

/** The version written just before `versionId` (S3 lists a key's versions newest first). */
async function previousVersion(d: ConfigChangeDeps, key: string, versionId: string): Promise<{ versionId: string; at: Date } | undefined> {
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  let seen = false;
  do {
    const page = await d.s3.send(new ListObjectVersionsCommand({ Bucket: d.configBucket, Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
    for (const v of (page.Versions ?? []).filter((x) => x.Key === key)) {
      if (seen) return { versionId: v.VersionId!, at: v.LastModified! };
      if (v.VersionId === versionId) seen = true;
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return undefined;
}

/** The log prefixes a diff touches: those that can hold one of its sources. */
export function touchedSources(diff: PolicyDiff, sources: ReplaySource[]): ReplaySource[] {
  return sources.filter((s) => !s.sources || s.sources.some((n) => diff.touches.sources.includes(n)));
}

export async function onConfigChange(d: ConfigChangeDeps, object: { key: string; versionId?: string; at: Date }): Promise<ConfigChangeOutcome> {
  const now = d.now();
  let after: Awaited<ReturnType<typeof loadAt>>;
  try {
    after = await loadAt(d, object.key, object.versionId ?? '');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // The ingest keeps its cached policy and reports the same problems; nothing to diff against.
    return { outcome: 'invalid', key: object.key, problems: e.message };
  }
  if (!after.versions.has(object.key)) return { outcome: 'not-policy', key: object.key };
  // The same version the laptop gives the same policy (shared/diff): what decides findings, hashed.
  const policyVersion = versionOf(after.policy);

  let before: Awaited<ReturnType<typeof loadAt>> | undefined;
  const prior = object.versionId ? await previousVersion(d, object.key, object.versionId) : undefined;
  if (prior) {
    try {
      before = await loadAt(d, object.key, prior.versionId);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e; // an invalid old policy: everything counts as new
    }
  }
  const diff = before ? diffPolicies(before.policy, after.policy) : undefined;

  const geoDatabase = await d.geoDatabase?.(after.policy);
  await d.reevaluate(d.store, { config: after.policy, policyVersion, now: now.toISOString(), ...(geoDatabase ? { geoDatabase } : {}) });

  const replays: string[] = [];
  if (d.lookBackDays > 0 && diff && !nothingTouched(diff)) {
    // The window ends when the new version was written, so that a retried event starts the same executions.
    const until = object.at.toISOString();
    const since = new Date(object.at.getTime() - d.lookBackDays * 86_400_000).toISOString();
    for (const s of touchedSources(diff, d.sources)) {
      const request: ReplayRequest = { bucket: s.bucket, prefix: s.prefix, since, until, lookBack: { policyVersion }, startedBy: 'config-change' };
      const name = `lookback-${policyVersion}-${s.bucket}-${s.prefix}`.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 80).replace(/-+$/, '');
      const started = await startReplay(d.sfn, d.stateMachineArn, request, object.at, name).catch((e: Error) => {
        // A repeated event after that execution ended: it ran already.
        if (e.name === 'ExecutionAlreadyExists') return { executionArn: `${d.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` };
        throw e;
      });
      replays.push(started.executionArn);
    }
  }

  // The record of this policy version, written once: a repeated event finds it there.
  await d.dynamo.send(new PutItemCommand({
    TableName: d.tableName,
    Item: marshall({
      pk: 'POLICY', sk: `VERSION#${object.at.toISOString()}#${policyVersion}`, type: 'policy-version', policyVersion, at: object.at.toISOString(), recordedAt: now.toISOString(),
      changed: object.key, objects: Object.fromEntries(after.versions), ...(before ? { previous: versionOf(before.policy) } : {}),
      ...(diff ? { touches: diff.touches } : {}), replays,
    }, { removeUndefinedValues: true }),
    ConditionExpression: 'attribute_not_exists(pk)',
  })).catch((e: Error) => { if (e.name !== 'ConditionalCheckFailedException') throw e; });

  return { outcome: 'recorded', policyVersion, ...(before ? { previous: versionOf(before.policy) } : {}), ...(diff ? { diff } : {}), replays, reevaluated: true };
}
