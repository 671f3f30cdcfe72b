import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resourceTags, windows } from '#shared/sources/windows/index.ts';
import { sourceByName } from '#shared/sources/index.ts';
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

// Behaviour from the 4663/5145 event documentation and MS-DTYP 2.4.3 (reference/log-sources/08-windows-fileserver-fsx.md), each with its second case.
const flat5145 = { EventID: 5145, TimeCreated: '2026-10-15T09:00:00Z', Computer: 'FS01.acme.local', EventRecordID: 77, SubjectUserName: 'lwei', SubjectDomainName: 'ACME', ShareName: '\\\\*\\Projects', RelativeTargetName: 'HGV\\a.txt', AccessMask: '0x1', IpAddress: '10.0.0.1' };
const flat4663 = { EventID: 4663, TimeCreated: '2026-10-15T09:00:00Z', Computer: 'FS01', SubjectUserName: 'lwei', SubjectDomainName: 'ACME', ObjectType: 'File', ObjectName: 'D:\\Projects\\HGV\\a.txt', AccessMask: '0x1' };
const win = (r: Record<string, unknown> | string) => windows.parse(r, origin);
describe('Windows — documented behaviour, second cases', () => {
  it('why a mask is not a read: a delete, a write, or no ReadData at all', () => {
    expect(win({ ...flat5145, AccessMask: '0x10000' })).toEqual({ kind: 'skip', reason: 'not a read: AccessMask 0x10000 is a delete' });
    expect(win({ ...flat5145, AccessMask: '0x40000' })).toEqual({ kind: 'skip', reason: 'not a read: AccessMask 0x40000 is a write or a permission change' });
    expect(win({ ...flat5145, AccessMask: '0x100000' })).toEqual({ kind: 'skip', reason: 'not a read: AccessMask 0x100000 is no ReadData' });
    expect(win({ ...flat5145, AccessMask: '0x20000' })).toEqual({ kind: 'skip', reason: 'not a read: AccessMask 0x20000 is metadata only (ReadAttributes, ReadEA or READ_CONTROL)' });
  });
  it('event XML Keywords: Audit Failure (0x8010000000000000) is refused; Audit Success (0x8020000000000000) is a read', () => {
    const withKeywords = (k: string) => fsxEvent().replace('<EventRecordID>', `<Keywords>${k}</Keywords><EventRecordID>`);
    expect(win(withKeywords('0x8010000000000000'))).toEqual({ kind: 'skip', reason: 'request failed: Windows event 5145 is an Audit Failure' });
    expect(win(withKeywords('0x8020000000000000'))).toMatchObject({ kind: 'event' });
    expect(win(withKeywords('not-hex'))).toMatchObject({ kind: 'event' });
  });
  it('the id is the record number at the computer (lower-cased); without a record number, the time', () => {
    expect(win(flat5145)).toMatchObject({ kind: 'event', event: { id: '77@fs01.acme.local', time: '2026-10-15T09:00:00.000Z' } });
    expect(win({ ...flat5145, EventRecordID: undefined, RecordNumber: 78 })).toMatchObject({ kind: 'event', event: { id: '78@fs01.acme.local' } });
    expect(win({ ...flat5145, EventRecordID: undefined })).toMatchObject({ kind: 'event', event: { id: '2026-10-15T09:00:00.000Z@fs01.acme.local' } });
    expect(win({ ...flat5145, Computer: undefined, Hostname: 'FS02' })).toMatchObject({ kind: 'event', event: { id: '77@fs02', resource: { uri: 'smb://fs02/Projects/HGV/a.txt' } } });
    expect(win({ ...flat5145, Computer: undefined })).toMatchObject({ kind: 'event', event: { resource: { uri: 'smb://unknown-computer/Projects/HGV/a.txt' } } });
  });
  it('the share is the last part of ShareName, as \\\\*\\Projects or plain; JSON-in-JSON doubled backslashes read the same', () => {
    expect(win({ ...flat5145, ShareName: 'Projects' })).toMatchObject({ kind: 'event', event: { resource: { uri: 'smb://fs01.acme.local/Projects/HGV/a.txt', name: 'a.txt' } } });
    expect(win({ ...flat5145, ShareName: '\\\\\\\\*\\\\Projects', RelativeTargetName: 'HGV\\\\a.txt' })).toMatchObject({ kind: 'event', event: { resource: { uri: 'smb://fs01.acme.local/Projects/HGV/a.txt' } } });
    expect(win({ ...flat5145, ShareName: '' })).toEqual({ kind: 'reject', reason: '5145 without ShareName' });
    expect(win({ ...flat5145, ShareName: '\\\\*\\ipc$', RelativeTargetName: '' })).toEqual({ kind: 'skip', reason: 'not a file: named pipe (none) on IPC$' });
  });
  it('the client IP, IPv4-mapped or plain; none when the field is absent', () => {
    expect(win({ ...flat5145, IpAddress: '::FFFF:10.0.0.9' })).toMatchObject({ kind: 'event', event: { ip: '10.0.0.9' } });
    const none = win({ ...flat5145, IpAddress: undefined });
    expect(none.kind === 'event' && 'ip' in none.event).toBe(false);
  });
  it('4663: the object is a File (the default when ObjectType is absent); a registry Key is not; ObjectName is required', () => {
    expect(win(flat4663)).toMatchObject({ kind: 'event', event: { action: 'view', release: true, resource: { uri: 'file://fs01/D:/Projects/HGV/a.txt', name: 'a.txt' } } });
    expect(win({ ...flat4663, ObjectType: undefined })).toMatchObject({ kind: 'event' });
    expect(win({ ...flat4663, ObjectType: 'Key' })).toEqual({ kind: 'skip', reason: 'not a file: Key' });
    expect(win({ ...flat4663, ObjectName: '' })).toEqual({ kind: 'reject', reason: '4663 without ObjectName' });
    const untagged = win(flat4663);
    expect(untagged.kind === 'event' && untagged.event.resource.tags).toBeUndefined();
  });
  it('required fields: TimeCreated and AccessMask; an XML document without Event/System', () => {
    expect(win({ ...flat4663, TimeCreated: undefined })).toEqual({ kind: 'reject', reason: 'Windows event 4663 without TimeCreated' });
    expect(win({ ...flat4663, TimeCreated: undefined, EventTime: '2026-10-15 09:00:00' })).toMatchObject({ kind: 'event' });
    expect(win({ ...flat4663, AccessMask: undefined })).toEqual({ kind: 'reject', reason: 'Windows event 4663 without AccessMask' });
    expect(win('<Event><EventData/></Event>')).toEqual({ kind: 'reject', reason: 'XML without Event/System' });
  });
  it('the account: domain\\user from Subject fields or from Sentinel\'s Account; "-" is nobody; the system SIDs are services', () => {
    expect(win(flat4663)).toMatchObject({ kind: 'event', event: { actor: { candidates: ['windows:ACME\\lwei'], display: 'ACME\\lwei' } } });
    const sentinel = { ...flat4663, SubjectUserName: undefined, SubjectDomainName: undefined, Account: 'ACME\\mkumar' };
    expect(win(sentinel)).toMatchObject({ kind: 'event', event: { actor: { candidates: ['windows:ACME\\mkumar'], display: 'ACME\\mkumar' } } });
    expect(win({ ...sentinel, Account: 'mkumar' })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['windows:mkumar'] } } });
    expect(win({ ...flat4663, SubjectUserName: '-' })).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
    expect(win({ ...flat4663, SubjectUserName: 'FS01-SVC', SubjectUserSid: 'S-1-5-18' })).toMatchObject({ kind: 'event', event: { actor: { service: true, candidates: ['windows:ACME\\FS01-SVC', 'windows-sid:S-1-5-18'] } } });
    const person = win({ ...flat4663, SubjectUserSid: 'S-1-5-21-1-2-3-1105' });
    expect(person).toMatchObject({ kind: 'event', event: { actor: { candidates: ['windows:ACME\\lwei', 'windows-sid:S-1-5-21-1-2-3-1105'] } } });
    expect(person.kind === 'event' && person.event.actor.service).toBeUndefined();
  });
  it('Winlogbeat: time_created, record_id and the "Audit Failure" keyword', () => {
    const wl = (over: Record<string, unknown> = {}) => ({ '@timestamp': '2026-10-15T09:00:05Z', winlog: { event_id: '4663', computer_name: 'FS01', record_id: 5, time_created: '2026-10-15T09:00:00Z', event_data: { ...flat4663, EventID: undefined }, ...over } });
    expect(win(wl())).toMatchObject({ kind: 'event', event: { id: '5@fs01', time: '2026-10-15T09:00:00.000Z' } });
    expect(win(wl({ time_created: undefined }))).toMatchObject({ kind: 'event', event: { time: '2026-10-15T09:00:05.000Z' } });
    expect(win(wl({ keywords: ['Audit Failure'] }))).toEqual({ kind: 'skip', reason: 'request failed: Windows event 4663 is an Audit Failure' });
    expect(win(wl({ keywords: ['Audit Success'] }))).toMatchObject({ kind: 'event' });
  });
  it('ResourceAttributes: a multi-valued claim is joined with ";"; an escaped quote in a name is kept', () => {
    expect(resourceTags('S:AI(RA;ID;;;;WD;("Programs",TS,0x0,"HGV","SRAM"))')).toEqual({ Programs: 'HGV;SRAM' });
    expect(resourceTags('S:AI(RA;ID;;;;WD;("Export\\"Class",TS,0x0,"EAR"))')).toEqual({ 'Export"Class': 'EAR' });
    expect(resourceTags(undefined)).toEqual({});
  });
});

