import { createHash, hkdfSync } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { createRemoteJWKSet, EncryptJWT, jwtDecrypt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import * as oidc from 'openid-client';
import { IdentityError, reviewerFromClaims, type Reviewer } from './identity.ts';
import { page } from './views.ts';

/**
 * Sign-in for the review page and API against any OpenID Connect provider: Cognito's managed
 * login in AWS; Entra ID, Okta, Google or Shibboleth for `ittmon serve`. Browsers use the
 * authorization-code flow with PKCE and keep an encrypted session cookie; scripts send a bearer
 * access token on /api/*. Every token is verified with jose against the provider's keys.
 */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** A confidential client's secret; without it the client is public and PKCE alone binds the code. */
  clientSecret?: string | undefined;
  /** Where the review app is reached, e.g. https://abc.execute-api.eu-west-1.amazonaws.com (no trailing slash). */
  baseUrl: string;
  /** The claim that carries the groups viewer/reviewer/admin (Cognito: cognito:groups). */
  rolesClaim?: string;
  /** Scopes asked at sign-in. */
  scopes?: string[];
  /** Scopes a bearer token must carry on /api/*: reading (GET) and deciding (POST). */
  apiScopes?: { read: string[]; decide: string[] };
  /** Where to send the browser to end the provider's session (Cognito has no end_session_endpoint). */
  logoutUrl?: (postLogoutUri: string) => string;
  /** Encrypts session cookies (HKDF-derived key); a promise lets the provider's discovery run while it is read. */
  secret: string | Promise<string>;
  /** How long a sign-in is trusted before it is refreshed with the provider, in seconds. */
  freshSeconds?: number;
  /** The longest a session lives, refreshed or not, in seconds. */
  maxSeconds?: number;
  now?: () => number;
}

export interface ReviewAuth {
  /** The public routes: /login, /auth/callback, /logout, /signed-out. */
  mount(app: Hono<any>): void; // eslint-disable-line @typescript-eslint/no-explicit-any -- mounts on any app env
  /** The signed-in reviewer, or undefined (the app then asks to sign in). Throws IdentityError for a refused identity. */
  identify(c: Context): Promise<Reviewer | undefined>;
  /** Where a browser without a session is sent. */
  signInPath: string;
  /** Whether /api/* takes only bearer tokens (AWS and OIDC serve: yes). */
  bearerOnApi: boolean;
  /** Origins a form may end up at (sign-out redirects to the provider), for the CSP's form-action. */
  formTargets: string[];
}

export const SESSION_COOKIE = '__Host-ittmon-session';
const LOGIN_COOKIE = '__Host-ittmon-login';
const ALG = { alg: 'dir', enc: 'A256GCM' } as const;

/** The session: who, their roles, until when the sign-in is fresh, when it started, and the refresh token. */
interface SessionData { sub: string; name: string; roles: Reviewer['roles']; fresh: number; start: number; rt?: string }

/** Seals a session into an encrypted cookie value (exported for tests that forge expiry). */
export async function sealSession(secret: string, data: SessionData, expiresAt: number): Promise<string> {
  return new EncryptJWT({ ...data }).setProtectedHeader(ALG).setIssuedAt().setExpirationTime(Math.floor(expiresAt / 1000)).encrypt(sessionKey(secret));
}
export async function openSession(secret: string, value: string, now = Date.now()): Promise<SessionData & JWTPayload> {
  return (await jwtDecrypt(value, sessionKey(secret), { currentDate: new Date(now) })).payload as SessionData & JWTPayload;
}
function sessionKey(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'ittmon', 'review session cookie v1', 32));
}

const safeNext = (next: string | undefined) => (next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/');
const isLoopback = (u: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);

/** Token checks shared by ID and access tokens: issuer, expiry and signature by jose; audience and token_use by kind. */
async function verify(token: string, keys: JWTVerifyGetKey, issuer: string, clientId: string, kind: 'id' | 'access', now: number): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(token, keys, { issuer, currentDate: new Date(now), requiredClaims: ['exp', 'sub'] }).catch((e: Error & { code?: string }) => {
    throw new IdentityError(`the ${kind} token was refused: ${e.code === 'ERR_JWT_EXPIRED' ? 'it has expired' : e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' ? e.message : 'its signature or format is not valid'}`, 401);
  });
  const aud = typeof payload.aud === 'string' ? [payload.aud] : payload.aud ?? [];
  // Cognito access tokens name the client in client_id and have no aud; ID tokens carry aud.
  const forUs = kind === 'id' ? aud.includes(clientId) : aud.includes(clientId) || payload.client_id === clientId;
  if (!forUs) throw new IdentityError(`the ${kind} token was issued to another application (audience ${JSON.stringify(payload.aud ?? payload.client_id ?? null)}, expected ${clientId})`, 401);
  const use = payload.token_use;
  const looksLikeAccess = use === 'access' || protectedHeader.typ?.toLowerCase() === 'at+jwt';
  if ((kind === 'access' && !looksLikeAccess) || (kind === 'id' && (use === 'access' || protectedHeader.typ?.toLowerCase() === 'at+jwt'))) {
    throw new IdentityError(`an ${use ?? 'unknown'} token was sent where an ${kind} token is needed`, 401);
  }
  return payload;
}

