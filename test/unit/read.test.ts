import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitLines } from '#shared/read/lines.ts';
import { readRecords } from '#shared/read/records.ts';
import { bytes, readAll } from '#test/helpers.ts';

const collect = async <T>(it: AsyncIterable<T>) => { const out: T[] = []; for await (const x of it) out.push(x); return out; };

describe('splitLines', () => {
  it('splits across chunk boundaries, drops CR, numbers lines', async () => {
    const lines = await collect(splitLines(bytes('ab', 'c\r\nde', '\n', 'f')));
    expect(lines).toEqual([{ text: 'abc', line: 1, end: 5 }, { text: 'de', line: 2, end: 8 }, { text: 'f', line: 3, end: 9 }]);
  });
  it('reports an over-long line by its length without keeping it', async () => {
    const lines = await collect(splitLines(bytes('x'.repeat(50), '\nok\n'), 10));
    expect(lines).toEqual([{ text: '', line: 1, end: 51, tooLong: 50 }, { text: 'ok', line: 2, end: 54 }]);
  });
  it('decodes invalid UTF-8 as replacement characters', async () => {
    const [l] = await collect(splitLines(bytes(Buffer.from([0x61, 0xff, 0xfe, 0x62]))));
    expect(l!.text).toBe('a\ufffd\ufffdb');
  });
  it('starts from a checkpoint: byte offsets and line numbers continue', async () => {
    expect(await collect(splitLines(bytes('xy\nz\n'), 100, { bytes: 1000, line: 40 }))).toEqual([{ text: 'xy', line: 41, end: 1003 }, { text: 'z', line: 42, end: 1005 }]);
    expect(await collect(splitLines(bytes('skip\nkeep\n'), 100, { bytes: 5, line: 1 }, 5))).toEqual([{ text: 'keep', line: 2, end: 10 }]);
  });
  it('loses no byte, whatever the chunking (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), async (chunks) => {
      const joined = Buffer.concat(chunks.map((c) => Buffer.from(c)));
      const lines = await collect(splitLines(bytes(...chunks.map((c) => Buffer.from(c)))));
      const expected = joined.toString('latin1').split('\n');
      if (expected.at(-1) === '') expected.pop();
      expect(lines).toHaveLength(expected.length);
      if (lines.length) expect(lines.at(-1)!.end).toBe(joined.length);
    }), { numRuns: 200 });
  });
});

describe('readRecords: every record comes out as exactly one item', () => {
  it('text lines, skipping blank lines', async () => {
    expect((await readAll('a b c\n\n  \nd e f\n')).map((i) => i.kind === 'record' && i.record)).toEqual(['a b c', 'd e f']);
  });
  it('JSON lines, rejecting a broken line by number', async () => {
    const items = await readAll('{"a":1}\n{"b":\n{"c":3}\n');
    expect(items.map((i) => i.kind)).toEqual(['record', 'reject', 'record']);
    expect(items[1]).toMatchObject({ origin: { line: 2 }, reason: expect.stringMatching(/^not valid JSON in a JSON-lines file/) });
  });
  it('JSON lines whose first line is broken keep the rest', async () => {
    const items = await readAll('{"a":\n{"b":2}\n{"c":3}\n');
    expect(items.map((i) => i.kind)).toEqual(['reject', 'record', 'record']);
  });
  it('a pretty-printed document with Records, numbered by position', async () => {
    const items = await readAll(JSON.stringify({ Records: [{ a: 1 }, { b: 2 }] }, null, 2));
    expect(items.map((i) => i.kind === 'record' && i.origin)).toEqual([{ file: 'test.log', line: 1, index: 0 }, { file: 'test.log', line: 1, index: 1 }]);
  });
  it('an API page array, and Kinesis/Firehose records with base64 gzip data', async () => {
    const data = gzipSync(JSON.stringify({ messageType: 'DATA_MESSAGE', logEvents: [{ id: '1', timestamp: 1, message: '{"x":1}' }, { id: '2', timestamp: 2, message: 'plain text' }] })).toString('base64');
    const items = await readAll(JSON.stringify({ records: [{ recordId: 'r1', data }] }));
    expect(items.map((i) => i.kind === 'record' && i.record)).toEqual([{ x: 1 }, 'plain text']);
  });
  it('JSON values that are not objects are rejected', async () => {
    expect((await readAll('[1, "a", null]')).map((i) => i.kind === 'reject' && i.reason)).toEqual(['a JSON number is not a log record', 'a JSON string is not a log record', 'a JSON null is not a log record']);
  });
  it('gzip is read transparently; a truncated gzip keeps what was read and says so', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    const gz = gzipSync(text);
    expect(await readAll(gz)).toHaveLength(2000);
    const items = await readAll(gz.subarray(0, gz.length - 200));
    const last = items.at(-1)!;
    expect(last).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/unreadable after line \d+: .*truncated or corrupt/) });
    expect(items.filter((i) => i.kind === 'record').length).toBeGreaterThan(1000);
  });
  it('a document over the size limit is rejected, not held', async () => {
    const items: unknown[] = [];
    for await (const i of readRecords(bytes('{\n', '"a": "', 'x'.repeat(5000), '"\n}'), 'f', { maxRecordBytes: 1000 })) items.push(i);
    expect(items).toEqual([expect.objectContaining({ kind: 'reject', reason: expect.stringMatching(/over the 1000-byte limit/) })]);
  });
  it('never throws on random bytes (fuzz)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.boolean(), async (data, gz) => {
      const input = gz ? gzipSync(Buffer.from(data)).subarray(0, Math.max(2, data.length)) : Buffer.from(data);
      const items = await readAll(input);
      for (const i of items) expect(['record', 'skip', 'reject']).toContain(i.kind);
    }), { numRuns: 200 });
  });
});
