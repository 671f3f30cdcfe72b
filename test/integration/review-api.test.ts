/* eslint-disable @typescript-eslint/no-explicit-any -- JSON responses are checked by the assertions */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flag, Severity } from '#shared/model/index.ts';
import { flagId } from '#shared/flags/index.ts';
import { createReviewApp } from '#shared/review/app.ts';
import { claimsFromLambdaEnv, reviewerFromClaims } from '#shared/review/identity.ts';
import { startLocalStore, type LocalStore } from '#shared/store/local.ts';
import type { BusEvent } from '#shared/publish/events.ts';
import { PEOPLE_HEADER, policyFrom } from '#test/helpers.ts';
import type { Policy } from '#shared/config/index.ts';

let local: LocalStore;
let policy: Policy;
const published: BusEvent[] = [];
const make = (pseudonymise = false) => createReviewApp({
  store: local.store, identify: (c) => reviewerFromClaims(claimsFromLambdaEnv(c.env)), policy: async () => policy, pseudonymise,
  secret: 'test-secret', linkBase: 'https://review.example.edu', publisher: { publish: async (e) => { published.push(...e); } }, now: () => '2026-10-20T12:00:00.000Z',
});
/** A request as API Gateway's HTTP API hands it to the Lambda: the JWT claims on the event. */
const as = (groups: string[] | null, user = 'alice@northfield.edu') => ({ event: groups ? { requestContext: { authorizer: { jwt: { claims: { email: user, 'cognito:groups': `[${groups.join(' ')}]` } } } } } : {} });
const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function flag(i: number, severity: Severity, over: Partial<Flag> = {}): Flag {
  const day = `2026-10-${String((i % 20) + 1).padStart(2, '0')}`;
  const actor = i % 3 === 0 ? 'p-002' : `github:user${i}`;
  return {
    id: flagId(actor, i % 2 ? 'hgv-cfd' : 'lab-ops', day), severity, dataset: i % 2 ? 'hgv-cfd' : 'lab-ops', classification: i % 2 ? 'USML IV(i)' : 'EAR99', jurisdiction: i % 2 ? 'ITAR' : 'EAR', day,
    actor: actor === 'p-002' ? { key: 'p-002', person: 'p-002', name: 'Li Wei', accounts: ['github:lwei'] } : { key: actor, accounts: [actor] },
    reasons: [{ code: 'DEEMED_EXPORT', country: 'CN', severity, explanation: actor === 'p-002' ? 'Li Wei (p-002, citizen of CN) cloned github://acme/hgv via github:lwei' : `${actor} cloned it` }],
    eventCount: 1, bytes: 1, firstSeen: `${day}T10:00:00.000Z`, lastSeen: `${day}T10:0${i % 10}:00.000Z`,
    events: [{ id: `e${i}`, source: 'github', time: `${day}T10:00:00.000Z`, action: 'clone', resource: 'github://acme/=HYPERLINK("http://x")', name: i % 2 ? '<img src=x onerror=alert(1)>.pdf' : '=HYPERLINK("http://x")' }], ...over,
  };
}

beforeAll(async () => {
  local = await startLocalStore();
  policy = await policyFrom({
    'ittmon.yaml': `directory: people.csv\ndatasets:\n  - { id: hgv-cfd, name: HGV, jurisdiction: ITAR, classification: "IV(i)", match: { paths: ["github://acme/**"] }, authorized: ["p-002"] }\n  - { id: lab-ops, name: Ops, jurisdiction: EAR, classification: EAR99, match: { paths: ["s3://x/**"] } }\nlicenses:\n  - { id: DSP5-1, datasets: [hgv-cfd], countries: [GB], expires: 2027-01-01 }\n`,
    'people.csv': `${PEOPLE_HEADER}\np-002,Li Wei,li.wei@x.edu,github:lwei,CN,,,\n`,
  });
  const sev: Severity[] = ['critical', 'high', 'medium', 'low'];
  for (let i = 0; i < 30; i++) await local.store.saveObject({ key: `obj-${i}`, etag: '1' }, [{ flag: flag(i, sev[i % 4]!) }], { records: 1, events: 1, skipped: 0, rejected: 0, flags: 1, processedAt: '2026-10-20T00:00:00.000Z' });
});
afterAll(async () => local.close());

