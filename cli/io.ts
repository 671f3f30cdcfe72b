/** Where the CLI writes: injectable so that tests can run commands in-process. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: show progress. */
  tty: boolean;
  cwd: string;
  stdin: AsyncIterable<Buffer>;
}

export const processIo = (): Io => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  tty: !!process.stderr.isTTY,
  cwd: process.cwd(),
  stdin: process.stdin,
});

/** Exit codes (DESIGN §3.8). */
export const EXIT = { ok: 0, failure: 1, usage: 2, threshold: 3 } as const;

export class UsageError extends Error {}
