/**
 * Each message of a batch gets its own deadline: the time left, less a reserve per message still
 * to come (for saving and the continuation), shared fairly. A slow first message cannot eat the
 * time of the rest, and every message keeps its reserve for saving what it read.
 */
export interface MessageDeadline {
  /** True once this message must stop reading (saving and sending its continuation still fit). */
  stop: () => boolean;
  /** The reading time this message was given, in ms (≤ 0: not enough to start it). */
  budgetMs: number;
}

export function messageDeadline(remainingMs: () => number, messagesLeft: number, reserveMs: number): MessageDeadline {
  const at = remainingMs();
  const budgetMs = Math.floor((at - messagesLeft * reserveMs) / messagesLeft);
  const stopBelow = at - budgetMs;
  return { budgetMs, stop: () => remainingMs() < stopBelow };
}
