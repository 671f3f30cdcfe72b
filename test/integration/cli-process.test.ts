import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { Flag } from '#shared/model/index.ts';
import { PEOPLE_HEADER, repoRoot } from '#test/helpers.ts';
import { ittmonProcess as run, STACK } from './cli.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'ittmon-cli-'));
const jsonFlags = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Flag);
const HINT = /--debug \(or ITTMON_DEBUG=1\)/;

/** A small organisation in a temporary directory: the user's own config, not the examples. */
function org(files: Record<string, string> = {}): string {
  const dir = tmp();
  const all: Record<string, string> = {
    'ittmon.yaml': `home: US
directory: people.csv
datasets:
  - id: hgv
    name: HGV CFD
    jurisdiction: ITAR
    classification: "IV(i)"
    match: { paths: ["github://acme/hgv-*"] }
`,
    'people.csv': `${PEOPLE_HEADER}\np-1,Hans Becker,hans@acme.edu,github:hbecker,DE,,,\np-2,Jane Roe,jane@acme.edu,github:jroe,US,,,\n`,
    ...files,
  };
  for (const [name, text] of Object.entries(all)) writeFileSync(join(dir, name), text);
  return dir;
}
const clone = (login: string, email?: string) => `${JSON.stringify({ '@timestamp': Date.parse('2026-10-15T10:00:00Z'), _document_id: `d-${login}`, action: 'git.clone', actor: login, org: 'acme', repo: 'acme/hgv-solver', ...(email ? { external_identity_nameid: email } : {}) })}\n`;

