import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, Retry } from '#shared/store/index.ts';

const policy = (random: () => number, slept: number[]) => ({ ...DEFAULT_RETRY, baseMs: 10, capMs: 100, attempts: 6, random, sleep: async (ms: number) => { slept.push(ms); } });

describe('retrying conflicts and throttling', () => {
  it('waits a random share of an exponential bound (full jitter), capped', async () => {
    const slept: number[] = [];
    let n = 0;
    const retry = new Retry(policy(() => 0.5, slept));
    expect(await retry.run('x', async () => (++n < 6 ? undefined : 'done'))).toBe('done');
    expect(slept).toEqual([10, 20, 40, 50, 50]);
    expect(retry.stats).toEqual({ conflicts: 5, throttled: 0, retries: 5 });
  });

  it('two writers that collided wait different times (jitter), not in step', async () => {
    const a: number[] = [];
    const b: number[] = [];
    let i = 0;
    const seq = [0.1, 0.9, 0.3, 0.7];
    await new Retry(policy(() => seq[i++ % 4]!, a)).run('a', async () => (a.length < 2 ? undefined : 1));
    await new Retry(policy(() => seq[i++ % 4]!, b)).run('b', async () => (b.length < 2 ? undefined : 1));
    expect(a).not.toEqual(b);
  });

  it('retries throttling (by name and by the SDK retryable mark); throws any other error at once', async () => {
    const slept: number[] = [];
    const errors = [Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }), Object.assign(new Error('x'), { name: 'Whatever', $retryable: { throttling: true } })];
    const retry = new Retry(policy(() => 0, slept));
    expect(await retry.run('t', async () => { const e = errors.shift(); if (e) throw e; return 'ok'; })).toBe('ok');
    expect(retry.stats.throttled).toBe(2);
    await expect(retry.run('v', async () => { throw Object.assign(new Error('bad key'), { name: 'ValidationException' }); })).rejects.toThrow('bad key');
  });

  it('says that nothing is lost when it gives up', async () => {
    await expect(new Retry(policy(() => 0, [])).run('flag f1', async () => undefined)).rejects.toThrow(/flag f1: still conflicting or throttled after 6 attempts; the message will be retried/);
  });
});
