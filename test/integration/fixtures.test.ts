import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyFromDisk } from '#cli/policy.ts';
import { Scan, total } from '#shared/pipeline/index.ts';
import { examples, realFixture } from '#test/helpers.ts';

/** What each real fixture must give: [source, events, skipped, rejected]. */
const expected: Record<string, [string | null, number, number, number]> = {
  '01-s3-access.sample-awsdocs-beats.log': ['s3-access', 0, 3, 0],
  '01-s3-access.sample-get-object.log': ['s3-access', 1, 0, 0],
  '01-s3-access.sample.log': ['s3-access', 0, 4, 0],
  '02-cloudtrail-codecommit-gitpull.sample.jsonc': [null, 0, 0, 1], // comments and trailing commas, as AWS printed it
  '02-cloudtrail-s3-getobject.sample.json': ['cloudtrail', 1, 0, 0],
  '02-cloudwatch-logs-subscription.sample.json': [null, 0, 0, 1], // a documentation wrapper, not a log
  '03-github-audit.sample-api-git-events.json': ['github', 2, 0, 0],
  '04-gitlab-audit.sample-audit_json.log': ['gitlab', 0, 2, 0],
  '04-gitlab-audit.sample-streaming-git-op-user.json': ['gitlab', 1, 0, 0],
  '04-gitlab-audit.sample-streaming-git-op.json': ['gitlab', 0, 1, 0], // a deploy key: service principal
  '05-m365-sharepoint.sample.jsonl': ['m365', 1, 2, 0],
  '06-google-drive.sample.jsonl': ['gdrive', 3, 0, 0],
  '07-box-events.sample-user-stream.jsonl': ['box', 2, 0, 0],
  '08-windows-4663.sample-winlogbeat.json': ['windows', 0, 1, 0],
  '08-windows-5145.sample.xml': ['windows', 0, 0, 1], // Event Viewer "- " markers
  '09-samba-full-audit.sample.log': ['samba', 0, 4, 0],
};

describe('every real fixture', () => {
  const dir = realFixture('');
  const files = readdirSync(dir).filter((f) => !f.endsWith('.yml') && !f.endsWith('.md')).sort();
  it('is covered by this table', () => expect(files).toEqual(Object.keys(expected).sort()));
  it.each(files)('%s is read into events, skips and clear rejections that add up', async (file) => {
    const policy = await loadPolicyFromDisk(examples('ittmon.yaml'), '/');
    policy.sources = { samba: { prefix: '%u|%I' } }; // as the Samba sample was configured
    const rejects: string[] = [];
    const scan = new Scan(policy, { onReject: (r) => rejects.push(r.reason) });
    await scan.add(createReadStream(join(dir, file)), file);
    const s = scan.summary;
    const [source, events, skipped, rejected] = expected[file]!;
    expect([s.events, total(s.skipped), total(s.rejected)]).toEqual([events, skipped, rejected]);
    expect(s.records).toBe(s.events + total(s.skipped) + total(s.rejected));
    if (source) expect(Object.keys(s.bySource)).toEqual([source]);
    for (const r of rejects) expect(r.length).toBeGreaterThan(20);
  });
});

/**
 * Every variant the products really write (test/fixtures/variants/logs, each documented in its
 * README), with a gzipped copy, a UTF-16 export, a binary file, an empty file and a file of
 * nothing known, scanned as a user scans them: every record is accounted for.
 */
