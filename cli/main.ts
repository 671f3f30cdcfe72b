import { ConfigError } from '#shared/config/index.ts';
import { check } from './check.ts';
import { DIFF_USAGE, diff } from './diff.ts';
import { COLLECT_USAGE, collectCommand } from './collect.ts';
import { EXIT, UsageError, processIo, type Io } from './io.ts';
import { FLAGS_USAGE, flags } from './flags.ts';
import { LOOKUP_USAGE, lookup } from './lookup.ts';
import { SCAN_USAGE, scan } from './scan.ts';
import { SERVE_USAGE, serve } from './serve.ts';

const USAGE = `ITT Monitor — flags releases of export-controlled technical data found in access logs.

usage:
  ${SCAN_USAGE}
  ittmon check [--config FILE]
  ${LOOKUP_USAGE}
  ${FLAGS_USAGE}
  ${SERVE_USAGE}
  ${COLLECT_USAGE}
  ${DIFF_USAGE}

Exit codes: 0 done, 2 usage or configuration error, 3 --fail-on threshold met, 1 anything else.
`;

/** Runs one command; returns the exit code. Never throws. */
export async function main(args: string[], io: Io = processIo(), signal?: AbortSignal): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'scan': return await scan(rest, io);
      case 'check': return await check(rest, io);
      case 'lookup': return lookup(rest, io);
      case 'flags': return await flags(rest, io);
      case 'serve': return await serve(rest, io, signal);
      case 'collect': return await collectCommand(rest, io);
      case 'diff': return await diff(rest, io);
      case undefined: case '-h': case '--help': case 'help':
        io.out(USAGE);
        return command ? EXIT.ok : EXIT.usage;
      default:
        throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(`ittmon: configuration problem${e.problems.length > 1 ? 's' : ''}:\n${e.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
      return EXIT.usage;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`ittmon: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
    io.err(`ittmon: unexpected error: ${(e as Error).stack ?? e}\n`);
    return EXIT.failure;
  }
}
