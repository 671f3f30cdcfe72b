import type { AllowRule, DatasetRule, LicenseRule, Person } from '#shared/config/index.ts';
import { compareReasons, severityRank, type AccessEvent, type Action, type ClearedReason, type FlagReason, type Severity } from '#shared/model/index.ts';
import { countryName, exceptionEligibility, hintText, licenseRequired, type LicenseAnswer } from '#shared/rules/index.ts';
import { isCountryCode } from '#shared/rules/countries.ts';
import type { Place } from '#shared/geo/index.ts';

export interface AssessContext {
  home: string;
  licenses: readonly LicenseRule[];
  allow: readonly AllowRule[];
  /** §734.13(b): `most-recent` judges an EAR deemed export by the most recent citizenship only. Default `all`. */
  earDeemedExport?: 'all' | 'most-recent';
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
  return coveringLicenses(licenses, dataset, person, country, time)[0];
}

function coveringLicenses(licenses: readonly LicenseRule[], dataset: DatasetRule, person: Person | undefined, country: string, time: string): LicenseRule[] {
  return licenses.filter((l) =>
    (l.datasets.includes(dataset.id) || l.classifications.includes(dataset.classification.display))
    && (!l.persons || (!!person && l.persons.includes(person.id)))
    && l.countries.includes(country)
    && day(time) <= l.expires);
}

/**
 * The license entry that clears this finding: a license, or a license exception that is eligible for
 * this classification, country and kind of release. An ineligible exception is named, with why.
 */
function clearing(ctx: AssessContext, dataset: DatasetRule, person: Person | undefined, answer: LicenseAnswer, time: string): { license?: LicenseRule; refused: string[] } {
  const refused: string[] = [];
  for (const l of coveringLicenses(ctx.licenses, dataset, person, answer.country, time)) {
    if (!l.exception) return { license: l, refused };
    const verdict = exceptionEligibility(l.exception, dataset.classification, answer.country, answer.reasons, { deemed: answer.deemedExport });
    if (verdict.eligible) return { license: l, refused };
    refused.push(`${l.id} cites License Exception ${l.exception}, which does not clear it: ${verdict.why}`);
  }
  return { refused };
}

const clearedBy = (l: LicenseRule) => (l.exception ? `License Exception ${l.exception} (${l.id}, assurance ${l.assurance ?? 'none on file'}, review by ${l.expires})` : `license ${l.id} (expires ${l.expires})`);

/** §734.13(b) and §120.50(b): the countries a release to this person is a deemed export to. */
function deemedCountries(person: Person, dataset: DatasetRule, ctx: AssessContext): { countries: string[]; basis: string } {
  const own = [...new Set([...person.citizenships, ...(person.permanentResidency ? [person.permanentResidency] : [])])].filter((c) => c !== ctx.home);
  if (dataset.jurisdiction === 'ITAR') return { countries: own, basis: 'ITAR §120.50(b): a deemed export to every country of current or former citizenship and of permanent residency' };
  const mostRecent = 'EAR §734.13(b): a deemed export to the person\'s most recent country of citizenship or permanent residency';
  if (ctx.earDeemedExport === 'most-recent') {
    if (person.mostRecentCitizenship) {
      return { countries: person.mostRecentCitizenship === ctx.home ? [] : [person.mostRecentCitizenship], basis: `${mostRecent}, which the directory gives as ${countryName(person.mostRecentCitizenship)}` };
    }
    if (own.length <= 1) return { countries: own, basis: mostRecent };
    return { countries: own, basis: `${mostRecent}; the directory does not say which of ${own.join(', ')} is most recent, so each is judged` };
  }
  return { countries: own, basis: `${mostRecent}; this policy judges every citizenship and permanent residency (ear_deemed_export: all)` };
}

function describePerson(p: Person): string {
  const parts = [`citizen of ${p.citizenships.join(' and ') || 'no country on file'}`];
  if (p.permanentResidency) parts.push(`permanent resident of ${p.permanentResidency}`);
  return `${p.name} (${p.id}, ${parts.join(', ')})`;
}

const answerText = (a: LicenseAnswer) => a.explanation.replace(/\.$/, '');

/** The finding's explanation with the exceptions a reviewer may weigh, and any cited exception that does not apply. */
function withHints(explanation: string, answer: LicenseAnswer, refused: string[]): string {
  const parts = [explanation];
  if (refused.length) parts.push(refused.join('; '));
  if (answer.jurisdiction === 'EAR') parts.push(hintText(answer.hints));
  return parts.join('. ');
}

