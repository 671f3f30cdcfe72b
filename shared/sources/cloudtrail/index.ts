import { event, skip, reject, type AccessEvent, type Action, type Actor, type ParseOutcome, type Resource } from '#shared/model/index.ts';
import type { JsonObject } from '#shared/read/envelopes.ts';
import { basename, cleanIp, defineSource, emailCandidate, isObject, isoTime, num, str, withIp } from '../common.ts';
import { awsArnActor } from '../aws-identity.ts';
import { decodeKey } from '../s3-access/index.ts';

/**
 * CloudTrail S3 data events (general-purpose buckets, and S3 Express One Zone directory buckets,
 * `s3express.amazonaws.com`) and CodeCommit events, in trail files, NDJSON, CloudWatch Logs or
 * EventBridge (`detail`, taken off by the reader). Insights records share the bucket: skipped.
 */
const S3_SOURCES = new Set(['s3.amazonaws.com', 's3express.amazonaws.com']);
const S3_READS: Record<string, Action> = { GetObject: 'download', SelectObjectContent: 'download', GetObjectTorrent: 'download' };
const S3_COPIES = new Set(['CopyObject', 'UploadPartCopy']);
const CODECOMMIT_READS: Record<string, Action> = { GitPull: 'clone', GetBlob: 'view', GetFile: 'view', GetFolder: 'view', UploadArchive: 'download' };

