import { describe, expect, it } from 'vitest';
import { Scan } from '#shared/pipeline/index.ts';
import { loadGeoDatabase } from '#shared/geo/index.ts';
import { examples } from '#test/helpers.ts';
import { loadPolicyFromDisk } from '#cli/policy.ts';

/** Yields `total` bytes of S3 access log lines, generated on the fly (nothing is held). */
async function* s3Lines(total: number): AsyncGenerator<Buffer> {
  const line = (i: number) => `a3c1 nfu-aero-research [14/Oct/2026:08:02:11 +0000] 10.20.${i % 250}.7 arn:aws:iam::111122223333:user/u${i % 5000} REQ${i} REST.GET.OBJECT ${i % 100 === 0 ? 'hgv' : 'public'}/file-${i}.h5 "GET /x HTTP/1.1" 200 - 1024 2048 4 2 "-" "aws-cli/2" - hostid SigV4 suite AuthHeader host TLSv1.2\n`;
  let sent = 0;
  let i = 0;
  while (sent < total) {
    const chunk: string[] = [];
    for (let n = 0; n < 2000; n++) chunk.push(line(i++));
    const buf = Buffer.from(chunk.join(''));
    sent += buf.length;
    yield buf;
  }
}

describe('streaming', () => {
  it('memory stays flat while scanning far more bytes than it may hold', async () => {
    const policy = await loadPolicyFromDisk(examples('ittmon.yaml'), '/');
    const scan = new Scan(policy, { geoDatabase: loadGeoDatabase() });
    const input = 400 * 1024 * 1024;
    await scan.add(s3Lines(8 * 1024 * 1024), 'warm-up.log');
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    await scan.add(s3Lines(input), 'big.log');
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(scan.summary.records).toBeGreaterThan(1_500_000);
    expect(scan.summary.records).toBe(scan.summary.events + Object.values(scan.summary.skipped).reduce((a, b) => a + b, 0) + Object.values(scan.summary.rejected).reduce((a, b) => a + b, 0));
    // Growth is what the flags and caches need (a few thousand unknown accounts), not the input's size.
    expect((peak - before) / 1024 / 1024).toBeLessThan(200);
  }, 120_000);
});