export async function createOidcAuth(s: OidcSettings): Promise<ReviewAuth> {
  const issuer = new URL(s.issuer);
  // Plain HTTP only to a provider on this machine (tests, development); anything else must be HTTPS.
  const insecure = issuer.protocol === 'http:' && isLoopback(issuer);
  const [config, secret] = await Promise.all([oidc.discovery(issuer, s.clientId, s.clientSecret, s.clientSecret ? undefined : oidc.None(), insecure ? { execute: [oidc.allowInsecureRequests] } : undefined), s.secret]);
  const meta = config.serverMetadata();
  if (!meta.jwks_uri) throw new Error(`the OpenID provider ${s.issuer} publishes no jwks_uri: tokens cannot be verified`);
  const keys = createRemoteJWKSet(new URL(meta.jwks_uri));
  // Fetched now, while a cold start still waits on its config, rather than on the first token. A
  // failure here is not final: verifying a token fetches the keys again, and reports its failure.
  keys.reload().catch(() => undefined);
  const now = s.now ?? Date.now;
  const rolesClaim = s.rolesClaim ?? 'cognito:groups';
  const freshMs = (s.freshSeconds ?? 900) * 1000;
  const maxMs = (s.maxSeconds ?? 8 * 3600) * 1000;
  const redirectUri = `${s.baseUrl}/auth/callback`;
  const signedOut = `${s.baseUrl}/signed-out`;
  const cookieOptions = { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' } as const;
  /** Userinfo per access token, for as long as the token lives: access tokens carry no e-mail. */
  const userinfo = new Map<string, { claims: Record<string, unknown>; until: number }>();

  const reviewerFromTokens = async (idToken: string | undefined): Promise<Reviewer> => {
    if (!idToken) throw new IdentityError('the provider returned no ID token: ask for the "openid" scope', 401);
    return reviewerFromClaims(await verify(idToken, keys, meta.issuer, s.clientId, 'id', now()), rolesClaim);
  };
  const setSession = async (c: Context, r: Reviewer, refreshToken: string | undefined, started: number) => {
    const data: SessionData = { sub: r.id, name: r.name, roles: r.roles, fresh: now() + freshMs, start: started, ...(refreshToken ? { rt: refreshToken } : {}) };
    // Without a refresh token the session ends when the sign-in is no longer fresh; with one, at the
    // absolute limit counted from the first sign-in (refreshes do not extend it).
    const until = refreshToken ? started + maxMs : data.fresh;
    setCookie(c, SESSION_COOKIE, await sealSession(secret, data, until), { ...cookieOptions, maxAge: Math.max(1, Math.floor((until - now()) / 1000)) });
  };

  const fromBearer = async (c: Context, token: string): Promise<Reviewer> => {
    const at = await verify(token, keys, meta.issuer, s.clientId, 'access', now());
    const granted = at.scope ?? at.scp; // scp: Entra ID
    const have = new Set(typeof granted === 'string' ? granted.split(' ') : Array.isArray(granted) ? granted.map(String) : []);
    const need = (c.req.method === 'GET' || c.req.method === 'HEAD' ? s.apiScopes?.read : s.apiScopes?.decide) ?? [];
    const missing = need.filter((x) => !have.has(x));
    if (missing.length) throw new IdentityError(`the access token lacks the scope ${missing.join(' ')}: ask for it when you get the token`, 403);
    // Who holds the token: its own e-mail claims when the provider puts them there (a Cognito
    // pre-token-generation trigger, most OIDC providers on request), else the provider's userinfo.
    if (typeof at.email === 'string') return reviewerFromClaims(at, rolesClaim);
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    let info = userinfo.get(cacheKey);
    if (!info || info.until < now()) {
      const claims = await oidc.fetchUserInfo(config, token, String(at.sub)).catch(() => { throw new IdentityError('the provider did not confirm who holds this access token (userinfo failed): ask for the "openid email" scopes', 401); });
      info = { claims, until: (at.exp ?? 0) * 1000 };
      if (userinfo.size > 1000) userinfo.clear();
      userinfo.set(cacheKey, info);
    }
    return reviewerFromClaims({ ...info.claims, [rolesClaim]: at[rolesClaim] ?? info.claims[rolesClaim] }, rolesClaim);
  };

  const fromCookie = async (c: Context): Promise<Reviewer | undefined> => {
    const value = getCookie(c, SESSION_COOKIE);
    if (!value) return undefined;
    let session: SessionData & JWTPayload;
    try {
      session = await openSession(secret, value, now());
    } catch {
      deleteCookie(c, SESSION_COOKIE, cookieOptions); // tampered, expired or sealed under another secret
      return undefined;
    }
    if (session.fresh > now()) return { id: session.sub, name: session.name, roles: session.roles };
    if (!session.rt) return undefined;
    try {
      // Refresh: the provider says again who this is and which groups they are in now.
      const tokens = await oidc.refreshTokenGrant(config, session.rt);
      const r = await reviewerFromTokens(tokens.id_token);
      if (r.id !== session.sub) throw new IdentityError('the refreshed sign-in is someone else', 401);
      await setSession(c, r, tokens.refresh_token ?? session.rt, session.start);
      return r;
    } catch {
      deleteCookie(c, SESSION_COOKIE, cookieOptions);
      return undefined;
    }
  };

  const endSession = (): string => s.logoutUrl?.(signedOut) ?? (meta.end_session_endpoint ? oidc.buildEndSessionUrl(config, { post_logout_redirect_uri: signedOut, client_id: s.clientId }).href : signedOut);
  return {
    signInPath: '/login',
    bearerOnApi: true,
    formTargets: [new URL(endSession()).origin],
    async identify(c) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (c.req.path.startsWith('/api/')) return bearer ? fromBearer(c, bearer) : undefined;
      return fromCookie(c);
    },
    mount(app) {
      app.get('/login', async (c) => {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        const nonce = oidc.randomNonce();
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri, response_type: 'code', scope: (s.scopes ?? ['openid', 'email', 'profile']).join(' '),
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce,
        });
        const login = await new EncryptJWT({ verifier, state, nonce, next: safeNext(c.req.query('next')) }).setProtectedHeader(ALG).setExpirationTime('10m').encrypt(sessionKey(secret));
        setCookie(c, LOGIN_COOKIE, login, { ...cookieOptions, maxAge: 600 });
        return c.redirect(url.href, 302);
      });
      app.get('/auth/callback', async (c) => {
        const error = c.req.query('error');
        if (error) throw new IdentityError(`the sign-in provider refused the sign-in (${error}${c.req.query('error_description') ? `: ${c.req.query('error_description')}` : ''})`, 401);
        const raw = getCookie(c, LOGIN_COOKIE);
        deleteCookie(c, LOGIN_COOKIE, cookieOptions);
        const login = raw ? await jwtDecrypt(raw, sessionKey(secret), { currentDate: new Date(now()) }).then((r) => r.payload as { verifier: string; state: string; nonce: string; next: string }).catch(() => undefined) : undefined;
        if (!login) throw new IdentityError('this sign-in was not started here or took longer than 10 minutes: sign in again', 401);
        const current = new URL(redirectUri);
        current.search = new URL(c.req.url).search;
        const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: login.verifier, expectedState: login.state, expectedNonce: login.nonce, idTokenExpected: true }).catch((e: Error) => {
          throw new IdentityError(`the sign-in could not be completed: ${e.message}`, 401);
        });
        const r = await reviewerFromTokens(tokens.id_token);
        if (!r.roles.length) throw new IdentityError(`${r.id} is signed in but in none of the groups viewer, reviewer or admin: ask your administrator to add you`, 403);
        await setSession(c, r, tokens.refresh_token, now());
        return c.redirect(login.next, 303);
      });
      app.post('/logout', (c) => {
        deleteCookie(c, SESSION_COOKIE, cookieOptions);
        return c.redirect(endSession(), 303);
      });
      app.get('/signed-out', (c) => c.html(page('Signed out', undefined, html`<h1>You are signed out</h1><p><a href="/login">Sign in again</a></p>`)));
    },
  };
}
