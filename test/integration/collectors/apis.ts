/**
 * Loopback servers that speak each vendor's documented wire format, for the collectors' tests:
 * token endpoints, paging (NextPageUri, nextPageToken, stream_position, RFC 8288 Link), and the
 * faults real APIs show (429 with Retry-After, 503, expired and revoked tokens, missing scopes).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface Fault { path: RegExp; status: number; headers?: Record<string, string>; body?: string; times: number }

export abstract class LoopbackApi {
  readonly requests: { method: string; url: string; auth?: string }[] = [];
  readonly faults: Fault[] = [];
  private server?: Server;
  private tokens = new Set<string>();
  private issued = 0;
  revoked = false;
  /** Tokens issued by the token endpoint. */
  get tokensIssued() { return this.issued; }
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  async stop() { await new Promise<void>((r) => this.server?.close(() => r())); }

  /** The next `times` requests to a matching path get this answer instead. */
  fault(path: RegExp, status: number, times = 1, headers: Record<string, string> = {}, body = '') { this.faults.push({ path, status, headers, body, times }); }
  /** Every token issued so far stops working (the API answers 401), as when tokens expire. */
  expireTokens() { this.tokens.clear(); }
  /** The credential is revoked: the token endpoint refuses it and the API refuses every token. */
  revoke() { this.revoked = true; this.tokens.clear(); }

  protected issueToken(): string {
    const token = `tok-${++this.issued}-${Math.random().toString(36).slice(2)}`;
    this.tokens.add(token);
    return token;
  }
  protected validToken(value: string | undefined): boolean { return !!value && this.tokens.has(value); }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', url: url.pathname + url.search, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    const fault = this.faults.find((f) => f.times > 0 && f.path.test(url.pathname));
    if (fault) {
      fault.times--;
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end(fault.body);
      return;
    }
    const answer = await this.route(req.method ?? 'GET', url, body, req.headers as Record<string, string | undefined>);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  }

  protected abstract route(method: string, url: URL, body: string, headers: Record<string, string | undefined>): Promise<Answer> | Answer;

  protected bearer(headers: Record<string, string | undefined>) { return /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1]; }
  protected unauthorized(): Answer { return { status: 401, body: { error: 'invalid_token' } }; }
}

export interface Answer { status: number; headers?: Record<string, string>; body: unknown }

const MINUTE = 60_000;
/** `n` times from `start`, `stepMinutes` apart. */
export const times = (start: string, n: number, stepMinutes = 10) => Array.from({ length: n }, (_, i) => new Date(Date.parse(start) + i * stepMinutes * MINUTE).toISOString());

/** Office 365 Management Activity API (learn.microsoft.com "Office 365 Management Activity API reference"). */
export class M365Api extends LoopbackApi {
  subscriptions = new Set<string>();
  /** Content blobs: each a JSON array of audit records, created at `created`. */
  blobs: { id: string; created: string; records: Record<string, unknown>[] }[] = [];
  /** A certificate registered on the app: its public key and SHA-1 thumbprint (hex). */
  certificate?: { publicKey: string; thumbprint: string };
  constructor(readonly tenant: string, readonly clientId: string, readonly clientSecret: string) { super(); }

  private validAssertion(jwt: string, audience: string): boolean {
    const claims = verifyJwt(jwt, this.certificate!.publicKey);
    const header = JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { x5t?: string; alg?: string };
    return !!claims && header.alg === 'RS256' && header.x5t === Buffer.from(this.certificate!.thumbprint, 'hex').toString('base64url')
      && claims.aud === audience && claims.iss === this.clientId && claims.sub === this.clientId && typeof claims.exp === 'number' && claims.exp * 1000 > Date.now();
  }

  addBlob(created: string, records: Record<string, unknown>[]) { this.blobs.push({ id: `blob${this.blobs.length + 1}`, created, records }); }