function actorOf(record: JsonObject): Actor {
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const type = str(identity.type);
  const arn = str(identity.arn);
  if (type === 'AWSService' || str(identity.invokedBy)?.endsWith('.amazonaws.com')) {
    return { candidates: [`aws:${str(identity.invokedBy) ?? arn ?? 'service'}`], service: true };
  }
  if (type === 'AWSAccount' && (identity.accountId === 'anonymous' || identity.principalId === '')) return { candidates: [], anonymous: true };
  const onBehalfOf = isObject(identity.onBehalfOf) ? str(identity.onBehalfOf.userId) : undefined;
  const actor: Actor = arn ? awsArnActor(arn) : { candidates: [] };
  if (onBehalfOf) actor.candidates.push(`aws-sso:${onBehalfOf}`);
  actor.candidates.push(...emailCandidate(str(identity.userName)));
  if (actor.candidates.length === 0) {
    const principal = str(identity.principalId) ?? str(identity.accountId);
    if (!principal) return { candidates: [], anonymous: true };
    actor.candidates.push(`aws:${principal}`);
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: de-duplicating one candidate or none changes nothing; the test only saves the Set
  if (actor.candidates.length > 1) actor.candidates = [...new Set(actor.candidates)];
  return actor;
}

function s3Target(record: JsonObject, name: string): { bucket: string; key: string } | string {
  const params = isObject(record.requestParameters) ? record.requestParameters : {};
  if (S3_COPIES.has(name)) {
    const source = str(params['x-amz-copy-source']);
    if (!source) return `${name} without x-amz-copy-source: the object read is not known`;
    const path = decodeKey(source.split('?')[0]!.replace(/^\//, ''));
    const slash = path.indexOf('/');
    if (slash <= 0) return `${name} copy source "${source}" is not bucket/key`;
    return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
  }
  const bucket = str(params.bucketName);
  const key = str(params.key);
  if (bucket && key) return { bucket, key };
  const arn = Array.isArray(record.resources) ? record.resources.find((r) => isObject(r) && (r.type === 'AWS::S3::Object' || r.type === 'AWS::S3Express::Object')) : undefined;
  const objectArn = isObject(arn) ? str(arn.ARN) : undefined;
  const m = objectArn ? /^arn:aws[\w-]*:s3(?::::|express:[^:]*:[^:]*:bucket\/)([^/]+)\/(.+)$/.exec(objectArn) : null;
  return m ? { bucket: m[1]!, key: m[2]! } : `${name} without bucketName and key`;
}

/** PutObjectTagging: the object's tags now (DeleteObjectTagging: none). */
function tagsOf(record: JsonObject): Record<string, string> {
  const params = isObject(record.requestParameters) ? record.requestParameters : {};
  const tagging = isObject(params.Tagging) ? params.Tagging : {};
  const tagSet = isObject(tagging.TagSet) ? tagging.TagSet : {};
  const tags = Array.isArray(tagSet.Tag) ? tagSet.Tag : isObject(tagSet.Tag) ? [tagSet.Tag] : [];
  const out: Record<string, string> = {};
  for (const t of tags) if (isObject(t) && str(t.Key)) out[str(t.Key)!] = String(t.Value ?? '');
  return out;
}

function parseRecord(record: JsonObject, origin: { file: string; line: number }): ParseOutcome {
  const id = str(record.eventID);
  const time = isoTime(record.eventTime);
  const source = str(record.eventSource);
  const name = str(record.eventName);
  if (!id || !time || !source || !name) return reject('CloudTrail record needs eventID, eventTime, eventSource and eventName');
  const ip = cleanIp(record.sourceIPAddress);
  const ev = (action: Action, release: boolean, resource: Resource): AccessEvent => withIp({ id, source: 'cloudtrail', time, origin, actor: actorOf(record), action, release, resource }, ip);
  const extra = isObject(record.additionalEventData) ? record.additionalEventData : {};
  const failed = str(record.errorCode);

  if (S3_SOURCES.has(source)) {
    if (name === 'PutObjectTagging' || name === 'DeleteObjectTagging') {
      if (failed) return skip(`request failed: s3 ${name} ${failed}`);
      const target = s3Target(record, name);
      if (typeof target === 'string') return reject(target);
      const e = ev('label', false, { uri: `s3://${target.bucket}/${target.key}`, name: basename(target.key), tags: name === 'PutObjectTagging' ? tagsOf(record) : {} });
      e.labelChange = 'replace';
      return event(e);
    }
    const action = S3_READS[name] ?? (S3_COPIES.has(name) ? 'copy' : undefined);
    if (!action) return skip(`not a read: s3 ${name}`);
    if (failed) return skip(`request failed: s3 ${name} ${failed}`);
    const target = s3Target(record, name);
    if (typeof target === 'string') return skip(target);
    const bytes = num(extra.bytesTransferredOut);
    const e = ev(action, true, { uri: `s3://${target.bucket}/${target.key}`, name: basename(target.key) });
    if (bytes !== undefined && action !== 'copy') e.bytes = bytes;
    return event(e);
  }
  if (source === 'codecommit.amazonaws.com') {
    const action = CODECOMMIT_READS[name];
    if (!action) return skip(`not a read: codecommit ${name}`);
    if (failed) return skip(`request failed: codecommit ${name} ${failed}`);
    if (name === 'GitPull' && extra.dataTransferred === false) return skip('GitPull with no data transferred (repository already up to date)');
    const params = isObject(record.requestParameters) ? record.requestParameters : {};
    const arn = Array.isArray(record.resources) ? record.resources.map((r) => (isObject(r) ? str(r.ARN) : undefined)).find((a) => a?.includes(':codecommit:')) : undefined;
    const repo = str(extra.repositoryName) ?? str(params.repositoryName) ?? arn?.slice(arn.lastIndexOf(':') + 1);
    const region = str(record.awsRegion) ?? arn?.split(':')[3];
    if (!repo || !region) return reject(`codecommit ${name} without repository name or region`);
    const path = str(params.filePath) ?? str(params.folderPath);
    return event(ev(action, true, { uri: `codecommit://${region}/${repo}`, name: path ? basename(path) : repo }));
  }
  return skip(`not an S3 or CodeCommit data event: ${source} ${name}`);
}

export const cloudtrail = defineSource({
  name: 'cloudtrail',
  detect: (record) => typeof record === 'object' && (('eventSource' in record && 'eventName' in record) || 'digestPublicKeyFingerprint' in record || record.eventType === 'AwsCloudTrailInsight'),
  parse(record, origin) {
    if (typeof record !== 'object') return reject('CloudTrail records are JSON objects');
    if ('digestPublicKeyFingerprint' in record || 'digestS3Object' in record) return skip('CloudTrail digest file');
    if (record.eventType === 'AwsCloudTrailInsight' || record.eventCategory === 'Insight') return skip('CloudTrail Insights record: unusual API activity, not an access');
    return parseRecord(record, origin);
  },
});
