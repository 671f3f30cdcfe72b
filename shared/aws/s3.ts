import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { omittedLine, type ObjectReader, type ObjectRef, type Omitted } from '#shared/ingest/index.ts';
import { isGzip } from '#shared/read/decompress.ts';
import { quarantineLines, type Rejected } from '#shared/pipeline/index.ts';
import type { QuarantineSink, SourceObject } from '#shared/store/index.ts';

/**
 * Streams log objects. Resuming a plain object is a byte Range; whether an object is compressed is
 * told by its first two bytes (the gzip magic number), never by its name, and a compressed one is
 * never entered in the middle (its resume offsets count decompressed bytes).
 */
export class S3ObjectReader implements ObjectReader {
  constructor(private readonly s3: S3Client) {}

  async open(ref: ObjectRef, fromByte: number) {
    const get = (range?: string) => this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, IfMatch: ref.etag ? `"${ref.etag.replace(/"/g, '')}"` : undefined, ...(range ? { Range: range } : {}) }));
    if (fromByte > 0) {
      const head = await (await get('bytes=0-1')).Body!.transformToByteArray();
      if (isGzip(head)) return { body: (async function* () {})(), ranged: false, compressed: true };
    }
    const res = await get(fromByte > 0 ? `bytes=${fromByte}-` : undefined);
    if (!res.Body) throw new Error(`s3://${ref.bucket}/${ref.key} has no body`);
    return { body: res.Body as Readable, ranged: fromByte > 0, ...(fromByte > 0 ? { compressed: false } : {}) };
  }
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

/** GetObjectTagging: the tags of an S3 object (labelLookup remembers the answers). */
export function s3TagLookup(s3: S3Client): (uri: string) => Promise<Record<string, string> | undefined> {
  return async (uri) => {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) return undefined;
    try {
      const res = await s3.send(new GetObjectTaggingCommand({ Bucket: m[1], Key: m[2] }));
      return Object.fromEntries((res.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    } catch {
      return undefined; // no permission, or the object is gone: classify without its tags
    }
  };
}

export async function s3Text(s3: S3Client, bucket: string, key: string): Promise<{ text: string; version: string }> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { text: await res.Body!.transformToString('utf8'), version: res.VersionId ?? res.ETag ?? '' };
}

export async function s3Version(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const res = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return res.VersionId ?? res.ETag;
  } catch {
    return undefined;
  }
}
