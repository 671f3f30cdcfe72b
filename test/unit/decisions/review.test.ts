import { describe, expect, it } from 'vitest';
import { decisionSchema, prepareDecision, ReviewError, type Decision } from '#shared/review/index.ts';
import type { StoredFlag } from '#shared/store/index.ts';

const flag = (status: StoredFlag['status']): StoredFlag => ({
  id: 'f1', severity: 'high', dataset: 'd', classification: '3E001', jurisdiction: 'EAR', day: '2026-10-01', actor: { key: 'p-1', accounts: [] },
  reasons: [], eventCount: 1, bytes: 0, firstSeen: 't', lastSeen: 't', events: [], status, version: 3, rev: 1, createdAt: 't', updatedAt: 't',
});
const now = '2026-10-02T00:00:00.000Z';
const why = 'Counsel reviewed the release.';
const decisions: Record<Decision['action'], Decision> = {
  assign: { action: 'assign', version: 3 },
  reassign: { action: 'reassign', version: 3, justification: why },
  release: { action: 'release', version: 3 },
  close: { action: 'close', version: 3, disposition: 'not_a_release', justification: why },
  escalate: { action: 'escalate', version: 3, justification: why },
  reopen: { action: 'reopen', version: 3, justification: why },
};

// DESIGN §3.10: open → in_review → closed | escalated, and reopen; a closed or escalated flag is reopened, not re-assigned.
const allowed: [Decision['action'], StoredFlag['status'], StoredFlag['status']][] = [
  ['assign', 'open', 'in_review'], ['assign', 'in_review', 'in_review'],
  ['reassign', 'in_review', 'in_review'],
  ['release', 'in_review', 'open'],
  ['close', 'open', 'closed'], ['close', 'in_review', 'closed'], ['close', 'escalated', 'closed'],
  ['escalate', 'open', 'escalated'], ['escalate', 'in_review', 'escalated'],
  ['reopen', 'closed', 'open'], ['reopen', 'escalated', 'open'],
];
const statuses: StoredFlag['status'][] = ['open', 'in_review', 'closed', 'escalated'];

describe('the review state machine, move by move', () => {
  it.each(allowed)('%s from %s goes to %s, and the audit entry says so', (action, from, to) => {
    const change = prepareDecision(flag(from), decisions[action], 'alice', now);
    expect(change.set.status).toBe(to);
    expect(change.entry).toMatchObject({ at: now, who: 'alice', action, from, to });
  });
  it('every other move is refused, naming the action and the status', () => {
    let refused = 0;
    for (const action of Object.keys(decisions) as Decision['action'][]) {
      for (const status of statuses) {
        if (allowed.some(([a, s]) => a === action && s === status)) continue;
        expect(() => prepareDecision(flag(status), decisions[action], 'alice', now), `${action} ${status}`).toThrow(new ReviewError(`cannot ${action} a flag that is ${status.replace('_', ' ')}`));
        refused++;
      }
    }
    // Six actions (assign, reassign, release, close, escalate, reopen) from four statuses: 24 moves, 11 allowed, 13 refused.
    expect(refused).toBe(6 * 4 - allowed.length);
  });
});

