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
