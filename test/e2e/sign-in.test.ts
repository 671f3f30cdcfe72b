import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openSession, sealSession, SESSION_COOKIE } from '#shared/review/auth.ts';
import { API_SCOPES, startTestProvider, type TestProvider } from './oidc-provider.ts';
import { CHROMIUM, exampleConfig, freePort, launch, scannedStore, startServe } from './serve.ts';

// CI installs Chromium (.ci/run); a developer machine without it skips these tests, CI never does.
const run = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

const CLIENT = 'ittmon-review';
const accounts = {
  rita: { email: 'Rita.Reviewer@northfield.edu', email_verified: true, name: 'Rita Reviewer', groups: ['reviewer'] },
  ada: { email: 'ada.admin@northfield.edu', email_verified: true, name: 'Ada Admin', groups: ['admin'] },
  marco: { email: 'marco.bianchi@northfield.edu', email_verified: true, name: 'Marco Bianchi', groups: ['reviewer'] },
  eve: { email: 'eve@northfield.edu', email_verified: false, name: 'Eve Unverified', groups: ['reviewer'] },
  nogroup: { email: 'nora@northfield.edu', email_verified: true, name: 'Nora No-Group', groups: [] },
  // Cognito-like access tokens, without the e-mail: the review app asks the userinfo endpoint.
  carl: { email: 'Carl.Cognito@northfield.edu', email_verified: true, name: 'Carl Cognito', groups: ['reviewer'], emailInAccessToken: false },
  dana: { email: 'dana@northfield.edu', email_verified: false, name: 'Dana Unverified', groups: ['admin'], emailInAccessToken: false },
};

