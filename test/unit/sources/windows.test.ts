import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resourceTags, windows } from '#shared/sources/windows/index.ts';
import { events, parseWith, realFixture, handled } from '#test/helpers.ts';

const fixture = (name: string) => readFileSync(realFixture(name), 'utf8');
const origin = { file: 'f', line: 1 };

describe('Windows — real fixtures', () => {
  it('Microsoft\'s 5145 example as printed (Event Viewer "- " markers) is rejected with that reason', async () => {
    expect(await parseWith(windows, fixture('08-windows-5145.sample.xml'))).toEqual([{ kind: 'reject', reason: 'an Event Viewer copy, not XML: remove the "- " markers Event Viewer adds' }]);
  });
  it('once the markers are removed, it is a read of a share file from an IPv6 address', async () => {
    const repaired = fixture('08-windows-5145.sample.xml').replace(/^- /gm, '');
    const [e] = events(await parseWith(windows, repaired));
    expect(e).toMatchObject({ id: '267092@dc01.contoso.local', time: '2015-09-17T23:54:48.941Z', action: 'view', release: true, ip: 'fe80::31ea:6c3c:f40d:1973', actor: { candidates: ['windows:CONTOSO\\dadmin', 'windows-sid:S-1-5-21-3457937927-2839227994-823803824-1104'] }, resource: { uri: 'smb://dc01.contoso.local/Documents/Bginfo.exe', name: 'Bginfo.exe' } });
  });
  it('the Winlogbeat 4663 (AccessMask 0x6, write and append) is not a read, and its XML copy says the same', async () => {
    const doc = JSON.parse(fixture('08-windows-4663.sample-winlogbeat.json'));
    expect(windows.parse(doc, origin)).toEqual({ kind: 'skip', reason: 'not a read: AccessMask 0x6 is a write or a permission change' });
    expect(windows.parse(doc.message, origin)).toEqual({ kind: 'skip', reason: 'not a read: AccessMask 0x6 is a write or a permission change' });
  });
  it('the same 4663 with ReadData gives a file:// URI and its ResourceAttributes as tags', () => {
    const doc = JSON.parse(fixture('08-windows-4663.sample-winlogbeat.json'));
    doc.winlog.event_data.AccessMask = '0x1';
    expect(windows.parse(doc, origin)).toMatchObject({ kind: 'event', event: { id: '273866@dc01.contoso.local', time: '2015-09-18T22:13:54.770Z', resource: { uri: 'file://dc01.contoso.local/C:/Documents/HBI Data.txt', name: 'HBI Data.txt', tags: { Impact_MS: '3000' } } } });
  });
});

