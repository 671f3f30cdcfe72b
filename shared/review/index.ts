import { z } from 'zod';
import { DISPOSITIONS, STATUSES, type Disposition, type FlagStatus, type ReviewChange, type StoredFlag } from '#shared/store/types.ts';

/** What a reviewer can do to a flag (DESIGN §3.10). */
export const decisionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('assign'), version: z.number().int().min(0) }),
  z.object({ action: z.literal('release'), version: z.number().int().min(0), justification: z.string().trim().optional() }),
  z.object({
    action: z.literal('close'), version: z.number().int().min(0),
    disposition: z.enum(DISPOSITIONS as [Disposition, ...Disposition[]]),
    reference: z.string().trim().optional(),
    justification: z.string().trim().min(10, 'a justification of at least 10 characters is required: say why'),
  }),
  z.object({ action: z.literal('escalate'), version: z.number().int().min(0), justification: z.string().trim().min(10, 'say why this may be a violation (at least 10 characters)') }),
  z.object({ action: z.literal('reopen'), version: z.number().int().min(0), justification: z.string().trim().min(10, 'say why the flag is reopened (at least 10 characters)') }),
]);
export type Decision = z.infer<typeof decisionSchema>;

/** Allowed moves: open → in_review → closed | escalated, and back (reopen). */
const TRANSITIONS: Record<Decision['action'], readonly FlagStatus[]> = {
  assign: ['open', 'in_review'],
  release: ['in_review'],
  close: ['open', 'in_review', 'escalated'],
  escalate: ['open', 'in_review'],
  reopen: ['closed', 'escalated'],
};
const TARGET: Record<Decision['action'], FlagStatus> = { assign: 'in_review', release: 'open', close: 'closed', escalate: 'escalated', reopen: 'open' };

export class ReviewError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'ReviewError';
  }
}

export const SYSTEM_REVIEWER = 'system';

/**
 * Checks a decision against the flag's state and prepares the change and its audit entry.
 * Pure: the store applies it with optimistic concurrency.
 */
export function prepareDecision(flag: StoredFlag, decision: Decision, reviewer: string, now: string): ReviewChange {
  if (!TRANSITIONS[decision.action].includes(flag.status)) {
    throw new ReviewError(`cannot ${decision.action} a flag that is ${flag.status.replace('_', ' ')}`);
  }
  const to = TARGET[decision.action];
  const base = { at: now, who: reviewer, action: decision.action, from: flag.status, to };
  switch (decision.action) {
    case 'assign':
      return { entry: { ...base, assignee: reviewer }, set: { status: to, assignee: reviewer } };
    case 'release':
      return { entry: { ...base, ...(decision.justification ? { justification: decision.justification } : {}) }, set: { status: to }, clear: ['assignee'] };
    case 'close': {
      const needs: Partial<Record<Disposition, string>> = { license_on_file: 'the license number', license_exception: 'the license exception (e.g. TSR §740.6)' };
      const need = needs[decision.disposition];
      if (need && !decision.reference) throw new ReviewError(`${decision.disposition} needs ${need} in reference`, 'reference');
      const reference = decision.reference ? { reference: decision.reference } : {};
      return {
        entry: { ...base, disposition: decision.disposition, justification: decision.justification, ...reference },
        set: { status: to, disposition: decision.disposition, justification: decision.justification, ...reference },
        ...(decision.reference ? {} : { clear: ['reference' as const] }),
      };
    }
    case 'escalate':
      return { entry: { ...base, justification: decision.justification }, set: { status: to, justification: decision.justification } };
    case 'reopen':
      return { entry: { ...base, justification: decision.justification }, set: { status: to }, clear: ['disposition', 'reference', 'justification', 'assignee'] };
  }
}

export { STATUSES, DISPOSITIONS };