// Gaps found by mutation testing, each pinned from the 4663/5145 event schema and the forwarded
// formats (reference/log-sources/08-windows-fileserver-fsx.md), each with its second case.
const eventXml = (system: string, data: string) => `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>${system}</System><EventData>${data}</EventData></Event>`;
const sys5145 = '<EventID>5145</EventID><TimeCreated SystemTime="2026-10-15T09:00:00.0000000Z"/><EventRecordID>9001</EventRecordID><Computer>FS01</Computer>';
const data5145 = '<Data Name="SubjectUserName">lwei</Data><Data Name="SubjectDomainName">ACME</Data><Data Name="ShareName">\\\\*\\Lab</Data><Data Name="RelativeTargetName">HGV\\a.txt</Data><Data Name="AccessMask">0x1</Data>';
describe('Windows — which records are Windows events (detect)', () => {
  it('event XML as FSx, WEF and NXLog write it, and an Event Viewer copy (so that its reject can say how to repair it)', () => {
    expect(windows.detect(fsxEvent())).toBe(true);
    expect(windows.detect(eventXml(sys5145, data5145).replace(/^<Event xmlns="[^"]*">/, '<Event>'))).toBe(true);
    expect(windows.detect(`- ${fsxEvent()}`)).toBe(true);
  });
  it('other XML, and text that only mentions an event, are not', () => {
    expect(windows.detect('<EventData><Data Name="AccessMask">0x1</Data></EventData>')).toBe(false);
    expect(windows.detect('<Events>')).toBe(false);
    expect(windows.detect(`An attempt was made to access an object: ${fsxEvent()}`)).toBe(false);
  });
  it('Winlogbeat JSON: winlog with event_data; a winlog record without event data is not a file access', () => {
    expect(windows.detect({ winlog: { event_id: 4663, event_data: { ObjectName: 'C:\\a.txt' } } })).toBe(true);
    expect(windows.detect({ winlog: { event_id: 4624, channel: 'Security' } })).toBe(false);
  });
  it('flat JSON (NXLog, Sentinel): EventID or EventId with any one of SubjectUserName, Account or ObjectName', () => {
    expect(windows.detect({ EventID: 4663, SubjectUserName: 'lwei' })).toBe(true);
    expect(windows.detect({ EventID: 4663, Account: 'ACME\\lwei' })).toBe(true);
    expect(windows.detect({ EventID: 4663, ObjectName: 'C:\\a.txt' })).toBe(true);
    expect(windows.detect({ EventId: 5145, Account: 'ACME\\lwei' })).toBe(true);
    expect(windows.detect({ EventID: 4663, Computer: 'FS01' })).toBe(false);
    expect(windows.detect({ SubjectUserName: 'lwei', ObjectName: 'C:\\a.txt' })).toBe(false);
  });
  it('the source is named "windows", the name --source and the configuration use; its events say so', () => {
    expect(sourceByName('windows')).toBe(windows);
    expect(win(flat5145)).toMatchObject({ kind: 'event', event: { source: 'windows' } });
    expect(win(flat4663)).toMatchObject({ kind: 'event', event: { source: 'windows' } });
  });
});

describe('Windows — event XML details', () => {
  it('an EventID with a Qualifiers attribute is the same event', () => {
    expect(win(eventXml(sys5145.replace('<EventID>', '<EventID Qualifiers="0">'), data5145))).toMatchObject({ kind: 'event', event: { id: '9001@fs01', resource: { uri: 'smb://fs01/Lab/HGV/a.txt' } } });
    expect(win(eventXml(sys5145.replace('<EventID>5145', '<EventID Qualifiers="16384">4624'), data5145))).toEqual({ kind: 'skip', reason: 'not a file access event: Windows event 4624' });
  });
  it('a namespace prefix on the elements is the same document', () => {
    const prefixed = eventXml(sys5145, data5145).replace(/<(\/?)(\w+)/g, '<$1ev:$2').replace('xmlns=', 'xmlns:ev=');
    expect(win(prefixed)).toMatchObject({ kind: 'event', event: { id: '9001@fs01', resource: { uri: 'smb://fs01/Lab/HGV/a.txt' } } });
  });
  it('without EventRecordID the id is the time at the computer, in XML as in JSON', () => {
    expect(win(eventXml(sys5145.replace('<EventRecordID>9001</EventRecordID>', ''), data5145))).toMatchObject({ kind: 'event', event: { id: '2026-10-15T09:00:00.000Z@fs01' } });
  });
  it('malformed XML is refused with the parser\'s reason on one line, naming the tag to repair', () => {
    const out = win('<Event><System></Event>');
    expect(out.kind === 'reject' && out.reason).toMatch(/^not well-formed XML: [^\n]*System/);
    expect(win(eventXml(sys5145, data5145).replace('</System>', ''))).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/^not well-formed XML: [^\n]*System/) });
  });
  it('an event with a single Data field is refused for the field it lacks, not for the one it has', () => {
    expect(win(eventXml(sys5145, '<Data Name="AccessMask">0x1</Data>'))).toEqual({ kind: 'reject', reason: '5145 without ShareName' });
    expect(win(eventXml(sys5145.replace('5145', '4663'), '<Data Name="AccessMask">0x1</Data>'))).toEqual({ kind: 'reject', reason: '4663 without ObjectName' });
  });
  it('an empty ObjectName element is no object; an empty AccessMask is no mask', () => {
    const sys4663 = sys5145.replace('5145', '4663');
    expect(win(eventXml(sys4663, '<Data Name="ObjectName"/><Data Name="AccessMask">0x1</Data>'))).toEqual({ kind: 'reject', reason: '4663 without ObjectName' });
    expect(win(eventXml(sys4663, '<Data Name="ObjectName">C:\\a.txt</Data><Data Name="AccessMask"></Data>'))).toEqual({ kind: 'reject', reason: 'Windows event 4663 without AccessMask' });
  });
});

