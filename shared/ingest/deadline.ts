/**
 * Each message of a batch gets its own deadline: a fair share of the time left after the reserve
 * (for saving what it read and sending its continuation). Messages run one after another, so each
 * keeps its own reserve when its turn comes, and a slow first message cannot eat the rest's time.
 */
export interface MessageDeadline {
  /** True once this message must stop reading (saving and sending its continuation still fit). */
  stop: () => boolean;
  /** The reading time this message was given, in ms (≤ 0: not enough to start it). */
  budgetMs: number;
}

export function messageDeadline(remainingMs: () => number, messagesLeft: number, reserveMs: number): MessageDeadline {
  const at = remainingMs();
  // This message is always one of those left: a count below one (a handler shared by two batches
  // at once, as a careless harness does) would give no deadline (÷0) or stop every message at once.
  const budgetMs = Math.floor((at - reserveMs) / Math.max(1, messagesLeft));
  const stopBelow = at - budgetMs;
  return { budgetMs, stop: () => remainingMs() < stopBelow };
}
