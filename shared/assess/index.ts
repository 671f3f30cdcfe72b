import type { AllowRule, DatasetRule, LicenseRule, Person } from '#shared/config/index.ts';
import type { AccessEvent, Action, ClearedReason, FlagReason, Severity } from '#shared/model/index.ts';
import { licenseRequired, type LicenseAnswer } from '#shared/rules/index.ts';
import type { Place } from '#shared/geo/index.ts';

export interface AssessContext {
  home: string;
  licenses: readonly LicenseRule[];
  allow: readonly AllowRule[];
}

export interface Assessment { reasons: FlagReason[]; cleared: ClearedReason[]; allowedBy?: AllowRule }

const VERBS: Record<Action, string> = {
  download: 'downloaded', clone: 'cloned', fetch: 'fetched', view: 'viewed', preview: 'previewed', sync: 'synced',
  copy: 'copied', label: 'labelled', write: 'wrote', delete: 'deleted', list: 'listed', other: 'accessed',
};

type Tier = 'itar' | 'eccn' | 'ear99';
const tierOf = (d: DatasetRule): Tier => (d.jurisdiction === 'ITAR' ? 'itar' : d.classification.display === 'EAR99' ? 'ear99' : 'eccn');

/** DESIGN §3.6: severity of the identity reasons by regime. */
const SEVERITY: Record<'ANONYMOUS_ACCESS' | 'UNKNOWN_ACCOUNT' | 'NOT_AUTHORIZED', Record<Tier, Severity>> = {
  ANONYMOUS_ACCESS: { itar: 'critical', eccn: 'high', ear99: 'low' },
  UNKNOWN_ACCOUNT: { itar: 'high', eccn: 'medium', ear99: 'low' },
  NOT_AUTHORIZED: { itar: 'medium', eccn: 'low', ear99: 'low' },
};

const day = (time: string) => time.slice(0, 10);
const describeData = (d: DatasetRule) => `${d.classification.display} data (${d.id}, ${d.jurisdiction})`;

/** Whether an allow entry covers one of the accounts, and whether it had expired on the day. */
export function findAllow(allow: readonly AllowRule[], candidates: readonly string[], time: string): { rule: AllowRule; expired: boolean } | undefined {
  const lower = candidates.map((c) => c.toLowerCase());
  const rule = allow.find((a) => lower.includes(a.account.toLowerCase()));
  return rule && { rule, expired: !!rule.expires && day(time) > rule.expires };
}

/** A license that covers this dataset (or its classification), person, country and date. */
export function findLicense(licenses: readonly LicenseRule[], dataset: DatasetRule, person: Person | undefined, country: string, time: string): LicenseRule | undefined {
  return licenses.find((l) =>
    (l.datasets.includes(dataset.id) || l.classifications.includes(dataset.classification.display))
    && (!l.persons || (!!person && l.persons.includes(person.id)))
    && l.countries.includes(country)
    && day(time) <= l.expires);
}

function describePerson(p: Person): string {
  const parts = [`citizen of ${p.citizenships.join(' and ') || 'no country on file'}`];
  if (p.permanentResidency) parts.push(`permanent resident of ${p.permanentResidency}`);
  return `${p.name} (${p.id}, ${parts.join(', ')})`;
}

const answerText = (a: LicenseAnswer) => a.explanation.replace(/\.$/, '');

const answers = new Map<string, LicenseAnswer>();
/** licenseRequired is pure and asked the same few questions again and again: remember the answers. */
function licenseAnswer(dataset: DatasetRule, country: string, home: string): LicenseAnswer {
  // Stryker disable next-line StringLiteral: any separator and placeholder keep keys distinct (reasons are known names)
  const key = `${dataset.classification.display}|${dataset.reasons?.join(',') ?? ''}|${country}|${home}`;
  let answer = answers.get(key);
  // Stryker disable next-line ConditionalExpression: asking again gives the same answer
  if (!answer) {
    answer = licenseRequired(dataset.classification, country, { ...(dataset.reasons ? { reasons: dataset.reasons } : {}), home });
    // Stryker disable next-line ConditionalExpression,EqualityOperator: only bounds the cache's size
    if (answers.size < 10_000) answers.set(key, answer);
  }
  return answer;
}