describe('Windows — JSON details', () => {
  it('a record without an event id is refused as not a Windows event, flat or Winlogbeat without event_data', () => {
    expect(win({ SubjectUserName: 'lwei', ObjectName: 'C:\\a.txt', AccessMask: '0x1' })).toEqual({ kind: 'reject', reason: 'not a Windows event: no EventID' });
    expect(win({ winlog: { computer_name: 'FS01' }, SubjectUserName: 'lwei' })).toEqual({ kind: 'reject', reason: 'not a Windows event: no EventID' });
  });
  it('Winlogbeat without record_id: the id is the time at the computer', () => {
    expect(win({ winlog: { event_id: 4663, computer_name: 'FS01', time_created: '2026-10-15T09:00:00Z', event_data: flat4663 } })).toMatchObject({ kind: 'event', event: { id: '2026-10-15T09:00:00.000Z@fs01' } });
  });
  it('a numeric account name (a shipper that types fields) is read as text, in Winlogbeat and flat JSON', () => {
    expect(win({ ...flat4663, SubjectUserName: 20231187 })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['windows:ACME\\20231187'] } } });
    expect(win({ winlog: { event_id: 4663, record_id: 5, computer_name: 'FS01', time_created: '2026-10-15T09:00:00Z', event_data: { ...flat4663, SubjectUserName: 20231187 } } })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['windows:ACME\\20231187'] } } });
  });
  it('a field that is an object is not text: treated as absent', () => {
    const wl = (data: Record<string, unknown>) => ({ winlog: { event_id: 4663, record_id: 5, computer_name: 'FS01', time_created: '2026-10-15T09:00:00Z', event_data: { ...flat4663, ...data } } });
    expect(win(wl({ ObjectName: { path: 'D:\\a.txt' } }))).toEqual({ kind: 'reject', reason: '4663 without ObjectName' });
    expect(win({ ...flat4663, ObjectName: { path: 'D:\\a.txt' } })).toEqual({ kind: 'reject', reason: '4663 without ObjectName' });
  });
  it('backslashes escaped twice over (JSON in JSON in JSON) read as one', () => {
    expect(win({ ...flat5145, RelativeTargetName: 'HGV\\\\\\\\a.txt', ShareName: '\\\\\\\\\\\\\\\\*\\\\\\\\Projects' })).toMatchObject({ kind: 'event', event: { resource: { uri: 'smb://fs01.acme.local/Projects/HGV/a.txt' } } });
  });
});

