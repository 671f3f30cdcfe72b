import { cpSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Flag } from '#shared/model/index.ts';
import { realFixture, repoRoot } from '#test/helpers.ts';
import { ittmon } from './cli.ts';

const scanExamples = (...extra: string[]) => ittmon(['scan', 'examples/logs', '--config', 'examples/ittmon.yaml', ...extra]);
const jsonFlags = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Flag);
const summaryCounts = (stderr: string) => {
  const m = /(\d+) records → (\d+) events, (\d+) skipped, (\d+) rejected/.exec(stderr);
  return m ? m.slice(1).map(Number) : [];
};

describe('ittmon scan on the bundled examples', () => {
  it('raises the expected flags, each saying why', async () => {
    const { code, stdout } = await scanExamples('--json');
    expect(code).toBe(0);
    const flags = jsonFlags(stdout);
    const summary = flags.map((f) => `${f.severity} ${f.day} ${f.dataset} ${f.actor.key} ${f.reasons.map((r) => r.code + (r.country ? `:${r.country}` : '')).join(',')}`);
    expect(summary).toEqual([
      'critical 2026-10-14 hgv-cfd anonymous:114.114.114.114 ANONYMOUS_ACCESS,FOREIGN_LOCATION:CN',
      'critical 2026-10-14 hgv-cfd p-002 DEEMED_EXPORT:CN,NOT_AUTHORIZED',
      'critical 2026-10-15 hgv-cfd anonymous:114.114.114.114 ANONYMOUS_ACCESS,FOREIGN_LOCATION:CN',
      'critical 2026-10-15 hgv-cfd m365:ivan_partner-aero.ru#EXT#@northfield.onmicrosoft.com FOREIGN_LOCATION:RU,UNKNOWN_ACCOUNT',
      'critical 2026-10-15 hgv-cfd p-007 DEEMED_EXPORT:IR,NOT_AUTHORIZED',
      'critical 2026-10-15 hgv-cfd p-008 DEEMED_EXPORT:RU,NOT_AUTHORIZED',
      'critical 2026-10-15 lab-ops p-007 DEEMED_EXPORT:IR',
      'high 2026-10-14 hgv-cfd p-001 FOREIGN_LOCATION:DE',
      'high 2026-10-14 rad-hard-asic p-002 DEEMED_EXPORT:CN',
      'high 2026-10-14 rad-hard-asic p-009 DEEMED_EXPORT:IT',
      'high 2026-10-15 hgv-cfd github:quantum-gh0st UNKNOWN_ACCOUNT',
      'high 2026-10-15 hgv-cfd p-003 DEEMED_EXPORT:IN',
      'high 2026-10-15 lab-ops p-008 DEEMED_EXPORT:RU',
      'high 2026-10-15 rad-hard-asic anonymous:49.44.0.1 ANONYMOUS_ACCESS,FOREIGN_LOCATION:IN',
      'high 2026-10-15 rad-hard-asic p-002 DEEMED_EXPORT:CN',
      'high 2026-10-15 rad-hard-asic p-009 DEEMED_EXPORT:IT',
      'medium 2026-10-14 rad-hard-asic aws:arn:aws:iam::111122223333:user/legacy-sync UNKNOWN_ACCOUNT',
      'medium 2026-10-15 hgv-cfd p-010 NOT_AUTHORIZED',
      'low 2026-10-14 lab-ops anonymous:128.101.44.12 ANONYMOUS_ACCESS',
    ]);
    for (const f of flags) for (const r of f.reasons) expect(r.explanation.length).toBeGreaterThan(40);
  });

  it('writes flags in the contract JSON shape', async () => {
    const [flag] = jsonFlags((await scanExamples('--json')).stdout).filter((f) => f.actor.key === 'p-002' && f.dataset === 'hgv-cfd');
    expect(Object.keys(flag!)).toEqual(expect.arrayContaining(['id', 'severity', 'dataset', 'day', 'actor', 'reasons', 'eventCount', 'bytes', 'firstSeen', 'lastSeen', 'events']));
    expect(flag!.actor).toEqual({ key: 'p-002', person: 'p-002', name: 'Li Wei', accounts: ['aws:arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Researcher_7f3a2b/li.wei@northfield.edu', 'github:lwei'] });
    expect(flag!.eventCount).toBe(2);
    expect(flag!.bytes).toBe(734003);
    expect(flag!.events.map((e) => [e.source, e.action, e.resource, e.country])).toEqual([
      ['s3-access', 'download', 's3://nfu-aero-research/hgv/runs/mach8-case12/heat-flux summary.xlsx', 'US'],
      ['github', 'clone', 'github://nfu-aero/hgv-solver', 'US'],
    ]);
  });

  it('labels learned from the logs classify later downloads (CloudTrail PutObjectTagging, M365 sensitivity label, Box classification)', async () => {
    const flags = jsonFlags((await scanExamples('--json')).stdout);
    const resources = (actor: string, dataset: string) => flags.find((f) => f.actor.key === actor && f.dataset === dataset && f.day === '2026-10-15')!.events.map((e) => e.resource);
    expect(resources('p-008', 'hgv-cfd')).toContain('s3://nfu-aero-research/shared/drop/wing-loads-rev2.xlsx');
    expect(resources('p-007', 'hgv-cfd')).toEqual(['https://northfield.sharepoint.com/sites/HGV/Shared Documents/Specs/thermal-protection-spec.docx', 'file://fs1.nfu.local/D:/Projects/drop/loads-summary.xlsx']);
    expect(resources('p-009', 'rad-hard-asic')).toEqual(['box://771001']);
  });

  it('reads every source in one directory, detected per file', async () => {
    const { stderr } = await scanExamples();
    expect(stderr).toMatch(/sources: +box 5, cloudtrail 10, github 12, m365 6, s3-access 14, windows 4/);
    const dir = mkdtempSync(join(tmpdir(), 'ittmon-all-'));
    cpSync(join(repoRoot, 'examples/logs'), dir, { recursive: true });
    cpSync(realFixture('04-gitlab-audit.sample-streaming-git-op-user.json'), join(dir, 'gitlab.json'));
    cpSync(realFixture('06-google-drive.sample.jsonl'), join(dir, 'drive.jsonl'));
    writeFileSync(join(dir, 'samba.log'), 'Oct 15 09:00:01 fs1 smbd_audit: lwei|10.20.31.7|LAB-PC7|Lab|openat|ok|r|HGV/runs/case12.h5\n');
    const all = await ittmon(['scan', dir, '--config', 'examples/ittmon.yaml']);
    const sources = /sources: +(.*)/.exec(all.stderr)![1]!.split(', ').map((x) => x.split(' ')[0]).filter((s) => s !== 'none');
    expect(sources.sort()).toEqual(['box', 'cloudtrail', 'gdrive', 'github', 'gitlab', 'm365', 's3-access', 'samba', 'windows']);
  });

  it('shows what a license cleared only with --include-cleared', async () => {
    const cleared = jsonFlags((await scanExamples('--json', '--include-cleared')).stdout).filter((f) => f.reasons.length === 0);
    expect(cleared).toEqual([expect.objectContaining({ actor: expect.objectContaining({ key: 'p-004' }), cleared: [expect.objectContaining({ code: 'DEEMED_EXPORT', country: 'GB', license: 'DSP5-123456' })] })]);
  });

  it('accounts for every record in the summary, and counts alike', async () => {
    const { stderr } = await scanExamples();
    const [records, events, skipped, rejected] = summaryCounts(stderr);
    expect(records).toBe(events! + skipped! + rejected!);
    expect([records, events, skipped, rejected]).toEqual([52, 33, 17, 2]);
    expect(stderr).toMatch(/flags: +7 critical, 9 high, 2 medium, 1 low; cleared by license: 1/);
    expect(stderr).toMatch(/service principal \(3\)/);
    expect(stderr).toMatch(/repo\.access is a visibility change, not a read \(1\)/);
  });

  it('gives the same flags, ids and counts on every run', async () => {
    const a = await scanExamples('--json');
    const b = await scanExamples('--json');
    expect(b.stdout).toBe(a.stdout);
    expect(b.stderr).toBe(a.stderr);
  });

  it('prints a readable table by default', async () => {
    const { stdout } = await scanExamples();
    expect(stdout).toMatch(/^CRITICAL 2026-10-14  hgv-cfd \[USML IV\(i\)\]  anonymous:114\.114\.114\.114  —  ANONYMOUS_ACCESS, FOREIGN_LOCATION CN/m);
    expect(stdout).toMatch(/^ {4}why: Li Wei \(p-002, citizen of CN\)/m);
  });

  it('--fail-on returns 3 when the threshold is met, 0 when not', async () => {
    expect((await scanExamples('--fail-on', 'critical')).code).toBe(3);
    const onlyLow = await ittmon(['scan', 'examples/logs/s3-access', '--config', 'examples/ittmon.yaml', '--fail-on', 'critical', '--source', 's3-access']);
    expect(onlyLow.code).toBe(3); // the anonymous HGV download from CN is critical
    const none = await ittmon(['scan', 'examples/logs/cloudtrail', '--config', 'examples/ittmon.yaml', '--fail-on', 'critical']);
    expect(none.code).toBe(3);
    const github = await ittmon(['scan', 'examples/logs/github', '--config', 'examples/ittmon.yaml', '--fail-on', 'high', '--json']);
    expect(jsonFlags(github.stdout).some((f) => f.severity === 'critical')).toBe(true);
    const belowThreshold = await ittmon(['scan', 'examples/logs/github/nfu-aero-audit-2026-10-15.jsonl', '--config', 'examples/ittmon.yaml', '--source', 'cloudtrail', '--fail-on', 'low']);
    expect(belowThreshold.code).toBe(0); // forced to the wrong source: nothing parses, nothing flags
  });

  it('forcing the wrong --source rejects each record with the source named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ittmon-'));
    const q = join(dir, 'q.jsonl');
    const { stderr } = await ittmon(['scan', 'examples/logs/s3-access', '--config', 'examples/ittmon.yaml', '--source', 'github', '--quarantine', q]);
    expect(summaryCounts(stderr)).toEqual([14, 0, 0, 14]);
    expect(JSON.parse(readFileSync(q, 'utf8').split('\n')[0]!)).toMatchObject({ source: 'github', reason: 'GitHub audit records are JSON objects', line: 1 });
  });

  it('shows progress on a terminal during a long scan, and clears it at the end', async () => {
    const { main } = await import('#cli/main.ts');
    let err = '';
    const lines = readFileSync(join(repoRoot, 'examples/logs/s3-access/nfu-aero-research-2026-10-14-00-00-00-5E1A7C9B3D2F4A6E.log'));
    const slow = (async function* () {
      yield lines;
      await new Promise((r) => setTimeout(r, 1200)); // longer than the progress interval
      yield lines;
    })() as AsyncIterable<Buffer>;
    const code = await main(['scan', '-', '--config', 'examples/ittmon.yaml'], { out: () => {}, err: (t) => { err += t; }, tty: true, cwd: repoRoot, stdin: slow });
    expect(code).toBe(0);
    expect(err).toMatch(/\r\x1b\[K {2}scanning - \(1\/1\) — \d+ records/);
    expect(err).toMatch(/\r\x1b\[Kittmon scan: 1 file/);
  });

  it('reads stdin with "-"', async () => {
    const text = readFileSync(join(repoRoot, 'examples/logs/github/nfu-aero-audit-2026-10-15.jsonl'));
    const { code, stdout } = await ittmon(['scan', '-', '--config', 'examples/ittmon.yaml', '--json'], { stdin: gzipSync(text) });
    expect(code).toBe(0);
    expect(jsonFlags(stdout).length).toBeGreaterThan(3);
  });
});

