import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '#test/helpers.ts';
import { STACK } from './cli.ts';

/**
 * `npm pack` makes the tarball `npm install -g` installs. Unpacked away from the checkout, beside
 * the dependencies npm would install (here: this clone's node_modules, as no registry is reachable
 * in tests), its `ittmon` must run with no TypeScript sources and no tsx: the rules data, the geo
 * database and the store all found.
 */
describe('ittmon installed from a packed tarball, outside the checkout', () => {
  it('packs the compiled CLI and no sources, and runs lookup, check, scan (geo-IP placed) and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ittmon-install-'));
    // The build is fresh (vitest's global setup); --ignore-scripts keeps prepare from rebuilding it under other tests.
    const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
    const [packed] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['cli/bin.mjs', 'dist/ittmon.mjs', 'package.json', 'README.md']));
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);

    const prefix = join(dir, 'lib');
    mkdirSync(prefix);
    execFileSync('tar', ['xzf', join(dir, packed!.filename), '-C', prefix]);
    symlinkSync(join(repoRoot, 'node_modules'), join(prefix, 'node_modules'), 'dir');
    const bin = join(prefix, 'package', 'cli', 'bin.mjs');
    expect(existsSync(join(prefix, 'package', 'cli', 'main.ts'))).toBe(false);

    const work = join(dir, 'work');
    cpSync(join(repoRoot, 'examples'), join(work, 'examples'), { recursive: true });
    const ittmon = (...args: string[]) => {
      try {
        return { code: 0, out: execFileSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
      } catch (e) {
        const err = e as { status: number; stdout: string; stderr: string };
        return { code: err.status, out: err.stdout + err.stderr };
      }
    };
    expect(ittmon('lookup', '3E001', 'CN')).toEqual({ code: 0, out: expect.stringMatching(/^LICENSE REQUIRED: 3E001 \(EAR\) to CN/) });
    expect(ittmon('check', '--config', 'examples/ittmon.yaml').out).toMatch(/examples\/ittmon\.yaml: OK/);
    const scan = ittmon('scan', 'examples/logs', '--config', 'examples/ittmon.yaml', '--store', 'st', '--json');
    expect(scan.code).toBe(0);
    // 114.114.114.114 is placed in CN by the bundled geo database, not by a configured network
    expect(scan.out).toContain('"key":"anonymous:114.114.114.114"');
    expect(scan.out).toMatch(/"code":"FOREIGN_LOCATION","country":"CN"/);
    const flags = ittmon('flags', '--store', 'st');
    expect(flags.code).toBe(0);
    expect(flags.out).not.toMatch(STACK);
    expect(readdirSync(join(work, 'st'))).toContain('dynalite');
  });
});
