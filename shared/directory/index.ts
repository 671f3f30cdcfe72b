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

/**
 * Account candidates → person. Case-insensitive; e-mail is the key shared across sources.
 * Compact for large directories: each account maps to a person's index (a small integer, stored
 * in the map itself), and only the rare account several people share gets a list.
 */
export class Directory {
  /** Lower-cased account → the index of its one person, or `-1 - k` for the people in `shared[k]`. */
  private readonly byAccount = new Map<string, number>();
  // Stryker disable next-line ArrayDeclaration: lists are found by the index they were pushed at, so a leading entry changes nothing
  private readonly shared: number[][] = [];
  private readonly ids = new Map<string, number>();
  readonly people: readonly Person[];

  constructor(people: readonly Person[]) {
    this.people = people;
    for (let i = 0; i < people.length; i++) {
      const person = people[i]!;
      if (!this.ids.has(person.id)) this.ids.set(person.id, i);
      for (const account of person.accounts) this.index(account, i);
      if (person.email) this.index(`email:${person.email}`, i);
    }
  }

  private index(account: string, i: number): void {
    const key = account.toLowerCase();
    const at = this.byAccount.get(key);
    if (at === undefined) this.byAccount.set(key, i);
    else if (at >= 0) {
      // Stryker disable next-line ConditionalExpression: a person naming one account twice would get a list of themselves twice, which identify counts once
      if (at !== i) {
        this.byAccount.set(key, -1 - this.shared.length);
        this.shared.push([at, i]);
      }
    } else {
      const owners = this.shared[-1 - at]!;
      // Stryker disable next-line ConditionalExpression: a repeat in the list is counted once by identify; this only keeps the list short
      if (!owners.includes(i)) owners.push(i);
    }
  }

  /**
   * Every person any candidate names. More than one is an ambiguity, whatever the order of the
   * rows or of the candidates: the people come back sorted by id.
   */
  identify(candidates: readonly string[]): Identity {
    let first = -1;
    let found: number[] | undefined;
    const add = (i: number) => {
      if (first === -1) first = i;
      else if (found ? !found.includes(i) : i !== first) (found ??= [first]).push(i);
    };
    for (const candidate of candidates) {
      const at = this.byAccount.get(candidate.toLowerCase());
      if (at === undefined) continue;
      if (at >= 0) add(at);
      else for (const i of this.shared[-1 - at]!) add(i);
    }
    if (first === -1) return UNKNOWN;
    if (!found) return { kind: 'person', person: this.people[first]! };
    return { kind: 'ambiguous', people: found.map((i) => this.people[i]!).sort(byId) };
  }

  /** The one person the candidates name; undefined for no one and for an ambiguity. */
  resolve(candidates: readonly string[]): Person | undefined {
    const identity = this.identify(candidates);
    // Stryker disable next-line ConditionalExpression: the other kinds carry no person, so both sides give undefined
    return identity.kind === 'person' ? identity.person : undefined;
  }

  /** The person with this id (ids are unique; for a repeated one, its first row). */
  byId(id: string): Person | undefined {
    const i = this.ids.get(id);
    // Stryker disable next-line ConditionalExpression: people[undefined] is undefined too; the test says what is meant
    return i === undefined ? undefined : this.people[i];
  }
}
