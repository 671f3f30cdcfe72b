import { describe, expect, it } from 'vitest';
import { parseIngestMessage } from '#shared/ingest/index.ts';

/** A replay message as the state machine sends it: the listed item, the window, the look-back. */
const message = (item: Record<string, unknown>) => JSON.stringify({ replay: { bucket: 'nfu-logs', key: 'AWSLogs/2026/11/01/a b+c.log', etag: '"9b2cf535f27731c974343645a3985328"', size: 120, since: '2026-11-01T00:00:00Z', until: '2026-11-02T00:00:00Z', lookBack: null, ...item } });

describe('replay messages (backfill and look-back) on the ingest queue', () => {
  it('name the object as listed: the key is not URL-decoded, the etag loses its quotes', () => {
    expect(parseIngestMessage(message({ lastModified: '2026-11-01T10:00:00.000Z' }))).toEqual([{ ref: { bucket: 'nfu-logs', key: 'AWSLogs/2026/11/01/a b+c.log', etag: '9b2cf535f27731c974343645a3985328', size: 120 } }]);
  });

  it('keep objects modified from `since` (inclusive) until `until` (exclusive), whether the time is ISO or epoch seconds', () => {
    const since = Date.parse('2026-11-01T00:00:00Z') / 1000;
    expect(parseIngestMessage(message({ lastModified: since }))).toHaveLength(1);
    expect(parseIngestMessage(message({ lastModified: since - 1 }))).toEqual([]);
    expect(parseIngestMessage(message({ lastModified: '2026-11-01T23:59:59.999Z' }))).toHaveLength(1);
    expect(parseIngestMessage(message({ lastModified: '2026-11-02T00:00:00.000Z' }))).toEqual([]);
    expect(parseIngestMessage(message({ lastModified: '2026-10-31T23:59:59Z' }))).toEqual([]);
  });

  it('without a window or a time, every listed object is read', () => {
    expect(parseIngestMessage(message({ since: undefined, until: undefined, lastModified: '1999-01-01T00:00:00Z' }))).toHaveLength(1);
    expect(parseIngestMessage(message({ lastModified: undefined }))).toHaveLength(1);
  });

  it('a message without a key is an error (the message fails alone)', () => {
    expect(() => parseIngestMessage(message({ key: '' }))).toThrow('replay message without bucket or key');
  });
});
