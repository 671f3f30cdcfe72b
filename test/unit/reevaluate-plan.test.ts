import { describe, expect, it } from 'vitest';
import { planFor, type Verdict } from '#shared/flags/reevaluate.ts';
import type { Flag } from '#shared/model/index.ts';
import type { FlagStatus } from '#shared/store/types.ts';

/**
 * What a re-evaluation verdict does to a stored flag in each review status (issue #17; DESIGN §6
 * "superseded"): undecided flags (open, in review) are superseded; a reviewer's decision (closed,
 * escalated) stands and gets a system note; a superseded flag the policy supports again is reopened;
 * a stronger flag is restated, then reopened when a reviewer or the system had put it aside, or
 * noted when it still waits for review. Every status, every verdict.
 */
const NOT_SUPPORTED: Verdict = { outcome: 'superseded', why: 'DEEMED_EXPORT IN no longer applies: p-003 is a US person' };
const SUPPORTED: Verdict = { outcome: 'supported', why: 'still supported by DEEMED_EXPORT IN' };
const findings: Pick<Flag, 'severity' | 'reasons'> = { severity: 'critical', reasons: [{ code: 'DEEMED_EXPORT', country: 'CN', severity: 'critical', explanation: 'a citizen of CN (a country of concern)' }] };
const STRONGER: Verdict = { outcome: 'strengthened', why: 'severity high → critical; new reason DEEMED_EXPORT CN', findings };

describe('the plan for a stored flag after a policy change', () => {
  it('not supported: open and in-review flags are superseded, saying why', () => {
    for (const status of ['open', 'in_review'] as FlagStatus[]) {
      expect(planFor(status, NOT_SUPPORTED, 'v2')).toEqual({ outcome: 'superseded', steps: [{ kind: 'supersede', why: NOT_SUPPORTED.why }] });
    }
  });

  it('not supported: a closed or escalated flag keeps the decision and gets one note naming the version', () => {
    for (const [status, version] of [['closed', 'v2'], ['escalated', 'v7']] as const) {
      expect(planFor(status, NOT_SUPPORTED, version)).toEqual({
        outcome: 'noted',
        steps: [{ kind: 'note', action: 'policy-change', once: true, justification: `no longer supported by policy version ${version}: DEEMED_EXPORT IN no longer applies: p-003 is a US person (the decision stands)` }],
      });
    }
  });

  it('not supported: a flag superseded already stays as it is', () => {
    expect(planFor('superseded', NOT_SUPPORTED, 'v2')).toEqual({ outcome: 'unchanged', steps: [] });
  });

  it('supported: a superseded flag is reopened by the system, naming the version and why', () => {
    expect(planFor('superseded', SUPPORTED, 'v3')).toEqual({ outcome: 'restored', steps: [{ kind: 'reopen', justification: 'supported again by policy version v3: still supported by DEEMED_EXPORT IN' }] });
  });

  it('supported: open, in-review, closed and escalated flags are left as they are', () => {
    for (const status of ['open', 'in_review', 'closed', 'escalated'] as FlagStatus[]) expect(planFor(status, SUPPORTED, 'v3')).toEqual({ outcome: 'unchanged', steps: [] });
  });

  it('stronger while waiting for review (open, in review): restated with the new findings, then a note, not a reopening', () => {
    const why = 'strengthened by policy version v4: severity high → critical; new reason DEEMED_EXPORT CN';
    for (const status of ['open', 'in_review'] as FlagStatus[]) {
      expect(planFor(status, STRONGER, 'v4')).toEqual({ outcome: 'strengthened', steps: [{ kind: 'restate', findings }, { kind: 'note', action: 'strengthen', justification: why }] });
    }
  });

  it('stronger after a decision or a supersede (closed, escalated, superseded): restated, then reopened by the system', () => {
    const why = 'strengthened by policy version v5: severity high → critical; new reason DEEMED_EXPORT CN';
    for (const status of ['closed', 'escalated', 'superseded'] as FlagStatus[]) {
      expect(planFor(status, STRONGER, 'v5')).toEqual({ outcome: 'strengthened', steps: [{ kind: 'restate', findings }, { kind: 'reopen', justification: why }] });
    }
  });
});
