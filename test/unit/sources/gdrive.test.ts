import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gdrive } from '#shared/sources/gdrive/index.ts';
import { events, pantherLogs, parseWith, realFixture, handled } from '#test/helpers.ts';

const origin = { file: 'f', line: 1 };

describe('Google Drive — fixtures', () => {
  it('download, preview and print of the Elastic sample are releases', async () => {
    const out = events(await parseWith(gdrive, readFileSync(realFixture('06-google-drive.sample.jsonl'), 'utf8')));
    expect(out.map((e) => e.action)).toEqual(['download', 'preview', 'download']);
    expect(out[0]).toMatchObject({ time: '2020-10-02T15:00:00.000Z', ip: '67.43.156.13', actor: { candidates: ['google:foo@bar.com', 'email:foo@bar.com'] }, resource: { uri: 'gdrive://1234', name: 'document title' } });
  });
  it('reads Panther\'s flattened copy', () => {
    const [log] = pantherLogs('06-google-drive.sample-panther-flattened.yml');
    expect(gdrive.detect(log!)).toBe(true);
    expect(gdrive.parse(log!, origin)).toMatchObject({ kind: 'event', event: { action: 'download', time: '2025-03-21T21:29:49.364Z', resource: { uri: 'gdrive://123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ0-a1B2c3D', name: 'My Sensitive Document' } } });
  });
});

const activity = (events: unknown) => ({ kind: 'admin#reports#activity', id: { time: '2026-10-15T09:00:00.000Z', uniqueQualifier: '-42', applicationName: 'drive' }, actor: { email: 'li.wei@northfield.edu' }, ipAddress: '10.1.1.1', events });
describe('Google Drive — API shapes (authored)', () => {
  it('an events array with typed parameters; the strongest read wins', () => {
    const out = gdrive.parse(activity([{ type: 'access', name: 'view', parameters: [{ name: 'doc_id', value: 'd1' }] }, { type: 'access', name: 'copy', parameters: [{ name: 'doc_id', value: 'd1' }, { name: 'doc_title', value: 'HGV.xlsx' }] }]), origin);
    expect(out).toMatchObject({ kind: 'event', event: { action: 'copy', id: '2026-10-15T09:00:00.000Z:-42', resource: { uri: 'gdrive://d1', name: 'HGV.xlsx' } } });
  });
  it('sharing changes are not reads; other applications are skipped', () => {
    expect(gdrive.parse(activity([{ type: 'acl_change', name: 'change_user_access', parameters: [] }]), origin)).toEqual({ kind: 'skip', reason: 'not a read: change_user_access' });
    expect(gdrive.parse({ ...activity([]), id: { time: '2026-10-15T09:00:00Z', applicationName: 'login' } }, origin)).toEqual({ kind: 'skip', reason: 'not Drive: login' });
  });
  it('never throws (fuzz)', () => {
    fc.assert(fc.property(fc.anything(), (v) => {
      for (const r of [activity(v), { ...activity([]), actor: v }, { ...activity([]), id: v }]) expect(['event', 'skip', 'reject']).toContain(handled(gdrive.parse(r as Record<string, unknown>, origin)));
    }), { numRuns: 300 });
  });
});

describe('Google Drive label events (test/fixtures/variants/gdrive-labels.jsonl)', () => {
  it('label_added and label_field_changed are learned as the title and "Title: value"; label_removed takes the title away', async () => {
    const out = await parseWith(gdrive, readFileSync(new URL('../../fixtures/variants/logs/gdrive-labels.jsonl', import.meta.url)));
    expect(out.map((o) => o.kind === 'event' && { action: o.event.action, release: o.event.release, change: o.event.labelChange, uri: o.event.resource.uri, labels: o.event.resource.labels })).toEqual([
      { action: 'label', release: false, change: 'add', uri: 'gdrive://1HgVcAsE12rEpOrTxYz', labels: ['Export Control', 'Export Control: ITAR'] },
      { action: 'download', release: true, change: undefined, uri: 'gdrive://1HgVcAsE12rEpOrTxYz', labels: undefined },
      { action: 'label', release: false, change: 'remove', uri: 'gdrive://1DrAfTnOtEsXyZ', labels: ['Project Phoenix'] },
    ]);
  });
  it('a flattened (Panther) label_field_changed with a plain value is read the same way', () => {
    const r = { id: { time: '2026-10-15T09:00:00Z', applicationName: 'drive', uniqueQualifier: '1' }, actor: { email: 'lwei@acme.edu' }, name: 'label_field_changed', parameters: { doc_id: 'd2', label_title: 'Export Control', new_value: 'EAR 9E003' } };
    expect(gdrive.parse(r, { file: 'f', line: 1 })).toMatchObject({ kind: 'event', event: { labelChange: 'add', resource: { uri: 'gdrive://d2', labels: ['Export Control', 'Export Control: EAR 9E003'] } } });
  });
});

