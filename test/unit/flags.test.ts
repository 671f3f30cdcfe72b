import { describe, expect, it } from 'vitest';
import type { DatasetRule, Person } from '#shared/config/index.ts';
import { FlagAggregator, MAX_FLAG_EVENTS, flagId, lookBackText } from '#shared/flags/index.ts';
import type { AccessEvent, FlagReason } from '#shared/model/index.ts';
import { parseClassification } from '#shared/rules/index.ts';

// Built per call, not at load: a fixture that fails to build must fail a test, not the file.
const dataset = (): DatasetRule => ({ id: 'hgv-cfd', name: 'x', jurisdiction: 'ITAR', classification: parseClassification('IV(i)'), match: { paths: [], names: [], tags: {}, labels: [] } });
const person: Person = { id: 'p-002', name: 'Li Wei', accounts: ['github:lwei'], citizenships: ['CN'], usPerson: false, groups: [] };
const ev = (id: string, time: string, over: Partial<AccessEvent> = {}): AccessEvent => ({
  id, source: 'github', time, action: 'clone', release: true, actor: { candidates: ['github:lwei'] }, resource: { uri: 'github://acme/hgv' }, bytes: 10, origin: { file: 'f', line: 1 }, ...over,
});
const deemed: FlagReason = { code: 'DEEMED_EXPORT', country: 'CN', severity: 'critical', explanation: 'x' };
const unauthorized: FlagReason = { code: 'NOT_AUTHORIZED', severity: 'medium', explanation: 'y' };