describe('review API — auth', () => {
  it('401 without a signed-in user, 403 without a review role, 200 for viewers', async () => {
    const app = make();
    expect((await app.request('/api/flags', {}, as(null))).status).toBe(401);
    expect(await (await app.request('/api/flags', {}, as(null))).json() as any).toEqual({ error: 'unauthenticated', message: 'sign in first' });
    expect((await app.request('/api/flags', {}, as(['staff']))).status).toBe(403);
    expect((await app.request('/api/flags', {}, as(['viewer']))).status).toBe(200);
    expect((await app.request('/', {}, as(null))).status).toBe(401);
  });
  it('viewers cannot decide or reveal; reviewers and admins can decide', async () => {
    const app = make();
    const [f] = (await (await app.request('/api/flags?limit=1', {}, as(['viewer']))).json() as any).items;
    expect((await app.request(`/api/flags/${f.id}/decisions`, json({ action: 'assign', version: f.version }), as(['viewer']))).status).toBe(403);
    expect((await app.request(`/api/flags/${f.id}/reveal`, { method: 'POST' }, as(['viewer']))).status).toBe(403);
    expect((await app.request(`/api/flags/${f.id}/decisions`, json({ action: 'assign', version: f.version }), as(['admin'], 'root@x.edu'))).status).toBe(200);
  });
  it('reads groups given as an array claim too', () => {
    expect(reviewerFromClaims({ 'cognito:username': 'bob', 'cognito:groups': ['reviewer'] })).toEqual({ id: 'bob', name: 'bob', roles: ['reviewer'] });
  });
});