describe('Windows — accounts, shares and addresses', () => {
  it('an access with no account fields at all is anonymous; a user without a domain is the bare name', () => {
    expect(win({ ...flat4663, SubjectUserName: undefined, SubjectDomainName: undefined })).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
    expect(win({ ...flat4663, SubjectDomainName: undefined })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['windows:lwei'], display: 'lwei' } } });
  });
  it('a machine account (NAME$) and a system identity (S-1-5-20) are services, shown as DOMAIN\\name', () => {
    expect(win({ ...flat4663, SubjectUserName: 'BUILD01$' })).toMatchObject({ kind: 'event', event: { actor: { service: true, display: 'ACME\\BUILD01$' } } });
    expect(win({ ...flat4663, SubjectUserName: 'FS01-SVC', SubjectUserSid: 'S-1-5-20' })).toMatchObject({ kind: 'event', event: { actor: { service: true, display: 'ACME\\FS01-SVC' } } });
  });
  it('the share is the last non-empty part of ShareName: a trailing backslash is ignored; "\\\\*" alone or no ShareName names none', () => {
    expect(win({ ...flat5145, ShareName: '\\\\*\\Projects\\' })).toMatchObject({ kind: 'event', event: { resource: { uri: 'smb://fs01.acme.local/Projects/HGV/a.txt' } } });
    expect(win({ ...flat5145, ShareName: '\\\\*' })).toEqual({ kind: 'reject', reason: '5145 without ShareName' });
    expect(win({ ...flat5145, ShareName: undefined })).toEqual({ kind: 'reject', reason: '5145 without ShareName' });
  });
  it('a 5145 without RelativeTargetName is a listing of the share root, like "\\"', () => {
    expect(win({ ...flat5145, RelativeTargetName: undefined })).toEqual({ kind: 'skip', reason: 'not a read: a listing of the share root' });
    expect(win({ ...flat5145, RelativeTargetName: '\\' })).toEqual({ kind: 'skip', reason: 'not a read: a listing of the share root' });
  });
  it('only an IPv4-mapped prefix is taken off: an IPv6 address with an ffff group is kept whole', () => {
    expect(win({ ...flat5145, IpAddress: '2001:db8::ffff:5' })).toMatchObject({ kind: 'event', event: { ip: '2001:db8::ffff:5' } });
    expect(win({ ...flat5145, IpAddress: '::ffff:10.0.0.9' })).toMatchObject({ kind: 'event', event: { ip: '10.0.0.9' } });
  });
  it('a 4663 without ObjectName is refused, like an empty one', () => {
    expect(win({ ...flat4663, ObjectName: undefined })).toEqual({ kind: 'reject', reason: '4663 without ObjectName' });
  });
  it('ResourceAttributes values may hold parentheses, one value or several', () => {
    expect(resourceTags('S:AI(RA;ID;;;;WD;("ExportControl",TS,0x0,"ITAR (22 CFR 121)"))')).toEqual({ ExportControl: 'ITAR (22 CFR 121)' });
    expect(resourceTags('S:AI(RA;ID;;;;WD;("Programs",TS,0x0,"HGV (Mach 5)","SRAM (28 nm)"))')).toEqual({ Programs: 'HGV (Mach 5);SRAM (28 nm)' });
  });
});