  protected route(method: string, url: URL, body: string, headers: Record<string, string | undefined>): Answer {
    if (method === 'POST' && url.pathname === `/${this.tenant}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(body);
      const assertion = form.get('client_assertion');
      const proven = assertion
        ? this.certificate && form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' && this.validAssertion(assertion, `${this.url}${url.pathname}`)
        : form.get('client_secret') === this.clientSecret;
      if (this.revoked || form.get('client_id') !== this.clientId || !proven) return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
      if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== `${this.url}/.default`) return { status: 400, body: { error: 'invalid_request' } };
      return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, access_token: this.issueToken() } };
    }
    if (!this.validToken(this.bearer(headers))) return this.unauthorized();
    const feed = `/api/v1.0/${this.tenant}/activity/feed`;
    if (method === 'POST' && url.pathname === `${feed}/subscriptions/start`) {
      const type = url.searchParams.get('contentType')!;
      if (this.subscriptions.has(type)) return { status: 400, body: { error: { code: 'AF20024', message: 'The subscription is already enabled. No property change.' } } };
      this.subscriptions.add(type);
      return { status: 200, body: { contentType: type, status: 'enabled', webhook: null } };
    }
    if (method === 'GET' && url.pathname === `${feed}/subscriptions/content`) {
      const type = url.searchParams.get('contentType')!;
      if (!this.subscriptions.has(type)) return { status: 400, body: { error: { code: 'AF20022', message: 'No subscription found for the specified content type' } } };
      const start = Date.parse(url.searchParams.get('startTime')!);
      const end = Date.parse(url.searchParams.get('endTime')!);
      if (!(end > start) || end - start > 24 * 60 * MINUTE) return { status: 400, body: { error: { code: 'AF20055', message: 'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart.' } } };
      const inWindow = this.blobs.filter((b) => Date.parse(b.created) >= start && Date.parse(b.created) < end);
      const offset = Number(url.searchParams.get('nextPage') ?? 0);
      const page = inWindow.slice(offset, offset + 2);
      const headers: Record<string, string> = {};
      if (offset + 2 < inWindow.length) headers.NextPageUri = `${this.url}${feed}/subscriptions/content?contentType=${type}&startTime=${url.searchParams.get('startTime')}&endTime=${url.searchParams.get('endTime')}&nextPage=${offset + 2}`;
      return { status: 200, headers, body: page.map((b) => ({ contentType: type, contentId: b.id, contentUri: `${this.url}${feed}/audit/${b.id}`, contentCreated: b.created, contentExpiration: new Date(Date.parse(b.created) + 7 * 24 * 60 * MINUTE).toISOString() })) };
    }
    const blob = /\/audit\/(blob\d+)$/.exec(url.pathname);
    if (method === 'GET' && blob) return { status: 200, body: this.blobs.find((b) => b.id === blob[1])?.records ?? [] };
    return { status: 404, body: { error: 'not found' } };
  }
}

/** A service account's key pair, as Google issues it (JSON key file). */
export function serviceAccount(tokenUri: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    key: { type: 'service_account', client_email: 'ittmon@acme-audit.iam.gserviceaccount.com', client_id: '1234567890', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), token_uri: tokenUri },
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Verifies an RS256 JWT and returns its claims, or undefined. */
export function verifyJwt(jwt: string, publicKeyPem: string): Record<string, unknown> | undefined {
  const [h, p, s] = jwt.split('.');
  if (!h || !p || !s) return undefined;
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), createPublicKey(publicKeyPem), Buffer.from(s, 'base64url'));
  return ok ? JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown> : undefined;
}

/** Google OAuth 2.0 JWT-bearer token endpoint and Admin SDK Reports API activities.list (drive). */
export class GoogleApi extends LoopbackApi {
  activities: Record<string, unknown>[] = [];
  publicKey = '';
  subject = 'admin@acme.edu';
  /** Activities that are only reported from this time on (the Reports API's lag). */
  visibleFrom = new Map<Record<string, unknown>, number>();
  now = () => Date.now();

  protected route(method: string, url: URL, body: string, headers: Record<string, string | undefined>): Answer {
    if (method === 'POST' && url.pathname === '/token') {
      const form = new URLSearchParams(body);
      const claims = form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' ? verifyJwt(form.get('assertion') ?? '', this.publicKey) : undefined;
      if (this.revoked || !claims) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
      if (claims.sub !== this.subject || claims.aud !== `${this.url}/token` || claims.scope !== 'https://www.googleapis.com/auth/admin.reports.audit.readonly') return { status: 401, body: { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' } };
      return { status: 200, body: { access_token: this.issueToken(), expires_in: 3599, token_type: 'Bearer' } };
    }
    if (!this.validToken(this.bearer(headers))) return { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } };
    if (method === 'GET' && url.pathname === '/admin/reports/v1/activity/users/all/applications/drive') {
      const start = Date.parse(url.searchParams.get('startTime') ?? '1970-01-01T00:00:00Z');
      const end = Date.parse(url.searchParams.get('endTime') ?? new Date(this.now()).toISOString());
      const visible = this.activities
        .filter((a) => (this.visibleFrom.get(a) ?? 0) <= this.now())
        .filter((a) => { const t = Date.parse((a.id as { time: string }).time); return t >= start && t <= end; })
        .sort((a, b) => Date.parse((b.id as { time: string }).time) - Date.parse((a.id as { time: string }).time)); // newest first, as the API lists
      const offset = Number(url.searchParams.get('pageToken') ?? 0);
      const max = Number(url.searchParams.get('maxResults') ?? 1000);
      const size = Math.min(max, 2);
      const page = visible.slice(offset, offset + size);
      return { status: 200, body: { kind: 'admin#reports#activities', etag: '"e"', ...(page.length ? { items: page } : {}), ...(offset + size < visible.length ? { nextPageToken: String(offset + size) } : {}) } };
    }
    return { status: 404, body: { error: { code: 404 } } };
  }
}

/** Box OAuth 2.0 Client Credentials Grant and the Events API (admin_logs_streaming). */
export class BoxApi extends LoopbackApi {
  events: Record<string, unknown>[] = [];
  constructor(readonly clientId: string, readonly clientSecret: string, readonly enterpriseId: string) { super(); }

  protected route(method: string, url: URL, body: string, headers: Record<string, string | undefined>): Answer {
    if (method === 'POST' && url.pathname === '/oauth2/token') {
      const form = new URLSearchParams(body);
      if (this.revoked || form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) return { status: 400, body: { error: 'invalid_client', error_description: 'The client credentials are invalid' } };
      if (form.get('grant_type') !== 'client_credentials' || form.get('box_subject_type') !== 'enterprise' || form.get('box_subject_id') !== this.enterpriseId) return { status: 400, body: { error: 'invalid_grant' } };
      return { status: 200, body: { access_token: this.issueToken(), expires_in: 3600, token_type: 'bearer', restricted_to: [] } };
    }
    if (!this.validToken(this.bearer(headers))) return { status: 401, body: '' };
    if (method === 'GET' && url.pathname === '/2.0/events') {
      if (url.searchParams.get('stream_type') !== 'admin_logs_streaming') return { status: 400, body: { type: 'error', code: 'bad_request' } };
      const position = Number(url.searchParams.get('stream_position') ?? 0);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 2);
      const entries = this.events.slice(position, position + limit);
      return { status: 200, body: { chunk_size: entries.length, next_stream_position: String(position + entries.length), entries } };
    }
    return { status: 404, body: { type: 'error', code: 'not_found' } };
  }
}

/** GitHub REST audit log (orgs/{org}/audit-log) with cursor paging in the Link header. */
export class GitHubApi extends LoopbackApi {
  events: Record<string, unknown>[] = [];
  token = 'ghp_test';
  scopes = 'read:audit_log';

  /** A GitHub App: its id, installation and public key; installation tokens it issues are valid too. */
  app?: { id: string; installation: string; publicKey: string };

  protected route(method: string, url: URL, _body: string, headers: Record<string, string | undefined>): Answer {
    if (this.app && method === 'POST' && url.pathname === `/app/installations/${this.app.installation}/access_tokens`) {
      const claims = verifyJwt(this.bearer(headers) ?? '', this.app.publicKey);
      if (this.revoked || !claims || claims.iss !== this.app.id || (claims.exp as number) - (claims.iat as number) > 600) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
      return { status: 201, body: { token: this.issueToken(), expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { organization_administration: 'read' } } };
    }
    const token = this.bearer(headers);
    if (this.revoked || (token !== this.token && !this.validToken(token))) return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    if (!this.scopes.includes('read:audit_log')) return { status: 403, body: { message: 'Must have admin rights to organization.' } };
    if (method === 'GET' && url.pathname === '/orgs/acme/audit-log') {
      const since = Date.parse(/created:>=(\S+)/.exec(url.searchParams.get('phrase') ?? '')?.[1] ?? '1970-01-01T00:00:00Z');
      const order = url.searchParams.get('order') === 'asc' ? 1 : -1;
      const matching = this.events.filter((e) => (e['@timestamp'] as number) >= since).sort((a, b) => order * ((a['@timestamp'] as number) - (b['@timestamp'] as number)));
      const after = Number(Buffer.from(url.searchParams.get('after') ?? 'MA', 'base64url').toString() || 0);
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 2);
      const page = matching.slice(after, after + perPage);
      const headers: Record<string, string> = {};
      if (after + perPage < matching.length) {
        const next = new URL(url.href);
        next.searchParams.set('after', Buffer.from(String(after + perPage)).toString('base64url'));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return { status: 200, headers, body: page };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }
}

/** GitLab audit events REST API with keyset pagination (Link header). */
export class GitLabApi extends LoopbackApi {
  events: Record<string, unknown>[] = [];
  token = 'glpat-test';

  protected route(method: string, url: URL, _body: string, headers: Record<string, string | undefined>): Answer {
    if (this.revoked || headers['private-token'] !== this.token) return { status: 401, body: { message: '401 Unauthorized' } };
    if (method === 'GET' && url.pathname === '/api/v4/audit_events') {
      if (url.searchParams.get('pagination') !== 'keyset') return { status: 400, body: { error: 'expected keyset pagination' } };
      const after = Date.parse(url.searchParams.get('created_after') ?? '1970-01-01T00:00:00Z');
      const idAfter = Number(url.searchParams.get('id_after') ?? 0);
      const matching = this.events.filter((e) => Date.parse(e.created_at as string) >= after && (e.id as number) > idAfter).sort((a, b) => (a.id as number) - (b.id as number));
      const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 20), 2);
      const page = matching.slice(0, perPage);
      const headers: Record<string, string> = {};
      if (matching.length > perPage) {
        const next = new URL(url.href);
        next.searchParams.set('id_after', String(page.at(-1)!.id));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return { status: 200, headers, body: page };
    }
    return { status: 404, body: { message: '404 Not found' } };
  }
}
