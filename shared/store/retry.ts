/**
 * Retrying DynamoDB writes: optimistic-concurrency conflicts and throttling wait with exponential
 * backoff and full jitter (so that writers that collided do not collide again in step), and keep
 * trying: a contribution is never dropped because a flag is busy.
 */
export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  /** Attempts before giving up (then the caller's message is retried by SQS, so nothing is lost). */
  attempts: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  baseMs: 10, capMs: 2_000, attempts: 200, random: Math.random,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Error names DynamoDB uses for throttling (and transient overload) that a later attempt may pass. */
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'LimitExceededException', 'InternalServerError', 'ServiceUnavailable', 'TransactionConflictException']);
export const isThrottling = (e: unknown) => THROTTLING.has((e as { name?: string }).name ?? '') || (e as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true;

/** What retrying saw: for metrics and the benchmark. */
export interface RetryStats { conflicts: number; throttled: number; retries: number }
export const newRetryStats = (): RetryStats => ({ conflicts: 0, throttled: 0, retries: 0 });

export class Retry {
  constructor(private readonly policy: RetryPolicy = DEFAULT_RETRY, readonly stats: RetryStats = newRetryStats()) {}

  /**
   * Runs `attempt` until it returns a value. It returns `undefined` to say "conflict, read again";
   * throttling errors are retried too; any other error is thrown at once.
   */
  async run<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
    for (let n = 0; n < this.policy.attempts; n++) {
      if (n > 0) {
        this.stats.retries += 1;
        // Full jitter: a random wait up to the exponential bound.
        await this.policy.sleep(Math.floor(this.policy.random() * Math.min(this.policy.capMs, this.policy.baseMs * 2 ** Math.min(n, 20))));
      }
      try {
        const result = await attempt();
        if (result !== undefined) return result;
        this.stats.conflicts += 1;
      } catch (e) {
        if (!isThrottling(e)) throw e;
        this.stats.throttled += 1;
      }
    }
    throw new Error(`${what}: still conflicting or throttled after ${this.policy.attempts} attempts; the message will be retried (nothing is lost)`);
  }
}
