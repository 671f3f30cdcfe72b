import { describe, expect, it } from 'vitest';
import { decisionSchema, prepareDecision, ReviewError } from '#shared/review/index.ts';
import type { StoredFlag } from '#shared/store/index.ts';

const flag = (status: StoredFlag['status']): StoredFlag => ({
  id: 'f1', severity: 'high', dataset: 'd', classification: '3E001', jurisdiction: 'EAR', day: '2026-10-01', actor: { key: 'p-1', accounts: [] },
  reasons: [], eventCount: 1, bytes: 0, firstSeen: 't', lastSeen: 't', events: [], status, version: 3, rev: 1, createdAt: 't', updatedAt: 't',
});
const now = '2026-10-02T00:00:00.000Z';

describe('review state machine', () => {
  it('open → in_review → closed, with the reviewer and the disposition on the record', () => {
    expect(prepareDecision(flag('open'), { action: 'assign', version: 3 }, 'alice', now)).toEqual({
      entry: { at: now, who: 'alice', action: 'assign', from: 'open', to: 'in_review', assignee: 'alice' }, set: { status: 'in_review', assignee: 'alice' },
    });
    const c = prepareDecision(flag('in_review'), { action: 'close', version: 3, disposition: 'no_license_required', justification: 'EAR99 to a UK national: NLR.' }, 'alice', now);
    expect(c.set).toEqual({ status: 'closed', disposition: 'no_license_required', justification: 'EAR99 to a UK national: NLR.' });
    expect(c.entry).toMatchObject({ from: 'in_review', to: 'closed', disposition: 'no_license_required' });
  });
  it('escalation and reopening need a justification; closed and escalated flags reopen', () => {
    expect(prepareDecision(flag('in_review'), { action: 'escalate', version: 3, justification: 'possible violation: counsel' }, 'bob', now).set.status).toBe('escalated');
    expect(prepareDecision(flag('escalated'), { action: 'reopen', version: 3, justification: 'counsel sent it back' }, 'bob', now)).toMatchObject({ set: { status: 'open' }, clear: ['disposition', 'reference', 'justification', 'assignee'] });
    expect(prepareDecision(flag('escalated'), { action: 'close', version: 3, disposition: 'license_exception', reference: 'TSR §740.6', justification: 'Counsel: TSR applies to this release.' }, 'bob', now).set.status).toBe('closed');
    expect(decisionSchema.safeParse({ action: 'escalate', version: 3, justification: 'short' }).success).toBe(false);
    expect(decisionSchema.safeParse({ action: 'reopen', version: 3 }).success).toBe(false);
  });
  it('refuses moves the state machine does not allow', () => {
    expect(() => prepareDecision(flag('closed'), { action: 'assign', version: 3 }, 'a', now)).toThrow(new ReviewError('cannot assign a flag that is closed'));
    expect(() => prepareDecision(flag('open'), { action: 'reopen', version: 3, justification: 'nothing to reopen here' }, 'a', now)).toThrow(/cannot reopen a flag that is open/);
    expect(() => prepareDecision(flag('open'), { action: 'release', version: 3 }, 'a', now)).toThrow(/cannot release/);
    expect(() => prepareDecision(flag('escalated'), { action: 'escalate', version: 3, justification: 'again and again' }, 'a', now)).toThrow(ReviewError);
  });
  it('license_on_file needs the license number, license_exception its citation; unknown dispositions are refused', () => {
    expect(() => prepareDecision(flag('open'), { action: 'close', version: 3, disposition: 'license_on_file', justification: 'we have a license for this' }, 'a', now)).toThrow(/license_on_file needs the license number in reference/);
    expect(() => prepareDecision(flag('open'), { action: 'close', version: 3, disposition: 'license_exception', justification: 'an exception applies here' }, 'a', now)).toThrow(/needs the license exception/);
    expect(decisionSchema.safeParse({ action: 'close', version: 3, disposition: 'looks_fine', justification: 'trust me, it is fine' }).success).toBe(false);
    expect(decisionSchema.safeParse({ action: 'close', version: 3, disposition: 'misclassified', justification: 'too short'.slice(0, 5) }).success).toBe(false);
  });
});
