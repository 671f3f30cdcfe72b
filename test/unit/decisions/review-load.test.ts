import { describe, expect, it } from 'vitest';

// Imported inside the test, not at the top: a schema that cannot even be built must fail a test.
// (A module that throws while loading fails its test file, which Stryker's runner counts as no failed test.)
describe('the decision schema, loaded', () => {
  it('builds, and tells each action by its "action" field', async () => {
    const { decisionSchema } = await import('#shared/review/index.ts');
    const why = 'Counsel reviewed the release.';
    const decisions = [
      { action: 'assign', version: 0 },
      { action: 'release', version: 1, justification: 'later' },
      { action: 'close', version: 2, disposition: 'misclassified', justification: why },
      { action: 'escalate', version: 3, justification: why },
      { action: 'reopen', version: 4, justification: why },
    ];
    for (const d of decisions) expect(decisionSchema.parse({ ...d, extra: 'dropped' })).toEqual(d);
    expect(decisionSchema.safeParse({ action: 'approve', version: 0 }).success).toBe(false);
    expect(decisionSchema.safeParse({ version: 0 }).success).toBe(false);
  });
});
