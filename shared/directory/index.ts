import type { Person } from '#shared/config/index.ts';

/** Account candidates → person. Case-insensitive; e-mail is the key shared across sources. */
export class Directory {
  private readonly byAccount = new Map<string, Person>();
  readonly people: readonly Person[];

  constructor(people: readonly Person[]) {
    this.people = people;
    for (const person of people) {
      for (const account of person.accounts) this.byAccount.set(account.toLowerCase(), person);
      if (person.email) this.byAccount.set(`email:${person.email.toLowerCase()}`, person);
    }
  }

  resolve(candidates: readonly string[]): Person | undefined {
    for (const candidate of candidates) {
      const person = this.byAccount.get(candidate.toLowerCase());
      if (person) return person;
    }
    return undefined;
  }

  byId(id: string): Person | undefined {
    return this.people.find((p) => p.id === id);
  }
}
