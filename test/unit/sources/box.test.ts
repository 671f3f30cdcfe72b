import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { box } from '#shared/sources/box/index.ts';
import { sourceByName } from '#shared/sources/index.ts';
import { events, pantherLogs, parseWith, realFixture, handled } from '#test/helpers.ts';

const origin = { file: 'f', line: 1 };

describe('Box — real fixtures', () => {
  it('the user stream: ITEM_DOWNLOAD and ITEM_PREVIEW with local time offsets', async () => {
    const out = events(await parseWith(box, readFileSync(realFixture('07-box-events.sample-user-stream.jsonl'), 'utf8')));
    expect(out.map((e) => [e.action, e.time, e.resource.uri, e.resource.name])).toEqual([
      ['download', '2022-07-20T09:32:15.000Z', 'box://986342059368', 'test3.sh'],
      ['preview', '2022-07-19T14:18:13.000Z', 'box://985950502866', 'test.sh'],
    ]);
    expect(out[0]!.actor.candidates).toEqual(['box:19530772260', 'email:info@elastic.co']);
  });
  it('Panther\'s minimal admin events: the DOWNLOAD has no event_id or created_at (rejected with that reason); DELETE and SHIELD_ALERT are not reads', () => {
    const logs = pantherLogs('07-box-events.sample-panther-admin-logs.yml');
    expect(logs.map((log) => box.parse(log, origin))).toEqual([
      { kind: 'reject', reason: 'Box DOWNLOAD event needs event_id and created_at' },
      { kind: 'skip', reason: 'not a read: DELETE' },
      { kind: 'skip', reason: 'not a read: SHIELD_ALERT' },
    ]);
  });
});

// admin_logs shapes from Box's API documentation (authored; no public sample with ip_address exists).
const admin = (over: Record<string, unknown> = {}) => ({
  type: 'event', event_id: 'e-1', event_type: 'DOWNLOAD', created_at: '2026-10-15T02:00:00-07:00', ip_address: '198.51.100.23',
  created_by: { type: 'user', id: '4242', name: 'Li Wei', login: 'li.wei@northfield.edu' },
  source: { item_type: 'file', item_id: '99', item_name: 'HGV-mesh.step', parent: { type: 'folder', id: '1', name: 'HGV' } }, ...over,
});
describe('Box — enterprise stream (authored)', () => {
  it('DOWNLOAD, PREVIEW and ITEM_OPEN are releases with the IP', () => {
    for (const [type, action] of [['DOWNLOAD', 'download'], ['PREVIEW', 'preview'], ['ITEM_OPEN', 'view']]) {
      expect(box.parse(admin({ event_type: type }), origin)).toMatchObject({ kind: 'event', event: { action, ip: '198.51.100.23', time: '2026-10-15T09:00:00.000Z', resource: { uri: 'box://99', name: 'HGV-mesh.step' } } });
    }
  });
  it('anonymous shared-link users are anonymous', () => {
    expect(box.parse(admin({ created_by: { type: 'user', id: '2', name: 'Anonymous User', login: '' } }), origin)).toMatchObject({ kind: 'event', event: { actor: { anonymous: true } } });
  });
  it('a classification metadata event labels the file; other metadata does not', () => {
    const label = box.parse(admin({ event_type: 'METADATA_INSTANCE_CREATE', additional_details: JSON.stringify({ metadata: { Box__Security__Classification__Key: 'ITAR' } }) }), origin);
    expect(label).toMatchObject({ kind: 'event', event: { action: 'label', labelChange: 'replace', resource: { uri: 'box://99', labels: ['ITAR'] } } });
    expect(box.parse(admin({ event_type: 'METADATA_INSTANCE_UPDATE', additional_details: { metadata: { project: 'x' } } }), origin)).toEqual({ kind: 'skip', reason: 'not a classification change: METADATA_INSTANCE_UPDATE' });
    expect(box.parse(admin({ event_type: 'SHIELD_ALERT' }), origin)).toEqual({ kind: 'skip', reason: 'not a read: SHIELD_ALERT' });
  });
  it('reads the API envelope (entries)', async () => {
    expect(events(await parseWith(box, JSON.stringify({ chunk_size: 2, next_stream_position: '1', entries: [admin(), admin({ event_id: 'e-2' })] })))).toHaveLength(2);
  });
  it('never throws (fuzz)', () => {
    fc.assert(fc.property(fc.anything(), (v) => {
      for (const r of [admin({ source: v }), admin({ created_by: v }), admin({ created_at: v }), admin({ event_type: 'METADATA_INSTANCE_CREATE', additional_details: v })]) expect(['event', 'skip', 'reject']).toContain(handled(box.parse(r as Record<string, unknown>, origin)));
    }), { numRuns: 300 });
  });
});

