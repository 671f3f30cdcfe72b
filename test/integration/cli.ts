import { spawn } from 'node:child_process';
import { main } from '#cli/main.ts';
import type { Io } from '#cli/io.ts';
import { bytes, repoRoot } from '#test/helpers.ts';

/** Runs an `ittmon` command in-process and captures what it prints. */
export async function ittmon(args: string[], opts: { cwd?: string; stdin?: string | Buffer } = {}) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, tty: false, cwd: opts.cwd ?? repoRoot,
    stdin: bytes(opts.stdin ?? ''),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const BIN = `${repoRoot}/cli/bin.mjs`;

/**
 * Runs `ittmon` as a user does: a child process of the command's bin (the compiled CLI), with its
 * exit code and what it printed.
 */
export function ittmonProcess(args: string[], opts: { cwd?: string; env?: Record<string, string>; stdin?: string; signal?: AbortSignal } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? repoRoot, env: { ...process.env, ITTMON_DEBUG: '', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    child.on('error', (e) => (e.name === 'AbortError' ? undefined : reject(e)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A stack trace line, as Node prints them: what a user must never see unless they ask. */
export const STACK = /^\s+at .+[:(]\d+/m;
