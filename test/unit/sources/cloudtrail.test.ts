import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cloudtrail } from '#shared/sources/cloudtrail/index.ts';
import { events, pantherLogs, parseWith, realFixture, handled } from '#test/helpers.ts';

const fixture = (name: string) => readFileSync(realFixture(name), 'utf8');
const origin = { file: 'f', line: 1 };

describe('CloudTrail — real fixtures', () => {
  it('reads the real GetObject record (pre-signed download) from a {"Records":[…]} file', async () => {
    const out = await parseWith(cloudtrail, fixture('02-cloudtrail-s3-getobject.sample.json'));
    expect(out).toHaveLength(1);
    const [e] = events(out);
    expect(e).toMatchObject({
      id: '3d4906c8-52ce-456f-bc0a-a89f07b364a0', source: 'cloudtrail', time: '2024-03-03T14:00:32.000Z', action: 'download', release: true,
      ip: '118.69.159.186', bytes: 7759, actor: { candidates: ['aws:arn:aws:iam::****:user/****'] },
      resource: { uri: 's3://aws-cloudtrail-logs-workshop/AWSLogs/*****/CloudTrail/ap-southeast-1/2024/03/03/*****_CloudTrail_ap-southeast-1_20240303T1355Z_FXZWnsQMI7Esmlr6.json.gz' },
    });
  });

  it('reads the same file gzipped, as trails deliver it', async () => {
    const out = await parseWith(cloudtrail, gzipSync(fixture('02-cloudtrail-s3-getobject.sample.json')), 'x.json.gz');
    expect(events(out)).toHaveLength(1);
  });

  it('rejects the AWS documentation CodeCommit examples as printed (comments, trailing commas) with a clear reason', async () => {
    const out = await parseWith(cloudtrail, fixture('02-cloudtrail-codecommit-gitpull.sample.jsonc'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/not valid JSON.*comments or trailing commas/) });
  });

  it('reads those CodeCommit records once repaired: pull without data is skipped, pull with data is a clone, push is not a read', () => {
    const text = fixture('02-cloudtrail-codecommit-gitpull.sample.jsonc').replace(/^\s*\/\/.*$/gm, '').replace(/,(\s*[}\]])/g, '$1');
    const records = JSON.parse(`[${text.trim().replace(/}\s*{/g, '},{')}]`) as Record<string, unknown>[];
    const out = records.map((r) => cloudtrail.parse(r, origin));
    expect(out.map((o) => o.kind)).toEqual(['skip', 'event', 'skip']);
    expect(out[0]).toEqual({ kind: 'skip', reason: 'GitPull with no data transferred (repository already up to date)' });
    expect(out[1]).toMatchObject({ kind: 'event', event: { action: 'clone', resource: { uri: 'codecommit://us-east-2/MyDemoRepo' }, actor: { candidates: ['aws:arn:aws:iam::444455556666:user/Mary_Major'] }, ip: '203.0.113.12' } });
    expect(out[2]).toEqual({ kind: 'skip', reason: 'not a read: codecommit GitPush' });
  });

  it('the Panther CopyObject test case has no copy source: the object read is unknown, so it is skipped with that reason', () => {
    const [log] = pantherLogs('02-cloudtrail-s3-copyobject.panther-test.yml');
    expect(cloudtrail.detect(log!)).toBe(true);
    expect(cloudtrail.parse(log!, origin)).toEqual({ kind: 'skip', reason: 'CopyObject without x-amz-copy-source: the object read is not known' });
  });

  it('reads a CloudWatch Logs subscription envelope built like the documented one (base64 gzip), skipping control messages', async () => {
    const doc = JSON.parse(fixture('02-cloudwatch-logs-subscription.sample.json'));
    const record = JSON.parse(fixture('02-cloudtrail-s3-getobject.sample.json')).Records[0];
    const payload = { ...doc.decoded_payload, logGroup: 'aws-cloudtrail-logs', logEvents: [{ id: '1', timestamp: 1, message: JSON.stringify(record) }] };
    const envelope = { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } };
    const control = { awslogs: { data: gzipSync(JSON.stringify({ messageType: 'CONTROL_MESSAGE', logEvents: [] })).toString('base64') } };
    const out = await parseWith(cloudtrail, `${JSON.stringify(envelope)}\n${JSON.stringify(control)}\n`);
    expect(out.map((o) => o.kind)).toEqual(['event', 'skip']);
    expect(out[1]).toEqual({ kind: 'skip', reason: 'CloudWatch Logs control message' });
  });

  it('the documented envelope itself is truncated by AWS ("...") and is rejected with a reason', async () => {
    const doc = JSON.parse(fixture('02-cloudwatch-logs-subscription.sample.json'));
    const out = await parseWith(cloudtrail, JSON.stringify(doc.lambda_event));
    expect(out).toEqual([{ kind: 'reject', reason: expect.stringMatching(/not base64 \(gzip\) JSON/) }]);
  });
});

