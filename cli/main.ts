import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '#shared/config/errors.ts';
import { EXIT, UsageError, processIo, type Io } from './io.ts';
import { CHECK_USAGE, COLLECT_USAGE, DIFF_USAGE, FLAGS_USAGE, LOOKUP_USAGE, REPLAY_USAGE, SCAN_USAGE, SERVE_USAGE } from './usage.ts';

// Each command is loaded when it runs: `ittmon lookup` does not load the AWS SDK, the store or the web app.
const scan: Command['run'] = async (args, io) => (await import('./scan.ts')).scan(args, io);
const check: Command['run'] = async (args, io) => (await import('./check.ts')).check(args, io);
const lookup: Command['run'] = async (args, io) => (await import('./lookup.ts')).lookup(args, io);
const flags: Command['run'] = async (args, io) => (await import('./flags.ts')).flags(args, io);
const serve: Command['run'] = async (args, io, signal) => (await import('./serve.ts')).serve(args, io, signal);
const collect: Command['run'] = async (args, io) => (await import('./collect.ts')).collectCommand(args, io);
const diff: Command['run'] = async (args, io) => (await import('./diff.ts')).diff(args, io);
const replay: Command['run'] = async (args, io) => (await import('./replay.ts')).replay(args, io);

interface Command { usage: string; help: string; run: (args: string[], io: Io, signal?: AbortSignal) => number | Promise<number> }

const COMMANDS: Record<string, Command> = {
  scan: {
    usage: SCAN_USAGE, run: scan,
    help: `Reads log files and directories (recursively; .gz transparently; - for standard input), and prints
the flags: a table, or JSON lines with --json. A summary of where every record went goes to stderr.

  --config FILE        the policy file (default ./ittmon.yaml)
  --json               flags as JSON lines on stdout
  --source NAME        force a log format instead of detecting it
  --quarantine FILE    write every rejected record to FILE (JSON lines)
  --store DIR          keep the flags in a local store in DIR, for ittmon flags and ittmon serve
  --fail-on SEVERITY   exit 3 when a flag of this severity or higher is raised (low, medium, high, critical)
  --include-cleared    also list flags whose every finding a license cleared
  --look-back          past logs read again after a policy change: new flags say "raised on look-back
                       after policy version V on DATE" (with --store, each file's evidence is replaced, never added twice)`,
  },
  check: {
    usage: CHECK_USAGE, run: check,
    help: `Loads and validates ittmon.yaml, the directory (people.csv) and the catalog, reports every
problem at once (file, line, field, how to fix it), and prints what was loaded.`,
  },
  lookup: {
    usage: LOOKUP_USAGE, run: lookup,
    help: `Is a license required to release data of this classification to this country, and why?
CLASSIFICATION is an ECCN (3E001), EAR99 or a USML category ("XV(e)"); COUNTRY an ISO code or a name.

  A paragraph (9E515.f, 3E001.a) selects the License Requirements rows that apply to it.
  --deemed             answer for a release to a national of COUNTRY in the home country (deemed export)
  --reasons R,R        the reasons for control that apply (an ECCN not in the built-in table needs them)
  --json               the answer as JSON
Prints the license exceptions that may be available (hints: a reviewer confirms the conditions).`,
  },
  flags: {
    usage: FLAGS_USAGE, run: flags,
    help: `Lists the flags kept in a local store (made by ittmon scan --store DIR).

  --store DIR          the store (default .ittmon)
  --status S           only flags in status S: open, in_review, closed, escalated
  --json               flags as JSON lines
  --objects            every log file scanned into the store, and where its records went`,
  },
  serve: {
    usage: SERVE_USAGE, run: serve,
    help: `Serves the review page and API for a local store on http://127.0.0.1:PORT/ until Ctrl-C. Without
sign-in it listens on loopback only and answers only to its own Host name.

  --config FILE        the policy, for datasets and licenses on the page (default ./ittmon.yaml when present)
  --store DIR          the store (default .ittmon)
  --port N             the port (default 8787)
  --host H             the address to listen on (default 127.0.0.1; another needs sign-in and --public-url)
  --user NAME          the reviewer named in the audit trail without sign-in (default: your user name)
  --pseudonymise       show persons under pseudonyms until revealed
  --oidc-issuer URL --oidc-client-id ID
                       sign reviewers in at your OpenID provider (Entra ID, Okta, Google, Shibboleth);
                       the client secret, if any, in ITTMON_OIDC_CLIENT_SECRET
  --oidc-roles-claim C the claim holding viewer/reviewer/admin (default groups)
  --oidc-scopes "…"    the scopes to ask for (default "openid email profile")
  --oidc-scope-prefix P  bearer tokens on /api/* need P/review.read (GET) and P/review.decide (POST)
  --public-url URL     the address reviewers open, when it is not this server's own`,
  },
  collect: {
    usage: COLLECT_USAGE, run: collect,
    help: `Pulls a SaaS audit log (the same collector as the AWS schedule) into DIR, which ittmon scan reads.
A second run continues from the checkpoint in DIR/.ittmon/. Credentials come from ITTMON_<SOURCE>_*
environment variables (README "Collectors").

  --out DIR            where the pages and the checkpoint go
  --since TIME         where to start when there is no checkpoint: 2026-11-01, 2026-11-01T08:00:00Z, 7d, 12h (default 1d)`,
  },
  diff: {
    usage: DIFF_USAGE, run: diff,
    help: `Says what changed between two policies (datasets, people, licenses, allow entries, networks, catalog)
and which datasets, people, accounts and log sources a look-back must cover.

  --json               the diff as JSON
  --apply              re-evaluate the flags stored in --store under NEW_CONFIG: those it no longer
                       supports become superseded (never deleted), stronger ones are restated and announced
  --store DIR          the local store to re-evaluate (default .ittmon)`,
  },
  replay: {
    usage: REPLAY_USAGE, run: replay,
    help: `In AWS: backfill or look back over a window of a log bucket through the normal ingest (the stack's
replay state machine). start lists the window first and prints an estimate (objects, bytes, cost and
its basis), then asks before starting one execution per bucket or prefix.

  --days N             the last N days (or --since TIME [--until TIME]: 2026-05-01, 2026-05-01T00:00:00Z, 180d)
  --bucket NAME[/PREFIX]  a log bucket, optionally a prefix; repeat for more (default: the stack's LogsBucketName)
  --look-back V        label what it finds as found on look-back after policy version V
  --state-machine ARN  the stack output ReplayStateMachineArn (or --outputs FILE, from
                       \`cdk deploy --outputs-file FILE\`; default ./cdk-outputs.json when present)
  --yes                start without asking
status [EXECUTION_ARN] prints the execution's state and its objects enqueued, failed and pending; without
an ARN, the state machine's recent replays. --json: the same as data.
AWS credentials and region come from the usual AWS settings (AWS_PROFILE…); the region from the ARN.`,
  },
};

