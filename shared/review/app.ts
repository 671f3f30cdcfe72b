import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ReplayProgress, ReplayRun } from '#shared/ingest/replay.ts';
import { replaysPage } from './replays.ts';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import * as z from 'zod';
import type { Policy } from '#shared/config/index.ts';
import { SEVERITIES, type Severity } from '#shared/model/index.ts';
import { busEventsFor, type Publisher } from '#shared/publish/events.ts';
import { allPages, ConflictError, STATUSES, type FlagQuery, type FlagStore, type StoredFlag } from '#shared/store/index.ts';
import type { ReviewAuth } from './auth.ts';
import { toCsv } from './csv.ts';
import { canDecide, canRead, IdentityError, isSubjectOf, type Reviewer } from './identity.ts';
import { decisionSchema, FourEyesError, prepareDecision, refuseSystemOnly, ReviewError, revealSchema, SystemOnlyError } from './index.ts';
import { maskPersonalPaths, pseudonym, pseudonymiseFlag } from './pseudonym.ts';
import { plainSafe } from './text.ts';
import { CSS, detailPage, errorPage, EVENTS_PER_PAGE, FAVICON, page, queuePage, severityChart, type QueueFilters } from './views.ts';

export interface ReviewAppOptions {
  store: FlagStore;
  /**
   * Who is asking. `ittmon serve` without OIDC: the local user. With OIDC (serve or AWS): the
   * sign-in adapter (auth.ts), which also mounts /login, /auth/callback and /logout.
   */
  auth: { identify(c: Context): Reviewer | undefined | Promise<Reviewer | undefined> } & Partial<Omit<ReviewAuth, 'identify'>>;
  /** The policy (people, datasets, licenses) for the detail page and the four-eyes check. */
  policy?: () => Promise<Policy | undefined>;
  /** Show persons under stable pseudonyms until a reviewer reveals one (audited). */
  pseudonymise?: boolean;
  /** Signs CSRF tokens and pseudonyms. */
  secret: string;
  /** Locally, decisions are announced here; in AWS the table's stream does it. */
  publisher?: Publisher;
  linkBase: string;
  now?: () => string;
  /** Running and recent replays (AWS: Step Functions); absent locally, where there are none. */
  replays?: ReplayProgress;
}

type Env = { Variables: { reviewer: Reviewer } };

/** Request bodies larger than this are refused (413): a decision is a few kilobytes at most. */
export const MAX_BODY_BYTES = 64 * 1024;
const QUEUE_PAGE = 50;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const querySchema = z.object({
  status: z.preprocess(emptyToUndefined, z.enum(STATUSES as [string, ...string[]]).optional()),
  severity: z.preprocess(emptyToUndefined, z.enum(SEVERITIES as [Severity, ...Severity[]]).optional()),
  dataset: z.preprocess(emptyToUndefined, z.string().max(100).optional()),
  person: z.preprocess(emptyToUndefined, z.string().trim().max(300).optional()),
  from: z.preprocess(emptyToUndefined, day.optional()),
  to: z.preprocess(emptyToUndefined, day.optional()),
  limit: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(500).optional()),
  page: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(100_000).optional()),
  cursor: z.preprocess(emptyToUndefined, z.string().max(4000).optional()),
  foundBy: z.preprocess(emptyToUndefined, z.enum(['live', 'look-back']).optional()),
});
const cursor = z.preprocess(emptyToUndefined, z.string().max(4000).optional());
const detailQuery = z.object({
  events: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(100_000).optional()),
  events_after: cursor,
  events_before: cursor,
  done: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).optional()),
  revealed: z.preprocess(emptyToUndefined, z.literal('1').optional()),
});
const eventsQuery = z.object({ after: cursor, before: cursor, limit: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(500).optional()) });
const FLAG_ID = /^[0-9a-f]{16}$/;
const label = (s: string) => s.replace(/_/g, ' ');

class ValidationError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; '));
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}

/** Does the flag, as the reviewer sees it, match a person search? Pseudonymised flags match only by pseudonym. */
function matchesPerson(f: StoredFlag, term: string): boolean {
  const t = term.toLowerCase();
  return [f.actor.name, f.actor.person, f.actor.key, ...f.actor.accounts].some((s) => !!s && s !== '(hidden)' && s.toLowerCase().includes(t));
}