// FSx for Windows File Server writes one event per CloudWatch Logs message, as XML (authored from AWS's documented format).
const fsxEvent = (over: Partial<Record<'id' | 'mask' | 'user' | 'share' | 'path' | 'attrs', string>> = {}) => {
  const v = { id: '5145', mask: '0x1', user: 'lwei', share: '\\\\*\\Lab', path: 'HGV\\runs\\case12.h5', attrs: '', ...over };
  return `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>${v.id}</EventID><TimeCreated SystemTime="2026-10-15T09:00:00.1234567Z"/><EventRecordID>9001</EventRecordID><Computer>amznfsxabcd.corp.northfield.edu</Computer></System><EventData><Data Name="SubjectUserSid">S-1-5-21-1-2-3-1105</Data><Data Name="SubjectUserName">${v.user}</Data><Data Name="SubjectDomainName">NFU</Data><Data Name="IpAddress">::ffff:10.20.31.7</Data><Data Name="ShareName">${v.share}</Data><Data Name="RelativeTargetName">${v.path}</Data><Data Name="ObjectName">C:\\Lab\\${v.path}</Data><Data Name="ObjectType">File</Data><Data Name="AccessMask">${v.mask}</Data><Data Name="ResourceAttributes">${v.attrs}</Data></EventData></Event>`;
};
describe('Windows — FSx audit logs and other shapes (authored)', () => {
  it('reads XML events inside a CloudWatch Logs subscription envelope', async () => {
    const payload = { messageType: 'DATA_MESSAGE', logGroup: '/aws/fsx/windows', logStream: 'x', logEvents: [{ id: '1', timestamp: 1, message: fsxEvent() }, { id: '2', timestamp: 2, message: fsxEvent({ id: '4663' }) }] };
    const out = events(await parseWith(windows, JSON.stringify({ awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } })));
    expect(out.map((e) => [e.resource.uri, e.ip ?? null])).toEqual([
      ['smb://amznfsxabcd.corp.northfield.edu/Lab/HGV/runs/case12.h5', '10.20.31.7'],
      ['file://amznfsxabcd.corp.northfield.edu/C:/Lab/HGV/runs/case12.h5', null],
    ]);
  });
  it('machine accounts are services', () => {
    expect(windows.parse(fsxEvent({ user: 'BUILD01$' }), origin)).toMatchObject({ kind: 'event', event: { actor: { service: true } } });
  });
  it('ResourceAttributes string claims become tags', () => {
    expect(resourceTags('S:AI(RA;ID;;;;WD;("ExportControl",TS,0x0,"ITAR"))(RA;ID;;;;WD;("Impact_MS",TI,0x10020,3000))')).toEqual({ ExportControl: 'ITAR', Impact_MS: '3000' });
    expect(windows.parse(fsxEvent({ id: '4663', attrs: 'S:AI(RA;ID;;;;WD;("ExportControl",TS,0x0,"EAR-3E001"))' }), origin)).toMatchObject({ kind: 'event', event: { resource: { tags: { ExportControl: 'EAR-3E001' } } } });
  });
  it('flat JSON (NXLog, Sentinel) and other event ids', () => {
    const flat = { EventID: 5145, TimeCreated: '2026-10-15T09:00:00Z', Computer: 'FS1', EventRecordID: 7, SubjectUserName: 'lwei', SubjectDomainName: 'NFU', ShareName: '\\\\*\\Lab', RelativeTargetName: 'a.txt', AccessMask: '0x120089', IpAddress: '10.0.0.1' };
    expect(windows.parse(flat, origin)).toMatchObject({ kind: 'event', event: { resource: { uri: 'smb://fs1/Lab/a.txt' } } });
    expect(windows.parse({ ...flat, EventID: 4624 }, origin)).toEqual({ kind: 'skip', reason: 'not a file access event: Windows event 4624' });
    expect(windows.parse('<Event><oops', origin).kind).toBe('reject');
  });
  it('reads a file of several multi-line events, and rejects one left open at the end', async () => {
    const file = `<?xml version="1.0"?>\n<Events>\n${fsxEvent().replace(/></g, '>\n<')}\n${fsxEvent({ path: 'b.txt' }).replace(/></g, '>\n<')}\n<Event><System>\n`;
    const out = await parseWith(windows, file);
    expect(out.map((o) => o.kind)).toEqual(['event', 'event', 'reject']);
  });
  it('never throws (fuzz)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.object({ maxDepth: 2 }), (text, obj) => {
      for (const r of [text, `<Event>${text}</Event>`, fsxEvent({ path: text, mask: text.slice(0, 6) })]) expect(['event', 'skip', 'reject']).toContain(handled(windows.parse(r, origin)));
      expect(['event', 'skip', 'reject']).toContain(handled(windows.parse({ EventID: 4663, ...obj }, origin)));
      expect(['event', 'skip', 'reject']).toContain(handled(windows.parse({ winlog: { event_data: obj } }, origin)));
    }), { numRuns: 300 });
  });
});

describe('Windows 5145 — what is a read is decided by the access mask (test/fixtures/variants)', () => {
  it('share-root listings, IPC$ pipes, metadata, traverse, refused and write accesses are not reads', async () => {
    const out = await parseWith(windows, readFileSync(new URL('../../fixtures/variants/logs/windows-5145-shares.xml', import.meta.url)));
    expect(out.map((o) => (o.kind === 'event' ? `read ${o.event.resource.uri}` : `${o.kind}: ${o.reason}`))).toEqual([
      'skip: not a read: a listing of the share root',
      'skip: not a file: named pipe srvsvc on IPC$',
      'skip: not a file: named pipe svcctl on IPC$',
      'read smb://fs01.acme.local/Projects/HGV/runs/case12.h5',
      'skip: not a read: AccessMask 0x100080 is metadata only (ReadAttributes, ReadEA or READ_CONTROL)',
      'skip: not a read: AccessMask 0x100020 is a traverse (Execute) without ReadData',
      'skip: request failed: Windows event 5145 is an Audit Failure',
      'skip: not a read: AccessMask 0x130196 is a write or a permission change',
    ]);
  });
  const base = { EventID: 5145, TimeCreated: '2026-10-15T09:00:00Z', Computer: 'FS01', SubjectUserName: 'lwei', SubjectDomainName: 'ACME', ShareName: '\\\\*\\Projects', RelativeTargetName: 'a.txt' };
  it.each([
    ['0x1', true], ['0x80000000', true], ['0x10000000', true], ['0x2000000', true], ['0x120089', true],
    ['0x80', false], ['0x20080', false], ['0x8', false], ['0x20', false], ['0x2', false], ['0x10000', false],
  ])('AccessMask %s → read %s', (mask, read) => {
    expect(windows.parse({ ...base, AccessMask: mask }, origin).kind).toBe(read ? 'event' : 'skip');
  });
  it('an Audit Failure in Winlogbeat (event.outcome) and in NXLog (EventType) is not a read', () => {
    expect(windows.parse({ ...base, AccessMask: '0x1', EventType: 'AUDIT_FAILURE' }, origin)).toMatchObject({ kind: 'skip' });
    expect(windows.parse({ '@timestamp': '2026-10-15T09:00:00Z', event: { outcome: 'failure' }, winlog: { event_id: 5145, computer_name: 'FS01', event_data: { ...base, AccessMask: '0x1' } } }, origin)).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/Audit Failure/) });
  });
});
