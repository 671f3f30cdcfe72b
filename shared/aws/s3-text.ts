import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

// Small text objects (the config and the files it names): apart from s3.ts, so that a function that
// reads only its config (the review API) does not load the log readers, the pipeline and STS.

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