describe('what each decision records', () => {
  it('assign makes the reviewer the assignee', () => {
    expect(prepareDecision(flag('in_review'), decisions.assign, 'bob', now)).toEqual({
      entry: { at: now, who: 'bob', action: 'assign', from: 'in_review', to: 'in_review', assignee: 'bob' }, set: { status: 'in_review', assignee: 'bob' },
    });
  });
  it('release clears the assignee, with or without a justification', () => {
    expect(prepareDecision(flag('in_review'), decisions.release, 'bob', now)).toEqual({
      entry: { at: now, who: 'bob', action: 'release', from: 'in_review', to: 'open' }, set: { status: 'open' }, clear: ['assignee'],
    });
    expect(prepareDecision(flag('in_review'), { action: 'release', version: 3, justification: 'out of office' }, 'bob', now).entry).toEqual({
      at: now, who: 'bob', action: 'release', from: 'in_review', to: 'open', justification: 'out of office',
    });
  });
  it('close records disposition and justification; a reference when given, else the old one is cleared', () => {
    expect(prepareDecision(flag('open'), decisions.close, 'bob', now)).toEqual({
      entry: { at: now, who: 'bob', action: 'close', from: 'open', to: 'closed', disposition: 'not_a_release', justification: why },
      set: { status: 'closed', disposition: 'not_a_release', justification: why }, clear: ['reference'],
    });
    const withRef = prepareDecision(flag('open'), { action: 'close', version: 3, disposition: 'license_on_file', reference: 'D123456', justification: why }, 'bob', now);
    expect(withRef).toEqual({
      entry: { at: now, who: 'bob', action: 'close', from: 'open', to: 'closed', disposition: 'license_on_file', justification: why, reference: 'D123456' },
      set: { status: 'closed', disposition: 'license_on_file', justification: why, reference: 'D123456' },
    });
  });
  it('license_on_file and license_exception need a reference; the other dispositions do not', () => {
    for (const [disposition, need] of [['license_on_file', 'the license number'], ['license_exception', 'the license exception (e.g. TSR §740.6)']] as const) {
      let error: unknown;
      try { prepareDecision(flag('open'), { action: 'close', version: 3, disposition, justification: why }, 'a', now); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(ReviewError);
      expect(error).toMatchObject({ name: 'ReviewError', field: 'reference', message: `${disposition} needs ${need} in reference` });
    }
    for (const disposition of ['no_license_required', 'exclusion_applies', 'misclassified', 'not_a_release'] as const) {
      expect(prepareDecision(flag('open'), { action: 'close', version: 3, disposition, justification: why }, 'a', now).set.disposition).toBe(disposition);
    }
  });
  it('escalate records why; reopen clears disposition, reference, justification and assignee', () => {
    expect(prepareDecision(flag('open'), decisions.escalate, 'bob', now)).toEqual({
      entry: { at: now, who: 'bob', action: 'escalate', from: 'open', to: 'escalated', justification: why }, set: { status: 'escalated', justification: why },
    });
    expect(prepareDecision(flag('closed'), decisions.reopen, 'bob', now)).toEqual({
      entry: { at: now, who: 'bob', action: 'reopen', from: 'closed', to: 'open', justification: why }, set: { status: 'open' }, clear: ['disposition', 'reference', 'justification', 'assignee'],
    });
  });
});

describe('the decision schema', () => {
  it('a justification of 10 characters is enough, 9 are not, and spaces do not count', () => {
    for (const action of ['escalate', 'reopen'] as const) {
      expect(decisionSchema.safeParse({ action, version: 0, justification: '0123456789' }).success, action).toBe(true);
      expect(decisionSchema.safeParse({ action, version: 0, justification: '012345678' }).success, action).toBe(false);
      expect(decisionSchema.safeParse({ action, version: 0, justification: '  012345678   ' }).success, action).toBe(false);
    }
    expect(decisionSchema.safeParse({ action: 'close', version: 0, disposition: 'misclassified', justification: '0123456789' }).success).toBe(true);
    expect(decisionSchema.safeParse({ action: 'close', version: 0, disposition: 'misclassified', justification: '012345678' }).success).toBe(false);
  });
  it('the messages say what to write', () => {
    const message = (d: object) => (decisionSchema.safeParse(d).error?.issues[0]?.message);
    expect(message({ action: 'close', version: 0, disposition: 'misclassified', justification: 'short' })).toBe('a justification of at least 10 characters is required: say why');
    expect(message({ action: 'escalate', version: 0, justification: 'short' })).toBe('say why this may be a violation (at least 10 characters)');
    expect(message({ action: 'reopen', version: 0, justification: 'short' })).toBe('say why the flag is reopened (at least 10 characters)');
  });
  it('versions are whole numbers from 0; references and justifications are trimmed', () => {
    expect(decisionSchema.safeParse({ action: 'assign', version: 0 }).success).toBe(true);
    for (const version of [-1, 1.5, '3']) expect(decisionSchema.safeParse({ action: 'assign', version }).success, String(version)).toBe(false);
    for (const action of ['release', 'close', 'escalate', 'reopen']) expect(decisionSchema.safeParse({ action, version: -1, disposition: 'misclassified', justification: why }).success, action).toBe(false);
    expect(decisionSchema.parse({ action: 'close', version: 1, disposition: 'license_on_file', reference: '  D123  ', justification: `  ${why}  ` })).toEqual({ action: 'close', version: 1, disposition: 'license_on_file', reference: 'D123', justification: why });
    expect(decisionSchema.parse({ action: 'release', version: 1, justification: '  later  ' })).toEqual({ action: 'release', version: 1, justification: 'later' });
  });
});
