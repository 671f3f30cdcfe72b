/* eslint-disable @typescript-eslint/no-explicit-any -- JSON responses are checked by the assertions */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flag, Severity } from '#shared/model/index.ts';
import { flagId } from '#shared/flags/index.ts';
import { createReviewApp } from '#shared/review/app.ts';
import { IdentityError, reviewerFromClaims, rolesFrom, type Reviewer } from '#shared/review/identity.ts';
import { pseudonym } from '#shared/review/pseudonym.ts';
import { startLocalStore, type LocalStore } from '#shared/store/local.ts';
import type { BusEvent } from '#shared/publish/events.ts';
import { PEOPLE_HEADER, policyFrom } from '#test/helpers.ts';
import type { Policy } from '#shared/config/index.ts';

let local: LocalStore;
let policy: Policy;
const published: BusEvent[] = [];
const make = (pseudonymise = false) => createReviewApp({
  store: local.store, auth: { identify: (c) => (c.env as { reviewer?: Reviewer } | undefined)?.reviewer }, policy: async () => policy, pseudonymise,
  secret: 'test-secret', linkBase: 'https://review.example.edu', publisher: { publish: async (e) => { published.push(...e); } }, now: () => '2026-10-20T12:00:00.000Z',
});
/** A request from a reviewer as the sign-in adapter identifies them (its own tests: test/e2e/sign-in.test.ts). */
const as = (groups: string[] | null, user = 'alice@northfield.edu') => ({ reviewer: groups ? { id: user, name: user, roles: rolesFrom(groups) } : undefined });
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
  it('reads groups as an array, as API Gateway flattens them, or comma-separated; unknown groups give no role', () => {
    expect(rolesFrom(['reviewer', 'staff'])).toEqual(['reviewer']);
    expect(rolesFrom('[reviewer viewer]')).toEqual(['viewer', 'reviewer']);
    expect(rolesFrom('admin,viewer')).toEqual(['viewer', 'admin']);
    expect(rolesFrom(undefined)).toEqual([]);
  });
  it('one reviewer id, the verified e-mail lower-cased; an unverified or missing e-mail is refused with the reason', () => {
    expect(reviewerFromClaims({ sub: 'x', email: 'Bob@X.edu', email_verified: true, 'cognito:groups': ['reviewer'] })).toEqual({ id: 'bob@x.edu', name: 'bob@x.edu', roles: ['reviewer'] });
    expect(reviewerFromClaims({ email: 'bob@x.edu', email_verified: 'true', name: 'Bob', groups: 'viewer' }, 'groups')).toEqual({ id: 'bob@x.edu', name: 'Bob', roles: ['viewer'] });
    expect(() => reviewerFromClaims({ email: 'bob@x.edu', email_verified: false })).toThrow(new IdentityError('the e-mail address bob@x.edu is not verified at the sign-in provider: verify it there, then sign in again'));
    expect(() => reviewerFromClaims({ email: 'bob@x.edu' })).toThrow(/not verified/);
    expect(() => reviewerFromClaims({ sub: 'x', 'cognito:username': 'bob' })).toThrow(/no e-mail address/);
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
    expect([ok.status, ok.headers.get('location')]).toEqual([303, `/flags/${id}?done=1#audit`]);
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
    const post = (csrf: string, reason = 'export-control review of this clone') => app.request(`http://localhost/flags/${id}/reveal`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' }, body: new URLSearchParams({ csrf, reason }).toString() }, as(['reviewer'], 'zoe@x.edu'));
    expect((await post('forged')).status).toBe(403);
    const noReason = await post(me.csrf, 'curious');
    expect([noReason.status, await noReason.text()]).toEqual([400, expect.stringMatching(/reason: say why you need to see who this is/)]);
    const ok = await post(me.csrf);
    expect([ok.status, ok.headers.get('location')]).toEqual([303, `/flags/${id}?revealed=1`]);
    const page = await (await app.request(`/flags/${id}?revealed=1`, {}, as(['reviewer'], 'zoe@x.edu'))).text();
    expect(page).toContain('Li Wei');
    expect(page).toContain('Identity revealed; this is recorded in the audit trail with your reason.');
    expect(page).toMatch(/zoe@x\.edu<\/td><td>reveal<\/td>.*export-control review of this clone/s);
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
    // the real id finds nothing while pseudonymised (it would tell who has flags); the pseudonym does
    expect(await (await app.request('/api/flags?limit=100&person=p-002', {}, as(['viewer']))).json()).toEqual({ items: [], total: 0, page: 1 });
    expect((await (await app.request('/api/flags?limit=100&person=li%20wei', {}, as(['viewer']))).json() as any).total).toBe(0);
    const again = await (await app.request(`/api/flags?limit=100&person=${hidden.flag.actor.name.slice(3).toLowerCase()}`, {}, as(['viewer']))).json() as any;
    expect(again.total).toBeGreaterThan(1);
    expect(again.items.every((f: Flag) => f.actor.name === hidden.flag.actor.name)).toBe(true);
    const csv = await (await app.request(`/api/flags.csv?person=${hidden.flag.actor.name}`, {}, as(['viewer']))).text();
    expect(csv).not.toMatch(/Li Wei|lwei|p-002/);
    expect(csv).toContain(hidden.flag.actor.name);
    expect((await app.request(`/api/flags/${id}/reveal`, json({}), as(['reviewer'], 'ann@x.edu'))).status).toBe(400); // a reason is required
    expect((await app.request(`/api/flags/${id}/reveal`, json({ reason: 'checking the DSP-5 coverage' }), as(['reviewer'], 'ann@x.edu'))).status).toBe(200);
    const shown = await (await app.request(`/api/flags/${id}`, {}, as(['reviewer'], 'ann@x.edu'))).json() as any;
    expect(shown.flag.actor.name).toBe('Li Wei');
    expect(shown.audit).toEqual([expect.objectContaining({ action: 'reveal', who: 'ann@x.edu', justification: 'checking the DSP-5 coverage' })]);
    const other = await (await app.request(`/api/flags/${id}`, {}, as(['reviewer'], 'bob@x.edu'))).json() as any;
    expect(other.flag.actor.name).toMatch(/^Person-/);
  });
});

