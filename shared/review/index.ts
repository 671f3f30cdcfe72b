import * as z from 'zod';
import type { Role } from './identity.ts';
import { DISPOSITIONS, STATUSES, type Disposition, type FlagStatus, type ReviewChange, type StoredFlag } from '#shared/store/types.ts';

/** Field limits: an over-long field is refused with its name (400), never stored or truncated. */
export const LIMITS = { justification: 4000, reference: 200 } as const;
const why = (min: string) => z.string().trim().min(10, min).max(LIMITS.justification, `at most ${LIMITS.justification} characters`);
const version = z.number().int().min(0);

/** What a reviewer can do to a flag (DESIGN §3.10). */
export const decisionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('assign'), version }),
  z.object({ action: z.literal('reassign'), version, justification: why('say why you take over this assignment (at least 10 characters)') }),
  z.object({ action: z.literal('release'), version, justification: z.string().trim().max(LIMITS.justification, `at most ${LIMITS.justification} characters`).optional() }),
  z.object({
    action: z.literal('close'), version,
    disposition: z.enum(DISPOSITIONS as [Disposition, ...Disposition[]]),
    reference: z.string().trim().max(LIMITS.reference, `at most ${LIMITS.reference} characters`).optional(),
    justification: why('a justification of at least 10 characters is required: say why'),
  }),
  z.object({ action: z.literal('escalate'), version, justification: why('say why this may be a violation (at least 10 characters)') }),
  z.object({ action: z.literal('reopen'), version, justification: why('say why the flag is reopened (at least 10 characters)') }),
]);

/** Revealing a pseudonymised person needs a reason; it goes into the audit trail. */
export const revealSchema = z.object({ reason: why('say why you need to see who this is (at least 10 characters)') });
export type Decision = z.infer<typeof decisionSchema>;

/**
 * Allowed moves: open → in_review → closed | escalated, and back (reopen). A reviewer cannot
 * decide a superseded flag (409): only reopen it. Only the system supersedes (prepareSupersede).
 */
const TRANSITIONS: Record<Decision['action'], readonly FlagStatus[]> = {
  assign: ['open', 'in_review'],
  reassign: ['in_review'],
  release: ['in_review'],
  close: ['open', 'in_review', 'escalated'],
  escalate: ['open', 'in_review'],
  reopen: ['closed', 'escalated', 'superseded'],
};
const TARGET: Record<Decision['action'], FlagStatus> = { assign: 'in_review', reassign: 'in_review', release: 'open', close: 'closed', escalate: 'escalated', reopen: 'open' };

export class ReviewError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'ReviewError';
  }
}

/** A decision the state allows but the four-eyes rules forbid to this reviewer (HTTP 403). */
export class FourEyesError extends ReviewError {
  constructor(message: string) {
    super(message);
    this.name = 'FourEyesError';
  }
}

/** A move only the system makes (superseding a flag after a policy change): refused to any reviewer (HTTP 403). */
export class SystemOnlyError extends ReviewError {
  constructor(message: string) {
    super(message);
    this.name = 'SystemOnlyError';
  }
}

/** Refuses a reviewer's request for a system-only move, with what the reviewer can do instead. */
export function refuseSystemOnly(body: unknown): void {
  if ((body as { action?: unknown } | null | undefined)?.action === 'supersede') {
    throw new SystemOnlyError('only the system supersedes a flag, when a new policy version no longer supports it; a reviewer closes it with a disposition instead, and may reopen a superseded flag');
  }
}

export const SYSTEM_REVIEWER = 'system';

/** What the four-eyes rules need to know about the person deciding. */
export interface DecidingReviewer {
  roles: readonly Role[];
  /** The signed-in identity matches the flag's person, account or e-mail in the directory. */
  isSubject: boolean;
  /** Who escalated the flag last (from the audit trail), if it is escalated. */
  escalatedBy?: string | undefined;
}

/**
 * Four eyes: nobody decides a flag about themselves; another reviewer's assignment is taken over
 * only by an explicit reassign; an escalation is closed by an admin or by someone other than the
 * reviewer who escalated it.
 */
function checkFourEyes(flag: StoredFlag, decision: Decision, reviewer: string, who: DecidingReviewer): void {
  if (who.isSubject) throw new FourEyesError('you are the person this flag is about: another reviewer must decide it');
  const owner = flag.status === 'in_review' ? flag.assignee : undefined;
  if (owner && owner !== reviewer && decision.action !== 'reassign') {
    throw new FourEyesError(`this flag is assigned to ${owner}: take it over with "reassign" (and say why) before you ${decision.action} it`);
  }
  if (decision.action === 'reassign' && owner === reviewer) throw new ReviewError('this flag is already assigned to you');
  if (decision.action === 'close' && flag.status === 'escalated' && who.escalatedBy === reviewer && !who.roles.includes('admin')) {
    throw new FourEyesError('you escalated this flag: an admin or another reviewer must close it');
  }
}

/**
 * Checks a decision against the flag's state (and, for a person, the four-eyes rules) and prepares
 * the change and its audit entry. Pure: the store applies it with optimistic concurrency.
 * Without `who` the decision is the system's own (e.g. reopen on new evidence).
 */
export function prepareDecision(flag: StoredFlag, decision: Decision, reviewer: string, now: string, who?: DecidingReviewer): ReviewChange {
  if (!TRANSITIONS[decision.action].includes(flag.status)) {
    throw new ReviewError(`cannot ${decision.action} a flag that is ${flag.status.replace('_', ' ')}`);
  }
  if (who) checkFourEyes(flag, decision, reviewer, who);
  const to = TARGET[decision.action];
  const base = { at: now, who: reviewer, action: decision.action, from: flag.status, to };
  switch (decision.action) {
    case 'assign':
      return { entry: { ...base, assignee: reviewer }, set: { status: to, assignee: reviewer } };
    case 'reassign':
      return { entry: { ...base, assignee: reviewer, justification: `${decision.justification} (was assigned to ${flag.assignee ?? 'nobody'})` }, set: { status: to, assignee: reviewer } };
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

/** The statuses the system may supersede: undecided ones. A reviewer's decision is never undone by a policy change. */
export const SUPERSEDABLE: readonly FlagStatus[] = ['open', 'in_review'];

/**
 * A flag the new policy no longer supports: `superseded`, never deleted, with a system audit entry
 * "superseded by policy version V: why". Only the system calls this (no reviewer action leads here).
 */
export function prepareSupersede(flag: StoredFlag, policyVersion: string, why: string, now: string): ReviewChange {
  if (!SUPERSEDABLE.includes(flag.status)) throw new ReviewError(`cannot supersede a flag that is ${flag.status}: a reviewer decided it`);
  return {
    entry: { at: now, who: SYSTEM_REVIEWER, action: 'supersede', from: flag.status, to: 'superseded', justification: `superseded by policy version ${policyVersion}: ${why}` },
    set: { status: 'superseded' },
    clear: ['assignee'],
  };
}

export { STATUSES, DISPOSITIONS };
