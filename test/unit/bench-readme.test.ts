import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figuresBlock, renderFigures, spread, type BenchResults } from '../../bench/readme.ts';
import { repoRoot } from '#test/helpers.ts';

describe('README performance figures', () => {
  it('are exactly what bench/results.json says (regenerate with `npm run bench -- --readme`)', () => {
    const results = JSON.parse(readFileSync(join(repoRoot, 'bench', 'results.json'), 'utf8')) as BenchResults;
    const block = figuresBlock(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
    expect(block, 'README.md has no bench:begin/bench:end block in "## Performance"').toBeDefined();
    expect(block).toBe(renderFigures(results));
  });
});

describe('spread: min, median and max over the runs', () => {
  it('takes the middle run for an odd count and the mean of the two middle runs for an even count, in any order', () => {
    expect(spread([30, 10, 20, 50, 40])).toMatchObject({ min: 10, median: 30, max: 50, runs: 5 });
    expect(spread([40, 10, 30, 20])).toMatchObject({ min: 10, median: 25, max: 40, runs: 4 });
  });
  it('calls a spread wide when a run lies more than 15 % from the median, on either side', () => {
    expect(spread([100, 100, 115, 100, 85])).toMatchObject({ spreadPct: 15, wide: false });
    expect(spread([100, 100, 116, 100, 100])).toMatchObject({ spreadPct: 16, wide: true });
    expect(spread([84, 100, 100, 100, 100])).toMatchObject({ spreadPct: 16, wide: true });
  });
  it('rounds to the digits asked for', () => {
    expect(spread([0.123, 0.456, 0.789], 2)).toMatchObject({ min: 0.12, median: 0.46, max: 0.79 });
  });
});
