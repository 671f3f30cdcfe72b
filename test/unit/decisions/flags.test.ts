import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DatasetRule, Person } from '#shared/config/index.ts';
import { FlagAggregator, MAX_FLAG_EVENTS, actorKey, flagId } from '#shared/flags/index.ts';
import type { AccessEvent, ClearedReason, FlagReason } from '#shared/model/index.ts';
import { parseClassification } from '#shared/rules/index.ts';

// Fixtures are built inside the tests (not in a describe body): Stryker activates a mutant only once tests run.
const dataset = (id = 'hgv-cfd', classification = 'IV(i)'): DatasetRule => ({
  id, name: id, jurisdiction: 'ITAR', classification: parseClassification(classification), match: { paths: [], names: [], tags: {}, labels: [] },
});
const li: Person = { id: 'p-002', name: 'Li Wei', accounts: ['github:lwei'], citizenships: ['CN', 'RU'], usPerson: false, groups: [] };
const ana: Person = { id: 'p-001', name: 'Ana Ruiz', accounts: ['github:aruiz'], citizenships: ['MX'], usPerson: false, groups: [] };
const ev = (id: string, time: string, over: Partial<AccessEvent> = {}): AccessEvent => ({
  id, source: 'github', time, action: 'clone', release: true, actor: { candidates: ['github:lwei'] }, resource: { uri: 'github://acme/hgv' }, origin: { file: 'f', line: 1 }, ...over,
});
const deemed = (country: string): FlagReason => ({ code: 'DEEMED_EXPORT', country, severity: 'critical', explanation: `deemed export to ${country}` });
const cleared = (country: string, license = 'DSP5-1'): ClearedReason => ({ code: 'DEEMED_EXPORT', country, license, explanation: `cleared for ${country}` });
const notAuthorized: FlagReason = { code: 'NOT_AUTHORIZED', severity: 'medium', explanation: 'not on the TCP list' };
const unknownAccount: FlagReason = { code: 'UNKNOWN_ACCOUNT', severity: 'high', explanation: 'no one' };

describe('flag reasons and cleared findings', () => {
  it("a dual national's two DEEMED_EXPORT reasons stay two, in one event or across two", () => {
    const one = new FlagAggregator();
    one.add(ev('1', '2025-03-01T01:00:00Z'), dataset(), li, [deemed('CN'), deemed('RU')], [], undefined);
    expect(one.flags()[0]!.reasons.map((r) => [r.code, r.country])).toEqual([['DEEMED_EXPORT', 'CN'], ['DEEMED_EXPORT', 'RU']]);
    const two = new FlagAggregator();
    two.add(ev('1', '2025-03-01T01:00:00Z'), dataset(), li, [deemed('RU')], [], undefined);
    two.add(ev('2', '2025-03-01T02:00:00Z'), dataset(), li, [deemed('CN')], [], undefined);
    expect(two.flags()[0]!.reasons.map((r) => r.country)).toEqual(['CN', 'RU']);
  });
  it('the same reason from a second event is kept once; a country-less reason is not merged with a country one', () => {
    const a = new FlagAggregator();
    a.add(ev('1', '2025-03-01T01:00:00Z'), dataset(), li, [deemed('CN'), notAuthorized], [], undefined);
    a.add(ev('2', '2025-03-01T02:00:00Z'), dataset(), li, [{ ...deemed('CN'), explanation: 'second' }, { ...notAuthorized, explanation: 'second' }], [], undefined);
    expect(a.flags()[0]!.reasons).toEqual([deemed('CN'), notAuthorized]); // the first explanation stays
  });
  it('two cleared findings for two countries stay two; the same one twice is kept once', () => {
    const a = new FlagAggregator();
    a.add(ev('1', '2025-03-01T01:00:00Z'), dataset(), li, [], [cleared('CN'), cleared('RU', 'DSP5-2')], undefined);
    a.add(ev('2', '2025-03-01T02:00:00Z'), dataset(), li, [], [{ ...cleared('CN'), explanation: 'second' }], undefined);
    expect(a.flags(true)[0]!.cleared).toEqual([cleared('CN'), cleared('RU', 'DSP5-2')]);
  });
  it('a flag whose findings were all cleared is low and appears only when asked, from flags() and entries()', () => {
    const a = new FlagAggregator();
    a.add(ev('1', '2025-03-01T01:00:00Z'), dataset(), li, [], [cleared('CN')], undefined);
    expect(a.flags()).toEqual([]);
    expect(a.entries()).toEqual([]);
    expect(a.entries(true).map((e) => e.flag.severity)).toEqual(['low']);
    expect(a.flags(true)[0]).not.toHaveProperty('reasons.0');
    const b = new FlagAggregator();
    b.add(ev('1', '2025-03-01T01:00:00Z'), dataset(), li, [deemed('CN')], [], undefined);
    expect(b.flags()[0]).not.toHaveProperty('cleared'); // no empty list when nothing was cleared
  });
});

