import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { m365 } from '#shared/sources/m365/index.ts';
import { sourceByName } from '#shared/sources/index.ts';
import { events, parseWith, realFixture, handled } from '#test/helpers.ts';

const source = m365({ labels: { '8a1c2f3e-0000-4000-8000-000000000001': 'ITAR-Controlled' } });
const origin = { file: 'f', line: 1 };

describe('Microsoft 365 — real fixtures (Elastic test tenant)', () => {
  it('FileAccessed is a view; FileUploaded and FileDeleted are not reads', async () => {
    const out = await parseWith(source, readFileSync(realFixture('05-m365-sharepoint.sample.jsonl'), 'utf8'));
    expect(out.map((o) => (o.kind === 'skip' ? o.reason : o.kind))).toEqual(['event', 'not a read: FileUploaded', 'not a read: FileDeleted']);
    expect(events(out)[0]).toMatchObject({
      id: '25b08f04-48ee-4755-ce22-08d7abecf3a9', time: '2020-02-07T16:44:08.000Z', action: 'view', ip: '81.2.69.143',
      actor: { candidates: ['m365:asr@testsiem.onmicrosoft.com', 'email:asr@testsiem.onmicrosoft.com'] },
      resource: { uri: 'https://testsiem-my.sharepoint.com/personal/asr_testsiem_onmicrosoft_com/Documents/Forms/All.aspx', name: 'All.aspx' },
    });
  });
});

// Authored from the documented schema: FileDownloaded has the FileAccessed shape (no public sample exists).
const rec = (over: Record<string, unknown> = {}) => ({
  Id: 'a1', RecordType: 6, CreationTime: '2026-10-15T09:00:00', Operation: 'FileDownloaded', Workload: 'SharePoint', UserId: 'li.wei@northfield.edu', ClientIP: '10.0.0.5',
  ObjectId: 'https://northfield.sharepoint.com/sites/HGV/Shared Documents/HGV-loads.xlsx', SourceFileName: 'HGV-loads.xlsx', ...over,
});
describe('Microsoft 365 — documented shapes (authored)', () => {
  it.each([['FileDownloaded', 'download'], ['FileSyncDownloadedFull', 'sync'], ['FileSyncDownloadedPartial', 'sync'], ['FileAccessedExtended', 'view'], ['FilePreviewed', 'preview'], ['FileCopied', 'copy'], ['AnonymousLinkUsed', 'view'], ['SecureLinkUsed', 'view'], ['CompanyLinkUsed', 'view']])('%s is a release (%s)', (operation, action) => {
    expect(source.parse(rec({ Operation: operation }), origin)).toMatchObject({ kind: 'event', event: { action, release: true } });
  });
  it('RecordType as a string, CreationTime without a zone is UTC', () => {
    expect(source.parse(rec({ RecordType: '6' }), origin)).toMatchObject({ kind: 'event', event: { time: '2026-10-15T09:00:00.000Z' } });
  });
  it.each([['203.0.113.7', '203.0.113.7'], ['203.0.113.7:51234', '203.0.113.7'], ['2001:db8::5', '2001:db8::5'], ['[2001:db8::5]:443', '2001:db8::5']])('ClientIP %s', (raw, ip) => {
    expect(source.parse(rec({ ClientIP: raw }), origin)).toMatchObject({ kind: 'event', event: { ip } });
  });
  it('guests are external accounts with their own e-mail; anonymous links are anonymous', () => {
    expect(source.parse(rec({ UserId: 'ivan_partner.ru#EXT#@northfield.onmicrosoft.com' }), origin)).toMatchObject({ kind: 'event', event: { actor: { external: true, candidates: ['m365:ivan_partner.ru#EXT#@northfield.onmicrosoft.com', 'email:ivan@partner.ru'] } } });
    expect(source.parse(rec({ UserId: 'urn:spo:anon#5d3c…' }), origin)).toMatchObject({ kind: 'event', event: { actor: { anonymous: true } } });
    expect(source.parse(rec({ UserId: 'app@sharepoint' }), origin)).toMatchObject({ kind: 'event', event: { actor: { service: true } } });
  });
  it('sensitivity-label events become labels, the GUID named from config', () => {
    const applied = source.parse(rec({ Operation: 'FileSensitivityLabelApplied', SensitivityLabelEventData: { SensitivityLabelId: '8a1c2f3e-0000-4000-8000-000000000001' } }), origin);
    expect(applied).toMatchObject({ kind: 'event', event: { action: 'label', release: false, labelChange: 'replace', resource: { labels: ['ITAR-Controlled'] } } });
    expect(source.parse(rec({ Operation: 'FileSensitivityLabelRemoved' }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: [] } } });
    expect(source.parse(rec({ Operation: 'FileSensitivityLabelChanged', SensitivityLabelEventData: { SensitivityLabelId: 'unknown-guid' } }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: ['unknown-guid'] } } });
  });
  it('other workloads and failed operations are skipped', () => {
    expect(source.parse(rec({ Workload: 'Exchange' }), origin)).toEqual({ kind: 'skip', reason: 'not SharePoint or OneDrive: Exchange' });
    expect(source.parse(rec({ ResultStatus: 'Failed' }), origin)).toEqual({ kind: 'skip', reason: 'request failed: FileDownloaded' });
  });
  it('never throws (fuzz)', () => {
    fc.assert(fc.property(fc.object({ maxDepth: 2 }), fc.anything(), (o, v) => {
      for (const r of [o, { ...rec(), ...o }, rec({ UserId: v, ClientIP: v }), rec({ CreationTime: v }), rec({ Operation: 'FileSensitivityLabelApplied', SensitivityLabelEventData: v })]) expect(['event', 'skip', 'reject']).toContain(handled(source.parse(r as Record<string, unknown>, origin)));
    }), { numRuns: 300 });
  });
});

