import { describe, expect, it } from 'vitest';
import { decisionSchema, prepareDecision, prepareSupersede, refuseSystemOnly, ReviewError, SUPERSEDABLE, SystemOnlyError } from '#shared/review/index.ts';
import type { StoredFlag } from '#shared/store/index.ts';

const flag = (status: StoredFlag['status'], over: Partial<StoredFlag> = {}): StoredFlag => ({
  id: 'f1', severity: 'high', dataset: 'd', classification: '3E001', jurisdiction: 'EAR', day: '2026-10-01', actor: { key: 'p-1', accounts: [] },
  reasons: [], eventCount: 1, bytes: 0, firstSeen: 't', lastSeen: 't', events: [], status, version: 3, rev: 1, createdAt: 't', updatedAt: 't', ...over,
});
const now = '2026-11-29T09:00:00.000Z';

describe('superseded in the review state machine', () => {
  it('the system supersedes an open flag, with "superseded by policy version V: why" signed system', () => {
    expect(prepareSupersede(flag('open'), 'ab12cd34ef56', 'DEEMED_EXPORT CN no longer applies: p-1 is a US person', now)).toEqual({
      entry: { at: now, who: 'system', action: 'supersede', from: 'open', to: 'superseded', justification: 'superseded by policy version ab12cd34ef56: DEEMED_EXPORT CN no longer applies: p-1 is a US person' },
      set: { status: 'superseded' },
      clear: ['assignee'],
    });
  });

  it('second case: a flag in review is superseded too, and its assignment ends', () => {
    const c = prepareSupersede(flag('in_review', { assignee: 'bob' }), 'v9', 'dataset d is no longer in the policy', now);
    expect(c.entry).toMatchObject({ from: 'in_review', to: 'superseded', justification: 'superseded by policy version v9: dataset d is no longer in the policy' });
    expect(c.clear).toEqual(['assignee']);
  });

  it('never supersedes a decided flag (closed, escalated) nor one superseded already', () => {
    expect(SUPERSEDABLE).toEqual(['open', 'in_review']);
    expect(() => prepareSupersede(flag('closed'), 'v', 'why', now)).toThrow(new ReviewError('cannot supersede a flag that is closed: a reviewer decided it'));
    expect(() => prepareSupersede(flag('escalated'), 'v', 'why', now)).toThrow(/cannot supersede a flag that is escalated/);
    expect(() => prepareSupersede(flag('superseded'), 'v', 'why', now)).toThrow(/cannot supersede a flag that is superseded/);
  });

  it('a reviewer may reopen a superseded flag (it loses nothing of its record), and do nothing else with it', () => {
    expect(prepareDecision(flag('superseded'), { action: 'reopen', version: 3, justification: 'the new record is disputed' }, 'bob', now)).toMatchObject({
      entry: { from: 'superseded', to: 'open', who: 'bob' }, set: { status: 'open' },
    });
    expect(() => prepareDecision(flag('superseded'), { action: 'assign', version: 3 }, 'bob', now)).toThrow(new ReviewError('cannot assign a flag that is superseded'));
    expect(() => prepareDecision(flag('superseded'), { action: 'escalate', version: 3, justification: 'possible violation here' }, 'bob', now)).toThrow(/cannot escalate a flag that is superseded/);
    expect(() => prepareDecision(flag('superseded'), { action: 'close', version: 3, disposition: 'misclassified', justification: 'not this dataset at all' }, 'bob', now)).toThrow(/cannot close/);
    expect(() => prepareDecision(flag('superseded'), { action: 'release', version: 3 }, 'bob', now)).toThrow(/cannot release/);
  });

  it('supersede is no reviewer action: refused as system-only before anything else, and not in the decision schema', () => {
    expect(() => refuseSystemOnly({ action: 'supersede', version: 1 })).toThrow(SystemOnlyError);
    expect(() => refuseSystemOnly({ action: 'supersede' })).toThrow(/^only the system supersedes a flag/);
    for (const body of [{ action: 'reopen' }, null, 'supersede', 42, {}]) expect(() => refuseSystemOnly(body)).not.toThrow();
    expect(new SystemOnlyError('x')).toBeInstanceOf(ReviewError);
    expect(new SystemOnlyError('x').name).toBe('SystemOnlyError');
    expect(decisionSchema.safeParse({ action: 'supersede', version: 1, justification: 'because it is old now' }).success).toBe(false);
  });
});