const answers = new Map<string, LicenseAnswer>();
/** licenseRequired is pure and asked the same few questions again and again: remember the answers. */
function licenseAnswer(dataset: DatasetRule, country: string, home: string, deemed: boolean): LicenseAnswer {
  // Stryker disable next-line StringLiteral: any separator and placeholder keep keys distinct (reasons are known names)
  const key = `${dataset.classification.display}|${dataset.reasons?.join(',') ?? ''}|${country}|${home}|${deemed}`;
  let answer = answers.get(key);
  // Stryker disable next-line ConditionalExpression: asking again gives the same answer
  if (!answer) {
    answer = licenseRequired(dataset.classification, country, { ...(dataset.reasons ? { reasons: dataset.reasons } : {}), home, deemed });
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
      const { countries, basis } = deemedCountries(person, dataset, ctx);
      for (const country of countries) {
        const answer = licenseAnswer(dataset, country, ctx.home, true);
        if (!answer.licenseRequired) continue;
        const explanation = `${describePerson(person)} ${verb} ${what} — ${basis}; ${answerText(answer)}`;
        const { license, refused } = clearing(ctx, dataset, person, answer, event.time);
        if (license) cleared.push({ code: 'DEEMED_EXPORT', country, license: license.id, explanation: `${explanation}. Cleared by ${clearedBy(license)}` });
        else reasons.push({ code: 'DEEMED_EXPORT', country, severity: answer.countryOfConcern ? 'critical' : 'high', explanation: withHints(explanation, answer, refused) });
      }
    }
  }

  // A place that is no ISO 3166 country (a log's EU, ZZ, T1…) is an unknown location, never an error.
  if (place && place.country !== ctx.home && isCountryCode(place.country)) {
    const answer = licenseAnswer(dataset, place.country, ctx.home, false);
    if (answer.licenseRequired) {
      const who = person ? `${person.name} (${person.id})` : event.actor.anonymous ? 'An unauthenticated user' : `Account ${account}`;
      const from = event.ip ? `an IP address placed in ${place.country} (${event.ip})` : `${place.country}, as the source reports`;
      const explanation = `${who} ${verb} ${what} from ${from}: an export to ${place.country} wherever the person is a citizen; ${answerText(answer)}`;
      const { license, refused } = clearing(ctx, dataset, person, answer, event.time);
      if (license) cleared.push({ code: 'FOREIGN_LOCATION', country: place.country, license: license.id, explanation: `${explanation}. Cleared by ${clearedBy(license)}` });
      else reasons.push({ code: 'FOREIGN_LOCATION', country: place.country, severity: answer.countryOfConcern ? 'critical' : 'high', explanation: withHints(explanation, answer, refused) });
    }
  }
  return { reasons, cleared, ...(allowedBy ? { allowedBy } : {}) };
}

/**
 * An account that names more than one person (DESIGN §6): who received the data is unknown, so
 * no candidate's findings are dropped. One AMBIGUOUS_IDENTITY reason names every candidate with
 * what they would be flagged for; its severity is the highest of theirs, and at least what an
 * unknown account gets. A foreign location is the account's own finding and stays as it is.
 */
export function assessAmbiguous(event: AccessEvent, dataset: DatasetRule, people: readonly Person[], place: Place | undefined, ctx: AssessContext): Assessment {
  const tier = tierOf(dataset);
  const account = event.actor.candidates[0] ?? 'no account';
  let severity = SEVERITY.UNKNOWN_ACCOUNT[tier];
  const each = people.map((person) => {
    const own = assess(event, dataset, person, place, ctx).reasons.sort(compareReasons);
    for (const r of own) if (severityRank(r.severity) > severityRank(severity)) severity = r.severity;
    const findings = own.map((r) => `${r.code}${r.country ? ` ${r.country}` : ''} (${r.severity})`).join(', ');
    return `${describePerson(person)} — ${findings || 'no finding'}`;
  });
  const asAccount = assess(event, dataset, undefined, place, ctx); // the location is not about who it was
  const reasons: FlagReason[] = [{
    code: 'AMBIGUOUS_IDENTITY', severity,
    explanation: `Account ${account} ${VERBS[event.action]} ${describeData(dataset)}: ${event.resource.uri}; it matches ${people.length} people in the directory, so who received it is unknown: ${each.join('; ')}. A reviewer must decide who it was; give each account and e-mail to one person in the directory`,
  }, ...asAccount.reasons.filter((r) => r.code === 'FOREIGN_LOCATION')];
  return { reasons, cleared: asAccount.cleared.filter((c) => c.code === 'FOREIGN_LOCATION') };
}
