import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadPolicyFromDisk } from '#cli/policy.ts';
import { assess } from '#shared/assess/index.ts';
import { Classifier } from '#shared/classify/index.ts';
import type { Policy } from '#shared/config/index.ts';
import type { AccessEvent } from '#shared/model/index.ts';
import { Scan, total } from '#shared/pipeline/index.ts';
import { bytes, examples, realFixture } from '#test/helpers.ts';

/**
 * No record can stop a scan: for every source, one record however malformed, between two good
 * ones, neither throws nor goes missing — records = events + skipped + rejected, and the good
 * records around it are still read. The policy matches every resource, so each malformed event
 * also goes through classification, identity, geo-location and assessment.
 */
const variant = (name: string) => readFileSync(new URL(`../../fixtures/variants/logs/${name}`, import.meta.url), 'utf8');
const real = (name: string) => readFileSync(realFixture(name), 'utf8');
const firstLine = (text: string) => text.split('\n').find((l) => l.trim() !== '')!;

const SAMPLES: Record<string, string | Record<string, unknown>> = {
  's3-access': firstLine(real('01-s3-access.sample-get-object.log')),
  cloudtrail: (JSON.parse(real('02-cloudtrail-s3-getobject.sample.json')) as { Records: Record<string, unknown>[] }).Records[0]!,
  'cloudtrail-eventbridge': JSON.parse(firstLine(variant('cloudtrail-eventbridge.jsonl'))),
  github: { ...JSON.parse(firstLine(real('03-github-audit.sample-api-git-events.json'))), actor: 'lwei', actor_location: { country_code: 'US' } },
  gitlab: JSON.parse(real('04-gitlab-audit.sample-streaming-git-op-user.json')),
  m365: JSON.parse(firstLine(variant('m365-sharepoint-identities.jsonl'))),
  gdrive: JSON.parse(firstLine(real('06-google-drive.sample.jsonl'))),
  'gdrive-label': JSON.parse(firstLine(variant('gdrive-labels.jsonl'))),
  box: JSON.parse(firstLine(real('07-box-events.sample-user-stream.jsonl'))),
  windows: JSON.parse(real('08-windows-4663.sample-winlogbeat.json')),
  samba: firstLine(variant('samba-syslog-rfc3164.log')),
  'samba-journald': JSON.parse(firstLine(variant('samba-journald.jsonl'))),
  'samba-debug': variant('log.smbd').split('\n').slice(0, 2).join('\n'),
};

/** Values that broke parsers or the assessment before (country codes that are no country…), and anything else JSON can hold. */
const WEIRD = fc.oneof(
  { arbitrary: fc.constantFrom('EU', 'ZZ', 'T1', 'A1', 'AP', 'eu', '', '-', '\u2028', 'a\nb', '0x', 'NaN', '9999-99-99T99:99:99Z', '\\\\*\\IPC$', '\\', '[2026/10/15 09:00:01,  0]', '<13>', null, -1, 1e308, [], {}), weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
);

type Json = Record<string, unknown>;
function paths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) { out.push([...prefix, k]); if (out.length < 200) paths(v, [...prefix, k], out); }
  return out;
}
function mutate(record: Json, pick: number, value: unknown, remove: boolean): Json {
  const copy = structuredClone(record);
  const all = paths(copy);
  if (!all.length) return copy;
  const path = all[pick % all.length]!;
  let target: Json = copy;
  for (const k of path.slice(0, -1)) target = target[k] as Json;
  if (remove) delete target[path.at(-1)!];
  else target[path.at(-1)!] = value;
  return copy;
}

let policy: Policy;
async function catchAllPolicy(): Promise<Policy> {
  if (policy) return policy;
  const p = await loadPolicyFromDisk(examples('ittmon.yaml'), '/');
  const first = p.datasets[0]!;
  p.datasets = [...p.datasets, { ...first, id: 'everything', match: { paths: ['**'], names: ['*'], tags: {}, labels: [] } }];
  p.sources = { samba: { year: 2026 } };
  policy = p;
  return p;
}

async function scan(text: string) {
  const s = new Scan(await catchAllPolicy());
  await s.add(bytes(text), 'mixed.log');
  return s.summary;
}

