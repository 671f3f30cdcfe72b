import { describe, expect, it } from 'vitest';
import { lookup } from '#cli/lookup.ts';
import type { Io } from '#cli/io.ts';

function run(args: string[]) {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, tty: false, cwd: '.', stdin: (async function* () {})() };
  const code = lookup(args, io);
  return { code, out, err };
}

describe('ittmon lookup: paragraph-aware, with hints', () => {
  it('9E515.f CN: the .f row cites §742.6(a)(9); rows for other paragraphs are shown as not reaching .f', () => {
    const { code, out } = run(['9E515.f', 'CN']);
    expect(code).toBe(0);
    expect(out).toMatch(/^LICENSE REQUIRED: 9E515\.f \(EAR\) to CN/);
    expect(out).toMatch(/X RS {7}RS \(§742\.6\(a\)\(9\)\)/);
    expect(out).toMatch(/- RS {7}RS \(§742\.6\(a\)\(7\)\) applies to only \.y, not to \.f/);
    expect(out).toMatch(/License exceptions \(hints: .*a hint never clears a flag\)/);
    expect(out).toMatch(/- TSR  §740\.6 +not available: items controlled for MT reasons may not use a license exception \(§740\.2\(a\)\(5\)\(i\)\)/);
  });
  it('9E515.y DE and 9E515.y CN differ by §742.6(a)(7)', () => {
    expect(run(['9E515.y', 'CN']).out).toMatch(/X RS {7}RS \(§742\.6\(a\)\(7\)\)/);
    expect(run(['9E515.y', 'DE']).out).toMatch(/- RS {7}RS \(§742\.6\(a\)\(7\)\): .* Germany is not/);
  });
  it('shows the deemed-export answer where a carve-out makes it differ, and --deemed asks it directly', () => {
    expect(run(['3E991', 'RU']).out).toMatch(/As a deemed export .*: no license required .*§746\.8\(a\)\(1\)/);
    expect(run(['3E991', 'RU', '--deemed']).out).toMatch(/^no license required: 3E991 \(EAR\) to RU as a deemed export/);
  });
  it('an eligible exception is marked as "may be available" with its conditions', () => {
    expect(run(['3E004', 'Japan']).out).toMatch(/\? TSR  §740\.6 +may be available if a written assurance/);
  });
  it('an ECCN that is subject to the ITAR is exit 2 with what to do', () => {
    const r = run(['9A005', 'CN']);
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/subject to the ITAR: classify the data under its USML category/)]);
  });
});
