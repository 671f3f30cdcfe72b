/** An async lookup remembered for `ttlMs`, at most `max` keys (the oldest go first); `forget` drops one key. */
export function memoize<T>(lookup: (key: string) => Promise<T>, max = 50_000, ttlMs = 300_000, now = () => Date.now()) {
  const cache = new Map<string, { value: Promise<T>; at: number }>();
  return {
    get(key: string): Promise<T> {
      const hit = cache.get(key);
      if (hit && now() - hit.at < ttlMs) return hit.value;
      const value = lookup(key);
      cache.delete(key);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(key, { value, at: now() });
      value.catch(() => cache.delete(key)); // failures are not remembered
      return value;
    },
    forget: (key: string) => cache.delete(key),
  };
}
