import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '#test/helpers.ts';
import { GitHubApi, times } from './apis.ts';

const run = promisify(execFile);
let github: GitHubApi;

/** `ittmon ARGS` as a user runs it: a child process, its exit code and what it printed. */
async function ittmon(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'cli/bin.mjs'), ...args], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  github = await new GitHubApi().start();
  github.events = times('2026-11-19T08:00:00Z', 5, 30).map((t, i) => ({ '@timestamp': Date.parse(t), _document_id: `cli-${i}`, action: 'git.clone', actor: 'lwei', org: 'acme', repo: 'nfu-aero/hgv-solver', repository: 'nfu-aero/hgv-solver', transport_protocol_name: 'http', business: 'nfu', created_at: Date.parse(t) }));
});
afterAll(async () => { await github?.stop(); });

// Each command is a fresh process, as a user runs it: allow for a slow, busy machine.
describe('ittmon collect', { timeout: 240_000 }, () => {
  it('collects into a directory that ittmon scan reads, and a second run continues from the checkpoint', async () => {
    const out = mkdtempSync(join(tmpdir(), 'collect-cli-'));
    const env = { ITTMON_GITHUB_ORG: 'acme', ITTMON_GITHUB_TOKEN: 'ghp_test', ITTMON_GITHUB_API_URL: github.url };
    const first = await ittmon(['collect', 'github', '--since', '2026-11-18', '--out', out], env);
    expect(first.stderr).toMatch(/^github: 5 records in 3 pages written to /m);
    expect(first.code).toBe(0);
    expect(readdirSync(join(out, '.ittmon'))).toEqual(['collect-github.json']);
    const scan = await ittmon(['scan', out, '--config', 'examples/ittmon.yaml'], {});
    expect(scan.code).toBe(0);
    expect(scan.stderr).toMatch(/5 records → 5 events/);
    const second = await ittmon(['collect', 'github', '--out', out], env);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/^github: 1 record in 1 page/m); // the boundary record, asked again from its time
    expect((await ittmon(['scan', out, '--config', 'examples/ittmon.yaml'], {})).stderr).toMatch(/5 records → 5 events/); // same object: not counted twice
  });

  it('names each missing variable, and exits 2 without a stack trace', async () => {
    const res = await ittmon(['collect', 'box', '--out', mkdtempSync(join(tmpdir(), 'c-'))], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('ITTMON_BOX_CLIENT_ID: missing');
    expect(res.stderr).toContain('ITTMON_BOX_ENTERPRISE_ID: missing');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('a refused token says so and exits 2', async () => {
    const res = await ittmon(['collect', 'github', '--since', '2026-11-18', '--out', mkdtempSync(join(tmpdir(), 'c-'))], { ITTMON_GITHUB_ORG: 'acme', ITTMON_GITHUB_TOKEN: 'ghp_wrong', ITTMON_GITHUB_API_URL: github.url });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/github: the API refused the credential \(401\)/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects an unknown source and a bad --since', async () => {
    const a = await ittmon(['collect', 'dropbox', '--out', 'x'], {});
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('collect takes one of m365, gdrive, box, github, gitlab, not "dropbox"');
    const b = await ittmon(['collect', 'github', '--since', 'yesterday', '--out', 'x'], { ITTMON_GITHUB_ORG: 'acme', ITTMON_GITHUB_TOKEN: 't' });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--since takes an ISO date or time');
  });
});
