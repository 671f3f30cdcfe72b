import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { m365 } from '#shared/sources/m365/index.ts';
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
