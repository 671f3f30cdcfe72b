import { createHmac, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { z } from 'zod';
import type { Policy } from '#shared/config/index.ts';
import { SEVERITIES, type Severity } from '#shared/model/index.ts';
import { busEventsFor, type Publisher } from '#shared/publish/events.ts';
import { allPages, ConflictError, STATUSES, type FlagQuery, type FlagStore, type StoredFlag } from '#shared/store/index.ts';
import { toCsv } from './csv.ts';
import { canDecide, canRead, type Reviewer } from './identity.ts';
import { decisionSchema, prepareDecision, ReviewError } from './index.ts';
import { pseudonym, pseudonymiseFlag } from './pseudonym.ts';
import { CSS, detailPage, errorPage, page, queuePage, severityChart, type QueueFilters } from './views.ts';

export interface ReviewAppOptions {
  store: FlagStore;
  /** Who is asking: Cognito claims in AWS, the local user for `ittmon serve`. */
  identify: (c: Context) => Reviewer | undefined;
  /** The policy (people, datasets, licenses) for the detail page. */
  policy?: () => Promise<Policy | undefined>;
  /** Show persons under stable pseudonyms until a reviewer reveals one (audited). */
  pseudonymise?: boolean;
  /** Signs CSRF tokens and pseudonyms. */
  secret: string;
  /** Locally, decisions are announced here; in AWS the table's stream does it. */
  publisher?: Publisher;
  linkBase: string;
  now?: () => string;
}

type Env = { Variables: { reviewer: Reviewer } };

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const querySchema = z.object({
  status: z.preprocess(emptyToUndefined, z.enum(STATUSES as [string, ...string[]]).optional()),
  severity: z.preprocess(emptyToUndefined, z.enum(SEVERITIES as [Severity, ...Severity[]]).optional()),
  dataset: z.preprocess(emptyToUndefined, z.string().max(100).optional()),
  person: z.preprocess(emptyToUndefined, z.string().max(300).optional()),
  from: z.preprocess(emptyToUndefined, day.optional()),
  to: z.preprocess(emptyToUndefined, day.optional()),
  limit: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(500).optional()),
  cursor: z.preprocess(emptyToUndefined, z.string().max(4000).optional()),
});
const FLAG_ID = /^[0-9a-f]{16}$/;

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

  app.use('*', secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    referrerPolicy: 'no-referrer',
  }));
  app.use('*', csrf());
  app.get('/static/app.css', (c) => c.body(CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));
  app.use('*', async (c, next) => {
    const reviewer = o.identify(c);
    if (!reviewer) throw new HTTPException(401, { message: 'sign in first' });
    if (!canRead(reviewer)) throw new HTTPException(403, { message: 'your account has no review role (viewer, reviewer or admin)' });
    c.set('reviewer', reviewer);
    await next();
  });
  const requireDecide = (c: Context<Env>) => {
    if (!canDecide(c.get('reviewer'))) throw new HTTPException(403, { message: 'deciding flags needs the reviewer role' });
  };

  const show = async (f: StoredFlag, reviewer: Reviewer, allowReveal = false): Promise<{ flag: StoredFlag; revealed: boolean }> => {
    if (!o.pseudonymise || (!f.actor.person && !f.actor.candidates?.length)) return { flag: f, revealed: false };
    if (allowReveal && (await o.store.auditTrail(f.id)).some((a) => a.action === 'reveal' && a.who === reviewer.id)) return { flag: f, revealed: true };
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
    ...(q.severity ? { severity: q.severity } : {}), ...(q.dataset ? { dataset: q.dataset } : {}), ...(q.person ? { actor: q.person } : {}),
    ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), ...(q.cursor ? { cursor: q.cursor } : {}),
  });
  const list = async (c: Context<Env>, limit: number) => {
    const q = parse(querySchema, c.req.query());
    const result = await o.store.queryFlags(toQuery(q, q.limit ?? limit));
    return { q, items: await Promise.all(result.items.map(async (f) => (await show(f, c.get('reviewer'))).flag)), cursor: result.cursor };
  };
  const all = (query: FlagQuery, max = 10_000) => allPages((cursor) => o.store.queryFlags({ ...query, limit: 500, ...(cursor ? { cursor } : {}) }), max);
  const getFlag = async (id: string) => {
    if (!FLAG_ID.test(id)) throw new HTTPException(404, { message: 'no such flag' });
    const f = await o.store.getFlag(id);
    if (!f) throw new HTTPException(404, { message: 'no such flag' });
    return f;
  };
  const decide = async (c: Context<Env>, id: string, body: unknown) => {
    requireDecide(c);
    const decision = parse(decisionSchema, body);
    const flag = await getFlag(id);
    if (flag.version !== decision.version) throw new ConflictError(`flag ${id} changed since you loaded it (version ${decision.version}, now ${flag.version}): reload and decide again`, flag);
    const change = await o.store.applyDecision(id, decision.version, prepareDecision(flag, decision, c.get('reviewer').id, now()));
    await o.publisher?.publish(busEventsFor(change, o.linkBase));
    return change.after;
  };
  const csv = async (c: Context<Env>) => {
    const q = parse(querySchema, c.req.query());
    const flags = await Promise.all((await all(toQuery(q, 500))).map(async (f) => (await show(f, c.get('reviewer'))).flag));
    const rows = flags.map((f) => [f.id, f.severity, f.status, f.day, f.dataset, f.classification, f.jurisdiction, f.actor.name ?? f.actor.key, f.actor.key,
      f.reasons.map((r) => r.code).join(' '), [...new Set(f.reasons.flatMap((r) => (r.country ? [r.country] : [])))].join(' '), f.eventCount, f.firstSeen, f.lastSeen,
      f.events.map((e) => e.name ?? '').filter(Boolean).join(' | '), f.events.map((e) => e.resource).join(' | '), f.assignee, f.disposition, f.reference, f.justification, f.reasons.map((r) => r.explanation).join(' | ')]);
    const header = ['id', 'severity', 'status', 'day', 'dataset', 'classification', 'jurisdiction', 'who', 'actor_key', 'reasons', 'countries', 'events', 'first_seen', 'last_seen', 'file_names', 'resources', 'assignee', 'disposition', 'reference', 'justification', 'explanations'];
    return c.body(toCsv(header, rows), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="ittmon-flags-${now().slice(0, 10)}.csv"` });
  };
  const reveal = async (c: Context<Env>, id: string) => {
    requireDecide(c);
    const flag = await getFlag(id);
    if (!o.pseudonymise || (!flag.actor.person && !flag.actor.candidates?.length)) throw new HTTPException(400, { message: 'nothing to reveal: this flag is not pseudonymised' });
    await o.store.appendNote(id, { at: now(), who: c.get('reviewer').id, action: 'reveal', justification: 'identity revealed to this reviewer' });
    return flag;
  };

  // --- API ---
  app.get('/api/me', (c) => c.json({ ...c.get('reviewer'), csrf: csrfToken(c.get('reviewer')) }));
  app.get('/api/flags', async (c) => {
    const { items, cursor } = await list(c, 50);
    return c.json({ items, ...(cursor ? { cursor } : {}) });
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
      evidence: (await o.store.evidence(f.id)).map((e) => ({ object: e.object, etag: e.etag })),
      audit: await o.store.auditTrail(f.id),
    });
  });
  app.get('/api/flags/:id/audit', async (c) => c.json(await o.store.auditTrail((await getFlag(c.req.param('id'))).id)));
  app.post('/api/flags/:id/decisions', async (c) => {
    if (!c.req.header('content-type')?.startsWith('application/json')) throw new HTTPException(415, { message: 'send the decision as application/json' });
    const body = await c.req.json().catch(() => { throw new ValidationError([{ path: '', message: 'the body is not valid JSON' }]); });
    return c.json(await decide(c, c.req.param('id'), body));
  });
  app.post('/api/flags/:id/reveal', async (c) => {
    const f = await reveal(c, c.req.param('id'));
    return c.json({ person: f.actor.person, name: f.actor.name, accounts: f.actor.accounts, ...(f.actor.candidates ? { candidates: f.actor.candidates } : {}) });
  });

  // --- Pages ---
  app.get('/', async (c) => {
    const { q, items, cursor } = await list(c, 50);
    const policy = await o.policy?.();
    const datasets = policy?.datasets.map((d) => d.id) ?? [...new Set(items.map((f) => f.dataset))];
    const counts = new Map<string, Record<Severity, number>>();
    for (const f of await all({ status: 'open' }, 5000)) {
      const row = counts.get(f.day) ?? { critical: 0, high: 0, medium: 0, low: 0 };
      row[f.severity] += 1;
      counts.set(f.day, row);
    }
    const filters: QueueFilters = { status: q.status ?? 'open', ...(q.severity ? { severity: q.severity } : {}), ...(q.dataset ? { dataset: q.dataset } : {}), ...(q.person ? { person: q.person } : {}), ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) };
    const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v) as [string, string][]);
    const next = cursor ? `/?${new URLSearchParams([...params, ['cursor', cursor]])}` : undefined;
    return c.html(page('Queue', c.get('reviewer'), queuePage(items, filters, datasets, next, severityChart(counts), `/api/flags.csv?${params}`)));
  });
  app.get('/flags/:id', async (c) => {
    const f = await getFlag(c.req.param('id'));
    const reviewer = c.get('reviewer');
    const { flag, revealed } = await show(f, reviewer, true);
    const msg = c.req.query('msg');
    const err = c.req.query('error');
    return c.html(page(`Flag ${f.id}`, reviewer, detailPage({
      flag, revealed, pseudonymised: !!o.pseudonymise, ...await policyContext(f, revealed),
      evidence: await o.store.evidence(f.id), audit: await o.store.auditTrail(f.id),
      reviewer, canDecide: canDecide(reviewer), csrf: csrfToken(reviewer),
      message: err ? { ok: false, text: err.slice(0, 500) } : msg ? { ok: true, text: msg.slice(0, 200) } : undefined,
    })));
  });
  app.post('/flags/:id/decide', async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    checkCsrf(c.get('reviewer'), form.csrf);
    const body = Object.fromEntries(Object.entries({ action: form.action, version: Number(form.version), disposition: form.disposition, reference: form.reference, justification: form.justification }).filter(([, v]) => v !== '' && v !== undefined));
    try {
      const after = await decide(c, id, body);
      return c.redirect(`/flags/${id}?msg=${encodeURIComponent(`Recorded: ${String(body.action)} → ${after.status.replace('_', ' ')} (version ${after.version})`)}#audit`, 303);
    } catch (e) {
      if (e instanceof ValidationError || e instanceof ReviewError || e instanceof ConflictError) return c.redirect(`/flags/${id}?error=${encodeURIComponent(e.message)}#decide`, 303);
      throw e;
    }
  });
  app.post('/flags/:id/reveal', async (c) => {
    checkCsrf(c.get('reviewer'), (await c.req.parseBody()).csrf);
    const f = await reveal(c, c.req.param('id'));
    return c.redirect(`/flags/${f.id}?msg=${encodeURIComponent('Identity revealed; this is recorded in the audit trail.')}`, 303);
  });
  app.get('/export.csv', csv);

  app.notFound((c) => (isApi(c) ? c.json({ error: 'not_found', message: 'no such route' }, 404) : c.html(errorPage(404, 'There is no such page.'), 404)));
  app.onError((e, c) => {
    const [status, body] =
      e instanceof ValidationError ? [400, { error: 'validation', message: e.message, issues: e.issues }]
      : e instanceof ConflictError ? [409, { error: 'conflict', message: e.message, ...(e.current ? { current: { version: e.current.version, status: e.current.status } } : {}) }]
      : e instanceof ReviewError ? [409, { error: 'invalid_transition', message: e.message }]
      : e instanceof RangeError && /cursor/.test(e.message) ? [400, { error: 'validation', message: e.message }]
      : e instanceof HTTPException ? [e.status, { error: e.status === 401 ? 'unauthenticated' : e.status === 403 ? 'forbidden' : 'error', message: e.message }]
      : [500, { error: 'internal', message: 'something went wrong; the details are in the server log' }];
    if (status === 500) console.error(e); // the server log, never the client
    const s = status as 400 | 401 | 403 | 404 | 409 | 415 | 500;
    return isApi(c) ? c.json(body, s) : c.html(errorPage(s, body.message), s);
  });
  return app;
}