describe('Microsoft 365 — guests and claims-encoded identities (test/fixtures/variants)', () => {
  it('each form gives the e-mail (or Windows account) a directory can match; guests are external', async () => {
    const out = await parseWith(m365(), readFileSync(new URL('../../fixtures/variants/logs/m365-sharepoint-identities.jsonl', import.meta.url)));
    expect(out.map((o) => o.kind === 'event' && { candidates: o.event.actor.candidates, external: o.event.actor.external ?? false })).toEqual([
      { candidates: ['m365:urn:spo:guest#partner@example.com', 'email:partner@example.com'], external: true },
      { candidates: ['m365:i:0#.f|membership|lwei@acme.edu', 'email:lwei@acme.edu'], external: false },
      { candidates: ['m365:i:0#.w|acme\\mkumar', 'windows:acme\\mkumar'], external: false },
      { candidates: ['m365:ana_example.org#EXT#@acme.onmicrosoft.com', 'email:ana@example.org'], external: true },
    ]);
  });
  it('a trusted-provider claim (ADFS, claim type 5 = e-mail) gives the e-mail too', () => {
    const r = { CreationTime: '2026-10-15T09:00:00', Id: 'x1', Operation: 'FileDownloaded', Workload: 'SharePoint', ObjectId: 'https://acme.sharepoint.com/a.txt', UserId: 'i:05.t|adfs|lwei@acme.edu' };
    expect(m365().parse(r, { file: 'f', line: 1 })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['m365:i:05.t|adfs|lwei@acme.edu', 'email:lwei@acme.edu'], display: 'lwei@acme.edu' } } });
  });
});