const base = (over: Record<string, unknown> = {}) => ({
  eventVersion: '1.10', eventID: 'e-1', eventTime: '2026-10-15T09:02:10Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', awsRegion: 'us-east-1',
  sourceIPAddress: '10.1.2.3', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/praman', userName: 'praman' },
  requestParameters: { bucketName: 'b', key: 'dir/f.step' }, additionalEventData: { bytesTransferredOut: 10 }, ...over,
});

describe('CloudTrail — behaviour', () => {
  it('CopyObject reads its x-amz-copy-source', () => {
    const out = cloudtrail.parse(base({ eventName: 'CopyObject', requestParameters: { bucketName: 'dest', key: 'k', 'x-amz-copy-source': 'src-bucket/a%20b/c.txt?versionId=1' } }), origin);
    expect(out).toMatchObject({ kind: 'event', event: { action: 'copy', resource: { uri: 's3://src-bucket/a b/c.txt' } } });
  });
  it('SelectObjectContent is a read; HeadObject is not; failures are skipped', () => {
    expect(cloudtrail.parse(base({ eventName: 'SelectObjectContent' }), origin).kind).toBe('event');
    expect(cloudtrail.parse(base({ eventName: 'HeadObject' }), origin)).toEqual({ kind: 'skip', reason: 'not a read: s3 HeadObject' });
    expect(cloudtrail.parse(base({ errorCode: 'AccessDenied' }), origin)).toEqual({ kind: 'skip', reason: 'request failed: s3 GetObject AccessDenied' });
  });
  it('PutObjectTagging becomes a label event carrying the new tags', () => {
    const out = cloudtrail.parse(base({ eventName: 'PutObjectTagging', requestParameters: { bucketName: 'b', key: 'k', Tagging: { TagSet: { Tag: [{ Key: 'export-control', Value: 'ITAR' }, { Key: 'owner', Value: 'x' }] } } } }), origin);
    expect(out).toMatchObject({ kind: 'event', event: { action: 'label', release: false, labelChange: 'replace', resource: { uri: 's3://b/k', tags: { 'export-control': 'ITAR', owner: 'x' } } } });
  });
  it('CodeCommit GetFile, GetFolder and UploadArchive are reads', () => {
    for (const name of ['GetBlob', 'GetFile', 'GetFolder', 'UploadArchive']) {
      const out = cloudtrail.parse(base({ eventSource: 'codecommit.amazonaws.com', eventName: name, requestParameters: { repositoryName: 'radhard-sram', filePath: 'rtl/top.v' } }), origin);
      expect(out).toMatchObject({ kind: 'event', event: { release: true, resource: { uri: 'codecommit://us-east-1/radhard-sram' } } });
    }
  });
  it('AWS services are service principals; anonymous callers are anonymous; SSO sessions give an e-mail', () => {
    expect(cloudtrail.parse(base({ userIdentity: { type: 'AWSService', invokedBy: 'backup.amazonaws.com' }, sourceIPAddress: 'backup.amazonaws.com' }), origin)).toMatchObject({ kind: 'event', event: { actor: { service: true } } });
    const anon = cloudtrail.parse(base({ userIdentity: { type: 'AWSAccount', accountId: 'anonymous', principalId: '' } }), origin);
    expect(anon).toMatchObject({ kind: 'event', event: { actor: { anonymous: true } } });
    const sso = cloudtrail.parse(base({ userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/AWSReservedSSO_X/li.wei@northfield.edu' } }), origin);
    expect(sso).toMatchObject({ kind: 'event', event: { actor: { candidates: ['aws:arn:aws:sts::1:assumed-role/AWSReservedSSO_X/li.wei@northfield.edu', 'email:li.wei@northfield.edu'] } } });
  });
  it('a host name in sourceIPAddress is not an IP', () => {
    const out = cloudtrail.parse(base({ sourceIPAddress: 'AWS Internal' }), origin);
    expect(out.kind === 'event' && out.event.ip).toBeFalsy();
  });
  it('other services, digests and incomplete records', () => {
    expect(cloudtrail.parse(base({ eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' }), origin)).toEqual({ kind: 'skip', reason: 'not an S3 or CodeCommit data event: iam.amazonaws.com CreateUser' });
    expect(cloudtrail.parse({ digestPublicKeyFingerprint: 'x', digestS3Object: 'y' }, origin)).toEqual({ kind: 'skip', reason: 'CloudTrail digest file' });
    expect(cloudtrail.parse(base({ eventID: undefined }), origin).kind).toBe('reject');
  });
  it('never throws on hostile records (fuzz)', () => {
    fc.assert(fc.property(fc.object({ maxDepth: 3 }), fc.anything(), (obj, value) => {
      for (const r of [obj, { ...base(), ...obj }, base({ userIdentity: value }), base({ requestParameters: value }), base({ resources: value, requestParameters: null })]) {
        expect(['event', 'skip', 'reject']).toContain(handled(cloudtrail.parse(r as Record<string, unknown>, origin)));
      }
    }), { numRuns: 300 });
  });
});

describe('CloudTrail — Insights, EventBridge delivery and S3 Express One Zone (test/fixtures/variants)', () => {
  const variant = (name: string) => readFileSync(new URL(`../../fixtures/variants/logs/${name}`, import.meta.url));
  const show = (out: Awaited<ReturnType<typeof parseWith>>) => out.map((o) => (o.kind === 'event' ? `${o.event.action} ${o.event.resource.uri} ${o.event.actor.candidates[0]}` : `${o.kind}: ${o.reason}`));
  it('Insights records (start and end) are skipped with their reason, not quarantined', async () => {
    expect(show(await parseWith(cloudtrail, variant('cloudtrail-insights.json')))).toEqual([
      'skip: CloudTrail Insights record: unusual API activity, not an access',
      'skip: CloudTrail Insights record: unusual API activity, not an access',
    ]);
    expect(cloudtrail.detect({ eventType: 'AwsCloudTrailInsight', eventID: 'x', eventTime: '2026-10-15T09:00:00Z' })).toBe(true);
  });
  it('an EventBridge "AWS API Call via CloudTrail" event is read as its detail; other EventBridge events are skipped', async () => {
    expect(show(await parseWith(cloudtrail, variant('cloudtrail-eventbridge.jsonl')))).toEqual([
      'download s3://acme-research/hgv/runs/case12.h5 aws:arn:aws:iam::111122223333:user/lwei',
      'skip: EventBridge event, not an access record: "Object Created" from aws.s3',
    ]);
  });
  it('S3 Express One Zone: GetObject and the source of CopyObject are reads; CreateSession is not', async () => {
    expect(show(await parseWith(cloudtrail, variant('cloudtrail-s3express.json')))).toEqual([
      'skip: not a read: s3 CreateSession',
      'download s3://hgv-scratch--usw2-az1--x-s3/runs/case12.h5 aws:arn:aws:sts::111122223333:assumed-role/ResearchRole/lwei@acme.edu',
      'copy s3://hgv-scratch--usw2-az1--x-s3/runs/case12.h5 aws:arn:aws:sts::111122223333:assumed-role/ResearchRole/lwei@acme.edu',
    ]);
  });
  it('an S3 Express object found only by its resource ARN', () => {
    const r = { eventID: 'e1', eventTime: '2026-10-15T09:00:00Z', eventSource: 's3express.amazonaws.com', eventName: 'GetObject', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/lwei' }, resources: [{ type: 'AWS::S3Express::Object', ARN: 'arn:aws:s3express:us-west-2:111122223333:bucket/b--usw2-az1--x-s3/a/b.txt' }] };
    expect(cloudtrail.parse(r, { file: 'f', line: 1 })).toMatchObject({ kind: 'event', event: { resource: { uri: 's3://b--usw2-az1--x-s3/a/b.txt' } } });
  });
});

// Behaviour from the CloudTrail record contents (reference/log-sources/02-cloudtrail.md), each with its second case.
const ct = (over: Record<string, unknown> = {}) => cloudtrail.parse(base(over), origin);
const cc = (over: Record<string, unknown> = {}) => ct({ eventSource: 'codecommit.amazonaws.com', eventName: 'GitPull', requestParameters: {}, additionalEventData: { repositoryName: 'radhard-sram', dataTransferred: true }, ...over });
describe('CloudTrail — documented behaviour, second cases', () => {
  it('bytesTransferredOut is the size of a read, never of a copy (the copy moves no bytes out of AWS)', () => {
    expect(ct()).toMatchObject({ kind: 'event', event: { action: 'download', bytes: 10 } });
    expect(ct({ eventName: 'GetObjectTorrent', additionalEventData: { bytesTransferredOut: 0 } })).toMatchObject({ kind: 'event', event: { action: 'download', bytes: 0 } });
    const none = ct({ additionalEventData: {} });
    expect(none.kind === 'event' && 'bytes' in none.event).toBe(false);
    const copy = ct({ eventName: 'UploadPartCopy', requestParameters: { bucketName: 'dest', key: 'k', 'x-amz-copy-source': '/src-bucket/runs/case12.h5' } });
    expect(copy).toMatchObject({ kind: 'event', event: { action: 'copy', resource: { uri: 's3://src-bucket/runs/case12.h5', name: 'case12.h5' } } });
    expect(copy.kind === 'event' && 'bytes' in copy.event).toBe(false);
  });
  it('a copy without a source, or with a source that is not bucket/key, is skipped with that reason', () => {
    expect(ct({ eventName: 'UploadPartCopy', requestParameters: { bucketName: 'dest', key: 'k' } })).toEqual({ kind: 'skip', reason: 'UploadPartCopy without x-amz-copy-source: the object read is not known' });
    expect(ct({ eventName: 'CopyObject', requestParameters: { 'x-amz-copy-source': 'just-a-bucket' } })).toEqual({ kind: 'skip', reason: 'CopyObject copy source "just-a-bucket" is not bucket/key' });
    expect(ct({ eventName: 'CopyObject', requestParameters: { 'x-amz-copy-source': '/key-without-bucket' } })).toEqual({ kind: 'skip', reason: 'CopyObject copy source "/key-without-bucket" is not bucket/key' });
  });
  it('the object from bucketName and key, else from the AWS::S3::Object resource ARN; with neither the read is skipped', () => {
    expect(ct({ requestParameters: {}, resources: [{ type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::other' }, { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::b2/x/y.step' }] })).toMatchObject({ kind: 'event', event: { resource: { uri: 's3://b2/x/y.step', name: 'y.step' } } });
    expect(ct({ requestParameters: { bucketName: 'b' }, resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws-us-gov:s3:::gov-b/z.h5' }] })).toMatchObject({ kind: 'event', event: { resource: { uri: 's3://gov-b/z.h5' } } });
    expect(ct({ requestParameters: { key: 'k' } })).toEqual({ kind: 'skip', reason: 'GetObject without bucketName and key' });
  });
  it('DeleteObjectTagging leaves the object without tags; a single tag (not a list) is read; a failed or object-less tagging is not a label', () => {
    expect(ct({ eventName: 'DeleteObjectTagging', requestParameters: { bucketName: 'b', key: 'dir/k.step' } })).toMatchObject({ kind: 'event', event: { action: 'label', labelChange: 'replace', release: false, resource: { uri: 's3://b/dir/k.step', name: 'k.step', tags: {} } } });
    expect(ct({ eventName: 'PutObjectTagging', requestParameters: { bucketName: 'b', key: 'k', Tagging: { TagSet: { Tag: { Key: 'export-control', Value: 'EAR' } } } } })).toMatchObject({ kind: 'event', event: { resource: { tags: { 'export-control': 'EAR' } } } });
    expect(ct({ eventName: 'PutObjectTagging', requestParameters: { bucketName: 'b', key: 'k', Tagging: { TagSet: { Tag: [{ Key: 'empty' }] } } } })).toMatchObject({ kind: 'event', event: { resource: { tags: { empty: '' } } } });
    expect(ct({ eventName: 'PutObjectTagging', errorCode: 'AccessDenied' })).toEqual({ kind: 'skip', reason: 'request failed: s3 PutObjectTagging AccessDenied' });
    expect(ct({ eventName: 'DeleteObjectTagging', requestParameters: { bucketName: 'b' } })).toEqual({ kind: 'reject', reason: 'DeleteObjectTagging without bucketName and key' });
  });
  it('CodeCommit: the repository from additionalEventData, requestParameters or the resource ARN (which also gives the region)', () => {
    expect(cc()).toMatchObject({ kind: 'event', event: { action: 'clone', resource: { uri: 'codecommit://us-east-1/radhard-sram', name: 'radhard-sram' } } });
    const byArn = cc({ awsRegion: undefined, additionalEventData: { dataTransferred: true }, resources: [{ type: 'AWS::CodeCommit::Repository', ARN: 'arn:aws:codecommit:eu-west-1:111122223333:hgv-solver' }] });
    expect(byArn).toMatchObject({ kind: 'event', event: { resource: { uri: 'codecommit://eu-west-1/hgv-solver' } } });
    expect(cc({ eventName: 'GetFolder', additionalEventData: {}, requestParameters: { repositoryName: 'r2', folderPath: 'rtl/core' } })).toMatchObject({ kind: 'event', event: { action: 'view', resource: { uri: 'codecommit://us-east-1/r2', name: 'core' } } });
    expect(cc({ additionalEventData: { dataTransferred: true } })).toEqual({ kind: 'reject', reason: 'codecommit GitPull without repository name or region' });
    expect(cc({ awsRegion: undefined })).toEqual({ kind: 'reject', reason: 'codecommit GitPull without repository name or region' });
  });
  it('CodeCommit: a push and a failed pull are not reads', () => {
    expect(cc({ eventName: 'GitPush' })).toEqual({ kind: 'skip', reason: 'not a read: codecommit GitPush' });
    expect(cc({ errorCode: 'RepositoryDoesNotExistException' })).toEqual({ kind: 'skip', reason: 'request failed: codecommit GitPull RepositoryDoesNotExistException' });
  });
  it('identity: Identity Center\'s onBehalfOf user, an e-mail userName, the principal when there is no ARN; a call invoked by a service is the service', () => {
    expect(ct({ userIdentity: { type: 'IdentityCenterUser', onBehalfOf: { userId: '9067-abc', identityStoreArn: 'arn:aws:identitystore::1:identitystore/d-1' } } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['aws-sso:9067-abc'] } } });
    expect(ct({ userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/li.wei@northfield.edu', userName: 'li.wei@northfield.edu' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['aws:arn:aws:iam::1:user/li.wei@northfield.edu', 'email:li.wei@northfield.edu'] } } });
    expect(ct({ userIdentity: { type: 'FederatedUser', principalId: '111122223333:lwei' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['aws:111122223333:lwei'] } } });
    expect(ct({ userIdentity: { type: 'AWSAccount', accountId: '444455556666' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['aws:444455556666'] } } });
    expect(ct({ userIdentity: { type: 'Unknown' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
    expect(ct({ userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/R/s', invokedBy: 'athena.amazonaws.com' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['aws:athena.amazonaws.com'], service: true } } });
    expect(ct({ userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/R/s', invokedBy: 'AWS Internal' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['aws:arn:aws:sts::1:assumed-role/R/s'] } } });
    expect(ct({ userIdentity: { type: 'AWSService' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['aws:service'], service: true } } });
  });
  it('an Insight by eventCategory alone is skipped too', () => {
    expect(ct({ eventCategory: 'Insight' })).toEqual({ kind: 'skip', reason: 'CloudTrail Insights record: unusual API activity, not an access' });
  });
});

describe('CloudTrail — text', () => {
  it('a text line is refused as not JSON', () => {
    expect(cloudtrail.parse('GetObject b/k 10.1.2.3', origin)).toEqual({ kind: 'reject', reason: 'CloudTrail records are JSON objects' });
  });
});