describe('no single record can stop a scan (property, every source)', () => {
  for (const [name, sample] of Object.entries(SAMPLES)) {
    const line = (r: unknown) => (typeof r === 'string' ? r : JSON.stringify(r));
    const malformed = typeof sample === 'string'
      ? fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.string({ maxLength: 40 })).map(([at, cut, insert]) => { const i = at % (sample.length + 1); return `${sample.slice(0, i)}${insert}${sample.slice(i + cut)}`.replace(/\n(?! )/g, ' '); })
      : fc.tuple(fc.nat(), WEIRD, fc.boolean()).map(([pick, value, remove]) => line(mutate(sample, pick, value, remove)));
    it(`${name}: the malformed record is accounted for and the good ones around it are still read`, async () => {
      const good = await scan(`${line(sample)}\n${line(sample)}\n`);
      expect(good.records).toBe(2);
      await fc.assert(fc.asyncProperty(malformed, async (bad) => {
        const s = await scan(`${line(sample)}\n${bad}\n${line(sample)}\n`);
        expect(s.records).toBe(s.events + total(s.skipped) + total(s.rejected));
        expect(s.records).toBeGreaterThanOrEqual(bad.trim() === '' ? 2 : 3);
        expect(s.events).toBeGreaterThanOrEqual(good.events);
      }), { numRuns: 120 });
    });
  }
});

describe('a location code that is no country is an unknown location, never an error', () => {
  const event = (country: string): AccessEvent => ({
    id: 'e', source: 'github', time: '2026-10-15T09:00:00.000Z', action: 'clone', release: true,
    actor: { candidates: ['github:nobody-known'] }, sourceCountry: country, resource: { uri: 'github://acme/hgv' }, origin: { file: 'f', line: 1 },
  });
  it.each(['EU', 'ZZ', 'T1', 'A1', 'AP', 'XX', 'eu', ''])('assess with place %j gives no FOREIGN_LOCATION and does not throw', async (code) => {
    const p = await catchAllPolicy();
    const { reasons } = assess(event(code), p.datasets[0]!, undefined, { country: code }, p);
    expect(reasons.map((r) => r.code)).toEqual(['UNKNOWN_ACCOUNT']);
  });
  it('a real country still is placed (the second case: CN)', async () => {
    const p = await catchAllPolicy();
    expect(assess(event('CN'), p.datasets[0]!, undefined, { country: 'CN' }, p).reasons.map((r) => r.code)).toContain('FOREIGN_LOCATION');
  });
  it('a GitHub record with actor_location EU scans through and carries a note', async () => {
    const record = { ...(SAMPLES.github as Json), actor_location: { country_code: 'EU' } };
    const s = await scan(`${JSON.stringify(record)}\n`);
    expect([s.records, s.events]).toEqual([1, 1]);
    const { github } = await import('#shared/sources/github/index.ts');
    expect(github.parse(record, { file: 'f', line: 1 })).toMatchObject({ kind: 'event', event: { notes: ['location unknown: actor_location.country_code "EU" is not an ISO 3166 country'] } });
  });
});

describe('every character of a key is ordinary: ** and * match line breaks and U+2028/U+2029', () => {
  const classifier = new Classifier([{ id: 'd', name: 'd', jurisdiction: 'ITAR', classification: { display: 'IV(i)' } as never, match: { paths: ['s3://acme/ctrl/**'], names: ['*HGV*'], tags: {}, labels: [] } }]);
  it.each(['a\nb.txt', 'x\u2028/y.bin', 'x\u2029y', '\r\n/z', 'deep/er/\n'])('s3://acme/ctrl/%j is controlled', (rest) => {
    expect(classifier.classify({ uri: `s3://acme/ctrl/${rest}` }).map((d) => d.id)).toEqual(['d']);
  });
  it('a name with a line break matches a name glob; a key outside the prefix still does not', () => {
    expect(classifier.classify({ uri: 's3://acme/other/k', name: 'A\nHGV\u2028.step' }).map((d) => d.id)).toEqual(['d']);
    expect(classifier.classify({ uri: 's3://acme/ctrlx/\n' })).toEqual([]);
  });
});
