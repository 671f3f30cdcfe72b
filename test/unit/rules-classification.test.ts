import { describe, expect, it } from 'vitest';
import { eccnEntry, licenseRequired, parseClassification, resolveCountry } from '#shared/rules/index.ts';

/**
 * How a classification is read as users write it in ittmon.yaml, and how an ECCN paragraph selects
 * the License Requirements rows of its entry (Supp. No. 1 to part 774; 22 CFR 121.1 for the USML).
 */
describe('classifications as users write them', () => {
  it('spaces around and inside are forgiven: " 3E001 ", "EAR  99", "USML  XV (e) (1)"', () => {
    expect(parseClassification('  3E001\t')).toEqual({ jurisdiction: 'EAR', eccn: '3E001', paragraph: '', display: '3E001' });
    expect(parseClassification('EAR  99')).toEqual({ jurisdiction: 'EAR', eccn: 'EAR99', paragraph: '', display: 'EAR99' });
    expect(parseClassification('ear99').display).toBe('EAR99');
    expect(parseClassification('USML  XV (e) (1)')).toEqual({ jurisdiction: 'ITAR', category: 'XV', paragraph: '(e)(1)', display: 'USML XV(e)(1)' });
  });
  it('EAR99 with anything before or after it is not EAR99 (a typo never becomes the least controlled class)', () => {
    for (const typo of ['EAR990', 'EAR99.a', 'NEAR99', 'XEAR 99']) {
      expect(() => parseClassification(typo), typo).toThrowError(expect.objectContaining({ code: 'UNKNOWN_CLASSIFICATION' }));
    }
  });
  it('the errors say what is wrong and what to write instead', () => {
    expect(() => parseClassification('3X001')).toThrowError(expect.objectContaining({
      code: 'UNKNOWN_CLASSIFICATION', message: '"3X001" is not a classification',
      hint: 'write an ECCN such as 3E001 or 9E003.a.1, EAR99, or a USML category such as "XV(e)" or "USML XI(d)"',
    }));
    // USML categories run from I to XXI (22 CFR 121.1): XXII is not one.
    expect(() => parseClassification('USML XXII(a)')).toThrowError(expect.objectContaining({
      code: 'UNKNOWN_USML_CATEGORY', message: 'unknown USML category "XXII" in "USML XXII(a)"', hint: 'USML categories run from I to XXI (22 CFR 121.1)',
    }));
    expect(() => eccnEntry('9E099')).toThrowError(expect.objectContaining({ code: 'UNKNOWN_ECCN', message: 'unknown ECCN "9E099"' }));
  });
  it('an ECCN with no requirement of its own: subject to the ITAR (0A002), or a pointer to another entry (1C018)', () => {
    expect(() => eccnEntry('0A002')).toThrowError(expect.objectContaining({
      code: 'UNKNOWN_ECCN', hint: 'the CCL says these items are subject to the ITAR: classify the data under its USML category, e.g. "XV(e)"',
    }));
    expect(() => eccnEntry('1C018')).toThrowError(expect.objectContaining({
      code: 'UNKNOWN_ECCN', message: expect.stringMatching(/^ECCN 1C018 holds no license requirement of its own: /),
      hint: 'classify the data under the entry this one refers to, or add reasons: [...] from that entry',
    }));
  });
  it('country codes and names alike; a three-letter code is not a two-letter one', () => {
    expect(resolveCountry(' gb ')).toBe('GB');
    expect(resolveCountry('Greenland')).toBe('GL');
    expect(() => resolveCountry('GBR')).toThrowError(expect.objectContaining({ code: 'UNKNOWN_COUNTRY' }));
  });
});

describe('an ECCN paragraph selects the rows of its entry (9E003: SI applies to .a.1 to .a.8, .h, .i and .l)', () => {
  const si = (classification: string) => licenseRequired(classification, 'DE').reasons.find((r) => r.column === 'SI')!;
  it('a listed paragraph, and a second one', () => {
    expect(si('9E003.a.1')).toMatchObject({ required: true });
    expect(si('9E003.h')).toMatchObject({ required: true });
  });
  it('a paragraph above listed ones may hold them (.a holds .a.1): the row applies', () => {
    expect(si('9E003.a')).toMatchObject({ required: true });
  });
  it('a paragraph below a listed one is in it (.a.3.b is in .a.3)', () => {
    expect(si('9E003.a.3.b')).toMatchObject({ required: true });
  });
  it('a sibling of listed paragraphs is not: .a.9 (same .a, another number), and .b', () => {
    for (const p of ['9E003.a.9', '9E003.b']) expect(si(p), p).toMatchObject({ required: false, notForParagraph: true });
  });
  it('1E002: NS1 all but .g — .g.1 is under .g, so NS1 does not apply; .e.1 is not, so it does', () => {
    const ns1 = (c: string) => licenseRequired(c, 'AR').reasons.find((r) => r.column === 'NS1')!;
    expect(ns1('1E002.g.1')).toMatchObject({ required: false, notForParagraph: true });
    expect(ns1('1E002.e.1')).toMatchObject({ required: true });
  });
});
