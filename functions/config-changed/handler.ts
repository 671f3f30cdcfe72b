import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { EventBridgeEvent } from 'aws-lambda';
import { onConfigChange, type Reevaluate, type ReplaySource } from '#shared/aws/config-change.ts';
import { policyGeoDatabase } from '#shared/aws/config.ts';
import { clients, env, flagStore } from '#shared/aws/runtime.ts';
import { reevaluateStoredFlags } from '#shared/flags/reevaluate.ts';

const logger = new Logger({ serviceName: 'ittmon-config-changed' });


/** S3 "Object Created" on EventBridge (the config bucket's EventBridge notifications). */
type ObjectCreated = EventBridgeEvent<'Object Created', { bucket: { name: string }; object: { key: string; 'version-id'?: string } }>;

let sfn: SFNClient | undefined;

/**
 * A new version of a config object: diff it against the one before, re-evaluate stored flags,
 * record the policy version and start the look-back (shared/aws/config-change.ts).
 */
export const createHandler = (reevaluate: Reevaluate) => async (event: ObjectCreated) => {
  const { key, 'version-id': versionId } = event.detail.object;
  const result = await onConfigChange({
    s3: clients.s3(), configBucket: env('CONFIG_BUCKET'), configKey: process.env.CONFIG_KEY || 'ittmon.yaml',
    dynamo: clients.dynamo(), tableName: env('TABLE_NAME'), store: flagStore(), reevaluate,
    sfn: (sfn ??= new SFNClient({})), stateMachineArn: env('REPLAY_STATE_MACHINE_ARN'),
    lookBackDays: Number(process.env.LOOK_BACK_DAYS ?? '0'), sources: JSON.parse(process.env.REPLAY_SOURCES ?? '[]') as ReplaySource[],
    now: () => new Date(), geoDatabase: async (policy) => (await policyGeoDatabase(clients.s3(), env('CONFIG_BUCKET'), policy)).bytes,
  }, { key, ...(versionId ? { versionId } : {}), at: new Date(event.time) });
  if (result.outcome === 'invalid') logger.error('the new config is not valid: nothing diffed or replayed', { key, problems: result.problems });
  else if (result.outcome === 'not-policy') logger.info('not part of the policy', { key });
  else logger.info('policy version recorded', { policyVersion: result.policyVersion, previous: result.previous, touches: result.diff?.touches, replays: result.replays });
  return result;
};

export const handler = createHandler(reevaluateStoredFlags);
