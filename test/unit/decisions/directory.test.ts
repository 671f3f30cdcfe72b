import { describe, expect, it } from 'vitest';
import type { Person } from '#shared/config/index.ts';
import { Directory } from '#shared/directory/index.ts';

const li: Person = { id: 'p-002', name: 'Li Wei', email: 'Li.Wei@Northfield.edu', accounts: ['github:LWei', 'samba:lwei'], citizenships: ['CN'], usPerson: false, groups: [] };
const ana: Person = { id: 'p-001', name: 'Ana Ruiz', email: 'ana@northfield.edu', accounts: ['github:aruiz'], citizenships: ['MX'], usPerson: false, groups: [] };
const noEmail: Person = { id: 'p-003', name: 'Bo', accounts: ['windows:CORP\\bo'], citizenships: ['US'], usPerson: true, groups: [] };
// Built inside each test: Stryker activates a mutant only once tests run.
const directory = () => new Directory([li, ana, noEmail]);

describe('Directory', () => {
  it('resolves an account case-insensitively, for each person', () => {
    expect(directory().resolve(['github:lwei'])?.id).toBe('p-002');
    expect(directory().resolve(['GITHUB:ARUIZ'])?.id).toBe('p-001');
    expect(directory().resolve(['windows:corp\\BO'])?.id).toBe('p-003');
  });
  it('resolves an e-mail candidate case-insensitively; an e-mail is not an account name', () => {
    expect(directory().resolve(['email:li.wei@northfield.edu'])?.id).toBe('p-002');
    expect(directory().resolve(['email:ANA@northfield.edu'])?.id).toBe('p-001');
    expect(directory().resolve(['ana@northfield.edu'])).toBeUndefined(); // without the email: kind
    expect(directory().resolve(['email:'])).toBeUndefined();
    expect(directory().resolve(['email:undefined'])).toBeUndefined(); // p-003 has no e-mail
  });
  it('tries every candidate in turn: an unknown first candidate does not hide a known second one', () => {
    expect(directory().resolve(['github:ghost', 'email:li.wei@northfield.edu'])?.id).toBe('p-002');
    expect(directory().resolve(['aws:AIDAEXAMPLE', 'samba:ghost', 'github:aruiz'])?.id).toBe('p-001');
    expect(directory().resolve(['github:ghost', 'samba:ghost'])).toBeUndefined();
    expect(directory().resolve([])).toBeUndefined();
  });
  it('finds a person by id, and no one for an unknown id', () => {
    expect(directory().byId('p-001')).toBe(ana);
    expect(directory().byId('p-003')).toBe(noEmail);
    expect(directory().byId('p-999')).toBeUndefined();
    expect(directory().people).toEqual([li, ana, noEmail]);
  });
  it('finds the first row for an id given twice (check refuses that; a reloaded directory may still have it)', () => {
    const twin: Person = { ...li, id: 'p-001' };
    expect(new Directory([ana, twin]).byId('p-001')).toBe(ana);
    expect(new Directory([twin, ana]).byId('p-001')).toBe(twin);
  });
});

describe('Directory.identify: one person, several, or no one', () => {
  it('a person whose e-mail is also one of their accounts is one person, not an ambiguity with themselves', () => {
    const dual: Person = { ...ana, accounts: ['github:aruiz', 'email:ANA@northfield.edu'] };
    const d = new Directory([dual, li]);
    expect(d.identify(['email:ana@northfield.edu'])).toEqual({ kind: 'person', person: dual });
    expect(d.resolve(['email:ana@northfield.edu'])).toBe(dual);
  });
  it('two candidates that name the same person (login and e-mail) are that person', () => {
    expect(directory().identify(['github:lwei', 'email:li.wei@northfield.edu'])).toEqual({ kind: 'person', person: li });
    expect(directory().identify(['email:li.wei@northfield.edu', 'samba:LWEI', 'github:lwei'])).toEqual({ kind: 'person', person: li });
  });
  it('candidates that name two people are ambiguous, naming exactly both, by id, in either candidate order', () => {
    expect(directory().identify(['github:lwei', 'email:ana@northfield.edu'])).toEqual({ kind: 'ambiguous', people: [ana, li] });
    expect(directory().identify(['email:ana@northfield.edu', 'github:lwei', 'windows:corp\\bo'])).toEqual({ kind: 'ambiguous', people: [ana, li, noEmail] });
    expect(directory().resolve(['github:lwei', 'email:ana@northfield.edu'])).toBeUndefined();
  });
});