describe('flag actor', () => {
  it('an account that is neither anonymous nor named is "unknown"; a person wins over the account', () => {
    expect(actorKey(ev('1', 't', { actor: { candidates: [] } }), undefined)).toBe('unknown');
    expect(actorKey(ev('1', 't', { actor: { candidates: [] } }), li)).toBe('p-002');
    expect(actorKey(ev('1', 't', { actor: { candidates: [], anonymous: true }, ip: '1.2.3.4' }), undefined)).toBe('anonymous:1.2.3.4');
  });
  it('accounts: each native account once, sorted; anonymous events add none', () => {
    const a = new FlagAggregator();
    a.add(ev('1', '2025-03-01T01:00:00Z', { actor: { candidates: ['github:zz-li', 'email:li@x'] } }), dataset(), li, [deemed('CN')], [], undefined);
    a.add(ev('2', '2025-03-01T02:00:00Z', { actor: { candidates: ['github:lwei'] } }), dataset(), li, [deemed('CN')], [], undefined);
    a.add(ev('3', '2025-03-01T03:00:00Z', { actor: { candidates: ['github:zz-li'] } }), dataset(), li, [deemed('CN')], [], undefined);
    expect(a.flags()[0]!.actor).toEqual({ key: 'p-002', person: 'p-002', name: 'Li Wei', accounts: ['github:lwei', 'github:zz-li'] });
    const anon = new FlagAggregator();
    anon.add(ev('1', '2025-03-01T01:00:00Z', { actor: { candidates: [], anonymous: true } }), dataset(), undefined, [deemed('CN')], [], undefined);
    expect(anon.flags()[0]!.actor).toEqual({ key: 'anonymous', accounts: [] });
  });
});