// Behaviour from the Management Activity API schema (reference/log-sources/05-m365-sharepoint-onedrive.md), each with its second case.
describe('Microsoft 365 — documented behaviour, second cases', () => {
  it('ObjectId is the file\'s URL; without it the URL is SiteUrl + SourceRelativeUrl + SourceFileName (with or without a trailing slash)', () => {
    const parts = { ObjectId: undefined, SiteUrl: 'https://northfield.sharepoint.com/sites/HGV/', SourceRelativeUrl: 'Shared Documents/loads', SourceFileName: 'HGV-loads.xlsx' };
    expect(source.parse(rec(parts), origin)).toMatchObject({ kind: 'event', event: { resource: { uri: 'https://northfield.sharepoint.com/sites/HGV/Shared Documents/loads/HGV-loads.xlsx', name: 'HGV-loads.xlsx' } } });
    expect(source.parse(rec({ ...parts, SiteUrl: 'https://northfield-my.sharepoint.com/personal/lwei' }), origin)).toMatchObject({ kind: 'event', event: { resource: { uri: 'https://northfield-my.sharepoint.com/personal/lwei/Shared Documents/loads/HGV-loads.xlsx' } } });
    expect(source.parse(rec({ ...parts, SourceRelativeUrl: undefined }), origin)).toEqual({ kind: 'reject', reason: 'FileDownloaded without ObjectId' });
    expect(source.parse(rec({ ...parts, SourceFileName: undefined }), origin)).toEqual({ kind: 'reject', reason: 'FileDownloaded without ObjectId' });
  });
  it('the name is SourceFileName, else the last part of ObjectId', () => {
    expect(source.parse(rec({ SourceFileName: undefined }), origin)).toMatchObject({ kind: 'event', event: { resource: { name: 'HGV-loads.xlsx' } } });
    expect(source.parse(rec({ SourceFileName: undefined, ObjectId: 'https://northfield-my.sharepoint.com/personal/lwei/Documents/mesh.step' }), origin)).toMatchObject({ kind: 'event', event: { resource: { name: 'mesh.step' } } });
  });
  it('SharePoint and OneDrive are read (and a record that names no workload); any other workload is not', () => {
    expect(source.parse(rec({ Workload: 'OneDrive' }), origin)).toMatchObject({ kind: 'event', event: { action: 'download' } });
    expect(source.parse(rec({ Workload: undefined }), origin)).toMatchObject({ kind: 'event', event: { action: 'download' } });
    expect(source.parse(rec({ Workload: 'MicrosoftTeams' }), origin)).toEqual({ kind: 'skip', reason: 'not SharePoint or OneDrive: MicrosoftTeams' });
  });
  it('ResultStatus "failed" in any case is skipped; "Succeeded" is a read', () => {
    expect(source.parse(rec({ ResultStatus: 'failed' }), origin)).toEqual({ kind: 'skip', reason: 'request failed: FileDownloaded' });
    expect(source.parse(rec({ ResultStatus: 'Succeeded' }), origin)).toMatchObject({ kind: 'event', event: { action: 'download' } });
  });
  it('a record needs Id and CreationTime; other operations are not reads', () => {
    expect(source.parse(rec({ Id: undefined }), origin)).toEqual({ kind: 'reject', reason: 'Microsoft 365 audit record needs Id and CreationTime' });
    expect(source.parse(rec({ CreationTime: 'yesterday' }), origin)).toEqual({ kind: 'reject', reason: 'Microsoft 365 audit record needs Id and CreationTime' });
    expect(source.parse(rec({ Operation: 'FileMoved' }), origin)).toEqual({ kind: 'skip', reason: 'not a read: FileMoved' });
    expect(source.parse(rec({ Operation: 'DocumentSensitivityMismatchDetected' }), origin)).toEqual({ kind: 'skip', reason: 'not a read: DocumentSensitivityMismatchDetected' });
  });
  it('a label GUID is named from config whatever its case, on a label event and on a read that carries SensitivityLabelId', () => {
    const upper = '8A1C2F3E-0000-4000-8000-000000000001';
    expect(source.parse(rec({ Operation: 'FileSensitivityLabelChanged', SensitivityLabelEventData: { SensitivityLabelId: upper } }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: ['ITAR-Controlled'] } } });
    expect(source.parse(rec({ Operation: 'FileSensitivityLabelApplied', SensitivityLabelId: '8a1c2f3e-0000-4000-8000-000000000001' }), origin)).toMatchObject({ kind: 'event', event: { action: 'label', resource: { labels: ['ITAR-Controlled'] } } });
    expect(source.parse(rec({ SensitivityLabelId: upper }), origin)).toMatchObject({ kind: 'event', event: { action: 'download', release: true, resource: { labels: ['ITAR-Controlled'] } } });
    const unlabelled = source.parse(rec(), origin);
    expect(unlabelled.kind === 'event' && unlabelled.event.resource.labels).toBeUndefined();
    // A label event that names no label leaves the file without one; a removal ignores the id it names.
    expect(source.parse(rec({ Operation: 'FileSensitivityLabelApplied' }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: [] } } });
    expect(source.parse(rec({ Operation: 'FileSensitivityLabelRemoved', SensitivityLabelEventData: { SensitivityLabelId: upper } }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: [] } } });
  });
  it('SharePoint\'s own system account is a service like app@sharepoint', () => {
    expect(source.parse(rec({ UserId: 'SHAREPOINT\\system' }), origin)).toMatchObject({ kind: 'event', event: { actor: { service: true, candidates: ['m365:SHAREPOINT\\system'] } } });
  });
  it('a guest without an e-mail in the UPN is still external, named by the UPN', () => {
    expect(source.parse(rec({ UserId: 'urn:spo:guest#partner-team' }), origin)).toMatchObject({ kind: 'event', event: { actor: { external: true, candidates: ['m365:urn:spo:guest#partner-team'], display: 'urn:spo:guest#partner-team' } } });
    expect(source.parse(rec({ UserId: 'partnerexample#EXT#@northfield.onmicrosoft.com' }), origin)).toMatchObject({ kind: 'event', event: { actor: { external: true, candidates: ['m365:partnerexample#EXT#@northfield.onmicrosoft.com'] } } });
  });
  it('a member is named by the UPN, with the e-mail candidate only when it is one', () => {
    expect(source.parse(rec(), origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: ['m365:li.wei@northfield.edu', 'email:li.wei@northfield.edu'], display: 'li.wei@northfield.edu' } } });
    const notEmail = source.parse(rec({ UserId: 'S-1-5-21-1004' }), origin);
    expect(notEmail).toMatchObject({ kind: 'event', event: { actor: { candidates: ['m365:S-1-5-21-1004'], display: 'S-1-5-21-1004' } } });
    expect(notEmail.kind === 'event' && notEmail.event.actor.external).toBeUndefined();
  });
});

