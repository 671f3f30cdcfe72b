import { describe, expect, it } from 'vitest';
import { parseClassification, resolveCountry, RulesError } from '#shared/rules/index.ts';

const thrown = (f: () => unknown): RulesError => {
  try { f(); } catch (e) { if (e instanceof RulesError) return e; throw e; }
  throw new Error('expected a RulesError');
};

describe('a question the rules cannot answer', () => {
  it('names itself in a log line (Lambda reports error.name as the errorType) and says what to fix', () => {
    const e = thrown(() => resolveCountry('ZZ'));
    expect(e).toBeInstanceOf(Error);
    expect(String(e)).toBe('RulesError: unknown country "ZZ"');
    expect([e.code, e.hint]).toEqual(['UNKNOWN_COUNTRY', 'use an ISO 3166-1 alpha-2 code such as CN, GB or IN, or an English country name']);
  });

  it('second case: another question, its own code and hint (USML categories are I to XXI, 22 CFR 121.1)', () => {
    const e = thrown(() => parseClassification('XXII(a)'));
    expect(e.name).toBe('RulesError');
    expect(e.message).toBe('unknown USML category "XXII" in "XXII(a)"');
    expect([e.code, e.hint]).toEqual(['UNKNOWN_USML_CATEGORY', 'USML categories run from I to XXI (22 CFR 121.1)']);
  });
});