run('sign-in against a real OpenID provider, in headless Chromium', { timeout: 90_000 }, () => {
  let provider: TestProvider;
  let browser: Browser;
  let base: string;
  let stopServe: () => Promise<number>;
  let secret: string;
  let attacker: Server;
  let attackerBase: string;
  const authRequests: URL[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const { store } = await scannedStore();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startTestProvider({
      clients: [
        { id: CLIENT, redirectUris: [`${base}/auth/callback`], postLogoutUris: [`${base}/signed-out`] },
        { id: 'other-app', redirectUris: ['http://127.0.0.1:1/cb'], postLogoutUris: [] },
      ],
      accounts,
    });
    const served = await startServe(['--config', exampleConfig, '--store', store, '--port', String(port), '--oidc-issuer', provider.issuer, '--oidc-client-id', CLIENT, '--oidc-roles-claim', 'cognito:groups', '--oidc-scope-prefix', 'ittmon']);
    expect(served.base).toBe(base);
    stopServe = served.stop;
    secret = readFileSync(join(store, 'secret'), 'utf8').trim();
    // A hostile site on another origin (localhost is another site than 127.0.0.1).
    attacker = createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><form id=f method=post action="${base}/flags/${u.searchParams.get('id')}/decide">
<input name=action value=close><input name=version value="${u.searchParams.get('v')}"><input name=disposition value=not_a_release>
<input name=justification value="closed by a hostile page"><input name=csrf value=guess></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerBase = `http://localhost:${(attacker.address() as { port: number }).port}`;
    browser = await launch();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await stopServe?.();
    await provider?.close();
    attacker?.close();
  });

  /** A fresh browser profile that has signed in as `who` through the provider's login page. */
  async function signIn(who: keyof typeof accounts, path = '/', watchConsole = true): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    await offline(context);
    const page = await context.newPage();
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/auth' && r.url().startsWith(provider.issuer)) authRequests.push(new URL(r.url())); });
    // Pages that are meant to be refused (a 403 page) log their status; the others must log nothing.
    if (watchConsole) page.on('console', (m) => { if (m.type() === 'error' && page.url().startsWith(base)) consoleErrors.push(`${page.url()}: ${m.text()}`); });
    await page.goto(`${base}${path}`);
    expect(page.url().startsWith(provider.issuer)).toBe(true); // the provider's sign-in page
    await page.fill('input[name=login]', who);
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    await page.waitForURL((u) => u.href.startsWith(base));
    return { context, page };
  }
  /** Tests use loopback only: the provider's pages ask for web fonts, which are refused at once rather than left to time out. */
  const offline = (context: BrowserContext) => context.route((u) => !['127.0.0.1', 'localhost'].includes(u.hostname), (r) => r.abort());
  const sessionCookie = async (context: BrowserContext) => (await context.cookies(base)).find((c) => c.name === SESSION_COOKIE);

  it('signs in with the authorization code and PKCE, and keeps an encrypted, HttpOnly, Secure, SameSite session', async () => {
    const { context, page } = await signIn('rita', '/?status=open&dataset=rad-hard-asic');
    expect(new URL(page.url()).search).toBe('?status=open&dataset=rad-hard-asic'); // back where the reviewer started
    expect(await page.locator('h1').textContent()).toBe('Flags for export-license review');
    expect(await page.locator('header .who').textContent()).toMatch(/Rita Reviewer \(reviewer\)/);
    const auth = authRequests.at(-1)!;
    expect(Object.fromEntries(['response_type', 'client_id', 'code_challenge_method', 'redirect_uri'].map((k) => [k, auth.searchParams.get(k)])))
      .toEqual({ response_type: 'code', client_id: CLIENT, code_challenge_method: 'S256', redirect_uri: `${base}/auth/callback` });
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = (await sessionCookie(context))!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(cookie.expires * 1000 - Date.now()).toBeLessThanOrEqual(8 * 3600 * 1000);
    expect(cookie.value.split('.')).toHaveLength(5); // a JWE: encrypted, not merely signed
    expect(cookie.value).not.toMatch(/rita/i);
    const session = await openSession(secret, cookie.value);
    expect(session).toMatchObject({ sub: 'rita.reviewer@northfield.edu', roles: ['reviewer'] }); // one id: the verified e-mail, lower-cased
    // the session holds: a reload does not go back to the provider
    const before = authRequests.length;
    await page.reload();
    expect(page.url().startsWith(base)).toBe(true);
    expect(authRequests.length).toBe(before);
    await context.close();
  });

  it('records a decision as the signed-in reviewer, refuses one about the reviewer themself, and signs out', async () => {
    const { context, page } = await signIn('rita', '/?status=open&dataset=lab-ops');
    await page.locator('table[aria-label="Review queue"] tbody tr td:nth-child(4) a').first().click();
    await page.selectOption('select[name=action]', 'assign');
    await page.click('button:has-text("Record decision")');
    await expect.poll(() => page.locator('p.msg').textContent()).toMatch(/Recorded: assign → in review \(version 1\)/);
    expect(await page.locator('table[aria-label="Audit trail"] tbody tr').first().textContent()).toMatch(/rita\.reviewer@northfield\.edu.*assign/s);

    await page.click('header button:has-text("Sign out")');
    await page.waitForURL((u) => u.href.startsWith(provider.issuer)); // the provider ends its own session too
    await page.click('button[name=logout]');
    await page.waitForURL(`${base}/signed-out`);
    expect(await page.locator('h1').textContent()).toBe('You are signed out');
    expect(await sessionCookie(context)).toBeUndefined();
    await page.goto(`${base}/`);
    expect(page.url().startsWith(provider.issuer)).toBe(true); // signed out at the provider: the login form again
    expect(await page.locator('input[name=login]').count()).toBe(1);
    await context.close();

    const marco = await signIn('marco', '/?status=open&person=Marco', false);
    await marco.page.locator('table[aria-label="Review queue"] tbody tr td:nth-child(4) a').first().click();
    await marco.page.selectOption('select[name=action]', 'assign');
    await marco.page.click('button:has-text("Record decision")');
    await expect.poll(() => marco.page.locator('p.msg.err').textContent()).toMatch(/you are the person this flag is about/);
    expect(await marco.page.locator('table[aria-label="Audit trail"] tbody tr').first().textContent()).toMatch(/No decisions yet/);
    await marco.context.close();
  });

  it('four eyes between two signed-in people: an assignment is taken over only by reassign; the escalator cannot close', async () => {
    const rita = await signIn('rita', '/?status=open&dataset=rad-hard-asic', false);
    await rita.page.locator('table[aria-label="Review queue"] tbody tr td:nth-child(4) a').first().click();
    const flagUrl = rita.page.url();
    await rita.page.selectOption('select[name=action]', 'assign');
    await rita.page.click('button:has-text("Record decision")');
    await expect.poll(() => rita.page.locator('p.msg').textContent()).toMatch(/Recorded: assign/);

    const ada = await signIn('ada', new URL(flagUrl).pathname, false);
    expect(await ada.page.locator('select[name=action] option[value=assign]').count()).toBe(0);
    await ada.page.selectOption('select[name=action]', 'escalate');
    await ada.page.fill('textarea[name=justification]', 'possible release to a foreign person');
    const [refused] = await Promise.all([ada.page.waitForResponse((r) => r.url().endsWith('/decide')), ada.page.click('button:has-text("Record decision")')]);
    expect(refused.status()).toBe(403);
    expect(await ada.page.locator('p.msg.err').textContent()).toBe('this flag is assigned to rita.reviewer@northfield.edu: take it over with "reassign" (and say why) before you escalate it');
    await ada.page.selectOption('select[name=action]', 'reassign');
    await ada.page.fill('textarea[name=justification]', 'Rita is away; I take this one');
    await ada.page.click('button:has-text("Record decision")');
    await expect.poll(() => ada.page.locator('p.msg').textContent()).toMatch(/Recorded: reassign → in review/);
    expect(await ada.page.locator('table[aria-label="Audit trail"] tbody tr').last().textContent()).toMatch(/ada\.admin@northfield\.edu.*reassign.*Rita is away; I take this one \(was assigned to rita\.reviewer@northfield\.edu\)/s);
    await ada.context.close();

    // rita escalates another flag and cannot close her own escalation
    await rita.page.goto(`${base}/?status=open&dataset=lab-ops`);
    await rita.page.locator('table[aria-label="Review queue"] tbody tr td:nth-child(4) a').last().click();
    await rita.page.selectOption('select[name=action]', 'escalate');
    await rita.page.fill('textarea[name=justification]', 'counsel should look at this one');
    await rita.page.click('button:has-text("Record decision")');
    await expect.poll(() => rita.page.locator('p.msg').textContent()).toMatch(/Recorded: escalate → escalated/);
    await rita.page.selectOption('select[name=action]', 'close');
    await rita.page.selectOption('select[name=disposition]', 'not_a_release');
    await rita.page.fill('textarea[name=justification]', 'closing my own escalation');
    const [own] = await Promise.all([rita.page.waitForResponse((r) => r.url().endsWith('/decide')), rita.page.click('button:has-text("Record decision")')]);
    expect([own.status(), await rita.page.locator('p.msg.err').textContent()]).toEqual([403, 'you escalated this flag: an admin or another reviewer must close it']);
    await rita.context.close();
  });

  it('an expired session goes back to sign-in; a stale one is refreshed at the provider; a tampered one is dropped', async () => {
    const { context, page } = await signIn('ada');
    const real = (await sessionCookie(context))!;
    const session = await openSession(secret, real.value);
    const ask = async () => page.request.get(`${base}/?status=open`, { maxRedirects: 0 });
    const setCookie = (value: string) => context.addCookies([{ ...real, value }]);

    await setCookie(await sealSession(secret, { ...session, fresh: Date.now() - 1000 }, Date.now() + 3600_000)); // stale: refresh
    const refreshed = await ask();
    expect(refreshed.status()).toBe(200);
    const renewed = await openSession(secret, (await sessionCookie(context))!.value);
    expect(renewed.fresh).toBeGreaterThan(Date.now());
    expect(renewed.sub).toBe('ada.admin@northfield.edu');

    await setCookie(await sealSession(secret, { ...session, fresh: Date.now() - 1000 }, Date.now() - 1000)); // past its end
    const expired = await ask();
    expect([expired.status(), expired.headers().location]).toEqual([302, '/login?next=%2F%3Fstatus%3Dopen']);

    await setCookie(await sealSession(secret, { ...session, fresh: Date.now() - 1000, rt: 'revoked-or-forged' }, Date.now() + 3600_000));
    expect((await ask()).status()).toBe(302); // the provider refuses the refresh: sign in again

    const flipped = real.value.slice(0, -6) + (real.value.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    await setCookie(flipped);
    const tampered = await ask();
    expect([tampered.status(), tampered.headers().location]).toEqual([302, '/login?next=%2F%3Fstatus%3Dopen']);
    expect(tampered.headers()['set-cookie']).toMatch(new RegExp(`${SESSION_COOKIE}=;`)); // dropped

    await setCookie(await sealSession('another-secret', { ...session }, Date.now() + 3600_000)); // forged under another key
    expect((await ask()).status()).toBe(302);
    await context.close();
  });

  it('refuses an unverified e-mail and a person in none of the review groups, saying why', async () => {
    const eve = await signIn('eve', '/', false);
    expect(await eve.page.locator('main').textContent()).toMatch(/e-mail address eve@northfield\.edu is not verified/);
    expect(await sessionCookie(eve.context)).toBeUndefined();
    await eve.context.close();
    const nora = await signIn('nogroup', '/', false);
    expect(await nora.page.locator('main').textContent()).toMatch(/nora@northfield\.edu is signed in but in none of the groups viewer, reviewer or admin/);
    expect(await sessionCookie(nora.context)).toBeUndefined();
    await nora.context.close();
  });

  it('a hostile site cannot record a decision with the reviewer\'s valid session (CSRF)', async () => {
    const { context, page } = await signIn('rita', '/?status=open&dataset=hgv-cfd', false);
    await page.locator('table[aria-label="Review queue"] tbody tr td:nth-child(4) a').first().click();
    const flagUrl = page.url();
    const id = flagUrl.split('/flags/')[1]!;
    const version = await page.locator('input[name=version]').getAttribute('value');
    const audit = async () => (await (await page.request.get(flagUrl)).text()).match(/<table aria-label="Audit trail">[\s\S]*<\/table>/)![0];
    const before = await audit();
    const [post] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${flagUrl}/decide`),
      page.goto(`${attackerBase}/?id=${id}&v=${version}`),
    ]);
    expect(post.status()).toBe(403); // the cross-site form is refused (Origin check; the Lax cookie is not even sent)
    // and the same site without the form's token
    const forged = await page.request.post(`${flagUrl}/decide`, { form: { action: 'close', version: version!, disposition: 'not_a_release', justification: 'no token, valid session' }, headers: { origin: base } });
    expect(forged.status()).toBe(403);
    expect(await audit()).toBe(before);
    await context.close();
  });

  it('scripts use bearer access tokens on /api/* with the review scopes; wrong audience, ID tokens and expired tokens are refused', async () => {
    const ctx = await browser.newContext();
    await offline(ctx);
    const api = (token: string, path = '/api/flags?limit=2', body?: unknown) => (body
      ? ctx.request.post(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, data: body })
      : ctx.request.get(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } }));
    const read = await provider.accessToken('rita', 'ittmon/review.read');
    const ok = await api(read);
    expect(ok.status()).toBe(200);
    const [f] = (await ok.json()).items;
    expect((await (await api(read, '/api/me')).json()).id).toBe('rita.reviewer@northfield.edu'); // the same id as her browser sign-in

    const noScope = await api(read, `/api/flags/${f.id}/decisions`, { action: 'assign', version: f.version });
    expect([noScope.status(), (await noScope.json()).message]).toEqual([403, 'the access token lacks the scope ittmon/review.decide: ask for it when you get the token']);
    const decide = await provider.accessToken('ada', API_SCOPES);
    expect((await api(decide, `/api/flags/${f.id}/decisions`, { action: 'assign', version: f.version })).status()).toBe(200);

    const otherApp = await provider.accessToken('rita', API_SCOPES, 'other-app');
    const wrongAud = await api(otherApp);
    expect([wrongAud.status(), (await wrongAud.json()).message]).toEqual([401, expect.stringMatching(/issued to another application/)]);
    const now = Math.floor(Date.now() / 1000);
    const idToken = await provider.sign({ iss: provider.issuer, sub: 'rita', aud: CLIENT, token_use: 'id', email: 'rita.reviewer@northfield.edu', email_verified: true, 'cognito:groups': ['reviewer'], iat: now, exp: now + 600 });
    expect((await api(idToken)).status()).toBe(401);
    const expired = await provider.sign({ iss: provider.issuer, sub: 'rita', client_id: CLIENT, token_use: 'access', scope: API_SCOPES, email: 'rita.reviewer@northfield.edu', email_verified: true, iat: now - 7200, exp: now - 3600 }, 'at+jwt');
    const exp = await api(expired);
    expect([exp.status(), (await exp.json()).message]).toEqual([401, 'the access token was refused: it has expired']);
    const unverified = await provider.accessToken('eve', API_SCOPES);
    expect((await api(unverified)).status()).toBe(403);
    const none = await ctx.request.get(`${base}/api/flags`);
    expect([none.status(), none.headers()['www-authenticate']]).toEqual([401, 'Bearer']);
    await ctx.close();
  });

  it('an access token without an e-mail (as Cognito issues them) is resolved at the userinfo endpoint: one id, roles from the token, e-mail verified', async () => {
    const ctx = await browser.newContext();
    await offline(ctx);
    const api = (token: string, path = '/api/me') => ctx.request.get(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const carl = await provider.accessToken('carl', API_SCOPES);
    expect(JSON.parse(Buffer.from(carl.split('.')[1]!, 'base64url').toString())).not.toHaveProperty('email'); // the case under test
    const me = await api(carl);
    expect(me.status()).toBe(200);
    expect(await me.json()).toMatchObject({ id: 'carl.cognito@northfield.edu', roles: ['reviewer'] }); // the id a browser sign-in gives
    expect((await api(carl, '/api/flags?limit=1')).status()).toBe(200);
    // Roles come from the token's groups, not from userinfo (Cognito's userinfo has none): Dana is
    // an admin by her token, but her e-mail is unverified, which userinfo says.
    const dana = await api(await provider.accessToken('dana', API_SCOPES));
    expect(dana.status()).toBe(403);
    // A well-signed token for no one the provider knows: userinfo refuses it, and so do we.
    const now = Math.floor(Date.now() / 1000);
    const ghost = await provider.sign({ iss: provider.issuer, sub: 'ghost', client_id: CLIENT, aud: 'https://review-api.example.edu', token_use: 'access', scope: API_SCOPES, 'cognito:groups': ['admin'], iat: now, exp: now + 600 }, 'at+jwt');
    const refused = await api(ghost);
    expect([refused.status(), (await refused.json()).message]).toEqual([401, 'the provider did not confirm who holds this access token (userinfo failed): ask for the "openid email" scopes']);
    await ctx.close();
  });

  it('no page logs a console error', () => {
    expect(consoleErrors).toEqual([]);
  });
});