describe('flag events', () => {
  it('firstSeen and lastSeen are the earliest and latest times, whatever the arrival order', () => {
    const times = ['2025-03-01T05:00:00Z', '2025-03-01T01:00:00Z', '2025-03-01T09:00:00Z', '2025-03-01T03:00:00Z'];
    for (const order of [times, [...times].reverse(), [...times].sort(), [times[2]!, times[0]!, times[1]!, times[3]!]]) {
      const a = new FlagAggregator();
      for (const t of order) a.add(ev(t, t), dataset(), li, [deemed('CN')], [], undefined);
      const [f] = a.flags();
      expect([f!.firstSeen, f!.lastSeen], order.join()).toEqual(['2025-03-01T01:00:00Z', '2025-03-01T09:00:00Z']);
    }
  });
  it('an event summary carries name, IP, country and bytes only when known (0 bytes are bytes)', () => {
    const a = new FlagAggregator();
    a.add(ev('bare', '2025-03-01T01:00:00Z'), dataset(), li, [deemed('CN')], [], undefined);
    a.add(ev('full', '2025-03-01T02:00:00Z', { ip: '198.51.100.9', bytes: 0, resource: { uri: 'github://acme/hgv', name: 'hgv' } }), dataset(), li, [deemed('CN')], [], 'CN');
    expect(a.flags()[0]!.events).toStrictEqual([
      { id: 'bare', source: 'github', time: '2025-03-01T01:00:00Z', action: 'clone', resource: 'github://acme/hgv' },
      { id: 'full', source: 'github', time: '2025-03-01T02:00:00Z', action: 'clone', resource: 'github://acme/hgv', name: 'hgv', ip: '198.51.100.9', country: 'CN', bytes: 0 },
    ]);
    expect(a.flags()[0]!.bytes).toBe(0);
  });
  it('bytes add up over distinct events; a missing byte count adds nothing', () => {
    const a = new FlagAggregator();
    a.add(ev('1', '2025-03-01T01:00:00Z', { bytes: 100 }), dataset(), li, [deemed('CN')], [], undefined);
    a.add(ev('2', '2025-03-01T02:00:00Z'), dataset(), li, [deemed('CN')], [], undefined);
    a.add(ev('3', '2025-03-01T03:00:00Z', { bytes: 20 }), dataset(), li, [deemed('CN')], [], undefined);
    expect(a.flags()[0]).toMatchObject({ bytes: 120, eventCount: 3 });
  });
  it('events at the same second are ordered by id, whichever arrives first', () => {
    for (const order of [['b', 'a', 'c'], ['c', 'b', 'a'], ['a', 'c', 'b']]) {
      const a = new FlagAggregator();
      for (const id of order) a.add(ev(id, '2025-03-01T01:00:00Z'), dataset(), li, [deemed('CN')], [], undefined);
      expect(a.flags()[0]!.events.map((e) => e.id), order.join()).toEqual(['a', 'b', 'c']);
    }
  });
  it('time orders events before id does: a later event with a smaller id comes after, in either arrival order', () => {
    for (const order of [['z', 'a'], ['a', 'z']]) {
      const a = new FlagAggregator();
      for (const id of order) a.add(ev(id, id === 'z' ? '2025-03-01T01:00:00Z' : '2025-03-01T02:00:00Z'), dataset(), li, [deemed('CN')], [], undefined);
      expect(a.flags()[0]!.events.map((e) => e.id), order.join()).toEqual(['z', 'a']);
    }
  });
  it('keeps the first 20 by time (ties by id) and the ids of all events, in any arrival order', () => {
    const all = Array.from({ length: 30 }, (_, i) => ({ id: `e${String(i).padStart(2, '0')}`, time: `2025-03-01T00:${String(Math.floor(i / 2)).padStart(2, '0')}:00Z` }));
    fc.assert(fc.property(fc.shuffledSubarray(all, { minLength: all.length }), (order) => {
      const a = new FlagAggregator();
      for (const e of order) a.add(ev(e.id, e.time), dataset(), li, [deemed('CN')], [], undefined);
      const [entry] = a.entries();
      expect(entry!.flag.events.map((e) => e.id)).toEqual(all.slice(0, MAX_FLAG_EVENTS).map((e) => e.id));
      expect(entry!.eventIds).toEqual(all.map((e) => e.id));
    }), { numRuns: 30 });
  });
});

describe('flag order', () => {
  it('highest severity first, then day, then dataset, then actor', () => {
    const a = new FlagAggregator();
    const add = (person: Person, ds: string, time: string, reason: FlagReason) => a.add(ev(`${person.id}${ds}${time}`, time, { actor: { candidates: person.accounts } }), dataset(ds), person, [reason], [], undefined);
    add(li, 'b-set', '2025-03-02T01:00:00Z', notAuthorized);
    add(li, 'b-set', '2025-03-02T01:00:00Z', unknownAccount); // same flag: now high
    add(li, 'a-set', '2025-03-03T01:00:00Z', notAuthorized);
    add(ana, 'a-set', '2025-03-03T01:00:00Z', notAuthorized);
    add(li, 'b-set', '2025-03-01T01:00:00Z', notAuthorized);
    add(li, 'a-set', '2025-03-02T01:00:00Z', deemed('CN'));
    add(ana, 'a-set', '2025-03-02T01:00:00Z', notAuthorized);
    add(ana, 'b-set', '2025-03-02T01:00:00Z', notAuthorized);
    expect(a.flags().map((f) => [f.severity, f.day, f.dataset, f.actor.key])).toEqual([
      ['critical', '2025-03-02', 'a-set', 'p-002'],
      ['high', '2025-03-02', 'b-set', 'p-002'],
      ['medium', '2025-03-01', 'b-set', 'p-002'],
      ['medium', '2025-03-02', 'a-set', 'p-001'],
      ['medium', '2025-03-02', 'b-set', 'p-001'],
      ['medium', '2025-03-03', 'a-set', 'p-001'],
      ['medium', '2025-03-03', 'a-set', 'p-002'],
    ]);
    expect(a.flags()[0]!.id).toBe(flagId('p-002', 'a-set', '2025-03-02'));
  });
});