describe('four eyes', () => {
  const get = async (app: ReturnType<typeof make>, id: string) => ((await (await app.request(`/api/flags/${id}`, {}, as(['viewer']))).json()) as any).flag as { version: number; status: string };
  const decide = async (app: ReturnType<typeof make>, id: string, body: Record<string, unknown>, who: string, groups = ['reviewer']) => {
    const res = await app.request(`/api/flags/${id}/decisions`, json({ version: (await get(app, id)).version, ...body }), as(groups, who));
    return { status: res.status, body: (await res.json()) as any };
  };

  it('nobody decides a flag about themselves: matched by directory e-mail, and by the flag\'s own account', async () => {
    const app = make();
    const about = flagId('p-002', 'hgv-cfd', '2026-10-16');
    const self = await decide(app, about, { action: 'assign' }, 'LI.WEI@x.edu');
    expect(self).toEqual({ status: 403, body: { error: 'four_eyes', message: 'you are the person this flag is about: another reviewer must decide it' } });
    // a guest account that is the reviewer's own address, with a source prefix
    const guest = flagId('github:user7', 'hgv-cfd', '2026-10-08');
    expect((await decide(app, guest, { action: 'assign' }, 'user7', ['admin'])).status).toBe(403);
    expect((await decide(app, about, { action: 'assign' }, 'rita@northfield.edu')).status).toBe(200); // someone else may
  });

  it('another reviewer\'s assignment is taken over only by an audited reassign', async () => {
    const app = make();
    const id = flagId('github:user11', 'hgv-cfd', '2026-10-12');
    expect((await decide(app, id, { action: 'assign' }, 'rita@x.edu')).status).toBe(200);
    const grab = await decide(app, id, { action: 'close', disposition: 'not_a_release', justification: 'looks harmless to me' }, 'sam@x.edu');
    expect([grab.status, grab.body.message]).toEqual([403, 'this flag is assigned to rita@x.edu: take it over with "reassign" (and say why) before you close it']);
    expect((await decide(app, id, { action: 'assign' }, 'sam@x.edu')).status).toBe(403);
    expect((await decide(app, id, { action: 'reassign' }, 'sam@x.edu')).status).toBe(400); // the reason is required
    expect((await decide(app, id, { action: 'reassign', justification: 'Rita is on leave until November' }, 'sam@x.edu')).body).toMatchObject({ status: 'in_review', assignee: 'sam@x.edu' });
    const audit = (await (await app.request(`/api/flags/${id}/audit`, {}, as(['viewer']))).json()) as any[];
    expect(audit.at(-1)).toMatchObject({ who: 'sam@x.edu', action: 'reassign', assignee: 'sam@x.edu', justification: 'Rita is on leave until November (was assigned to rita@x.edu)' });
    expect((await decide(app, id, { action: 'reassign', justification: 'again, to myself' }, 'sam@x.edu')).status).toBe(409);
  });

  it('an escalation is closed by an admin or by a reviewer other than the one who escalated it', async () => {
    const app = make();
    const close = { action: 'close', disposition: 'license_on_file', reference: 'DSP5-1', justification: 'Counsel: the DSP-5 covers it.' };
    for (const [i, closer, groups, status] of [[17, 'esc@x.edu', ['reviewer'], 403], [19, 'other@x.edu', ['reviewer'], 200], [23, 'esc@x.edu', ['reviewer', 'admin'], 200]] as const) {
      const id = flagId(`github:user${i}`, 'hgv-cfd', `2026-10-${String((i % 20) + 1).padStart(2, '0')}`);
      expect((await decide(app, id, { action: 'escalate', justification: 'possible unlicensed release' }, 'esc@x.edu', [...groups])).status).toBe(200);
      const r = await decide(app, id, close, closer, [...groups]);
      expect([i, r.status]).toEqual([i, status]);
      if (status === 403) expect(r.body.message).toBe('you escalated this flag: an admin or another reviewer must close it');
    }
  });
});

