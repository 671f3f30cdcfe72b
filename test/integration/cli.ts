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
