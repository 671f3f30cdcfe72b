import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** An S3 bucket as the monitor keeps its own: KMS-encrypted, SSL only, never public, access-logged. */
export function privateBucket(scope: Construct, id: string, key: IKey, accessLogs: IBucket, props: { versioned?: boolean; expireDays?: number; eventBridge?: boolean } = {}): Bucket {
  const bucket = new Bucket(scope, id, {
    encryption: BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: true,
    enforceSSL: true, blockPublicAccess: BlockPublicAccess.BLOCK_ALL, objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: props.versioned ?? false,
    serverAccessLogsBucket: accessLogs, serverAccessLogsPrefix: `${id}/`,
    ...(props.expireDays ? { lifecycleRules: [{ expiration: Duration.days(props.expireDays), noncurrentVersionExpiration: Duration.days(props.expireDays) }] } : {}),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // On the bucket itself (CloudFormation supports it), not through CDK's notifications custom resource.
  if (props.eventBridge) (bucket.node.defaultChild as CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
  return bucket;
}

/**
 * Server access logs of the monitor's own buckets.
 * Failure impact: none on monitoring; only the access record of the monitor's buckets is lost.
 */
export class AccessLogs extends Construct {
  readonly bucket: Bucket;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    // S3 server access log delivery supports SSE-S3 only on the target bucket.
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED, enforceSSL: true, blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED, lifecycleRules: [{ expiration: Duration.days(5 * 366) }], removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}

/**
 * The config bucket: ittmon.yaml, people.csv, catalog.csv and an optional .mmdb, versioned; each new
 * version goes to EventBridge, where the config-change function diffs it against the one before.
 * Failure impact: functions keep their cached config; a cold start without it fails and its
 * messages are retried from SQS (nothing is lost). Replay: fix the bucket, redrive the DLQ.
 */
export class ConfigBucket extends Construct {
  readonly bucket: Bucket;
  constructor(scope: Construct, id: string, key: IKey, accessLogs: IBucket) {
    super(scope, id);
    this.bucket = privateBucket(this, 'Bucket', key, accessLogs, { versioned: true, eventBridge: true });
  }
}
