import { createHmac } from 'node:crypto';
import type { Flag } from '#shared/model/index.ts';

/** A stable pseudonym: the same person (or account) always gets the same one under the same secret. */
export function pseudonym(secret: string, key: string): string {
  return `Person-${createHmac('sha256', secret).update(key.toLowerCase()).digest('hex').slice(0, 6).toUpperCase()}`;
}

/** The key a flag's actor is pseudonymised under: the directory person, else the account (guests, unknown e-mails). */
export const pseudonymKey = (flag: Flag) => flag.actor.person ?? flag.actor.key;

/**
 * Path segments that name a person: OneDrive/SharePoint personal sites, home shares and home
 * directories (Windows, Samba, Unix, macOS). Masked until the person is revealed.
 */
const PERSONAL_PATH = /(\/personal\/|[\\/](?:home|homes|home\$|users|profiles?)[\\/]|[\\/]~)([^\\/?#]+)/gi;
export const maskPersonalPaths = (text: string) => text.replace(PERSONAL_PATH, '$1(hidden)');

/** Names and accounts as they may appear in text: whole, and e-mail local parts (jane.doe in a path). */
function identifiers(flag: Flag): string[] {
  const raw = [flag.actor.name, flag.actor.person, flag.actor.key, ...flag.actor.accounts].filter((s): s is string => !!s);
  const parts = raw.flatMap((s) => {
    const bare = s.replace(/^[a-z0-9-]+:(?!\/\/)/i, ''); // "github:lwei" → "lwei"; not "s3://…"
    const local = bare.includes('@') ? bare.split('@')[0]! : undefined;
    return [s, bare, ...(local && local.length >= 3 ? [local] : [])];
  });
  return [...new Set(parts.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
}

/**
 * The flag with its person hidden: names, ids and accounts replaced in the actor, the
 * explanations and the event resources; personal folders masked. Guests and unknown accounts
 * are pseudonymised too: an e-mail address identifies a person as well as a directory id does.
 */
export function pseudonymiseFlag<T extends Flag>(flag: T, secret: string): T {
  const alias = pseudonym(secret, pseudonymKey(flag));
  const ids = identifiers(flag);
  const anyId = ids.length ? new RegExp(ids.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi') : undefined;
  // An ambiguous account's flag names each candidate person: each gets their own pseudonym.
  const candidates = (flag.actor.candidates ?? []).flatMap((c) => [[c.name, pseudonym(secret, c.person)], [c.person, pseudonym(secret, c.person)]] as const)
    .filter(([s]) => !!s && s.length >= 3).sort((a, b) => b[0].length - a[0].length);
  const hideCandidates = (text: string) => candidates.reduce((t, [s, a]) => t.split(s).join(a), text);
  const hide = (text: string) => maskPersonalPaths(hideCandidates(anyId ? text.replace(anyId, alias) : text));
  return {
    ...flag,
    actor: {
      key: alias, person: alias, name: alias, accounts: flag.actor.accounts.map(() => '(hidden)'),
      ...(flag.actor.candidates ? { candidates: flag.actor.candidates.map((c) => ({ person: pseudonym(secret, c.person), name: pseudonym(secret, c.person) })) } : {}),
    },
    reasons: flag.reasons.map((r) => ({ ...r, explanation: hide(r.explanation) })),
    events: flag.events.map((e) => ({ ...e, resource: hide(e.resource), ...(e.name ? { name: hide(e.name) } : {}) })),
    ...(flag.cleared ? { cleared: flag.cleared.map((c) => ({ ...c, explanation: hide(c.explanation) })) } : {}),
  };
}
