import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '#test/helpers.ts';
import { ittmonProcess as run, STACK } from './cli.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'ittmon-readme-'));

describe('the README, run as a new user runs it', () => {
  it('quick start and commands: no stack trace anywhere', async () => {
    const dir = tmp();
    cpSync(join(repoRoot, 'examples'), join(dir, 'examples'), { recursive: true });
    const commands = [
      ['scan', 'examples/logs', '--config', 'examples/ittmon.yaml', '--store', '.ittmon'],
      ['serve', '--config', 'examples/ittmon.yaml', '--store', '.ittmon', '--if-interactive'],
      ['check', '--config', 'examples/ittmon.yaml'],
      ['lookup', '3E001', 'CN'], ['lookup', 'USML XV(e)', 'GB'], ['lookup', 'EAR99', 'SY', '--json'],
      ['flags', '--store', '.ittmon'], ['flags', '--store', '.ittmon', '--status', 'open', '--json'], ['flags', '--store', '.ittmon', '--objects'],
      ['check'], ['scan', 'nowhere'], ['flags'], ['lookup', '3E001'],
    ];
    for (const args of commands) {
      const r = await run(args, { cwd: dir });
      expect(r.stderr, args.join(' ')).not.toMatch(STACK);
      expect(r.stderr, args.join(' ')).not.toMatch(/unexpected error/);
      expect([0, 2], args.join(' ')).toContain(r.code);
    }
  }, 180_000);
});
