import type { Person } from '#shared/config/index.ts';

/** Who an event's account candidates name: one person, several (an ambiguity), or no one. */
export type Identity =
  | { kind: 'person'; person: Person }
  /** The candidates name more than one person: never resolved by row order (DESIGN §6). */
  | { kind: 'ambiguous'; people: Person[] }
  | { kind: 'unknown' };

const UNKNOWN: Identity = { kind: 'unknown' };
// Person ids are unique in a loaded directory (check refuses a repeated id): no two compare equal.
// Stryker disable next-line EqualityOperator: without ties, < and <= order alike
const byId = (a: Person, b: Person) => (a.id < b.id ? -1 : 1);

/** Account candidates → person. Case-insensitive; e-mail is the key shared across sources. */
export class Directory {
  private readonly byAccount = new Map<string, Person[]>();
  readonly people: readonly Person[];

  constructor(people: readonly Person[]) {
    this.people = people;
    for (const person of people) {
      for (const account of person.accounts) this.index(account, person);
      if (person.email) this.index(`email:${person.email}`, person);
    }
  }

  private index(account: string, person: Person): void {
    const key = account.toLowerCase();
    const owners = this.byAccount.get(key);
    if (!owners) this.byAccount.set(key, [person]);
    else if (!owners.includes(person)) owners.push(person);
  }

  /**
   * Every person any candidate names. More than one is an ambiguity, whatever the order of the
   * rows or of the candidates: the people come back sorted by id.
   */
  identify(candidates: readonly string[]): Identity {
    let found: Person[] | undefined;
    for (const candidate of candidates) {
      const owners = this.byAccount.get(candidate.toLowerCase());
      if (!owners) continue;
      if (!found) found = owners;
      else for (const p of owners) if (!found.includes(p)) found = [...found, p];
    }
    if (!found) return UNKNOWN;
    if (found.length === 1) return { kind: 'person', person: found[0]! };
    return { kind: 'ambiguous', people: [...found].sort(byId) };
  }

  /** The one person the candidates name; undefined for no one and for an ambiguity. */
  resolve(candidates: readonly string[]): Person | undefined {
    const identity = this.identify(candidates);
    // Stryker disable next-line ConditionalExpression: the other kinds carry no person, so both sides give undefined
    return identity.kind === 'person' ? identity.person : undefined;
  }

  byId(id: string): Person | undefined {
    return this.people.find((p) => p.id === id);
  }
}
