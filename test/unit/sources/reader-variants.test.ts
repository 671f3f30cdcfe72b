import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readRecords } from '#shared/read/records.ts';
import type { ReadItem } from '#shared/read/envelopes.ts';
import { bytes, readAll } from '#test/helpers.ts';

/** How the reader meets files as they arrive: syslog framing, Samba's own log, binary and UTF-16 files, files with nothing in them. */
const show = (items: ReadItem[]) => items.map((i) => (i.kind === 'record' ? i.record : `${i.kind}: ${i.reason}`));

describe('a file whose first line starts with "<" or "[" is not always XML or JSON', () => {
  it('syslog lines with <PRI> (RFC 3164 and RFC 5424) are text lines, one record each', async () => {
    expect(show(await readAll('<13>Sep 23 10:00:00 fs1 smbd_audit: a|b\n<166>1 2020-10-01T15:19:54+02:00 host smbd_audit 3683 - - a|b\n'))).toEqual([
      '<13>Sep 23 10:00:00 fs1 smbd_audit: a|b',
      '<166>1 2020-10-01T15:19:54+02:00 host smbd_audit 3683 - - a|b',
    ]);
  });
  it('Windows event XML still is XML (the second case)', async () => {
    const items = await readAll('<Events>\n<Event xmlns="x"><System><EventID>5145</EventID></System></Event>\n</Events>\n');
    expect(items.map((i) => i.kind)).toEqual(['record']);
  });
  it("Samba's log file: a header and its indented lines are one record; a one-line message is one record", async () => {
    const text = '[2026/10/15 09:00:01.123456,  0] ../../source3/modules/vfs_full_audit.c:716(do_log)\n  a|b|openat|ok|r|x\n[2026/10/15 09:00:02,  0] a|b|openat|ok|r|y\n';
    const items = await readAll(text);
    expect(show(items)).toEqual(['[2026/10/15 09:00:01.123456,  0] ../../source3/modules/vfs_full_audit.c:716(do_log)\n  a|b|openat|ok|r|x', '[2026/10/15 09:00:02,  0] a|b|openat|ok|r|y']);
    expect(items.map((i) => i.origin.line)).toEqual([1, 3]);
  });
  it('a JSON array that starts with "[" is still JSON', async () => {
    expect(show(await readAll('[{"a":1},\n{"b":2}]'))).toEqual([{ a: 1 }, { b: 2 }]);
  });
  it('a reader asked to stop never stops between a Samba header and its lines, and resumes after the whole message', async () => {
    const text = '[2026/10/15 09:00:01,  0] f.c:1(do_log)\n  one\n[2026/10/15 09:00:02,  0] f.c:1(do_log)\n  two\n';
    const progress = { bytes: 0, line: 0, stopped: false };
    const first: ReadItem[] = [];
    for await (const i of readRecords(bytes(text), 'f', { progress, stop: () => true })) first.push(i);
    expect(show(first)).toEqual(['[2026/10/15 09:00:01,  0] f.c:1(do_log)\n  one']);
    expect(progress).toMatchObject({ stopped: true, line: 2, bytes: text.indexOf('[2026/10/15 09:00:02') });
    const rest: ReadItem[] = [];
    for await (const i of readRecords(bytes(text.slice(progress.bytes)), 'f', { start: { bytes: progress.bytes, line: progress.line } })) rest.push(i);
    expect(show(rest)).toEqual(['[2026/10/15 09:00:02,  0] f.c:1(do_log)\n  two']);
  });
});

describe('a file never passes silently as zero records', () => {
  it.each([
    ['', 'unrecognised file: 0 bytes and no log record in it (an empty file)'],
    ['\n\n   \n', 'unrecognised file: 6 bytes and no log record in it (only blank lines)'],
    ['<?xml version="1.0"?>\n<catalog><book id="1"/></catalog>\n', 'unrecognised file: 56 bytes and no log record in it (XML without Windows <Event> elements)'],
  ])('%j is reported once, with its size', async (text, reason) => {
    expect(show(await readAll(text))).toEqual([`reject: ${reason}`]);
  });
  it('an empty gzip member is reported too', async () => {
    expect(show(await readAll(gzipSync('')))).toEqual(['reject: unrecognised file: 0 bytes and no log record in it (an empty file)']);
  });
});

describe('binary files are rejected once, as binary', () => {
  it('random bytes with NULs: one reject with the size, not one per line', async () => {
    const data = Buffer.alloc(50_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    for (let i = 0; i < data.length; i += 97) data[i] = 0x0a;
    expect(show(await readAll(data))).toEqual(['reject: binary file (50000 bytes): not text, so not a log this tool reads (S3 access logs, JSON, XML or syslog text)']);
  });
  it.each([
    [Buffer.concat([Buffer.from('ElfFile\0'), Buffer.alloc(100)]), /binary file \(108 bytes\): a Windows \.evtx file: export it as XML/],
    [Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('x\n'.repeat(10))]), /binary file \(24 bytes\): a zip archive/],
    [Buffer.concat([Buffer.from('BZh91AY&SY'), Buffer.alloc(10)]), /bzip2-compressed: only gzip is read/],
  ])('a known format is named, with what to do', async (data, reason) => {
    const items = await readAll(data);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'reject', reason: expect.stringMatching(reason) });
  });
  it('a gzipped binary file is rejected the same way', async () => {
    expect(show(await readAll(gzipSync(Buffer.alloc(3000))))).toEqual(['reject: binary file (3000 bytes): not text, so not a log this tool reads (S3 access logs, JSON, XML or syslog text)']);
  });
});

describe('UTF-16 text (PowerShell, Event Viewer exports) is read as text', () => {
  const lines = '{"a":1}\n{"b":"é"}\n';
  it('little-endian with a byte-order mark', async () => {
    expect(show(await readAll(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lines, 'utf16le')])))).toEqual([{ a: 1 }, { b: 'é' }]);
  });
  it('big-endian with a byte-order mark, split across chunks mid-character', async () => {
    const le = Buffer.from(lines, 'utf16le');
    const be = Buffer.alloc(le.length);
    for (let i = 0; i < le.length; i += 2) { be[i] = le[i + 1]!; be[i + 1] = le[i]!; }
    const all = Buffer.concat([Buffer.from([0xfe, 0xff]), be]);
    const items: ReadItem[] = [];
    for await (const i of readRecords(bytes(all.subarray(0, 5), all.subarray(5)), 'f')) items.push(i);
    expect(show(items)).toEqual([{ a: 1 }, { b: 'é' }]);
  });
});
