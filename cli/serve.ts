import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Policy } from '#shared/config/index.ts';
import { createReviewApp } from '#shared/review/app.ts';
import { EXIT, UsageError, type Io } from './io.ts';
import { loadPolicyFromDisk } from './policy.ts';
import { DEFAULT_STORE, LocalSession } from './store.ts';

/** A secret kept with the store: CSRF tokens and pseudonyms stay valid across restarts. */
function storeSecret(dir: string): string {
  const file = join(dir, 'secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/**
 * `ittmon serve`: the review page and API on the local store, bound to 127.0.0.1, acting as one
 * local reviewer. Runs until interrupted; `--if-interactive` (used by `npm start`) serves only on a terminal.
 */
export async function serve(args: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args, options: {
      config: { type: 'string' }, store: { type: 'string' }, port: { type: 'string' }, user: { type: 'string' },
      pseudonymise: { type: 'boolean' }, 'if-interactive': { type: 'boolean' },
    },
  });
  const port = Number(values.port ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number, not "${values.port}"`);
  const storeDir = values.store ?? DEFAULT_STORE;
  if (values['if-interactive'] && !process.stdin.isTTY) {
    io.err(`Review page not started (no terminal). Run: npx ittmon serve --store ${storeDir}${values.config ? ` --config ${values.config}` : ''}\n`);
    return EXIT.ok;
  }
  let policy: Policy | undefined;
  if (values.config || existsSync(join(io.cwd, 'ittmon.yaml'))) policy = await loadPolicyFromDisk(values.config, io.cwd);
  const session = await LocalSession.open(storeDir, io.cwd, { create: false, command: 'serve' });
  const user = values.user ?? (() => { try { return userInfo().username; } catch { return 'local-reviewer'; } })();
  const app = createReviewApp({
    store: session.store,
    identify: () => ({ id: user, name: user, roles: ['reviewer', 'admin'] }),
    policy: async () => policy,
    pseudonymise: values.pseudonymise ?? policy?.review.pseudonymise ?? false,
    secret: storeSecret(session.dir),
    ...(session.sinks.publisher ? { publisher: session.sinks.publisher } : {}),
    linkBase: `http://127.0.0.1:${port}`,
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: '127.0.0.1' });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
    });
  } catch (e) {
    await session.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on 127.0.0.1 is in use (another ittmon serve, or another program): stop it, or choose another port with --port, e.g. --port ${port === 65535 ? 8788 : port + 1}`);
    if (code === 'EACCES') throw new UsageError(`port ${port} needs privileges this user does not have: choose a port above 1023 with --port, e.g. --port 8787`);
    throw e;
  }
  const { port: bound } = server.address() as AddressInfo;
  io.out(`Review page: http://127.0.0.1:${bound}/  (reviewer: ${user}; store: ${storeDir}; Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    signal?.addEventListener('abort', stop);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.(); // browsers keep connections alive
  });
  await session.close();
  return EXIT.ok;
}