// Behaviour from the Reports API activity schema (reference/log-sources/06-google-workspace-drive.md), each with its second case.
const access = (name: string, doc = 'd1', extra: { name: string; value?: unknown }[] = []) => ({ type: 'access', name, parameters: [{ name: 'doc_id', value: doc }, ...extra] });
const label = (name: string, params: { name: string; value?: unknown; multiValue?: unknown }[], doc = 'd9') => ({ type: 'label_change', name, parameters: [{ name: 'doc_id', value: doc }, ...params] });
const parsed = (r: unknown) => gdrive.parse(r as Record<string, unknown>, origin);
describe('Google Drive — documented behaviour, second cases', () => {
  it('the strongest read of an activity wins whatever the order: download over view, print over preview', () => {
    for (const order of [[access('view'), access('download')], [access('download'), access('view')]]) expect(parsed(activity(order))).toMatchObject({ kind: 'event', event: { action: 'download' } });
    for (const order of [[access('preview'), access('print')], [access('print'), access('preview')]]) expect(parsed(activity(order))).toMatchObject({ kind: 'event', event: { action: 'download' } });
    for (const order of [[access('preview'), access('view')], [access('view'), access('preview')]]) expect(parsed(activity(order))).toMatchObject({ kind: 'event', event: { action: 'view' } });
    expect(parsed(activity([access('preview')]))).toMatchObject({ kind: 'event', event: { action: 'preview' } });
  });
  it('the event id is id.time with uniqueQualifier; without a qualifier, a hash of the record', () => {
    expect(parsed(activity([access('view')]))).toMatchObject({ kind: 'event', event: { id: '2026-10-15T09:00:00.000Z:-42' } });
    const r = { ...activity([access('view')]), id: { time: '2026-10-15T09:00:00.000Z', applicationName: 'drive' } };
    const out = parsed(r);
    expect(out.kind === 'event' && out.event.id).toMatch(/^[0-9a-f]{40}$/);
    const other = parsed({ ...r, ipAddress: '10.1.1.2' });
    expect(other.kind === 'event' && out.kind === 'event' && other.event.id !== out.event.id).toBe(true);
  });
  it('the actor: a user by e-mail; a service key by its key; no e-mail and no key is anonymous', () => {
    expect(parsed(activity([access('view')]))).toMatchObject({ kind: 'event', event: { actor: { candidates: ['google:li.wei@northfield.edu', 'email:li.wei@northfield.edu'], display: 'li.wei@northfield.edu' } } });
    expect(parsed({ ...activity([access('view')]), actor: { callerType: 'KEY', key: 'SYSTEM' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['google-key:SYSTEM'], service: true } } });
    expect(parsed({ ...activity([access('view')]), actor: { callerType: 'KEY' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['google-key:key'], service: true } } });
    expect(parsed({ ...activity([access('view')]), actor: { callerType: 'USER', profileId: '1' } })).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
  });
  it('ipAddress may be absent; id.time is required; a read needs doc_id', () => {
    const noIp = parsed({ ...activity([access('view')]), ipAddress: undefined });
    expect(noIp.kind === 'event' && 'ip' in noIp.event).toBe(false);
    expect(parsed({ ...activity([access('view')]), id: { uniqueQualifier: '1', applicationName: 'drive' } })).toEqual({ kind: 'reject', reason: 'Google Drive activity needs id.time' });
    expect(parsed(activity([{ type: 'access', name: 'print', parameters: [{ name: 'doc_title', value: 'x' }] }]))).toEqual({ kind: 'reject', reason: 'print without doc_id' });
    expect(parsed(activity([]))).toEqual({ kind: 'skip', reason: 'not a read: no events' });
  });
  it('label_added with several values (multiValue) learns each as "Title: value"; a field cleared (old_value) is not learned as set', () => {
    const out = parsed(activity([label('label_field_changed', [{ name: 'label_title', value: 'Export Control' }, { name: 'old_value', value: 'EAR99' }, { name: 'new_value', multiValue: ['ITAR', 'EAR 9E003'] }])]));
    expect(out).toMatchObject({ kind: 'event', event: { action: 'label', labelChange: 'add', resource: { uri: 'gdrive://d9', labels: ['Export Control', 'Export Control: ITAR', 'Export Control: EAR 9E003'] } } });
    const byName = parsed(activity([label('label_added', [{ name: 'label_name', value: 'Project Phoenix' }])]));
    expect(byName).toMatchObject({ kind: 'event', event: { labelChange: 'add', resource: { labels: ['Project Phoenix'] } } });
  });
  it('label_removed takes away the title and the values it names, old and new', () => {
    const out = parsed(activity([label('label_removed', [{ name: 'label_title', value: 'Export Control' }, { name: 'old_value', value: 'ITAR' }])]));
    expect(out).toMatchObject({ kind: 'event', event: { labelChange: 'remove', resource: { labels: ['Export Control', 'Export Control: ITAR'] } } });
    expect(parsed(activity([label('label_removed', [{ name: 'label_title', value: 'Export Control' }, { name: 'new_value', value: 'EAR99' }])]))).toMatchObject({ kind: 'event', event: { resource: { labels: ['Export Control', 'Export Control: EAR99'] } } });
  });
  it('a label event needs doc_id and a label title, and names the document by its title when given', () => {
    expect(parsed(activity([label('label_added', [{ name: 'label_title', value: 'Export Control' }], '')]))).toEqual({ kind: 'reject', reason: 'label_added without doc_id' });
    expect(parsed(activity([label('label_removed', [{ name: 'new_value', value: 'x' }])]))).toEqual({ kind: 'reject', reason: 'label_removed without label_title' });
    expect(parsed(activity([label('label_added', [{ name: 'label_title', value: 'Export Control' }, { name: 'doc_title', value: 'Case 12.pdf' }])]))).toMatchObject({ kind: 'event', event: { resource: { name: 'Case 12.pdf' } } });
  });
});

