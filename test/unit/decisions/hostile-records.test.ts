import { describe, expect, it } from 'vitest';
import { windows } from '#shared/sources/windows/index.ts';
import { handled } from '#test/helpers.ts';

// JSON can carry an own "toString" that is not a function: String() of such a value throws.
describe('hostile JSON values', () => {
  it('a Winlogbeat event_data value that cannot be made a string is dropped, not thrown', () => {
    const record = JSON.parse('{"winlog":{"event_id":4663,"time_created":"2026-10-15T09:00:01Z","event_data":{"AccessMask":"0x1","ObjectName":{"toString":0}}}}');
    expect(handled(windows.parse(record, { file: 'f', line: 1 }))).toBe('reject');
    const other = JSON.parse('{"winlog":{"event_id":4663,"event_data":{"x":{"toString":0},"AccessMask":"0x1"}}}');
    expect(windows.parse(other, { file: 'f', line: 1 })).toEqual({ kind: 'reject', reason: 'Windows event 4663 without TimeCreated' });
  });
});
