import { brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import eccn from '#shared/rules/data/eccn.json' with { type: 'json' };
import packed from '#shared/rules/data/eccn-packed.ts';
import { eccnEntry, eccnTable, RulesError } from '#shared/rules/index.ts';
import { packTable } from '../../scripts/generate-eccn.ts';

// The functions carry the ECCN table packed (data/eccn-packed.ts) and unpack it on first use; the
// reviewed form is data/eccn.json. Both are written by scripts/generate-eccn.ts.
describe('the packed ECCN table', () => {
  it('is data/eccn.json exactly: a table regenerated or edited without its packed form fails here', () => {
    expect(JSON.parse(JSON.stringify(eccnTable))).toEqual(eccn.eccns);
    expect(Object.keys(eccnTable)).toEqual(Object.keys(eccn.eccns));
  });
  it('round-trips what the generator packs, for another table too', () => {
    const other = { eccns: { '9E003': { ...eccn.eccns['3E001'], title: 'Other “quoted” title — with non-ASCII' } } } as never;
    const text = /export default '([A-Za-z0-9+/=]+)';/.exec(packTable(other))![1]!;
    expect(JSON.parse(brotliDecompressSync(Buffer.from(text, 'base64')).toString('utf8'))).toEqual((other as { eccns: unknown }).eccns);
    expect(packTable(eccn as never)).toContain(packed);
  });
  it('answers lookups as a plain object would: present, absent, and `in`', () => {
    expect(eccnTable['3E001']!.controls).toEqual(['NS', 'MT', 'NP', 'RS', 'AT']);
    expect(eccnTable['9Z999']).toBeUndefined();
    expect('0A501' in eccnTable).toBe(true);
    expect('9Z999' in eccnTable).toBe(false);
    expect(Object.hasOwn(eccnTable, '0A501')).toBe(true);
    expect(() => eccnEntry('9Z999')).toThrow(RulesError);
  });
  it('cannot be changed by a caller', () => {
    expect(() => { (eccnTable as Record<string, unknown>)['3E001'] = undefined; }).toThrow(TypeError);
    expect(() => { delete (eccnTable as Record<string, unknown>)['3E001']; }).toThrow(TypeError);
    expect(eccnTable['3E001']).toBeDefined();
  });
});