describe('ittmon scan over a mixed directory of every variant', () => {
  it('records = events + skipped + rejected; rejects are the quarantine; the variants raise the flags they should', async () => {
    const { cpSync, mkdtempSync, readFileSync: read, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { gzipSync } = await import('node:zlib');
    const { ittmon } = await import('./cli.ts');
    const variants = new URL('../fixtures/variants/', import.meta.url).pathname;
    const dir = mkdtempSync(join(tmpdir(), 'ittmon-variants-'));
    cpSync(join(variants, 'logs'), join(dir, 'logs'), { recursive: true });
    const logs = join(dir, 'logs');
    writeFileSync(join(logs, 'samba-rfc3164-rotated.log.1.gz'), gzipSync(read(join(logs, 'samba-syslog-rfc3164.log'))));
    writeFileSync(join(logs, 'windows-5145-utf16.xml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(read(join(logs, 'windows-5145-shares.xml'), 'utf8'), 'utf16le')]));
    writeFileSync(join(logs, 'Security.evtx'), Buffer.concat([Buffer.from('ElfFile\0'), Buffer.alloc(4088)]));
    writeFileSync(join(logs, 'empty.log'), '');
    writeFileSync(join(logs, 'notes.txt'), 'remember to rotate the logs\nand to check the share permissions\n');
    const quarantine = join(dir, 'quarantine.jsonl');

    const run = await ittmon(['scan', logs, '--config', join(variants, 'ittmon.yaml'), '--json', '--quarantine', quarantine]);
    expect(run.code).toBe(0);
    const m = /(\d+) files?, (\d+) records → (\d+) events, (\d+) skipped, (\d+) rejected/.exec(run.stderr)!;
    const [files, records, events, skipped, rejected] = m.slice(1).map(Number);
    expect(files).toBe(19);
    expect(records).toBe(events! + skipped! + rejected!);
    // 53 records in the samples, 6 in the gzipped copy, 8 in the UTF-16 copy, 1 binary, 1 empty, 1 unrecognised file.
    expect(records).toBe(53 + 6 + 8 + 1 + 1 + 1);
    const rejects = read(quarantine, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; reason: string });
    expect(rejects).toHaveLength(rejected!);
    expect(rejects.map((r) => `${r.file.split('/').pop()}: ${r.reason.split(':')[0]}`).sort()).toEqual([
      'Security.evtx: binary file (4096 bytes)',
      'empty.log: unrecognised file',
      'notes.txt: unrecognised file',
    ]);

    const flags = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { actor: { key: string; person?: string }; reasons: { code: string }[]; events: { source: string; resource: string; action: string; notes?: string[] }[] });
    const flagged = (source: string, resource: string) => flags.find((f) => f.events.some((e) => e.source === source && e.resource === resource));
    // Samba: an absolute path in a share configured under sources.samba.shares, a pid in the tag, RFC 3164 with <PRI>.
    expect(flagged('samba', 'smb://fs1/research/HGV/runs/case12.h5')?.actor.person).toBe('p-001');
    // The default share-root rule, RFC 5424; journald; rsyslog JSON; Samba's own log file.
    expect(flagged('samba', 'smb://fs2/public/IT/x.pdf')).toBeDefined();
    expect(flagged('samba', 'smb://fs3/research/HGV/runs/case12.h5')).toBeDefined();
    expect(flagged('samba', 'smb://fs4/research/HGV/runs/case12.h5')).toBeDefined();
    expect(flagged('samba', 'smb://samba/research/HGV/runs/case13.h5')?.actor.person).toBe('p-003');
    // GitLab's UI download (plain-string custom_message).
    expect(flagged('gitlab', 'gitlab://acme/hgv/solver')?.events.find((e) => e.source === 'gitlab')?.action).toBe('download');
    // A Drive label learned from label_field_changed classifies a later download.
    expect(flagged('gdrive', 'gdrive://1HgVcAsE12rEpOrTxYz')?.actor.person).toBe('p-002');
    // An M365 guest (urn:spo:guest#) resolves to the person by e-mail, not an unknown account.
    const guest = flagged('m365', 'https://acme.sharepoint.com/sites/HGV/Shared Documents/runs/case12.h5')!;
    expect([guest.actor.person, guest.reasons.map((r) => r.code)]).toEqual(['p-004', ['DEEMED_EXPORT']]);
    // CloudTrail through EventBridge and S3 Express One Zone.
    expect(flagged('cloudtrail', 's3://acme-research/hgv/runs/case12.h5')).toBeDefined();
    expect(flagged('cloudtrail', 's3://hgv-scratch--usw2-az1--x-s3/runs/case12.h5')).toBeDefined();
    // A GitHub country code that is no country: scanned, placed nowhere, and the reviewer is told.
    const eu = flags.flatMap((f) => f.events).find((e) => e.source === 'github' && e.action === 'clone')!;
    expect(eu.notes).toEqual(['location unknown: actor_location.country_code "EU" is not an ISO 3166 country']);
    expect(flags.find((f) => f.events.includes(eu))!.reasons.map((r) => r.code)).toEqual(['ANONYMOUS_ACCESS']);
    // Windows: the one real read among listings, pipes, metadata and refusals (twice: UTF-8 and UTF-16 copies, one event id).
    expect(flags.flatMap((f) => f.events).filter((e) => e.source === 'windows').map((e) => e.resource)).toEqual(['smb://fs01.acme.local/Projects/HGV/runs/case12.h5']);
  }, 60_000);
});
