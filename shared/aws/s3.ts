import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Readable } from 'node:stream';
import { omittedLine, type ObjectReader, type ObjectRef, type Omitted, type TagLookup } from '#shared/ingest/index.ts';
import { isGzip } from '#shared/read/decompress.ts';
import { quarantineLines, type Rejected } from '#shared/pipeline/index.ts';
import type { QuarantineSink, SourceObject } from '#shared/store/index.ts';

/**
 * Streams log objects. Resuming a plain object is a byte Range; whether an object is compressed is
 * told by its first two bytes (the gzip magic number), never by its name, and a compressed one is
 * never entered in the middle (its resume offsets count decompressed bytes).
 */
export class S3ObjectReader implements ObjectReader {
  /** `s3`: one client, or the client for each bucket (buckets in other accounts: see readRoleClients). */
  constructor(private readonly s3: S3Client | ((bucket: string) => S3Client)) {}

  async open(ref: ObjectRef, fromByte: number) {
    const s3 = typeof this.s3 === 'function' ? this.s3(ref.bucket) : this.s3;
    const get = (range?: string) => s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, IfMatch: ref.etag ? `"${ref.etag.replace(/"/g, '')}"` : undefined, ...(range ? { Range: range } : {}) }));
    if (fromByte > 0) {
      const head = await (await get('bytes=0-1')).Body!.transformToByteArray();
      if (isGzip(head)) return { body: (async function* () {})(), ranged: false, compressed: true };
    }
    const res = await get(fromByte > 0 ? `bytes=${fromByte}-` : undefined);
    if (!res.Body) throw new Error(`s3://${ref.bucket}/${ref.key} has no body`);
    return { body: res.Body as Readable, ranged: fromByte > 0, ...(fromByte > 0 ? { compressed: false } : {}) };
  }
}

/** A log bucket in another account, read through a role there (the stack's ITTMON_READ_ROLES). */
export interface ReadRole { bucket: string; roleArn: string }

/**
 * The S3 client for each bucket: buckets with a read role get a client whose credentials come from
 * sts:AssumeRole on that role (one client per role; the SDK renews them before they expire); the
 * others get `base`.
 */
export function readRoleClients(base: S3Client, roles: ReadRole[], sts: () => STSClient, make: (credentials: AwsCredentialIdentityProvider) => S3Client): (bucket: string) => S3Client {
  const byRole = new Map<string, S3Client>();
  return (bucket) => {
    const roleArn = roles.find((r) => r.bucket === bucket)?.roleArn;
    if (!roleArn) return base;
    let client = byRole.get(roleArn);
    if (!client) {
      client = make(async () => {
        const { Credentials: c } = await sts().send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'ittmon-ingest', DurationSeconds: 3600 }));
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`sts:AssumeRole on ${roleArn} returned no credentials`);
        return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}), ...(c.Expiration ? { expiration: c.Expiration } : {}) };
      });
      byRole.set(roleArn, client);
    }
    return client;
  };
}

/** Rejected records of one object as JSON lines under a quarantine prefix: re-processing replaces them. */
export class S3QuarantineSink implements QuarantineSink {
  constructor(private readonly s3: S3Client, private readonly bucket: string, private readonly prefix = 'quarantine/') {}

  async put(object: SourceObject, rejected: Rejected[], omitted?: Omitted): Promise<void> {
    if (!rejected.length) return;
    const key = `${this.prefix}${object.key.replace(/^[a-z0-9]+:\/\//, '')}.${object.etag}.jsonl`;
    await this.s3.send(new PutObjectCommand({
      Bucket: this.bucket, Key: key, ContentType: 'application/x-ndjson',
      Body: quarantineLines(object, rejected) + omittedLine(object, omitted),
    }));
  }
}

/** Where object tags may be read: the stack's dataBuckets setting (ITTMON_TAG_BUCKETS). */
export interface TagScope { bucket: string; prefix: string }

/**
 * GetObjectTagging: the tags of an S3 object (labelLookup remembers the answers). A refused lookup is
 * an answer (`denied`), counted and alarmed by the caller, never an object without tags; outside
 * `scope` nothing is asked (`skipped`). A missing object has no tags; any other error is thrown, so
 * that the message is retried.
 */
export function s3TagLookup(s3: S3Client, scope?: TagScope[]): TagLookup {
  return async (uri) => {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) return undefined;
    const [, bucket, key] = m as unknown as [string, string, string];
    if (scope && !scope.some((s) => s.bucket === bucket && key.startsWith(s.prefix))) return { skipped: `s3://${bucket} is not in the dataBuckets setting` };
    try {
      const res = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      return { tags: Object.fromEntries((res.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) };
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) return undefined;
      if (err.name === 'AccessDenied' || err.$metadata?.httpStatusCode === 403) return { denied: `GetObjectTagging on s3://${bucket}/${key}: ${err.name ?? 'AccessDenied'}` };
      throw e;
    }
  };
}

export { s3Text, s3Version } from './s3-text.ts';
