import { createHmac } from 'node:crypto';
import type { Flag } from '#shared/model/index.ts';

/** A stable pseudonym: the same person always gets the same one under the same secret. */
export function pseudonym(secret: string, key: string): string {
  return `Person-${createHmac('sha256', secret).update(key).digest('hex').slice(0, 6).toUpperCase()}`;
}

/** The flag with its person hidden: names, ids and accounts replaced, explanations included. */
export function pseudonymiseFlag<T extends Flag>(flag: T, secret: string): T {
  if (!flag.actor.person) return flag.actor.candidates?.length ? pseudonymiseCandidates(flag, secret) : flag;
  const alias = pseudonym(secret, flag.actor.person);
  const secrets = [flag.actor.name, flag.actor.person, ...flag.actor.accounts].filter((s): s is string => !!s).sort((a, b) => b.length - a.length);
  const hide = (text: string) => secrets.reduce((t, s) => t.split(s).join(alias), text);
  return {
    ...flag,
    actor: { key: alias, person: alias, name: alias, accounts: flag.actor.accounts.map(() => '(hidden)') },
    reasons: flag.reasons.map((r) => ({ ...r, explanation: hide(r.explanation) })),
    ...(flag.cleared ? { cleared: flag.cleared.map((c) => ({ ...c, explanation: hide(c.explanation) })) } : {}),
  };
}

/** An ambiguous account's flag: the account stays (as on any account's flag); each candidate person gets their pseudonym. */
function pseudonymiseCandidates<T extends Flag>(flag: T, secret: string): T {
  const aliases = flag.actor.candidates!.flatMap((c) => [[c.name, pseudonym(secret, c.person)], [c.person, pseudonym(secret, c.person)]] as const)
    .filter(([s]) => !!s).sort((a, b) => b[0].length - a[0].length);
  const hide = (text: string) => aliases.reduce((t, [s, alias]) => t.split(s).join(alias), text);
  return {
    ...flag,
    actor: { ...flag.actor, candidates: flag.actor.candidates!.map((c) => ({ person: pseudonym(secret, c.person), name: pseudonym(secret, c.person) })) },
    reasons: flag.reasons.map((r) => ({ ...r, explanation: hide(r.explanation) })),
    ...(flag.cleared ? { cleared: flag.cleared.map((c) => ({ ...c, explanation: hide(c.explanation) })) } : {}),
  };
}