describe('review API — queue, detail, validation', () => {
  it('pages the queue with a stable cursor: every open flag once, highest severity and newest first', async () => {
    const app = make();
    const seen: { id: string; severity: Severity; lastSeen: string }[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const res = await (await app.request(`/api/flags?status=open&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {}, as(['viewer']))).json() as any;
      seen.push(...res.items);
      cursor = res.cursor;
      if (!cursor) break;
    }
    const open = (await local.store.queryFlags({ status: 'open', limit: 500 })).items;
    expect(seen.map((f) => f.id).sort()).toEqual(open.map((f) => f.id).sort());
    expect(new Set(seen.map((f) => f.id)).size).toBe(seen.length);
    const rank = ['low', 'medium', 'high', 'critical'];
    const keys = seen.map((f) => `${rank.indexOf(f.severity)}#${f.lastSeen}`);
    expect(keys).toEqual([...keys].sort().reverse());
  });
  it('filters by severity, dataset, person and date', async () => {
    const app = make();
    const get = async (q: string) => (await (await app.request(`/api/flags?${q}`, {}, as(['viewer']))).json() as any).items as Flag[];
    expect((await get('severity=critical&limit=100')).every((f) => f.severity === 'critical')).toBe(true);
    expect((await get('dataset=lab-ops&limit=100')).every((f) => f.dataset === 'lab-ops')).toBe(true);
    expect((await get('person=p-002&limit=100')).map((f) => f.actor.key)).toEqual(expect.arrayContaining(['p-002']));
    expect((await get('person=p-002&limit=100')).every((f) => f.actor.key === 'p-002')).toBe(true);
    expect((await get('from=2026-10-05&to=2026-10-06&limit=100')).every((f) => f.day >= '2026-10-05' && f.day <= '2026-10-06')).toBe(true);
  });
  it('rejects bad input with 400 and says what is wrong', async () => {
    const app = make();
    const bad = await app.request('/api/flags?status=maybe&from=yesterday', {}, as(['viewer']));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as any;
    expect(body.error).toBe('validation');
    expect(body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['from', 'status']);
    expect((await app.request('/api/flags?cursor=garbage', {}, as(['viewer']))).status).toBe(400);
    const [f] = (await (await app.request('/api/flags?limit=1', {}, as(['viewer']))).json() as any).items;
    const noJustification = await app.request(`/api/flags/${f.id}/decisions`, json({ action: 'close', version: f.version, disposition: 'misclassified' }), as(['reviewer']));
    expect([noJustification.status, ((await noJustification.json()) as any).issues[0].path]).toEqual([400, 'justification']);
    expect((await app.request(`/api/flags/${f.id}/decisions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }, as(['reviewer']))).status).toBe(403); // a cross-site form type: refused
    expect((await app.request(`/api/flags/${f.id}/decisions`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }, as(['reviewer']))).status).toBe(415);
    expect((await app.request('/api/flags/zzzz', {}, as(['viewer']))).status).toBe(404);
    expect(await (await app.request('/api/nope', {}, as(['viewer']))).json() as any).toEqual({ error: 'not_found', message: 'no such route' });
  });
  it('detail carries the reasons, the person\'s relevant attributes, the dataset, licenses considered, evidence and audit', async () => {
    const app = make();
    const id = flagId('p-002', 'hgv-cfd', '2026-10-04');
    const d = await (await app.request(`/api/flags/${id}`, {}, as(['viewer']))).json() as any;
    expect(d.flag.reasons[0].explanation).toMatch(/Li Wei/);
    expect(d.person).toEqual({ id: 'p-002', name: 'Li Wei', citizenships: ['CN'], permanentResidency: null, usPerson: false, groups: [] });
    expect(d.dataset).toMatchObject({ id: 'hgv-cfd', classification: 'USML IV(i)', authorized: ['p-002'] });
    expect(d.licenses.map((l: { id: string }) => l.id)).toEqual(['DSP5-1']);
    expect(d.evidence).toEqual([{ object: 'obj-3', etag: '1' }]);
  });
});

describe('review API — decisions', () => {
  it('close with a disposition, conflict on a stale version, audit with the reviewer, a Decided event', async () => {
    const app = make();
    const id = flagId('github:user5', 'hgv-cfd', '2026-10-06');
    const f = (await (await app.request(`/api/flags/${id}`, {}, as(['viewer']))).json() as any).flag;
    const ok = await app.request(`/api/flags/${id}/decisions`, json({ action: 'close', version: f.version, disposition: 'license_on_file', reference: 'DSP5-1', justification: 'The DSP-5 on file covers this release.' }), as(['reviewer'], 'rita@northfield.edu'));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'closed', disposition: 'license_on_file', reference: 'DSP5-1', version: f.version + 1 });
    const stale = await app.request(`/api/flags/${id}/decisions`, json({ action: 'reopen', version: f.version, justification: 'I had an older copy of it' }), as(['reviewer']));
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ error: 'conflict', current: { version: f.version + 1, status: 'closed' } });
    const wrong = await app.request(`/api/flags/${id}/decisions`, json({ action: 'assign', version: f.version + 1 }), as(['reviewer']));
    expect([wrong.status, ((await wrong.json()) as any).error]).toEqual([409, 'invalid_transition']);
    const audit = await (await app.request(`/api/flags/${id}/audit`, {}, as(['viewer']))).json() as any;
    expect(audit).toEqual([expect.objectContaining({ who: 'rita@northfield.edu', action: 'close', from: 'open', to: 'closed', at: '2026-10-20T12:00:00.000Z' })]);
    expect(published.at(-1)).toMatchObject({ detailType: 'Export Review Flag Decided', detail: { flagId: id, status: 'closed', link: `https://review.example.edu/flags/${id}` } });
  });
});

describe('review page — security', () => {
  it('sets a strict Content-Security-Policy and escapes log-derived text', async () => {
    const app = make();
    const id = flagId('github:user1', 'hgv-cfd', '2026-10-02');
    const res = await app.request(`/flags/${id}`, {}, as(['viewer']));
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    const body = await res.text();
    expect(body).toContain('github://acme/=HYPERLINK(&quot;http://x&quot;)');
    expect(body).not.toContain('<img src=x');
  });
  it('refuses form posts without the CSRF token, and cross-site ones', async () => {
    const app = make();
    const id = flagId('github:user1', 'hgv-cfd', '2026-10-02');
    const form = (extra: Record<string, string>, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ action: 'assign', version: '0', ...extra }).toString() });
    expect((await app.request(`http://localhost/flags/${id}/decide`, form({}), as(['reviewer']))).status).toBe(403);
    const me = await (await app.request('/api/me', {}, as(['reviewer']))).json() as any;
    expect((await app.request(`http://localhost/flags/${id}/decide`, form({ csrf: me.csrf }, { origin: 'http://evil.example' }), as(['reviewer']))).status).toBe(403);
    const ok = await app.request(`http://localhost/flags/${id}/decide`, form({ csrf: me.csrf }, { origin: 'http://localhost' }), as(['reviewer']));
    expect([ok.status, ok.headers.get('location')]).toEqual([303, expect.stringMatching(new RegExp(`^/flags/${id}\\?msg=Recorded`))]);
  });
  it('exports CSV that no spreadsheet runs as a formula', async () => {
    const app = make();
    const res = await app.request('/api/flags.csv?status=open', {}, as(['viewer']));
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await res.text();
    const cells = text.split('\r\n').filter(Boolean).flatMap((row) => row.match(/"(?:[^"]|"")*"/g) ?? []);
    expect(cells.length).toBeGreaterThan(100);
    for (const c of cells) expect(c).not.toMatch(/^"[=+\-@\t\r]/);
    expect(text).toContain('"\'<img src=x onerror=alert(1)>.pdf"'.replace("'<img", '<img'));
    expect(text).toContain('"github://acme/=HYPERLINK(""http://x"")"');
    expect(text).toContain('"\'=HYPERLINK(""http://x"")"'); // a file name that is a formula, defused
  });
});

describe('review page — routes', () => {
  it('/export.csv serves the same CSV as the API', async () => {
    const app = make();
    const page = await app.request('/export.csv?status=open&dataset=lab-ops', {}, as(['viewer']));
    const api = await app.request('/api/flags.csv?status=open&dataset=lab-ops', {}, as(['viewer']));
    expect(page.headers.get('content-disposition')).toMatch(/^attachment; filename="ittmon-flags-2026-10-20\.csv"$/);
    expect(await page.text()).toBe(await api.text());
  });
  it('the reveal form needs its CSRF token, then records the reveal and redirects', async () => {
    const app = make(true);
    const id = flagId('p-002', 'hgv-cfd', '2026-10-16');
    const me = (await (await app.request('/api/me', {}, as(['reviewer'], 'zoe@x.edu'))).json()) as any;
    const post = (csrf: string) => app.request(`http://localhost/flags/${id}/reveal`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' }, body: `csrf=${encodeURIComponent(csrf)}` }, as(['reviewer'], 'zoe@x.edu'));
    expect((await post('forged')).status).toBe(403);
    const ok = await post(me.csrf);
    expect([ok.status, ok.headers.get('location')]).toEqual([303, expect.stringMatching(new RegExp(`^/flags/${id}\\?msg=`))]);
    const page = await (await app.request(`/flags/${id}`, {}, as(['reviewer'], 'zoe@x.edu'))).text();
    expect(page).toContain('Li Wei');
    expect(page).toMatch(/zoe@x\.edu<\/td><td>reveal/);
  });
  it('unknown pages are a 404 page, not a stack trace', async () => {
    const res = await make().request('/nowhere', {}, as(['viewer']));
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/There is no such page/);
  });
});

describe('pseudonymised review', () => {
  it('shows a stable pseudonym until a reviewer reveals, and records the reveal', async () => {
    const app = make(true);
    const id = flagId('p-002', 'hgv-cfd', '2026-10-10');
    const hidden = await (await app.request(`/api/flags/${id}`, {}, as(['reviewer'], 'ann@x.edu'))).json() as any;
    expect(JSON.stringify(hidden).match(/.{60}(Li Wei|lwei|p-002).{20}/)?.[0]).toBeUndefined();
    expect(hidden.flag.actor.name).toMatch(/^Person-[0-9A-F]{6}$/);
    const again = await (await app.request(`/api/flags?limit=100&person=p-002`, {}, as(['viewer']))).json() as any;
    expect(again.items.every((f: Flag) => f.actor.name === hidden.flag.actor.name)).toBe(true);
    const csv = await (await app.request('/api/flags.csv?person=p-002', {}, as(['viewer']))).text();
    expect(csv).not.toMatch(/Li Wei/);
    expect((await app.request(`/api/flags/${id}/reveal`, json({}), as(['reviewer'], 'ann@x.edu'))).status).toBe(200);
    const shown = await (await app.request(`/api/flags/${id}`, {}, as(['reviewer'], 'ann@x.edu'))).json() as any;
    expect(shown.flag.actor.name).toBe('Li Wei');
    expect(shown.audit).toEqual([expect.objectContaining({ action: 'reveal', who: 'ann@x.edu' })]);
    const other = await (await app.request(`/api/flags/${id}`, {}, as(['reviewer'], 'bob@x.edu'))).json() as any;
    expect(other.flag.actor.name).toMatch(/^Person-/);
  });
});
