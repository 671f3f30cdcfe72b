import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadPolicy } from '#shared/config/index.ts';
import { repoRoot } from '#test/helpers.ts';

const examples = (p: string) => readFile(join(repoRoot, 'examples', p), 'utf8');

// In AWS each file of the config is an S3 round trip on a cold start: the directory and the catalog
// are requested together, and still read (and reported) in order.
describe('loading the config reads the directory and the catalog at once', () => {
  it('asks for both before either has arrived', async () => {
    const asked: string[] = [];
    let release!: () => void;
    const both = new Promise<void>((r) => { release = r; });
    const policy = await loadPolicy('ittmon.yaml', async (p) => {
      asked.push(p);
      if (p !== 'ittmon.yaml') {
        if (asked.length === 3) release();
        await both; // a loader that waited for one file before asking for the next would never get here
      }
      return examples(p);
    });
    expect(asked).toEqual(['ittmon.yaml', 'people.csv', 'catalog.csv']);
    expect(policy.people.length).toBeGreaterThan(5);
    expect(policy.catalog.length).toBeGreaterThan(0);
  });
  it('reports a file that cannot be read as before, whichever of the two it is, and nothing escapes unhandled', async () => {
    for (const missing of ['people.csv', 'catalog.csv']) {
      const error = await loadPolicy('ittmon.yaml', (p) => (p === missing ? (() => { throw new Error('NoSuchKey'); })() : examples(p))).catch((e: unknown) => e);
      expect(error, missing).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((x) => x.file)).toContain(missing);
    }
  });
});