const USAGE = `ITT Monitor — flags releases of export-controlled technical data found in access logs.

usage:
${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n')}

ittmon COMMAND --help explains a command. --debug (or ITTMON_DEBUG=1) shows the stack trace of an unexpected error.
Exit codes: 0 done, 2 usage or configuration error, 3 --fail-on threshold met, 1 anything else.
`;

const root = fileURLToPath(new URL('..', import.meta.url));
/** Where an unexpected error happened: the first frame of our own code (function, file and line in the package). */
function whereOf(e: Error): string | undefined {
  for (const line of (e.stack ?? '').split('\n').slice(1)) {
    const m = /^at (?:(\S+) \()?((?:file:\/\/)?\/[^()]+?):(\d+):\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const file = m[2]!.startsWith('file://') ? fileURLToPath(m[2]!) : m[2]!;
    if (file.includes('node_modules')) continue;
    const fn = m[1]?.replace(/^(async|new) /, '');
    return `${fn ? `${fn}, ` : ''}${relative(root, file)}:${m[3]}`;
  }
  return undefined;
}

/** Runs one command; returns the exit code. Never throws, and shows a stack trace only when asked to. */
export async function main(argv: string[], io: Io = processIo(), signal?: AbortSignal): Promise<number> {
  const debug = argv.includes('--debug') || !['', '0', 'false', undefined].includes(process.env.ITTMON_DEBUG);
  const [command, ...rest] = argv.filter((a) => a !== '--debug');
  const name = command ?? '';
  try {
    if (command === undefined || ['-h', '--help', 'help'].includes(command)) {
      const topic = command === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
      io.out(topic ? `usage: ${topic.usage}\n\n${topic.help}\n` : USAGE);
      return command ? EXIT.ok : EXIT.usage;
    }
    const cmd = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!cmd) throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`usage: ${cmd.usage}\n\n${cmd.help}\n`);
      return EXIT.ok;
    }
    return await cmd.run(rest, io, signal);
  } catch (e) {
    const prefix = COMMANDS[name] ? `ittmon ${name}` : 'ittmon';
    if (e instanceof ConfigError) {
      io.err(`${prefix}: configuration problem${e.problems.length > 1 ? 's' : ''}:\n${e.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
      return EXIT.usage;
    }
    const code = (e as { code?: string }).code;
    if (e instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS')) {
      const usage = code?.startsWith('ERR_PARSE_ARGS') && COMMANDS[name] ? ` (usage: ${COMMANDS[name].usage})` : '';
      io.err(`${prefix}: ${(e as Error).message}${usage}\n`);
      return EXIT.usage;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    if (debug) {
      io.err(`${prefix}: unexpected error: ${err.stack ?? err.message}\n`);
    } else {
      const where = whereOf(err);
      io.err(`${prefix}: unexpected error: ${err.message.split('\n')[0]}${where ? ` (at ${where})` : ''} — run it again with --debug (or ITTMON_DEBUG=1) for the stack trace, and report it\n`);
    }
    return EXIT.failure;
  }
}
