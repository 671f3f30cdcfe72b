import type { Person } from '#shared/config/index.ts';
import { Directory } from '#shared/directory/index.ts';
import type { Flag } from '#shared/model/index.ts';

/** Who is acting, and what they may do. */
export type Role = 'viewer' | 'reviewer' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'reviewer', 'admin'];
export interface Reviewer { id: string; name: string; roles: Role[] }

export const canRead = (r: Reviewer) => r.roles.length > 0;
export const canDecide = (r: Reviewer) => r.roles.includes('reviewer') || r.roles.includes('admin');

/** Why a signed-in identity is not a reviewer: said to the person, so that they can ask the right admin. */
export class IdentityError extends Error {
  constructor(message: string, readonly status: 401 | 403 = 403) {
    super(message);
    this.name = 'IdentityError';
  }
}

/**
 * Roles from a groups claim: an array (`["reviewer"]`), or a string as API Gateway flattens it
 * (`"[reviewer viewer]"`) or as some providers send it (`"reviewer,viewer"`).
 */
export function rolesFrom(raw: unknown): Role[] {
  const groups = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean) : [];
  return ROLES.filter((r) => groups.includes(r));
}

/**
 * The reviewer from verified OpenID claims (ID token or userinfo). One id whichever token signed
 * the person in: the verified e-mail address, lower-cased. An unverified address is refused: it
 * could be anyone's, and it is what the four-eyes check matches against the directory.
 */
export function reviewerFromClaims(claims: Record<string, unknown>, rolesClaim = 'cognito:groups'): Reviewer {
  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
  if (!email) throw new IdentityError('the sign-in gave no e-mail address: ask your administrator to release the "email" claim to ITT Monitor');
  if (claims.email_verified !== true && claims.email_verified !== 'true') throw new IdentityError(`the e-mail address ${email} is not verified at the sign-in provider: verify it there, then sign in again`);
  return { id: email, name: typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim() : email, roles: rolesFrom(claims[rolesClaim]) };
}

/**
 * Is the reviewer the person a flag is about? Matched on the directory (the reviewer's e-mail
 * resolves to the flag's person) and on the flag's own accounts (a guest or unknown account that
 * is the reviewer's address, with or without a source prefix such as "m365:").
 */
export function isSubjectOf(flag: Flag, reviewer: Reviewer, people: readonly Person[] = []): boolean {
  const id = reviewer.id.toLowerCase();
  const person = new Directory(people).resolve([`email:${id}`, id]);
  if (person && (person.id === flag.actor.person || person.accounts.some((a) => flag.actor.accounts.some((b) => a.toLowerCase() === b.toLowerCase())))) return true;
  const bare = (a: string) => a.toLowerCase().replace(/^[a-z0-9-]+:(?!\/\/)/, '');
  return [flag.actor.key, ...flag.actor.accounts].some((a) => a.toLowerCase() === id || bare(a) === id);
}
