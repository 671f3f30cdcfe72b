import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigCache } from '#shared/aws/config.ts';
import { PEOPLE_HEADER } from '#test/helpers.ts';
import { s3Loopback } from './aws.ts';

let s3: Awaited<ReturnType<typeof s3Loopback>>;
const yaml = (name: string) => `directory: people.csv\ndatasets:\n  - { id: d, name: ${name}, jurisdiction: EAR, classification: EAR99, match: { paths: ["s3://b/**"] } }\n`;

beforeAll(async () => {
  s3 = await s3Loopback();
  await s3.bucket('config-bucket');
  await s3.put('config-bucket', 'ittmon.yaml', yaml('First'));
  await s3.put('config-bucket', 'people.csv', `${PEOPLE_HEADER}\np-1,A,,github:a,US,,,\n`);
});
afterAll(async () => s3?.close());

describe('ConfigCache (the config bucket, per container)', () => {
  it('loads once, checks versions at most every interval, and reloads when an object changed', async () => {
    let now = 0;
    const cache = new ConfigCache(s3.client, 'config-bucket', 'ittmon.yaml', 60_000, () => now);
    const first = await cache.get();
    expect(first.policy.datasets[0]!.name).toBe('First');
    expect(first.geoDatabase!.length).toBeGreaterThan(1_000_000); // the bundled database
    await s3.put('config-bucket', 'ittmon.yaml', yaml('Second'));
    now = 30_000;
    expect(await cache.get()).toBe(first); // within the interval: the cached config, no S3 call
    now = 61_000;
    expect((await cache.get()).policy.datasets[0]!.name).toBe('Second');
    now = 200_000;
    const again = await cache.get();
    now = 300_000;
    expect(await cache.get()).toBe(again); // unchanged versions: still the same object
    await s3.put('config-bucket', 'people.csv', `${PEOPLE_HEADER}\np-1,A,,github:a,US,,,\np-2,B,,github:b,CN,,,\n`);
    now = 400_000;
    expect((await cache.get()).policy.people).toHaveLength(2); // a named file changed too
  });
  describe('with the bundled geo-IP database missing (read while the policy loads)', () => {
    let before: string | undefined;
    beforeAll(() => { before = process.env.ITTMON_GEO_DB; process.env.ITTMON_GEO_DB = '/nonexistent/geo.mmdb'; });
    afterAll(() => { if (before === undefined) delete process.env.ITTMON_GEO_DB; else process.env.ITTMON_GEO_DB = before; });
    it('a policy that names its own database (geoip:) loads, with that database, and nothing fails unhandled', async () => {
      await s3.put('config-bucket', 'own-geo.yaml', `geoip: own.mmdb\n${yaml('Own')}`);
      await s3.put('config-bucket', 'own.mmdb', Buffer.from('our own database'));
      const loaded = await new ConfigCache(s3.client, 'config-bucket', 'own-geo.yaml').get();
      expect(loaded.geoDatabase?.toString()).toBe('our own database');
    });
    it('a policy that uses the bundled one fails naming the missing file; a bad policy fails for what is wrong with it', async () => {
      await expect(new ConfigCache(s3.client, 'config-bucket', 'ittmon.yaml').get()).rejects.toThrow(/nonexistent\/geo\.mmdb/);
      await s3.put('config-bucket', 'broken.yaml', 'directory: nobody.csv\ndatasets: []\n');
      await expect(new ConfigCache(s3.client, 'config-bucket', 'broken.yaml').get()).rejects.toThrow(/broken\.yaml:2 datasets: at least one dataset is needed/);
    });
    it('the review API\'s cache (no geo) neither reads nor needs it', async () => {
      expect((await new ConfigCache(s3.client, 'config-bucket', 'ittmon.yaml', undefined, undefined, false).get()).geoDatabase).toBeUndefined();
    });
  });
  it('a bad configuration is a ConfigError naming the object', async () => {
    await s3.put('config-bucket', 'broken.yaml', 'directory: nobody.csv\ndatasets: []\n');
    await expect(new ConfigCache(s3.client, 'config-bucket', 'broken.yaml').get()).rejects.toThrow(/broken\.yaml:2 datasets: at least one dataset is needed/);
  });
});