describe.concurrent('identity: an e-mail two people share', () => {
  const csv = `${PEOPLE_HEADER}\np-1,Hans Becker,hans@acme.edu,github:hbecker,DE,,,\np-2,Jane Roe,Hans@Acme.edu,github:jroe,US,,,\n`;

  it('check rejects it, naming both rows, exit 2', async () => {
    const r = await run(['check'], { cwd: org({ 'people.csv': csv }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('people.csv:3 email: e-mail Hans@Acme.edu belongs to both p-1 (line 2) and p-2 (line 3)');
    expect(r.stderr).not.toMatch(STACK);
  });

  it('scan warns, and the German national listed first is not hidden behind the US person listed second: AMBIGUOUS_IDENTITY', async () => {
    const dir = org({ 'people.csv': csv, 'sso.jsonl': clone('contractor7', 'hans@acme.edu') });
    const r = await run(['scan', 'sso.jsonl', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ittmon: warning: people\.csv:3 email: e-mail Hans@Acme\.edu belongs to both p-1/m);
    const [flag] = jsonFlags(r.stdout);
    expect(flag!.actor.key).toBe('github:contractor7');
    expect(flag!.severity).toBe('high');
    expect(flag!.reasons[0]!.code).toBe('AMBIGUOUS_IDENTITY');
    expect(flag!.reasons[0]!.explanation).toMatch(/Hans Becker \(p-1, citizen of DE\) — DEEMED_EXPORT DE \(high\); Jane Roe \(p-2, citizen of US\) — no finding/);
    // the same with the rows the other way round
    const swapped = org({ 'people.csv': `${PEOPLE_HEADER}\n${csv.split('\n').slice(1, 3).reverse().join('\n')}\n`, 'sso.jsonl': clone('contractor7', 'hans@acme.edu') });
    expect(jsonFlags((await run(['scan', 'sso.jsonl', '--json'], { cwd: swapped })).stdout)).toEqual([flag]);
  });
});

describe.concurrent('check catches what scan would trip on, every problem at once', () => {
  it('a geoip file that is missing, and one that is not an .mmdb (a CSV), without "Unknown type" or a stack', async () => {
    const missing = await run(['check'], { cwd: org({ 'ittmon.yaml': `geoip: geo/GeoLite2-Country.mmdb\n${readFileSync(join(org(), 'ittmon.yaml'), 'utf8')}` }) });
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('ittmon.yaml:1 geoip: no file geo/GeoLite2-Country.mmdb — name a MaxMind-format .mmdb country database')]);
    const dir = org({ 'countries.csv': 'network,country\n1.0.0.0/24,AU\n' });
    writeFileSync(join(dir, 'ittmon.yaml'), `geoip: countries.csv\n${readFileSync(join(dir, 'ittmon.yaml'), 'utf8')}`);
    for (const args of [['check'], ['scan', 'ittmon.yaml']]) {
      const r = await run(args, { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('ittmon.yaml:1 geoip: countries.csv is not a MaxMind .mmdb database');
      expect(r.stderr).not.toMatch(/Unknown type|unexpected error/);
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  it('bad globs, impossible dates, duplicate ids, us_person: yes, a missing name and expires, a short row: all in one run', async () => {
    const dir = org({
      'ittmon.yaml': `home: US
directory: people.csv
datasets:
  - id: hgv
    jurisdiction: ITAR
    classification: "IV(i)"
    match: { paths: ["github://acme/hgv-[a-"] }
  - id: hgv
    name: Again
    jurisdiction: ITAR
    classification: "IV(i)"
    match: { paths: ["github://acme/{a,b"] }
licenses:
  - { id: DSP5-1, datasets: [hgv], countries: [GB] }
  - { id: DSP5-1, datasets: [hgv], countries: [GB], expires: 2027-02-30 }
allow:
  - { account: "github:bot", reason: mirror, expires: 2027-13-45 }
  - { account: "github:bot", reason: again }
`,
      'people.csv': `${PEOPLE_HEADER}\np-1,Hans,,github:h,DE,,yes,\np-2,Jane,,github:j\np-3,Joe,,github:joe,US,,,\n`,
    });
    const r = await run(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').map((l) => l.trim());
    expect(lines).toEqual(expect.arrayContaining([
      'ittmon check: configuration problems:',
      'ittmon.yaml:4 datasets[0].name: required, but missing — give it a name a reviewer recognises, e.g. name: Hypersonic glide vehicle CFD results',
      expect.stringMatching(/^ittmon\.yaml:7 datasets\[0\]\.match\.paths\[0\]: "github:\/\/acme\/hgv-\[a-" has an unclosed "\["/),
      expect.stringMatching(/^ittmon\.yaml:12 datasets\[1\]\.match\.paths\[0\]: "github:\/\/acme\/\{a,b" has an unclosed "\{"/),
      expect.stringMatching(/^ittmon\.yaml:8 datasets\[1\]\.id: duplicate dataset id "hgv"/),
      'ittmon.yaml:14 licenses[0].expires: required, but missing — write the last day the license is valid, e.g. expires: 2027-12-31',
      expect.stringMatching(/^ittmon\.yaml:15 licenses\[1\]\.expires: "2027-02-30" is not a day of the calendar/),
      expect.stringMatching(/^ittmon\.yaml:15 licenses\[1\]\.id: duplicate license id "DSP5-1"/),
      expect.stringMatching(/^ittmon\.yaml:17 allow\[0\]\.expires: "2027-13-45" is not a day of the calendar/),
      expect.stringMatching(/^ittmon\.yaml:18 allow\[1\]\.account: duplicate allow entry for github:bot/),
      expect.stringMatching(/^people\.csv:2 us_person: "yes" is not true, false or blank — write true or false/),
      expect.stringMatching(/^people\.csv:3 \(row\): 4 fields where the header has 8/),
    ]));
    expect(r.stderr).not.toMatch(/received undefined|expected string/);
  });
});

describe('never a stack trace for an everyday situation', () => {
  const servers: { kill: () => void }[] = [];
  afterAll(() => { for (const s of servers) s.kill(); });

  it('a store another process serves: who holds it and what to do, for scan, flags and serve', async () => {
    const dir = org({ 'a.jsonl': clone('hbecker') });
    expect((await run(['scan', 'a.jsonl', '--store', 'st'], { cwd: dir })).code).toBe(0);
    const serve = spawn(process.execPath, [join(repoRoot, 'cli/bin.mjs'), 'serve', '--store', 'st', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    servers.push(serve);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      serve.stdout.on('data', (d: Buffer) => { out += d; if (out.includes('Review page:')) resolve(); });
      serve.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    for (const args of [['scan', 'a.jsonl', '--store', 'st'], ['flags', '--store', 'st'], ['serve', '--store', 'st', '--port', '0']]) {
      const r = await run(args, { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^ittmon ${args[0]}: the store st is in use by \`ittmon serve\` \\(process ${serve.pid}, since .* UTC\\): stop it \\(Ctrl-C in its terminal, or kill ${serve.pid}\\) and run this again, or give another --store DIR\\n$`));
    }
    serve.kill('SIGINT');
    await new Promise((r) => serve.on('exit', r));
    expect(existsSync(join(dir, 'st', 'owner.json'))).toBe(false);
    expect((await run(['flags', '--store', 'st'], { cwd: dir })).code).toBe(0);
  });

  it('a port in use: says so and suggests --port', async () => {
    const dir = org({ 'a.jsonl': clone('hbecker') });
    await run(['scan', 'a.jsonl', '--store', 'st'], { cwd: dir });
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run(['serve', '--store', 'st', '--port', String(port)], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`ittmon serve: port ${port} on 127.0.0.1 is in use (another ittmon serve, or another program): stop it, or choose another port with --port, e.g. --port ${port + 1}\n`);
    } finally {
      blocker.close();
    }
    expect(existsSync(join(dir, 'st', 'owner.json'))).toBe(false); // the store is let go
  });

  it('ittmon COMMAND --help prints that command\'s usage and exits 0', async () => {
    for (const command of ['scan', 'check', 'lookup', 'flags', 'serve']) {
      const r = await run([command, '--help']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toMatch(new RegExp(`^usage: ittmon ${command} `));
    }
    expect((await run(['lookup', '-h'])).code).toBe(0);
    expect((await run(['help', 'scan'])).stdout).toMatch(/^usage: ittmon scan PATH\.\.\./);
  });

  it('lookup with an unknown ECCN points to --reasons, not to config syntax', async () => {
    const r = await run(['lookup', '3E099', 'CN']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ittmon lookup: unknown ECCN "3E099" — give its reasons for control from its CCL entry with --reasons, e.g. ittmon lookup 3E099 CN --reasons NS1,AT1\n');
    expect((await run(['lookup', '3E099', 'CN', '--reasons', 'NS1,AT1'])).stdout).toMatch(/^LICENSE REQUIRED: 3E099 \(EAR\) to CN/);
  });

  it('an unexpected error is one line with where and the --debug hint; the stack only with --debug or ITTMON_DEBUG', async () => {
    const dir = org({ 'a.jsonl': clone('hbecker'), 'st': 'a file where the store directory should be\n' });
    const plain = await run(['scan', 'a.jsonl', '--store', 'st'], { cwd: dir });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^ittmon scan: unexpected error: EEXIST: file already exists, mkdir '.*st' \(at takeStore, cli\/store\.ts:\d+\) — run it again with --debug \(or ITTMON_DEBUG=1\) for the stack trace, and report it\n$/);
    expect(plain.stderr).toMatch(HINT);
    for (const opts of [{ args: ['--debug'] }, { env: { ITTMON_DEBUG: '1' } }]) {
      const r = await run(['scan', 'a.jsonl', '--store', 'st', ...(opts.args ?? [])], { cwd: dir, ...(opts.env ? { env: opts.env } : {}) });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(STACK);
    }
  });

  it('a reader that goes away (ittmon … | head) ends quietly', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const sh = spawn('sh', ['-c', `node ${join(repoRoot, 'cli/bin.mjs')} scan examples/logs --config examples/ittmon.yaml | head -c 10 >/dev/null`], { cwd: repoRoot });
      let stderr = '';
      sh.stderr.on('data', (d: Buffer) => { stderr += d; });
      sh.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/EPIPE|unexpected/);
  });

  it('a --quarantine file that cannot be written is a usage error, before anything is read', async () => {
    const r = await run(['scan', 'examples/logs', '--config', 'examples/ittmon.yaml', '--quarantine', '/nonexistent-dir/q.jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ittmon scan: --quarantine \/nonexistent-dir\/q\.jsonl: cannot write it \(ENOENT\)/);
  });
});

describe.concurrent('accounting and words', () => {
  it('a binary file is one rejected record, reported as binary once', async () => {
    const dir = org();
    writeFileSync(join(dir, 'core.dump'), Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00'), Buffer.alloc(50_000, 0x0a), Buffer.from('a\nb\nc\n')]));
    const r = await run(['scan', 'core.dump', '--quarantine', 'q.jsonl'], { cwd: dir });
    expect(r.stderr).toMatch(/1 file, 1 record → 0 events, 0 skipped, 1 rejected/);
    expect(r.stderr).toMatch(/rejected: binary file \(\d+ bytes\) \(1\)/);
    const q = readFileSync(join(dir, 'q.jsonl'), 'utf8').trim().split('\n');
    expect(q).toHaveLength(1);
    expect(JSON.parse(q[0]!)).toMatchObject({ file: 'core.dump', line: 0, reason: expect.stringMatching(/^binary file/) });
  });

  it('quarantine names files as given: absolute stays absolute, relative stays relative', async () => {
    const dir = org({ 'bad.jsonl': '{"broken\n' });
    await run(['scan', join(dir, 'bad.jsonl'), '--quarantine', 'q.jsonl'], { cwd: dir });
    expect(JSON.parse(readFileSync(join(dir, 'q.jsonl'), 'utf8')).file).toBe(join(dir, 'bad.jsonl'));
    await run(['scan', 'bad.jsonl', '--quarantine', 'q.jsonl'], { cwd: dir });
    expect(JSON.parse(readFileSync(join(dir, 'q.jsonl'), 'utf8')).file).toBe('bad.jsonl');
  });

  it('the sources line adds up to the records, saying what the rest are; releases are explained; cleared flags say CLEARED', async () => {
    const r = await run(['scan', 'examples/logs', '--config', 'examples/ittmon.yaml', '--include-cleared']);
    const records = Number(/(\d+) records →/.exec(r.stderr)![1]);
    const sources = /sources: +(.*)/.exec(r.stderr)![1]!;
    const sum = [...sources.matchAll(/[a-z0-9-]+ (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    expect(sum).toBe(records);
    expect(sources).toMatch(/none 1 \(in no log format or not a record; counted above as skipped or rejected\)/);
    expect(r.stderr).toMatch(/releases: 30 of the 33 events put content in someone's hands \(a download, clone, view\); 29 of them touched controlled data/);
    expect(r.stdout).toMatch(/^CLEARED +2026-10-1\d +hgv-cfd .*James Whitfield \(p-004\) +— +cleared by license/m);
    expect(r.stdout).not.toMatch(/^LOW .*cleared by license/m);
  });

  it('plurals: 1 file, 1 record, 1 event, 1 person, 1 US person', async () => {
    const dir = org({ 'people.csv': `${PEOPLE_HEADER}\np-2,Jane Roe,jane@acme.edu,github:jroe,US,,,\n`, 'one.jsonl': clone('jroe') });
    const scan = await run(['scan', 'one.jsonl'], { cwd: dir });
    expect(scan.stderr).toMatch(/^ittmon scan: 1 file, 1 record → 1 event, 0 skipped, 0 rejected$/m);
    expect(scan.stderr).toMatch(/releases: 1 of the 1 event/);
    const check = await run(['check'], { cwd: dir });
    expect(check.stdout).toMatch(/: 1 person — 1 US person, 0 foreign persons/);
    expect(check.stdout).toMatch(/catalog \(none\): 0 entries/);
  });
});