describe('ittmon scan — bad input never crashes the scan', () => {
  it('truncated gzip, binary garbage, a 10 MB line, invalid UTF-8 and a JSON file that is not a log are each counted and quarantined with a reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ittmon-bad-'));
    mkdirSync(join(dir, 'logs'));
    const good = readFileSync(join(repoRoot, 'examples/logs/s3-access/nfu-aero-research-2026-10-14-00-00-00-5E1A7C9B3D2F4A6E.log'));
    const gz = gzipSync(Buffer.concat(Array.from({ length: 200 }, () => good)));
    writeFileSync(join(dir, 'logs/truncated.log.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    writeFileSync(join(dir, 'logs/garbage.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    writeFileSync(join(dir, 'logs/huge-line.log'), `${'A'.repeat(10 * 1024 * 1024)}\n${good.toString().split('\n')[0]}\n`);
    const [before, after] = good.toString().split('\n')[2]!.replace('heat-flux', '\u0000').split('\u0000');
    writeFileSync(join(dir, 'logs/bad-utf8.log'), Buffer.concat([Buffer.from(`${before}heat`), Buffer.from([0xff, 0xfe]), Buffer.from(`${after}\n`), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0x0a])]));
    writeFileSync(join(dir, 'logs/package.json'), JSON.stringify({ name: 'not-a-log', version: '1.0.0', dependencies: { a: '1' } }, null, 2));
    const q = join(dir, 'quarantine.jsonl');
    const { code, stderr } = await ittmon(['scan', join(dir, 'logs'), '--config', 'examples/ittmon.yaml', '--quarantine', q]);
    expect(code).toBe(0);
    const [records, events, skipped, rejected] = summaryCounts(stderr);
    expect(records).toBe(events! + skipped! + rejected!);
    const quarantined = readFileSync(q, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; reason: string });
    expect(quarantined.length).toBe(rejected);
    const reasonsFor = (file: string) => quarantined.filter((r) => r.file.endsWith(file)).map((r) => r.reason);
    expect(reasonsFor('truncated.log.gz')).toEqual(expect.arrayContaining([expect.stringMatching(/unreadable after line \d+: .*(truncated or corrupt)/)]));
    expect(reasonsFor('garbage.bin')).toEqual([expect.stringMatching(/^binary file \(4096 bytes\): not text/)]); // once, as binary
    expect(reasonsFor('huge-line.log')).toEqual([expect.stringMatching(/^not a recognised log format/)]);
    expect(reasonsFor('package.json')).toEqual([expect.stringMatching(/^unrecognised file: \d+ bytes, 1 record and none in a known log format/)]); // once, as a file
    expect(reasonsFor('bad-utf8.log')).toEqual([expect.stringMatching(/^not a recognised log format/)]); // the line of invalid bytes
    const flags = jsonFlags((await ittmon(['scan', join(dir, 'logs/bad-utf8.log'), '--config', 'examples/ittmon.yaml', '--json'])).stdout);
    expect(flags[0]!.events[0]!.resource).toBe('s3://nfu-aero-research/hgv/runs/mach8-case12/heat\ufffd\ufffd summary.xlsx'); // the good line still counts
    expect(events).toBeGreaterThan(500); // the good part of the truncated file and the good lines still count
  });
});

