import { describe, expect, it } from 'vitest';
import { messageDeadline } from '#shared/ingest/deadline.ts';

describe('per-message deadlines', () => {
  it('a batch of five in a 300-s invocation with a 60-s reserve: each message may read, a fair share each', () => {
    let now = 300_000;
    const first = messageDeadline(() => now, 5, 60_000);
    expect(first.budgetMs).toBe(48_000);
    now -= 47_000;
    expect(first.stop()).toBe(false);
    now -= 2_000;
    expect(first.stop()).toBe(true);
    // The last message, with what is left, still keeps its reserve for saving.
    const last = messageDeadline(() => 100_000, 1, 60_000);
    expect(last.budgetMs).toBe(40_000);
  });
  it('no time beyond the reserve: the message does not start (it goes back to the queue)', () => {
    expect(messageDeadline(() => 50_000, 2, 60_000).stop()).toBe(true);
  });
  it('a count of messages left below one is taken as this message alone: never no deadline, never an instant stop', () => {
    let now = 100_000;
    for (const left of [0, -1, -4]) {
      const d = messageDeadline(() => now, left, 60_000);
      expect(d.budgetMs).toBe(40_000);
      expect(d.stop()).toBe(false);
      now -= 41_000;
      expect(d.stop()).toBe(true);
      now = 100_000;
    }
  });
});
