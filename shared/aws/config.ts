import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { loadPolicy, type Policy } from '#shared/config/index.ts';
import { readGeoDatabase } from '#shared/geo/index.ts';
import { s3Text, s3Version } from './s3-text.ts';

/** geoDatabase is absent when the cache was made without it (the review API places no IPs). */
export interface LoadedConfig { policy: Policy; geoDatabase?: Buffer }

/**
 * The policy from the config bucket (ittmon.yaml and the files it names), cached per container and
 * reloaded when an object version changes; versions are checked at most every `checkEveryMs`.
 */
export class ConfigCache {
  private loaded?: { config: LoadedConfig; versions: Map<string, string> };
  private checkedAt = 0;

  constructor(private readonly s3: S3Client, private readonly bucket: string, private readonly key = 'ittmon.yaml', private readonly checkEveryMs = 60_000, private readonly now = () => Date.now(), private readonly geo = true) {}

  async get(): Promise<LoadedConfig> {
    if (this.loaded && this.now() - this.checkedAt < this.checkEveryMs) return this.loaded.config;
    if (this.loaded) {
      const changed = await Promise.all([...this.loaded.versions].map(async ([key, v]) => (await s3Version(this.s3, this.bucket, key)) !== v));
      this.checkedAt = this.now();
      if (!changed.some(Boolean)) return this.loaded.config;
    }
    const versions = new Map<string, string>();
    // The bundled geo database is read while the policy loads (a policy rarely names its own `geoip:`);
    // a failure to read it is reported below, only if it is the one the policy uses.
    const bundledGeo = this.geo ? readGeoDatabase() : undefined;
    bundledGeo?.catch(() => undefined);
    const policy = await loadPolicy(this.key, async (path) => {
      const { text, version } = await s3Text(this.s3, this.bucket, path);
      versions.set(path, version);
      return text;
    });
    const geo = this.geo ? await policyGeoDatabase(this.s3, this.bucket, policy, bundledGeo) : undefined;
    if (geo?.version !== undefined) versions.set(policy.geoip!, geo.version);
    const geoDatabase = geo?.bytes;
    this.loaded = { config: { policy, ...(geoDatabase ? { geoDatabase } : {}) }, versions };
    this.checkedAt = this.now();
    return this.loaded.config;
  }
}

/** The geo database a policy names (`geoip:`, an object in the config bucket), else the bundled one (`bundled`, when already being read). */
export async function policyGeoDatabase(s3: S3Client, bucket: string, policy: Policy, bundled?: Promise<Buffer>): Promise<{ bytes: Buffer; version?: string }> {
  if (!policy.geoip) return { bytes: await (bundled ?? readGeoDatabase()) };
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: policy.geoip }));
  return { bytes: Buffer.from(await res.Body!.transformToByteArray()), version: res.VersionId ?? res.ETag ?? '' };
}