describe('limits', () => {
  it('caps request bodies (413) and names the over-long field (400), on the API and on the page', async () => {
    const app = make();
    const id = flagId('github:user1', 'hgv-cfd', '2026-10-02');
    const big = await app.request(`/api/flags/${id}/decisions`, json({ action: 'escalate', version: 0, justification: 'x'.repeat(70_000) }), as(['reviewer']));
    expect([big.status, ((await big.json()) as any).error]).toEqual([413, 'too_large']);
    const long = await app.request(`/api/flags/${id}/decisions`, json({ action: 'close', version: 0, disposition: 'license_on_file', reference: 'R'.repeat(201), justification: 'j'.repeat(4001) }), as(['reviewer']));
    expect([long.status, ((await long.json()) as any).issues.map((i: { path: string }) => i.path).sort()]).toEqual([400, ['justification', 'reference']]);
    const me = (await (await app.request('/api/me', {}, as(['reviewer']))).json()) as any;
    const form = await app.request(`http://localhost/flags/${id}/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' }, body: new URLSearchParams({ csrf: me.csrf, action: 'escalate', version: '0', justification: 'j'.repeat(4001) }).toString() }, as(['reviewer']));
    expect([form.status, await form.text()]).toEqual([400, expect.stringMatching(/justification: at most 4000 characters/)]);
  });

  it('pages, CSV and API answers are never cached; the stylesheet may be', async () => {
    const app = make();
    const id = flagId('github:user1', 'hgv-cfd', '2026-10-02');
    for (const path of ['/', `/flags/${id}`, '/api/flags', `/api/flags/${id}`, '/export.csv', '/api/flags.csv', '/nowhere']) {
      expect([path, (await app.request(path, {}, as(['viewer']))).headers.get('cache-control')]).toEqual([path, 'no-store']);
    }
    expect((await app.request('/api/flags', {}, as(null))).headers.get('cache-control')).toBe('no-store');
    expect((await app.request('/static/app.css')).headers.get('cache-control')).toMatch(/^public/);
    expect((await app.request('/favicon.ico')).status).toBe(200); // no sign-in needed: the browser asks for it on every page
  });

  it('the confirmation banner cannot be set from the URL: it repeats only the reviewer\'s own audit entry', async () => {
    const app = make();
    const id = flagId('github:user13', 'hgv-cfd', '2026-10-14');
    const page = async (q: string, who = 'rita@x.edu') => (await (await app.request(`/flags/${id}?${q}`, {}, as(['reviewer'], who))).text());
    expect(await page('msg=Your%20account%20is%20suspended&error=call%20555')).not.toMatch(/suspended|555/);
    expect(await page('done=1')).not.toMatch(/class="msg/);
    await app.request(`/api/flags/${id}/decisions`, json({ action: 'assign', version: 0 }), as(['reviewer'], 'rita@x.edu'));
    expect(await page('done=1')).toMatch(/<p class="msg ok" role="status">Recorded: assign → in review \(version 1\)<\/p>/);
    expect(await page('done=1', 'sam@x.edu')).not.toMatch(/class="msg/); // someone else's entry is not announced to them
  });

  it('a forbidden transition is 409 invalid_transition, a four-eyes refusal 403 four_eyes', async () => {
    const app = make();
    const id = flagId('github:user1', 'hgv-cfd', '2026-10-02');
    const r = await app.request(`/api/flags/${id}/decisions`, json({ action: 'reopen', version: (await (await app.request(`/api/flags/${id}`, {}, as(['viewer']))).json() as any).flag.version, justification: 'reopen an open flag' }), as(['reviewer']));
    expect([r.status, ((await r.json()) as any).error]).toEqual([409, 'invalid_transition']);
  });
});

describe('queue search and paging', () => {
  it('pages both ways with a total, and says why a search found nothing', async () => {
    const app = make();
    const page = async (q: string) => (await (await app.request(`/?${q}`, {}, as(['viewer']))).text());
    const first = await page('status=open&limit=4');
    const total = Number(/Flags 1–4 of (\d+)/.exec(first)![1]);
    expect(total).toBeGreaterThan(8);
    expect(first).toContain('rel="next" href="/?status=open&amp;limit=4&amp;page=2"');
    expect(first).not.toContain('rel="prev"');
    const second = await page('status=open&limit=4&page=2');
    expect(second).toContain(`Flags 5–8 of ${total}`);
    expect(second).toContain('rel="prev" href="/?status=open&amp;limit=4&amp;page=1"');
    expect(await page('status=open&person=wei')).toMatch(/Li Wei/); // by name substring
    expect(await page('status=open&person=lwei')).toMatch(/Li Wei/); // by account
    expect(await page('status=open&person=nobody-here')).toContain('No open flag has a person or account containing “nobody-here”. Try another status or fewer filters.');
    const hidden = await (await make(true).request('/?status=open&person=Li%20Wei', {}, as(['viewer']))).text();
    expect(hidden).toMatch(/Persons are shown under pseudonyms \(Person-…\): search by pseudonym/);
    const alias = pseudonym('test-secret', 'p-002');
    expect(await (await make(true).request(`/?status=open&person=${alias.slice(-4)}`, {}, as(['viewer']))).text()).toContain(alias);
  });
});