describe('Microsoft 365 — what is decided first', () => {
  it('an operation that is not a read is skipped even when the rest is incomplete; a text line is refused as not JSON', () => {
    expect(source.parse({ Operation: 'UserLoggedIn' }, origin)).toEqual({ kind: 'skip', reason: 'not a read: UserLoggedIn' });
    expect(source.parse({ Operation: 'FileDownloaded' }, origin)).toEqual({ kind: 'reject', reason: 'Microsoft 365 audit record needs Id and CreationTime' });
    expect(source.parse('FileDownloaded li.wei@northfield.edu', origin)).toEqual({ kind: 'reject', reason: 'Microsoft 365 audit records are JSON objects' });
  });
});

// Gaps found by mutation testing, pinned from the Management Activity API common schema
// (CreationTime, Operation, Workload, RecordType, UserId), each with its second case.
describe('Microsoft 365 — detect, accounts and labels, second cases', () => {
  it('detect: Operation as text and CreationTime, with Workload or RecordType (either is enough)', () => {
    expect(source.detect({ CreationTime: '2026-10-15T09:00:00', Operation: 'FileDownloaded', Workload: 'SharePoint' })).toBe(true);
    expect(source.detect({ CreationTime: '2026-10-15T09:00:00', Operation: 'FileDownloaded', RecordType: 6 })).toBe(true);
  });
  it('detect: without CreationTime, without both Workload and RecordType, or with an Operation that is not text, it is not', () => {
    expect(source.detect({ Operation: 'FileDownloaded', Workload: 'SharePoint', RecordType: 6 })).toBe(false);
    expect(source.detect({ CreationTime: '2026-10-15T09:00:00', Operation: 'FileDownloaded' })).toBe(false);
    expect(source.detect({ CreationTime: '2026-10-15T09:00:00', Operation: null, Workload: 'SharePoint', RecordType: 6 })).toBe(false);
  });
  it('the source is named "m365", the name --source and the configuration use; its reads and label changes say so', () => {
    expect(sourceByName('m365')!.parse(rec(), origin)).toMatchObject({ kind: 'event', event: { source: 'm365', action: 'download' } });
    expect(source.parse(rec({ Operation: 'FileSensitivityLabelRemoved' }), origin)).toMatchObject({ kind: 'event', event: { source: 'm365', action: 'label' } });
  });
  it('a record without UserId is anonymous, like an anonymous link: no account to match', () => {
    expect(source.parse(rec({ UserId: undefined }), origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
    expect(source.parse(rec({ UserId: 'urn:spo:anon#5d3c' }), origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
  });
  it('without configured label names a label keeps its id, on a read and on a label event', () => {
    const plain = m365();
    expect(plain.parse(rec({ SensitivityLabelId: '8a1c2f3e-0000-4000-8000-000000000001' }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: ['8a1c2f3e-0000-4000-8000-000000000001'] } } });
    expect(plain.parse(rec({ Operation: 'FileSensitivityLabelApplied', SensitivityLabelEventData: { SensitivityLabelId: '8A1C2F3E-0000-4000-8000-000000000002' } }), origin)).toMatchObject({ kind: 'event', event: { resource: { labels: ['8A1C2F3E-0000-4000-8000-000000000002'] } } });
  });
  it('a claims prefix counts only at the start of a one-line UserId', () => {
    const inside = source.parse(rec({ UserId: 'note i:0#.f|membership|lwei@acme.edu' }), origin);
    expect(inside.kind === 'event' && inside.event.actor.candidates).toEqual(['m365:note i:0#.f|membership|lwei@acme.edu']);
    const twoLines = source.parse(rec({ UserId: 'i:0#.f|membership|lwei@acme.edu\nmkumar@acme.edu' }), origin);
    expect(twoLines.kind === 'event' && twoLines.event.actor.candidates).toEqual(['m365:i:0#.f|membership|lwei@acme.edu\nmkumar@acme.edu']);
  });
  it('a guest UPN with no name before the domain gives no e-mail', () => {
    const out = source.parse(rec({ UserId: '_example.org#EXT#@northfield.onmicrosoft.com' }), origin);
    expect(out).toMatchObject({ kind: 'event', event: { actor: { external: true, candidates: ['m365:_example.org#EXT#@northfield.onmicrosoft.com'] } } });
  });
});