/**
 * The reasons one release of one dataset needs export-license review (DESIGN §3.6).
 * Each reason explains itself in a sentence a reviewer can check against the regulation.
 */
export function assess(event: AccessEvent, dataset: DatasetRule, person: Person | undefined, place: Place | undefined, ctx: AssessContext): Assessment {
  const tier = tierOf(dataset);
  const reasons: FlagReason[] = [];
  const cleared: ClearedReason[] = [];
  const verb = VERBS[event.action];
  const what = `${describeData(dataset)}: ${event.resource.uri}`;
  const account = event.actor.candidates[0] ?? 'no account';
  let allowedBy: AllowRule | undefined;

  if (event.actor.anonymous) {
    reasons.push({
      code: 'ANONYMOUS_ACCESS', severity: SEVERITY.ANONYMOUS_ACCESS[tier],
      explanation: `An unauthenticated request${event.ip ? ` from ${event.ip}` : ''} ${verb} ${what}; without an account no one can be screened for an export authorization`,
    });
  } else if (!person) {
    const allow = findAllow(ctx.allow, event.actor.candidates, event.time);
    if (allow && !allow.expired) allowedBy = allow.rule;
    else {
      reasons.push({
        code: 'UNKNOWN_ACCOUNT', severity: SEVERITY.UNKNOWN_ACCOUNT[tier],
        explanation: allow
          ? `Account ${account} ${verb} ${what}; its allow-list entry ("${allow.rule.reason}") expired on ${allow.rule.expires}`
          : `Account ${account} ${verb} ${what}; it matches no one in the directory and no allow-list entry, so the recipient's citizenship is unknown`,
      });
    }
  } else {
    if (dataset.authorized && !dataset.authorized.some((a) => a === person.id || (a.startsWith('group:') && person.groups.includes(a.slice(6))))) {
      reasons.push({
        code: 'NOT_AUTHORIZED', severity: SEVERITY.NOT_AUTHORIZED[tier],
        explanation: `${person.name} (${person.id}) ${verb} ${what}, but is not on its Technology Control Plan list (${dataset.authorized.join(', ')})`,
      });
    }
    if (!person.usPerson) {
      // The home country needs no license (licenseRequired says so): it raises nothing.
      const countries = new Set([...person.citizenships, ...(person.permanentResidency ? [person.permanentResidency] : [])]);
      const basis = dataset.jurisdiction === 'ITAR' ? 'ITAR §120.50(b), §120.56: a deemed export to every country of citizenship and permanent residency' : 'EAR §734.13(b): a deemed export to the person\'s countries of citizenship and permanent residency';
      for (const country of countries) {
        const answer = licenseAnswer(dataset, country, ctx.home);
        if (!answer.licenseRequired) continue;
        const explanation = `${describePerson(person)} ${verb} ${what} — ${basis}; ${answerText(answer)}`;
        const license = findLicense(ctx.licenses, dataset, person, country, event.time);
        if (license) cleared.push({ code: 'DEEMED_EXPORT', country, license: license.id, explanation: `${explanation}. Cleared by license ${license.id} (expires ${license.expires})` });
        else reasons.push({ code: 'DEEMED_EXPORT', country, severity: answer.countryOfConcern ? 'critical' : 'high', explanation });
      }
    }
  }

  if (place) {
    const answer = licenseAnswer(dataset, place.country, ctx.home);
    if (answer.licenseRequired) {
      const who = person ? `${person.name} (${person.id})` : event.actor.anonymous ? 'An unauthenticated user' : `Account ${account}`;
      const from = event.ip ? `an IP address placed in ${place.country} (${event.ip})` : `${place.country}, as the source reports`;
      const explanation = `${who} ${verb} ${what} from ${from}: an export to ${place.country} wherever the person is a citizen; ${answerText(answer)}`;
      const license = findLicense(ctx.licenses, dataset, person, place.country, event.time);
      if (license) cleared.push({ code: 'FOREIGN_LOCATION', country: place.country, license: license.id, explanation: `${explanation}. Cleared by license ${license.id} (expires ${license.expires})` });
      else reasons.push({ code: 'FOREIGN_LOCATION', country: place.country, severity: answer.countryOfConcern ? 'critical' : 'high', explanation });
    }
  }
  return { reasons, cleared, ...(allowedBy ? { allowedBy } : {}) };
}