/**
 * The review API and page: one Hono app, served by `ittmon serve` locally and by the review-api
 * Lambda behind API Gateway. Everything from logs is escaped on output; no script runs on the page.
 */
export function createReviewApp(o: ReviewAppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const now = o.now ?? (() => new Date().toISOString());
  const csrfToken = (r: Reviewer) => createHmac('sha256', o.secret).update(`csrf:${r.id}`).digest('base64url');
  const checkCsrf = (r: Reviewer, token: unknown) => {
    const expected = Buffer.from(csrfToken(r));
    const given = Buffer.from(typeof token === 'string' ? token : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HTTPException(403, { message: 'the form is stale or was not sent from this site: reload the page and try again' });
  };
  const isApi = (c: Context) => c.req.path.startsWith('/api/');
  const signOut = (r: Reviewer) => (o.auth.mount ? csrfToken(r) : undefined);
  const render = (c: Context<Env>, title: string, body: Parameters<typeof page>[2], status: 200 | 400 | 403 | 409 = 200) => c.html(page(title, c.get('reviewer'), body, signOut(c.get('reviewer'))), status);

  app.use('*', secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], formAction: ["'self'", ...(o.auth.formTargets ?? [])], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    referrerPolicy: 'no-referrer',
  }));
  // Nothing a reviewer sees may be kept by a browser or proxy cache: flags name people.
  app.use('*', async (c, next) => {
    await next();
    if (!c.req.path.startsWith('/static/') && c.req.path !== '/favicon.svg' && c.req.path !== '/favicon.ico') c.header('cache-control', 'no-store');
  });
  app.use('*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new HTTPException(413, { message: `the request body is larger than ${MAX_BODY_BYTES / 1024} KB` }); } }));
  app.use('*', csrf());
  app.get('/static/app.css', (c) => c.body(CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));
  app.get('/favicon.svg', (c) => c.body(FAVICON, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' }));
  app.get('/favicon.ico', (c) => c.body(FAVICON, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' }));
  o.auth.mount?.(app);
  app.use('*', async (c, next) => {
    const reviewer = await o.auth.identify(c);
    if (!reviewer) {
      if (o.auth.signInPath && !isApi(c) && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
        const here = new URL(c.req.url);
        return c.redirect(`${o.auth.signInPath}?next=${encodeURIComponent(here.pathname + here.search)}`, 302);
      }
      if (o.auth.bearerOnApi && isApi(c)) c.header('www-authenticate', 'Bearer');
      throw new HTTPException(401, { message: isApi(c) && o.auth.bearerOnApi ? 'send a bearer access token from the sign-in provider (Authorization: Bearer …)' : 'sign in first' });
    }
    if (!canRead(reviewer)) throw new HTTPException(403, { message: 'your account has no review role (viewer, reviewer or admin)' });
    c.set('reviewer', reviewer);
    await next();
  });
  const requireDecide = (c: Context<Env>) => {
    if (!canDecide(c.get('reviewer'))) throw new HTTPException(403, { message: 'deciding flags needs the reviewer role' });
  };

  const revealedTo = async (f: StoredFlag, reviewer: Reviewer) => (await o.store.auditTrail(f.id)).some((a) => a.action === 'reveal' && a.who === reviewer.id);
  const show = async (f: StoredFlag, reviewer: Reviewer, allowReveal = false): Promise<{ flag: StoredFlag; revealed: boolean }> => {
    if (!o.pseudonymise) return { flag: f, revealed: false };
    if (allowReveal && (await revealedTo(f, reviewer))) return { flag: f, revealed: true };
    return { flag: pseudonymiseFlag(f, o.secret), revealed: false };
  };
  /** Person ids in TCP lists and licenses, hidden like the flag's person until revealed. */
  const people = (ids: string[] | undefined, revealed: boolean) => (ids && o.pseudonymise && !revealed ? ids.map((a) => (a.startsWith('group:') ? a : pseudonym(o.secret, a))) : ids);
  /** What the policy says about a flag's person, dataset and licenses, hidden as the flag's person is until revealed. */
  const policyContext = async (f: StoredFlag, revealed: boolean) => {
    const policy = await o.policy?.();
    const dataset = policy?.datasets.find((d) => d.id === f.dataset);
    return {
      person: (!o.pseudonymise || revealed) && f.actor.person ? policy?.people.find((p) => p.id === f.actor.person) : undefined,
      dataset: dataset && { ...dataset, ...(dataset.authorized ? { authorized: people(dataset.authorized, revealed)! } : {}) },
      licenses: (policy?.licenses ?? [])
        .filter((l) => l.datasets.includes(f.dataset) || l.classifications.includes(f.classification))
        .map((l) => ({ ...l, ...(l.persons ? { persons: people(l.persons, revealed)! } : {}) })),
    };
  };
  const toQuery = (q: z.infer<typeof querySchema>, limit: number): FlagQuery => ({
    status: (q.status ?? 'open') as FlagQuery['status'], limit,
    ...(q.severity ? { severity: q.severity } : {}), ...(q.dataset ? { dataset: q.dataset } : {}),
    ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), ...(q.cursor ? { cursor: q.cursor } : {}),
    ...(q.foundBy ? { foundBy: q.foundBy } : {}),
  });
  const all = (query: FlagQuery, max = 10_000) => allPages((cursor) => o.store.queryFlags({ ...query, limit: 500, ...(cursor ? { cursor } : {}) }), max);
  /**
   * Every flag matching the filters, as this reviewer sees it (pseudonymised), person search
   * applied to what is shown: a pseudonym finds its flags, a real name or id of a hidden person does not.
   */
  const search = async (c: Context<Env>, q: z.infer<typeof querySchema>) => {
    const { cursor: _ignored, ...rest } = q;
    const flags = await Promise.all((await all(toQuery(rest, 500))).map(async (f) => (await show(f, c.get('reviewer'))).flag));
    return q.person ? flags.filter((f) => matchesPerson(f, q.person!)) : flags;
  };
  const getFlag = async (id: string) => {
    if (!FLAG_ID.test(id)) throw new HTTPException(404, { message: 'no such flag' });
    const f = await o.store.getFlag(id);
    if (!f) throw new HTTPException(404, { message: 'no such flag' });
    return f;
  };
  const decide = async (c: Context<Env>, id: string, body: unknown) => {
    requireDecide(c);
    refuseSystemOnly(body);
    const decision = parse(decisionSchema, body);
    const flag = await getFlag(id);
    if (flag.version !== decision.version) throw new ConflictError(`flag ${id} changed since you loaded it (version ${decision.version}, now ${flag.version}): reload and decide again`, flag);
    const reviewer = c.get('reviewer');
    const policy = await o.policy?.();
    const escalatedBy = flag.status === 'escalated' ? (await o.store.auditTrail(id)).filter((a) => a.action === 'escalate').at(-1)?.who : undefined;
    const who = { roles: reviewer.roles, isSubject: isSubjectOf(flag, reviewer, policy?.people ?? []), escalatedBy };
    const change = await o.store.applyDecision(id, decision.version, prepareDecision(flag, decision, reviewer.id, now(), who));
    await o.publisher?.publish(busEventsFor(change, o.linkBase));
    return change.after;
  };
  const csv = async (c: Context<Env>) => {
    const q = parse(querySchema, c.req.query());
    const flags = await search(c, q);
    const text = (s: string | undefined) => (s === undefined ? '' : plainSafe(s));
    const rows = flags.map((f) => [f.id, f.severity, f.status, f.day, f.dataset, f.classification, f.jurisdiction, text(f.actor.name ?? f.actor.key), text(f.actor.key),
      f.reasons.map((r) => r.code).join(' '), [...new Set(f.reasons.flatMap((r) => (r.country ? [r.country] : [])))].join(' '), f.eventCount, f.firstSeen, f.lastSeen,
      text(f.events.map((e) => e.name ?? '').filter(Boolean).join(' | ')), text(f.events.map((e) => e.resource).join(' | ')), f.assignee, f.disposition, text(f.reference), text(f.justification), text(f.reasons.map((r) => r.explanation).join(' | '))]);
    const header = ['id', 'severity', 'status', 'day', 'dataset', 'classification', 'jurisdiction', 'who', 'actor_key', 'reasons', 'countries', 'events', 'first_seen', 'last_seen', 'file_names', 'resources', 'assignee', 'disposition', 'reference', 'justification', 'explanations'];
    // The byte-order mark makes Excel read the file as UTF-8 (names in any script stay readable).
    return c.body(`\uFEFF${toCsv(header, rows)}`, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="ittmon-flags-${now().slice(0, 10)}.csv"` });
  };
  const reveal = async (c: Context<Env>, id: string, body: unknown) => {
    requireDecide(c);
    const flag = await getFlag(id);
    if (!o.pseudonymise) throw new HTTPException(400, { message: 'nothing to reveal: persons are not pseudonymised here' });
    const { reason } = parse(revealSchema, body);
    await o.store.appendNote(id, { at: now(), who: c.get('reviewer').id, action: 'reveal', justification: reason });
    return flag;
  };
  const json = async (c: Context) => {
    if (!c.req.header('content-type')?.startsWith('application/json')) throw new HTTPException(415, { message: 'send the body as application/json' });
    return c.req.json().catch(() => { throw new ValidationError([{ path: '', message: 'the body is not valid JSON' }]); });
  };

  // --- API ---
  app.get('/api/me', (c) => c.json({ ...c.get('reviewer'), csrf: csrfToken(c.get('reviewer')) }));
  app.get('/api/flags', async (c) => {
    const q = parse(querySchema, c.req.query());
    const limit = q.limit ?? 50;
    if (q.person || q.page) {
      // A person search runs over what the reviewer sees, so it pages by number, with a total.
      const flags = await search(c, q);
      const first = ((q.page ?? 1) - 1) * limit;
      return c.json({ items: flags.slice(first, first + limit), total: flags.length, page: q.page ?? 1 });
    }
    const result = await o.store.queryFlags(toQuery(q, limit));
    const items = await Promise.all(result.items.map(async (f) => (await show(f, c.get('reviewer'))).flag));
    return c.json({ items, ...(result.cursor ? { cursor: result.cursor } : {}) });
  });
  app.get('/api/flags.csv', csv);
  app.get('/api/flags/:id', async (c) => {
    const f = await getFlag(c.req.param('id'));
    const { flag, revealed } = await show(f, c.get('reviewer'), true);
    const { person, dataset, licenses } = await policyContext(f, revealed);
    return c.json({
      flag,
      ...(person ? { person: { id: person.id, name: person.name, citizenships: person.citizenships, permanentResidency: person.permanentResidency ?? null, usPerson: person.usPerson, groups: person.groups } } : {}),
      ...(dataset ? { dataset: { id: dataset.id, name: dataset.name, jurisdiction: dataset.jurisdiction, classification: dataset.classification.display, reasons: dataset.reasons ?? null, authorized: dataset.authorized ?? null } } : {}),
      licenses,
      evidence: (await o.store.evidence(f.id)).map((e) => ({ object: revealed || !o.pseudonymise ? e.object : maskPersonalPaths(e.object), etag: e.etag })),
      audit: await o.store.auditTrail(f.id),
    });
  });
  app.get('/api/flags/:id/events', async (c) => {
    const f = await getFlag(c.req.param('id'));
    const q = parse(eventsQuery, c.req.query());
    const page = await o.store.flagEvents(f.id, { ...(q.limit ? { limit: q.limit } : {}), ...(q.after ? { after: q.after } : {}), ...(q.before ? { before: q.before } : {}) });
    const { flag } = await show({ ...f, events: page.items }, c.get('reviewer'), true);
    return c.json({ items: flag.events, first: page.first, total: f.eventCount, ...(page.before ? { before: page.before } : {}), ...(page.after ? { after: page.after } : {}) });
  });
  app.get('/api/flags/:id/audit', async (c) => c.json(await o.store.auditTrail((await getFlag(c.req.param('id'))).id)));
  app.post('/api/flags/:id/decisions', async (c) => c.json(await decide(c, c.req.param('id'), await json(c))));
  app.post('/api/flags/:id/reveal', async (c) => {
    const f = await reveal(c, c.req.param('id'), await json(c));
    return c.json({ person: f.actor.person ?? null, name: f.actor.name ?? null, accounts: f.actor.accounts, ...(f.actor.candidates ? { candidates: f.actor.candidates } : {}) });
  });

  // --- Pages ---
  app.get('/', async (c) => {
    const q = parse(querySchema, c.req.query());
    const limit = q.limit ?? QUEUE_PAGE;
    const matching = await search(c, q);
    const pages = Math.max(1, Math.ceil(matching.length / limit));
    const at = Math.min(q.page ?? 1, pages);
    const items = matching.slice((at - 1) * limit, at * limit);
    const policy = await o.policy?.();
    const datasets = policy?.datasets.map((d) => d.id) ?? [...new Set(matching.map((f) => f.dataset))];
    const counts = new Map<string, Record<Severity, number>>();
    for (const f of await all({ status: 'open' }, 5000)) {
      const row = counts.get(f.day) ?? { critical: 0, high: 0, medium: 0, low: 0 };
      row[f.severity] += 1;
      counts.set(f.day, row);
    }
    const filters: QueueFilters = { status: q.status ?? 'open', ...(q.severity ? { severity: q.severity } : {}), ...(q.dataset ? { dataset: q.dataset } : {}), ...(q.person ? { person: q.person } : {}), ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), ...(q.foundBy ? { foundBy: q.foundBy } : {}) };
    const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v) as [string, string][]);
    if (q.limit) params.set('limit', String(q.limit));
    const pageHref = (n: number) => `/?${new URLSearchParams([...params, ['page', String(n)]])}`;
    const narrowed = [q.severity && `severity ${q.severity}`, q.dataset && `dataset ${q.dataset}`, q.from && `from ${q.from}`, q.to && `to ${q.to}`, q.foundBy && `found ${q.foundBy === 'look-back' ? 'on look-back' : 'live'}`].filter(Boolean).join(', ');
    const empty = matching.length ? undefined : q.person
      ? `No ${label(filters.status)} flag has a person${o.pseudonymise ? ', account or pseudonym' : ' or account'} containing “${q.person}”${narrowed ? ` (also filtered by ${narrowed})` : ''}.${o.pseudonymise ? ' Persons are shown under pseudonyms (Person-…): search by pseudonym; real names and ids are not searched until revealed.' : ''} Try another status or fewer filters.`
      : `No ${label(filters.status)} flags${narrowed ? ` with ${narrowed}` : ''}.`;
    return render(c, 'Queue', queuePage(items, filters, datasets, {
      total: matching.length, first: (at - 1) * limit, empty,
      ...(at > 1 ? { prev: pageHref(at - 1) } : {}), ...(at < pages ? { next: pageHref(at + 1) } : {}),
    }, severityChart(counts), `/export.csv?${params}`));
  });
  const detail = async (c: Context<Env>, id: string, message?: { ok: boolean; text: string }, status: 200 | 400 | 403 | 409 = 200) => {
    const f = await getFlag(id);
    const reviewer = c.get('reviewer');
    const q = parse(detailQuery, c.req.query());
    const evidence = await o.store.evidence(f.id);
    // Every event of the flag, a page at a time from the store; a store written before events were
    // kept one by one has only samples: the flag's own and each source object's.
    const stored = q.events ? undefined : await o.store.flagEvents(f.id, { limit: EVENTS_PER_PAGE, ...(q.events_after ? { after: q.events_after } : {}), ...(q.events_before ? { before: q.events_before } : {}) });
    const paged = stored?.items.length ? stored : undefined;
    const kept = new Map([...f.events, ...evidence.flatMap((e) => e.flag.events)].map((e) => [e.id, e]));
    const events = paged?.items ?? [...kept.values()].sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
    const { flag, revealed } = await show({ ...f, events }, reviewer, true);
    const audit = await o.store.auditTrail(f.id);
    // The banner says only what the audit trail holds: the URL cannot put words on the page.
    const done = q.done !== undefined ? audit.find((a) => a.version === q.done && a.who === reviewer.id && a.action !== 'reveal') : undefined;
    const banner = message ?? (done ? { ok: true, text: `Recorded: ${done.action} → ${label(done.to)} (version ${done.version})` } : q.revealed && revealed ? { ok: true, text: 'Identity revealed; this is recorded in the audit trail with your reason.' } : undefined);
    const first = paged?.first ?? ((q.events ?? 1) - 1) * EVENTS_PER_PAGE;
    const eventsHref = (n: number) => `/flags/${f.id}?events=${n}#events`;
    const cursorHref = (side: 'after' | 'before', at: string) => `/flags/${f.id}?events_${side}=${encodeURIComponent(at)}#events`;
    const evPage = q.events ?? 1;
    return render(c, `Flag ${f.id}`, detailPage({
      flag, revealed, pseudonymised: !!o.pseudonymise, ...await policyContext(f, revealed),
      evidence: evidence.map((e) => (revealed || !o.pseudonymise ? e : { ...e, object: maskPersonalPaths(e.object) })), audit,
      reviewer, canDecide: canDecide(reviewer), csrf: csrfToken(reviewer), message: banner,
      events: paged
        ? { first, paged: true, ...(paged.before ? { prev: cursorHref('before', paged.before) } : {}), ...(paged.after ? { next: cursorHref('after', paged.after) } : {}) }
        : { first, ...(evPage > 1 ? { prev: eventsHref(evPage - 1) } : {}), ...(first + EVENTS_PER_PAGE < flag.events.length ? { next: eventsHref(evPage + 1) } : {}) },
    }), status);
  };
  app.get('/flags/:id', (c) => detail(c, c.req.param('id')));
  // Replay progress: read from the port; a failing read says so on the page instead of failing it.
  const replays = async (): Promise<{ runs?: ReplayRun[]; problem?: string }> => {
    if (!o.replays) return {};
    try {
      return { runs: await o.replays.recent() };
    } catch (e) {
      return { problem: `${(e as Error).name}: ${(e as Error).message}` };
    }
  };
  app.get('/api/replays', async (c) => {
    const r = await replays();
    return r.problem ? c.json({ error: r.problem }, 502) : c.json({ replays: r.runs ?? [] });
  });
  app.get('/replays', async (c) => {
    const r = await replays();
    return render(c, 'Replays', replaysPage(o.replays ? r.runs ?? [] : undefined, r.problem));
  });
  app.post('/flags/:id/decide', async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    checkCsrf(c.get('reviewer'), form.csrf);
    const body = Object.fromEntries(Object.entries({ action: form.action, version: Number(form.version), disposition: form.disposition, reference: form.reference, justification: form.justification }).filter(([, v]) => v !== '' && v !== undefined));
    try {
      const after = await decide(c, id, body);
      return c.redirect(`/flags/${id}?done=${after.version}#audit`, 303);
    } catch (e) {
      // Shown on the page with its status, not bounced through the URL.
      if (e instanceof ValidationError) return detail(c, id, { ok: false, text: e.message }, 400);
      if (e instanceof FourEyesError || e instanceof SystemOnlyError) return detail(c, id, { ok: false, text: e.message }, 403);
      if (e instanceof ReviewError || e instanceof ConflictError) return detail(c, id, { ok: false, text: e.message }, 409);
      throw e;
    }
  });
  app.post('/flags/:id/reveal', async (c) => {
    const form = await c.req.parseBody();
    checkCsrf(c.get('reviewer'), form.csrf);
    try {
      const f = await reveal(c, c.req.param('id'), { reason: form.reason });
      return c.redirect(`/flags/${f.id}?revealed=1`, 303);
    } catch (e) {
      if (e instanceof ValidationError) return detail(c, c.req.param('id'), { ok: false, text: e.message }, 400);
      throw e;
    }
  });
  app.get('/export.csv', csv);

  app.notFound((c) => (isApi(c) ? c.json({ error: 'not_found', message: 'no such route' }, 404) : c.html(errorPage(404, 'There is no such page.'), 404)));
  app.onError((e, c) => {
    const [status, body] =
      e instanceof ValidationError ? [400, { error: 'validation', message: e.message, issues: e.issues }]
      : e instanceof ConflictError ? [409, { error: 'conflict', message: e.message, ...(e.current ? { current: { version: e.current.version, status: e.current.status } } : {}) }]
      : e instanceof FourEyesError ? [403, { error: 'four_eyes', message: e.message }]
      : e instanceof SystemOnlyError ? [403, { error: 'system_only', message: e.message }]
      : e instanceof ReviewError ? [409, { error: 'invalid_transition', message: e.message }]
      : e instanceof IdentityError ? [e.status, { error: e.status === 401 ? 'unauthenticated' : 'forbidden', message: e.message }]
      : e instanceof RangeError && /cursor/.test(e.message) ? [400, { error: 'validation', message: e.message }]
      : e instanceof HTTPException ? [e.status, { error: e.status === 401 ? 'unauthenticated' : e.status === 403 ? 'forbidden' : e.status === 413 ? 'too_large' : 'error', message: e.message }]
      : [500, { error: 'internal', message: 'something went wrong; the details are in the server log' }];
    if (status === 500) console.error(e); // the server log, never the client
    const s = status as 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500;
    return isApi(c) ? c.json(body, s) : c.html(errorPage(s, body.message), s);
  });
  return app;
}
