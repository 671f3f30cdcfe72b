import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAdaptorServer } from '@hono/node-server';
import type { Policy } from '#shared/config/index.ts';
import type { AddressInfo } from 'node:net';
import { createReviewApp } from '#shared/review/app.ts';
import { createOidcAuth } from '#shared/review/auth.ts';
import type { Reviewer } from '#shared/review/identity.ts';
import { EXIT, UsageError, type Io } from './io.ts';
import { loadPolicyFromDisk } from './policy.ts';
import { DEFAULT_STORE, LocalSession } from './store.ts';

/** A secret kept with the store: CSRF tokens, pseudonyms and session cookies stay valid across restarts. */
function storeSecret(dir: string): string {
  const file = join(dir, 'secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const urlHost = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/**
 * The Host headers this server answers to. A DNS-rebinding page reaches a loopback server under
 * its own name (evil.example → 127.0.0.1): refusing every other Host keeps it out.
 */
export function allowedHosts(host: string, port: number, publicUrl?: string): Set<string> {
  const names = LOOPBACK.has(host) ? ['127.0.0.1', 'localhost', '[::1]'] : [urlHost(host)];
  const hosts = new Set(names.map((n) => `${n}:${port}`));
  if (publicUrl) hosts.add(new URL(publicUrl).host);
  return hosts;
}

/**
 * `ittmon serve`: the review page and API on the local store. Without OIDC it binds loopback
 * only and acts as one local reviewer; with `--oidc-issuer` reviewers sign in at the
 * organisation's OpenID provider and it may listen on another address. Runs until interrupted;
 * `--if-interactive` (used by `npm start`) serves only on a terminal.
 */
export async function serve(args: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args, options: {
      config: { type: 'string' }, store: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, user: { type: 'string' },
      pseudonymise: { type: 'boolean' }, 'if-interactive': { type: 'boolean' },
      'oidc-issuer': { type: 'string' }, 'oidc-client-id': { type: 'string' }, 'oidc-roles-claim': { type: 'string' }, 'oidc-scopes': { type: 'string' }, 'oidc-scope-prefix': { type: 'string' }, 'public-url': { type: 'string' },
    },
  });
  const port = Number(values.port ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number, not "${values.port}"`);
  const host = values.host ?? '127.0.0.1';
  const issuer = values['oidc-issuer'];
  const clientId = values['oidc-client-id'];
  if (!!issuer !== !!clientId) throw new UsageError('--oidc-issuer and --oidc-client-id go together: give both (the client secret, if any, in ITTMON_OIDC_CLIENT_SECRET)');
  if (issuer && !URL.canParse(issuer)) throw new UsageError(`--oidc-issuer takes the provider's issuer URL (e.g. https://login.microsoftonline.com/TENANT/v2.0), not "${issuer}"`);
  if (!issuer && !LOOPBACK.has(host)) {
    throw new UsageError(`--host ${host} would let anyone who reaches this machine record decisions as ${values.user ?? 'the local user'}: without sign-in, serve listens on 127.0.0.1 only. To serve other machines, sign reviewers in with --oidc-issuer URL --oidc-client-id ID (and --public-url, the address they use)`);
  }
  if (issuer && values.user) throw new UsageError('--user names the local reviewer when there is no sign-in; with --oidc-issuer reviewers are who they sign in as');
  if (issuer && !LOOPBACK.has(host) && !values['public-url']) throw new UsageError(`--host ${host} needs --public-url: the address reviewers open (e.g. https://review.example.edu), registered at the provider with the redirect URI …/auth/callback`);
  if (values['public-url'] && (!URL.canParse(values['public-url']) || !/^https?:$/.test(new URL(values['public-url']).protocol))) throw new UsageError(`--public-url takes an http(s) URL, not "${values['public-url']}"`);
  const storeDir = values.store ?? DEFAULT_STORE;
  if (values['if-interactive'] && !process.stdin.isTTY) {
    io.err(`Review page not started (no terminal). Run: npx ittmon serve --store ${storeDir}${values.config ? ` --config ${values.config}` : ''}\n`);
    return EXIT.ok;
  }
  let policy: Policy | undefined;
  if (values.config || existsSync(join(io.cwd, 'ittmon.yaml'))) policy = await loadPolicyFromDisk(values.config, io.cwd);
  const session = await LocalSession.open(storeDir, io.cwd, { create: false, command: 'serve' });
  const user = values.user ?? (() => { try { return userInfo().username; } catch { return 'local-reviewer'; } })();
  const secret = storeSecret(session.dir);

  // Listen first: with --port 0 the address (and so the redirect URI) is known only then.
  let fetchApp: ((req: Request) => Response | Promise<Response>) | undefined;
  let hosts = new Set<string>();
  const server = createAdaptorServer({
    fetch: (req: Request) => {
      const h = req.headers.get('host') ?? '';
      if (!hosts.has(h.toLowerCase())) return new Response(`This review server answers only to ${[...hosts].join(', ')}, not to "${h}".\n`, { status: 421, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
      return fetchApp ? fetchApp(req) : new Response('starting', { status: 503 });
    },
    hostname: host,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    });
  } catch (e) {
    await session.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is in use (another ittmon serve, or another program): stop it, or choose another port with --port, e.g. --port ${port === 65535 ? 8788 : port + 1}`);
    if (code === 'EACCES') throw new UsageError(`port ${port} needs privileges this user does not have: choose a port above 1023 with --port, e.g. --port 8787`);
    throw e;
  }
  const actualPort = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, actualPort, values['public-url']);
  const base = (values['public-url'] ?? `http://${LOOPBACK.has(host) ? '127.0.0.1' : urlHost(host)}:${actualPort}`).replace(/\/$/, '');
  try {
    const auth = issuer && clientId
      ? await createOidcAuth({
        issuer, clientId, clientSecret: process.env.ITTMON_OIDC_CLIENT_SECRET || undefined, baseUrl: base, secret,
        rolesClaim: values['oidc-roles-claim'] ?? 'groups', ...(values['oidc-scopes'] ? { scopes: values['oidc-scopes'].split(/[\s,]+/).filter(Boolean) } : {}),
        // Scripts' bearer tokens must carry P/review.read (GET) and P/review.decide (POST), as in AWS.
        ...(values['oidc-scope-prefix'] ? { apiScopes: { read: [`${values['oidc-scope-prefix']}/review.read`], decide: [`${values['oidc-scope-prefix']}/review.decide`] } } : {}),
      }).catch((e: Error) => { throw new UsageError(`cannot use the OpenID provider ${issuer}: ${e.message}. Check --oidc-issuer (its /.well-known/openid-configuration must load)`); })
      : { identify: () => ({ id: user, name: user, roles: ['reviewer', 'admin'] as Reviewer['roles'] }) };
    const app = createReviewApp({
      store: session.store, auth, policy: async () => policy,
      pseudonymise: values.pseudonymise ?? policy?.review.pseudonymise ?? false,
      secret, ...(session.sinks.publisher ? { publisher: session.sinks.publisher } : {}), linkBase: base,
    });
    fetchApp = app.fetch;
    io.out(`Review page: ${base}/  (${issuer ? `sign-in: ${issuer}` : `reviewer: ${user}`}; store: ${storeDir}; Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      if (signal?.aborted) resolve();
      signal?.addEventListener('abort', stop);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as { closeAllConnections?: () => void }).closeAllConnections?.(); // browsers keep connections alive
    });
    await session.close();
  }
  return EXIT.ok;
}