describe('Google Drive — the activity schema, more second cases', () => {
  it('detects an activity by its kind, or by id.applicationName "drive" when the kind is gone; not another application or another log', () => {
    expect(gdrive.detect(activity([access('view')]))).toBe(true);
    expect(gdrive.detect({ id: { time: '2026-10-15T09:00:00Z', applicationName: 'drive' }, name: 'view' })).toBe(true);
    expect(gdrive.detect({ id: { time: '2026-10-15T09:00:00Z', applicationName: 'login' }, name: 'login_success' })).toBe(false);
    expect(gdrive.detect({ kind: 'admin#reports#other', id: 'x' })).toBe(false);
    expect(gdrive.detect({ eventSource: 's3.amazonaws.com', eventName: 'GetObject' })).toBe(false);
    expect(gdrive.detect('{"kind":"admin#reports#activity"}')).toBe(false);
  });
  it('an activity without applicationName is read as Drive; the event says it is from gdrive', () => {
    const out = parsed({ ...activity([access('download')]), id: { time: '2026-10-15T09:00:00Z', uniqueQualifier: '7' } });
    expect(out).toMatchObject({ kind: 'event', event: { source: 'gdrive', action: 'download', id: '2026-10-15T09:00:00.000Z:7' } });
  });
  it('the strongest read: download over copy, copy over print, print over view; of two alike, the first', () => {
    expect(parsed(activity([access('copy', 'c'), access('download', 'd')]))).toMatchObject({ event: { action: 'download', resource: { uri: 'gdrive://d' } } });
    expect(parsed(activity([access('print', 'p'), access('copy', 'c')]))).toMatchObject({ event: { action: 'copy', resource: { uri: 'gdrive://c' } } });
    expect(parsed(activity([access('view', 'v'), access('print', 'p')]))).toMatchObject({ event: { action: 'download', resource: { uri: 'gdrive://p' } } });
    expect(parsed(activity([access('view', 'first'), access('view', 'second')]))).toMatchObject({ event: { resource: { uri: 'gdrive://first' } } });
    expect(parsed(activity([access('download', 'first'), access('download', 'second')]))).toMatchObject({ event: { resource: { uri: 'gdrive://first' } } });
  });
  it('events as one object instead of a list; parameters with a null entry; an event without a name', () => {
    expect(parsed(activity(access('download', 'one')))).toMatchObject({ kind: 'event', event: { resource: { uri: 'gdrive://one' } } });
    expect(parsed(activity([{ type: 'access', name: 'view', parameters: [null, { name: 'doc_id', value: 'd5' }] }]))).toMatchObject({ kind: 'event', event: { resource: { uri: 'gdrive://d5' } } });
    expect(parsed(activity([{ type: 'access', parameters: [] }]))).toEqual({ kind: 'skip', reason: 'not a read: no events' });
  });
  it('a document without doc_title has no name; with one, its title', () => {
    const out = parsed(activity([access('view')]));
    expect(out.kind === 'event' && 'name' in out.event.resource).toBe(false);
    expect(parsed(activity([access('view', 'd1', [{ name: 'doc_title', value: 'Loads.xlsx' }])]))).toMatchObject({ event: { resource: { name: 'Loads.xlsx' } } });
  });
  it('every label event that sets a label is learned as an add: label_added_by_item_create, label_applied, label_field_value_changed', () => {
    for (const name of ['label_added_by_item_create', 'label_applied', 'label_field_value_changed']) {
      expect(parsed(activity([label(name, [{ name: 'label_title', value: 'Export Control' }])]))).toMatchObject({ kind: 'event', event: { source: 'gdrive', action: 'label', labelChange: 'add', resource: { labels: ['Export Control'] } } });
    }
  });
  it('label values: numbers are kept, blank strings dropped, nested lists flattened', () => {
    const out = parsed(activity([label('label_field_changed', [{ name: 'label_title', value: 'ECCN' }, { name: 'new_value', multiValue: ['9E003', ' ', [5, ['XV(e)']]] }])]));
    expect(out).toMatchObject({ event: { resource: { labels: ['ECCN', 'ECCN: 9E003', 'ECCN: 5', 'ECCN: XV(e)'] } } });
  });
  it('a label event\'s id is id.time with uniqueQualifier (0 included); without one, a hash of the record', () => {
    const ev = (id: Record<string, unknown>) => parsed({ ...activity([label('label_added', [{ name: 'label_title', value: 'Export Control' }])]), id: { time: '2026-10-15T09:00:00.000Z', applicationName: 'drive', ...id } });
    expect(ev({ uniqueQualifier: '-42' })).toMatchObject({ event: { id: '2026-10-15T09:00:00.000Z:-42' } });
    expect(ev({ uniqueQualifier: 0 })).toMatchObject({ event: { id: '2026-10-15T09:00:00.000Z:0' } });
    for (const missing of [{}, { uniqueQualifier: null }]) {
      const out = ev(missing);
      expect(out.kind === 'event' && out.event.id).toMatch(/^[0-9a-f]{40}$/);
    }
  });
});

describe('Google Drive — text', () => {
  it('a text line is refused as not JSON', () => {
    expect(gdrive.parse('download li.wei@northfield.edu d1', origin)).toEqual({ kind: 'reject', reason: 'Google Drive audit records are JSON objects' });
  });
});