describe('Box copy events (test/fixtures/variants/box-copy.jsonl)', () => {
  it('admin_logs COPY releases the item copied; the user stream names only the new copy, matched by the name it shares, with a note', async () => {
    const out = await parseWith(box, readFileSync(new URL('../../fixtures/variants/logs/box-copy.jsonl', import.meta.url)));
    expect(out.map((o) => o.kind === 'event' && { uri: o.event.resource.uri, name: o.event.resource.name, notes: o.event.notes ?? [] })).toEqual([
      { uri: 'box://1190001', name: 'HGV-case12.h5', notes: [] },
      { uri: 'box://1190077', name: 'HGV-case12.h5', notes: ['Box names only the new copy (box://1190077); the item copied is not in the record, so it is matched by its name'] },
    ]);
  });
});

// Behaviour from Box's event documentation (reference/log-sources/07-box-events.md), each with its second case.
const userCopy = (name: string, createdAt: string) => ({
  type: 'event', event_id: 'u-1', event_type: 'ITEM_COPY', created_at: '2026-10-15T02:01:54-07:00',
  created_by: { type: 'user', id: '2230002', name: 'Ana Ortiz', login: 'ana@example.org' },
  source: { type: 'file', id: '1190077', name, created_at: createdAt },
});
describe('Box — documented behaviour, second cases', () => {
  it('created_at carries the local offset: a positive offset is subtracted as a negative one is added', () => {
    expect(box.parse(admin({ created_at: '2026-10-15T14:30:00+05:30' }), origin)).toMatchObject({ kind: 'event', event: { time: '2026-10-15T09:00:00.000Z' } });
    expect(box.parse(admin({ created_at: '2026-10-14T23:00:00-10:00' }), origin)).toMatchObject({ kind: 'event', event: { time: '2026-10-15T09:00:00.000Z' } });
  });
  it('the account is the Box user id and the login (an e-mail); either alone is enough', () => {
    expect(box.parse(admin(), origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: ['box:4242', 'email:li.wei@northfield.edu'], display: 'li.wei@northfield.edu' } } });
    const idOnly = box.parse(admin({ created_by: { type: 'user', id: 4243, name: 'Ana Ortiz' } }), origin);
    expect(idOnly).toMatchObject({ kind: 'event', event: { actor: { candidates: ['box:4243'], display: 'Ana Ortiz' } } });
    const loginOnly = box.parse(admin({ created_by: { type: 'user', login: 'ana@example.org' } }), origin);
    expect(loginOnly).toMatchObject({ kind: 'event', event: { actor: { candidates: ['email:ana@example.org'], display: 'ana@example.org' } } });
    expect(box.parse(admin({ created_by: { type: 'user', id: null, login: '' } }), origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
  });
  it('an anonymous shared-link user is anonymous by id 2 or by the name "Anonymous User"', () => {
    expect(box.parse(admin({ created_by: { type: 'user', id: '2', name: 'Someone', login: 'x@example.org' } }), origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
    expect(box.parse(admin({ created_by: { type: 'user', id: '77', name: 'Anonymous User', login: '' } }), origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
  });
  it('the enterprise stream\'s COPY and the user stream\'s ITEM_OPEN name the file; without one the read is refused with the field to supply', () => {
    expect(box.parse(admin({ event_type: 'COPY' }), origin)).toMatchObject({ kind: 'event', event: { action: 'copy', release: true, resource: { uri: 'box://99', name: 'HGV-mesh.step' } } });
    expect(box.parse(admin({ event_type: 'ITEM_DOWNLOAD', source: { type: 'file', id: 501, name: 'loads.csv' } }), origin)).toMatchObject({ kind: 'event', event: { action: 'download', resource: { uri: 'box://501', name: 'loads.csv' } } });
    expect(box.parse(admin({ source: { item_type: 'file', item_name: 'x' } }), origin)).toEqual({ kind: 'reject', reason: 'DOWNLOAD without the file (source.item_id or source.id)' });
    expect(box.parse(admin({ event_type: 'ITEM_PREVIEW', source: { type: 'web_link', id: '5' } }), origin)).toEqual({ kind: 'reject', reason: 'ITEM_PREVIEW without the file (source.item_id or source.id)' });
    expect(box.parse(admin({ event_id: undefined }), origin)).toEqual({ kind: 'reject', reason: 'Box DOWNLOAD event needs event_id and created_at' });
  });
  it('the user stream names only a new copy: " (1)" is taken off its name, with or without an extension; a file copied long before keeps its name', () => {
    const now = '2026-10-15T02:01:53-07:00';
    expect(box.parse(userCopy('HGV-case12 (1).h5', now), origin)).toMatchObject({ kind: 'event', event: { resource: { uri: 'box://1190077', name: 'HGV-case12.h5' }, notes: [expect.stringMatching(/matched by its name/)] } });
    expect(box.parse(userCopy('HGV-notes (2)', now), origin)).toMatchObject({ kind: 'event', event: { resource: { name: 'HGV-notes' } } });
    const old = box.parse(userCopy('HGV-case12 (1).h5', '2026-10-14T02:01:53-07:00'), origin);
    expect(old).toMatchObject({ kind: 'event', event: { resource: { name: 'HGV-case12 (1).h5' } } });
    expect(old.kind === 'event' && old.event.notes).toBeUndefined();
    // The enterprise stream names the item copied itself: no note, the name as it is.
    const admin1 = box.parse(admin({ event_type: 'COPY', source: { item_type: 'file', item_id: '99', item_name: 'HGV (1).step' } }), origin);
    expect(admin1.kind === 'event' && [admin1.event.resource.name, admin1.event.notes]).toEqual(['HGV (1).step', undefined]);
  });
  it('classification metadata: the Box Shield key found however deep the template payload nests it; its deletion clears the label', () => {
    const nested = box.parse(admin({ event_type: 'METADATA_INSTANCE_UPDATE', additional_details: { metadata: { template: { fields: { Box__Security__Classification__Key: 'EAR-9E003' } } } } }), origin);
    expect(nested).toMatchObject({ kind: 'event', event: { action: 'label', labelChange: 'replace', release: false, resource: { uri: 'box://99', name: 'HGV-mesh.step', labels: ['EAR-9E003'] } } });
    const deleted = box.parse(admin({ event_type: 'METADATA_INSTANCE_DELETE', additional_details: { metadata: { templateKey: 'securityClassification-6VMVochwUWo' } } }), origin);
    expect(deleted).toMatchObject({ kind: 'event', event: { action: 'label', labelChange: 'replace', resource: { uri: 'box://99', labels: [] } } });
    expect(box.parse(admin({ event_type: 'METADATA_INSTANCE_CREATE', additional_details: '{not json' }), origin)).toEqual({ kind: 'skip', reason: 'not a classification change: METADATA_INSTANCE_CREATE' });
    expect(box.parse(admin({ event_type: 'METADATA_INSTANCE_DELETE', source: {} }), origin)).toEqual({ kind: 'skip', reason: 'not a classification change: METADATA_INSTANCE_DELETE' });
  });
  it('the IP is kept from the enterprise stream; the user stream has none', () => {
    expect(box.parse(admin({ ip_address: '2001:db8::7' }), origin)).toMatchObject({ kind: 'event', event: { ip: '2001:db8::7' } });
    const none = box.parse(admin({ ip_address: undefined }), origin);
    expect(none.kind === 'event' && 'ip' in none.event).toBe(false);
  });
});

describe('Box — what is decided first', () => {
  it('an event that is not a read is skipped even when the rest is incomplete; a text line is refused as not JSON', () => {
    expect(box.parse({ type: 'event', event_type: 'LOGIN' }, origin)).toEqual({ kind: 'skip', reason: 'not a read: LOGIN' });
    expect(box.parse({ type: 'event', event_type: 'DOWNLOAD' }, origin)).toEqual({ kind: 'reject', reason: 'Box DOWNLOAD event needs event_id and created_at' });
    expect(box.parse('DOWNLOAD li.wei@northfield.edu HGV-mesh.step', origin)).toEqual({ kind: 'reject', reason: 'Box events are JSON objects' });
  });
});

describe('Box — only a copy is matched by the name it shares', () => {
  it('a download of a file created a moment ago keeps its " (1)" name and gets no note; so does an enterprise COPY that names its item', () => {
    const justMade = { ...userCopy('HGV-case12 (1).h5', '2026-10-15T02:01:53-07:00'), event_type: 'ITEM_DOWNLOAD' };
    const out = box.parse(justMade, origin);
    expect(out.kind === 'event' && [out.event.action, out.event.resource.name, out.event.notes]).toEqual(['download', 'HGV-case12 (1).h5', undefined]);
    const named = box.parse({ ...userCopy('HGV-case12 (1).h5', '2026-10-15T02:01:53-07:00'), source: { item_type: 'file', item_id: '1190077', item_name: 'HGV-case12 (1).h5', created_at: '2026-10-15T02:01:53-07:00' } }, origin);
    expect(named.kind === 'event' && [named.event.resource.name, named.event.notes]).toEqual(['HGV-case12 (1).h5', undefined]);
  });
  it('detect: a Box event object with an event_type; nothing else', () => {
    expect(box.detect(admin())).toBe(true);
    expect(box.detect({ ...admin(), type: 'file' })).toBe(false);
    expect(box.detect({ ...admin(), event_type: 7 })).toBe(false);
    expect(box.detect('{"type":"event","event_type":"DOWNLOAD"}')).toBe(false);
  });
});

// Gaps found by mutation testing, pinned from Box's event documentation (event source objects,
// user-stream ITEM_COPY of "a file or folder", metadata events), each with its second case.
describe('Box — event sources, copies and classification, second cases', () => {
  it('the user stream names a folder like a file: a folder downloaded is released; a file object without an id is refused', () => {
    expect(box.parse(admin({ event_type: 'ITEM_DOWNLOAD', source: { type: 'folder', id: '1180', name: 'HGV' } }), origin)).toMatchObject({ kind: 'event', event: { action: 'download', release: true, resource: { uri: 'box://1180', name: 'HGV' } } });
    expect(box.parse(admin({ event_type: 'ITEM_DOWNLOAD', source: { type: 'file', name: 'loads.csv' } }), origin)).toEqual({ kind: 'reject', reason: 'ITEM_DOWNLOAD without the file (source.item_id or source.id)' });
  });
  it('a user known only by id (no login, no name) is that id, with nothing to display', () => {
    const out = box.parse(admin({ created_by: { type: 'user', id: '4244' } }), origin);
    expect(out.kind === 'event' && out.event.actor).toEqual({ candidates: ['box:4244'] });
  });
  it('a new copy is one created less than a minute before the event: 59 s is, 60 s is not', () => {
    // The event is at 02:01:54; the copy was created 59 s or 60 s before it.
    const copy59 = box.parse(userCopy('HGV-case12 (1).h5', '2026-10-15T02:00:55-07:00'), origin);
    expect(copy59.kind === 'event' && [copy59.event.resource.name, copy59.event.notes?.length]).toEqual(['HGV-case12.h5', 1]);
    const copy60 = box.parse(userCopy('HGV-case12 (1).h5', '2026-10-15T02:00:54-07:00'), origin);
    expect(copy60.kind === 'event' && [copy60.event.resource.name, copy60.event.notes]).toEqual(['HGV-case12 (1).h5', undefined]);
  });
  it('only the copy number Box appends is taken off: " (12)" too, but not a number inside the name', () => {
    const now = '2026-10-15T02:01:53-07:00';
    expect(box.parse(userCopy('HGV-case12 (12).h5', now), origin)).toMatchObject({ kind: 'event', event: { resource: { name: 'HGV-case12.h5' } } });
    expect(box.parse(userCopy('HGV (2) mesh.step', now), origin)).toMatchObject({ kind: 'event', event: { resource: { name: 'HGV (2) mesh.step' } } });
  });
  it('the Box Shield key is found beside other details, in any branch', () => {
    const details = { service_id: '1234', service_name: 'Box Shield', metadata: { template: 'securityClassification-6VMVochwUWo', fields: { Box__Security__Classification__Key: 'ITAR' } } };
    expect(box.parse(admin({ event_type: 'METADATA_INSTANCE_UPDATE', additional_details: details }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: ['ITAR'] } } });
    expect(box.parse(admin({ event_type: 'METADATA_INSTANCE_CREATE', additional_details: JSON.stringify(details) }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: ['ITAR'] } } });
  });
  it('the search for the key is bounded: five levels below the details are searched, a sixth is not', () => {
    const nest = (levels: number): Record<string, unknown> => (levels === 0 ? { Box__Security__Classification__Key: 'ITAR' } : { level: nest(levels - 1) });
    expect(box.parse(admin({ event_type: 'METADATA_INSTANCE_UPDATE', additional_details: nest(5) }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: ['ITAR'] } } });
    expect(box.parse(admin({ event_type: 'METADATA_INSTANCE_UPDATE', additional_details: nest(6) }), origin)).toEqual({ kind: 'skip', reason: 'not a classification change: METADATA_INSTANCE_UPDATE' });
  });
  it('the source is named "box", the name --source and the configuration use; its reads and label changes say so', () => {
    expect(sourceByName('box')).toBe(box);
    expect(box.parse(admin(), origin)).toMatchObject({ kind: 'event', event: { source: 'box' } });
    expect(box.parse(admin({ event_type: 'METADATA_INSTANCE_DELETE' }), origin)).toMatchObject({ kind: 'event', event: { source: 'box', action: 'label' } });
  });
});
