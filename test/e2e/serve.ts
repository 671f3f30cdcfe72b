import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { main } from '#cli/main.ts';
import { bytes, repoRoot } from '#test/helpers.ts';
import { ittmon } from '../integration/cli.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const exampleConfig = join(repoRoot, 'examples/ittmon.yaml');

/** Hostile file names in an S3 access log, in the controlled prefix: markup, formulas, bidi controls, lookalikes. */
export function hostileLog(dir: string): string {
  const owner = 'a3c1f0e29b7d4c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a';
  const line = (req: string, key: string, user = 'mbianchi') => `${owner} nfu-aero-research [16/Oct/2026:10:00:00 +0000] 10.20.31.7 arn:aws:iam::111122223333:user/${user} ${req} REST.GET.OBJECT ${encodeURIComponent(key)} "GET /x HTTP/1.1" 200 - 1000 1000 4 2 "-" "curl/8" - hostid SigV4 suite AuthHeader host TLSv1.2`;
  mkdirSync(join(dir, 'hostile'), { recursive: true });
  writeFileSync(join(dir, 'hostile', 'nfu-aero-research-2026-10-16.log'), [
    line('HOSTILE1', 'hgv/drop/<img src=x onerror=alert(1)>.pdf'),
    line('HOSTILE2', 'hgv/drop/=HYPERLINK("http://x")', 'contractor-x'),
    line('HOSTILE0', 'hgv/drop/=HYPERLINK("evil").pdf', 'contractor-x'),
    line('HOSTILE3', 'hgv/drop/report\u202Efdp.exe', 'contractor-x'),
    line('HOSTILE4', 'hgv/drop/p\u0430ypal-invoice.pdf', 'contractor-x'),
    line('HOSTILE5', `hgv/drop/${'very-long-segment-without-any-break-'.repeat(8)}.pdf`, 'contractor-x'),
    // one person, many events: the detail page pages them
    ...Array.from({ length: 60 }, (_, i) => line(`MANY${i}`, `hgv/runs/case-${String(i).padStart(2, '0')}.cgns`, 'spetrova')),
  ].join('\n') + '\n');
  return join(dir, 'hostile');
}

/** A store scanned from the examples and the hostile log. */
export async function scannedStore(): Promise<{ dir: string; store: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ittmon-e2e-'));
  const store = join(dir, 'store');
  const r = await ittmon(['scan', join(repoRoot, 'examples/logs'), hostileLog(dir), '--config', exampleConfig, '--store', store]);
  if (r.code !== 0) throw new Error(`scan failed: ${r.stderr}`);
  return { dir, store };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** `ittmon serve` in-process; resolves with its base URL once it listens. */
export async function startServe(args: string[]): Promise<{ base: string; stop: () => Promise<number>; output: () => string }> {
  const stop = new AbortController();
  let out = '';
  const served = main(['serve', ...args], { out: (t) => { out += t; }, err: (t) => { out += t; }, tty: false, cwd: repoRoot, stdin: bytes() }, stop.signal);
  let code: number | undefined;
  void served.then((c) => { code = c; });
  for (let i = 0; i < 400 && !/http:\/\/\S+\//.test(out) && code === undefined; i++) await new Promise((r) => setTimeout(r, 25));
  const base = /(http:\/\/[^\s/]+)\//.exec(out)?.[1];
  if (!base) throw new Error(`serve did not start: ${out}`);
  return { base, stop: async () => { stop.abort(); return served; }, output: () => out };
}

export function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs] });
}
