import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPolicyFromDisk } from '#cli/policy.ts';
import { Scan, total, type Rejected } from '#shared/pipeline/index.ts';
import { bytes, examples } from '#test/helpers.ts';

/**
 * A file is judged whole when read from its start: if none of its records is in a known format,
 * it is one rejected record, "unrecognised file", with its size. Once a known record shows, the
 * unknown ones around it are rejected one by one, so a log with a few bad lines still says which.
 */
const policy = () => loadPolicyFromDisk(examples('ittmon.yaml'), '/');
const logLine = readFileSync(examples('logs/s3-access/nfu-aero-research-2026-10-14-00-00-00-5E1A7C9B3D2F4A6E.log'), 'utf8').split('\n')[0]!;
const junk = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `#### not a log line ${from + i} ####`);

async function scan(text: string, read: Parameters<Scan['add']>[2] = {}) {
  const rejected: Rejected[] = [];
  const run = new Scan(await policy(), { onReject: (r) => rejected.push(r) });
  const result = await run.add(bytes(text), 'notes.txt', read);
  const { records, events, skipped } = run.summary;
  expect(records).toBe(events + total(skipped) + total(run.summary.rejected)); // accounted for, always
  expect(result.counts.records).toBe(records);
  return { rejected, summary: run.summary, counts: result.counts };
}

describe('a file in no known format', () => {
  it('is rejected once, with its size and its record count, and counts as one record', async () => {
    const text = junk(3).join('\n') + '\n';
    const { rejected, summary } = await scan(text);
    expect(rejected).toEqual([expect.objectContaining({ file: 'notes.txt', line: 1, raw: '#### not a log line 0 ####', reason: expect.stringMatching(new RegExp(`^unrecognised file: ${Buffer.byteLength(text)} bytes, 3 records and none in a known log format \\(tried s3-access, .*box\\)$`)) })]);
    expect(summary).toMatchObject({ records: 1, events: 0, rejected: { 'unrecognised file': 1 } });
  });

  it('says "1 record" for a one-line file, and still names it once', async () => {
    const { rejected } = await scan('remember to rotate the logs');
    expect(rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/^unrecognised file: 27 bytes, 1 record and none/)]);
  });

  it('rejects unknown lines one by one once a known record shows, whether they come before it or after it', async () => {
    const { rejected, summary } = await scan([...junk(2), logLine, ...junk(1, 2)].join('\n'));
    expect(rejected.map((r) => [r.line, r.reason.split(' (')[0]])).toEqual([[1, 'not a recognised log format'], [2, 'not a recognised log format'], [4, 'not a recognised log format']]);
    expect(summary).toMatchObject({ records: 4, events: 1 });
  });

  it('holds at most 1,000 unknown records in full before a known one; the rest are counted, not kept, and still add up', async () => {
    const { rejected, summary } = await scan([...junk(1_500), logLine].join('\n'));
    expect(rejected).toHaveLength(1_001);
    expect(rejected[999]).toMatchObject({ line: 1_000 });
    expect(rejected[1_000]).toMatchObject({ line: 1_001, records: 500, reason: expect.stringMatching(/^not a recognised log format \(tried .*\): 500 more records before the first known one, counted but not kept$/) });
    expect(summary).toMatchObject({ records: 1_501, events: 1 });
    expect(total(summary.rejected)).toBe(1_500);
  });

  it('is not judged whole when the read resumes mid-file: the earlier part may have been a log', async () => {
    const text = [logLine, ...junk(2)].join('\n');
    const start = { bytes: Buffer.byteLength(logLine) + 1, line: 1 };
    const rest = text.slice(start.bytes);
    const { rejected } = await scan(rest, { start });
    expect(rejected.map((r) => [r.line, r.reason.split(' (')[0]])).toEqual([[2, 'not a recognised log format'], [3, 'not a recognised log format']]);
  });

  it('is rejected line by line when the read stops early, since the rest is not yet known', async () => {
    let lines = 0;
    const { rejected } = await scan(junk(5).join('\n') + '\n', { stop: () => ++lines > 3, // asked from the second line on: four are read
      progress: { bytes: 0, line: 0, stopped: false } });
    expect(rejected.map((r) => [r.line, r.reason.split(' (')[0]])).toEqual([1, 2, 3, 4].map((line) => [line, 'not a recognised log format']));
  });
});
