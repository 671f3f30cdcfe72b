import { describe, expect, it } from 'vitest';
import { memoize } from '#shared/ingest/memo.ts';

describe('memoize', () => {
  it('remembers answers for the TTL, at most max keys, not failures; forget drops one', async () => {
    let now = 0;
    const calls: string[] = [];
    const m = memoize(async (k: string) => { calls.push(k); if (k === 'bad') throw new Error('x'); return k.toUpperCase(); }, 2, 1000, () => now);
    expect(await m.get('a')).toBe('A');
    expect(await m.get('a')).toBe('A');
    expect(calls).toEqual(['a']);
    now = 1500;
    await m.get('a');
    expect(calls).toEqual(['a', 'a']);
    await m.get('b');
    await m.get('c'); // evicts the oldest (a)
    await m.get('a');
    expect(calls).toEqual(['a', 'a', 'b', 'c', 'a']);
    await expect(m.get('bad')).rejects.toThrow('x');
    await expect(m.get('bad')).rejects.toThrow('x');
    expect(calls.filter((c) => c === 'bad')).toHaveLength(2);
    m.forget('a');
    await m.get('a');
    expect(calls.filter((c) => c === 'a')).toHaveLength(4); // forgotten: asked again
  });
});