describe('FlagAggregator', () => {
  it('one flag per actor × dataset × UTC day, with the deterministic id', () => {
    const a = new FlagAggregator();
    a.add(ev('1', '2025-03-01T23:59:59Z'), dataset(), person, [unauthorized], [], 'US');
    a.add(ev('2', '2025-03-01T00:00:00Z'), dataset(), person, [deemed], [], 'US');
    a.add(ev('3', '2025-03-02T00:00:00Z'), dataset(), person, [deemed], [], 'US');
    const flags = a.flags();
    expect(flags.map((f) => [f.day, f.eventCount, f.severity])).toEqual([['2025-03-01', 2, 'critical'], ['2025-03-02', 1, 'critical']]);
    expect(flags[0]!.id).toBe(flagId('p-002', 'hgv-cfd', '2025-03-01'));
    expect(flags[0]!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(flags[0]!.reasons.map((r) => r.code)).toEqual(['DEEMED_EXPORT', 'NOT_AUTHORIZED']);
    expect([flags[0]!.firstSeen, flags[0]!.lastSeen]).toEqual(['2025-03-01T00:00:00Z', '2025-03-01T23:59:59Z']);
    expect(flags[0]!.actor).toEqual({ key: 'p-002', person: 'p-002', name: 'Li Wei', accounts: ['github:lwei'] });
  });
  it('counts distinct event ids and their bytes once', () => {
    const a = new FlagAggregator();
    for (let i = 0; i < 3; i++) a.add(ev('same', '2025-03-01T01:00:00Z'), dataset(), person, [deemed], [], undefined);
    expect(a.flags()[0]).toMatchObject({ eventCount: 1, bytes: 10 });
  });
  it('keeps the first 20 events by time, whatever the arrival order', () => {
    const times = Array.from({ length: 50 }, (_, i) => `2025-03-01T00:${String(i).padStart(2, '0')}:00Z`);
    const interleaved = times.flatMap((_, i) => (i % 2 ? [] : [times[i]!, times[times.length - 1 - i]!]));
    const orders = { ascending: times, descending: [...times].reverse(), interleaved, 'late first': [...times.slice(25), ...times.slice(0, 25)] };
    for (const [name, order] of Object.entries(orders)) {
      const a = new FlagAggregator();
      for (const t of order) a.add(ev(`e${t}`, t), dataset(), person, [deemed], [], undefined);
      const [f] = a.flags();
      expect(f!.eventCount, name).toBe(50);
      expect(f!.events.map((e) => e.time), name).toEqual(times.slice(0, MAX_FLAG_EVENTS));
    }
  });
  it('anonymous actors are keyed by IP; unknown accounts by their native account', () => {
    const a = new FlagAggregator();
    a.add(ev('1', '2025-03-01T01:00:00Z', { actor: { candidates: [], anonymous: true }, ip: '1.2.3.4' }), dataset(), undefined, [deemed], [], undefined);
    a.add(ev('2', '2025-03-01T01:00:00Z', { actor: { candidates: [], anonymous: true } }), dataset(), undefined, [deemed], [], undefined);
    a.add(ev('3', '2025-03-01T01:00:00Z', { actor: { candidates: ['github:ghost', 'email:g@x'] } }), dataset(), undefined, [deemed], [], undefined);
    expect(a.flags().map((f) => f.actor.key).sort()).toEqual(['anonymous', 'anonymous:1.2.3.4', 'github:ghost']);
  });
  it('flags whose every finding a license cleared appear only when asked', () => {
    const a = new FlagAggregator();
    a.add(ev('1', '2025-03-01T01:00:00Z'), dataset(), person, [], [{ code: 'DEEMED_EXPORT', country: 'GB', license: 'DSP5-1', explanation: 'c' }], undefined);
    expect(a.flags()).toEqual([]);
    expect(a.flags(true)).toEqual([expect.objectContaining({ reasons: [], cleared: [expect.objectContaining({ license: 'DSP5-1' })] })]);
  });
});

describe('look-back labels and every event of an object', () => {
  it('a flag found on look-back says after which policy version and on which day; one whose record lacks them says so; a live flag says nothing', () => {
    expect(lookBackText({ foundBy: 'look-back', policyVersion: 'abc123def456', foundAt: '2026-11-29T09:00:00Z' })).toBe('raised on look-back after policy version abc123def456 on 2026-11-29');
    expect(lookBackText({ foundBy: 'look-back' })).toBe('raised on look-back after policy version (unknown) on (unknown date)');
    expect(lookBackText({ foundBy: 'live', policyVersion: 'abc123def456', foundAt: '2026-11-29T09:00:00Z' })).toBeUndefined();
    expect(lookBackText({})).toBeUndefined();
  });
  it('the aggregator labels its flags only when it is a look-back, with the version and time it was given', () => {
    const looked = new FlagAggregator({ lookBack: { policyVersion: 'v2', at: '2026-11-29T09:00:00Z' } });
    looked.add(ev('1', '2025-03-01T01:00:00Z'), dataset(), person, [deemed], [], 'US');
    expect(looked.flags()[0]).toMatchObject({ foundBy: 'look-back', policyVersion: 'v2', foundAt: '2026-11-29T09:00:00Z' });
    const live = new FlagAggregator();
    live.add(ev('1', '2025-03-01T01:00:00Z'), dataset(), person, [deemed], [], 'US');
    expect(live.flags()[0]).not.toHaveProperty('foundBy');
  });
  it('keeps every event of an object when asked (the store pages them), beyond the flag\'s sample of 20; otherwise none', () => {
    const all = new FlagAggregator({ keepAllEvents: true });
    const sample = new FlagAggregator();
    for (let i = 0; i < MAX_FLAG_EVENTS + 5; i++) {
      for (const a of [all, sample]) a.add(ev(`e${i}`, `2025-03-01T01:${String(i).padStart(2, '0')}:00Z`), dataset(), person, [deemed], [], 'US');
    }
    const [kept] = all.entries();
    expect(kept!.flag.events).toHaveLength(MAX_FLAG_EVENTS);
    expect(kept!.allEvents!.map((e) => e.id)).toEqual(Array.from({ length: MAX_FLAG_EVENTS + 5 }, (_, i) => `e${i}`));
    expect(sample.entries()[0]).not.toHaveProperty('allEvents');
  });
});