describe('ittmon — usage, configuration and lookup', () => {
  it('a configuration problem is exit 2 with file, line, field and fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ittmon-cfg-'));
    writeFileSync(join(dir, 'ittmon.yaml'), readFileSync(join(repoRoot, 'examples/ittmon.yaml'), 'utf8').replace('classification: 3E001', 'classification: 3E099'));
    writeFileSync(join(dir, 'people.csv'), readFileSync(join(repoRoot, 'examples/people.csv')));
    writeFileSync(join(dir, 'catalog.csv'), readFileSync(join(repoRoot, 'examples/catalog.csv')));
    const { code, stderr } = await ittmon(['scan', 'x'], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^  ittmon\.yaml:30 datasets\[1\]\.classification: unknown ECCN "3E099" — add reasons: \[\.\.\.\]/m);
  });
  it('usage errors are exit 2', async () => {
    expect((await ittmon(['scan'])).code).toBe(2);
    expect((await ittmon(['scan', 'examples/logs', '--config', 'examples/ittmon.yaml', '--fail-on', 'severe'])).stderr).toMatch(/--fail-on takes one of low, medium, high, critical/);
    expect((await ittmon(['scan', 'nope', '--config', 'examples/ittmon.yaml'])).stderr).toMatch(/no such file or directory: nope/);
    expect((await ittmon(['frobnicate'])).code).toBe(2);
    expect((await ittmon(['scan', 'x', '--bogus'])).code).toBe(2);
  });
  it('check prints what was loaded', async () => {
    const { code, stdout } = await ittmon(['check', '--config', 'examples/ittmon.yaml']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/10 people — 4 US persons, 6 foreign persons/);
    expect(stdout).toMatch(/hgv-cfd: Hypersonic glide vehicle CFD results \(TCP-2024-07\) — ITAR USML IV\(i\)/);
    expect(stdout).toMatch(/DSP5-123456: hgv-cfd → GB for p-004; expires 2027-12-31/);
    expect(stdout).toMatch(/github:nfu-ci-bot: nightly mirror/);
    expect(stdout).toMatch(/legacy-sync: old rsync job, retired; expires 2025-01-31 \(EXPIRED\)/);
  });
  it('lookup answers in text and JSON; unknown input is exit 2', async () => {
    const json = JSON.parse((await ittmon(['lookup', '3E001', 'CN', '--json'])).stdout);
    expect(json).toMatchObject({ classification: '3E001', jurisdiction: 'EAR', country: 'CN', licenseRequired: true, countryOfConcern: false });
    expect(json.reasons[0]).toEqual({ column: 'NS1', required: true, citation: 'Supp. No. 1 to part 738', basis: 'X in NS1 for China (Supp. No. 1 to part 738)' });
    expect((await ittmon(['lookup', 'USML XV(e)', 'United', 'Kingdom'])).stdout).toMatch(/^LICENSE REQUIRED: USML XV\(e\) \(ITAR\) to GB/);
    expect((await ittmon(['lookup', '3E001', 'GB', '--reasons', 'RS2'])).stdout).toMatch(/^no license required/);
    const bad = await ittmon(['lookup', '3E001', 'Atlantis']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/unknown country "Atlantis" — use an ISO 3166-1 alpha-2 code/)]);
    expect((await ittmon(['lookup', 'XXX(a)', 'CN'])).code).toBe(2);
  });
  it('the installed bin runs (npx ittmon lookup 3E001 CN)', () => {
    const out = execFileSync(process.execPath, [join(repoRoot, 'cli/bin.mjs'), 'lookup', '3E001', 'CN'], { encoding: 'utf8' });
    expect(out).toMatch(/LICENSE REQUIRED: 3E001 \(EAR\) to CN/);
  });
});
