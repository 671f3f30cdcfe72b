/**
 * A seeded corpus for `npm run bench`: every source, a realistic mix where well under 1% of
 * records touch controlled data, policies of 10 to 10,000 path patterns, and 100,000 people.
 */
import { gzipSync } from 'node:zlib';

/** mulberry32: small, fast and reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CONTROLLED_SHARE = 0.004; // 0.4 % of records touch controlled data
const OWNER = 'a3c1f0e29b7d4c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a';
const TIME = Date.UTC(2026, 9, 15, 0, 0, 0);
const pad = (n: number) => String(n).padStart(2, '0');
const s3Time = (ms: number) => { const d = new Date(ms); return `[${pad(d.getUTCDate())}/Oct/2026:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`; };

/** A key: controlled ones fall under `bucket-K/project-P/…` prefixes the policies name. */
function key(r: () => number, i: number): { bucket: string; key: string; controlled: boolean } {
  const controlled = r() < CONTROLLED_SHARE;
  const bucket = `bucket-${Math.floor(r() * 50)}`;
  return controlled
    ? { bucket, key: `project-${Math.floor(r() * 100)}/cfd/run-${i}/field-${i % 97}.h5`, controlled }
    : { bucket, key: `public/site/assets/img-${i}.png`, controlled };
}
const user = (r: () => number) => `u${Math.floor(r() * 100_000)}`;
const ip = (r: () => number) => (r() < 0.9 ? `10.${Math.floor(r() * 250)}.${Math.floor(r() * 250)}.${Math.floor(r() * 250)}` : `8${Math.floor(r() * 9)}.${Math.floor(r() * 250)}.${Math.floor(r() * 250)}.${Math.floor(r() * 250)}`);
const op = (r: () => number) => { const x = r(); return x < 0.6 ? 'REST.GET.OBJECT' : x < 0.8 ? 'REST.HEAD.OBJECT' : x < 0.95 ? 'REST.PUT.OBJECT' : 'REST.GET.BUCKET'; };

type Gen = (r: () => number, i: number) => string;
export const generators: Record<string, { gen: Gen; gzip?: boolean; wrap?: (lines: string[]) => string }> = {
  's3-access': { gen: (r, i) => { const k = key(r, i); return `${OWNER} ${k.bucket} ${s3Time(TIME + i * 10)} ${ip(r)} arn:aws:iam::111122223333:user/${user(r)} REQ${i} ${op(r)} ${k.key} "GET /${k.key} HTTP/1.1" 200 - 2048 4096 12 3 "-" "aws-cli/2.15" - hostid SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader s3.amazonaws.com TLSv1.2 - -`; } },
  cloudtrail: {
    gzip: true,
    wrap: (lines) => `{"Records":[${lines.join(',')}]}`,
    gen: (r, i) => { const k = key(r, i); return JSON.stringify({ eventVersion: '1.10', userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/${user(r)}` }, eventTime: new Date(TIME + i * 10).toISOString(), eventSource: 's3.amazonaws.com', eventName: r() < 0.5 ? 'GetObject' : 'HeadObject', awsRegion: 'us-east-1', sourceIPAddress: ip(r), requestParameters: { bucketName: k.bucket, key: k.key }, additionalEventData: { bytesTransferredOut: 4096 }, requestID: `R${i}`, eventID: `e-${i}`, readOnly: true, eventType: 'AwsApiCall', managementEvent: false, eventCategory: 'Data' }); },
  },
  github: { gen: (r, i) => { const c = r() < CONTROLLED_SHARE; return JSON.stringify({ '@timestamp': TIME + i * 10, _document_id: `d${i}`, action: r() < 0.5 ? 'git.clone' : 'git.push', actor: user(r), actor_ip: ip(r), org: 'acme', repo: c ? `acme/project-${Math.floor(r() * 100)}-solver` : `acme/web-${i % 500}`, transport_protocol_name: 'http' }); } },
  gitlab: { gen: (r, i) => { const c = r() < CONTROLLED_SHARE; return JSON.stringify({ id: String(i), author_id: 42, author_name: user(r), entity_type: 'Project', entity_path: c ? `acme/project-${Math.floor(r() * 100)}/solver` : `acme/web/site-${i % 500}`, event_type: 'repository_git_operation', created_at: new Date(TIME + i * 10).toISOString(), ip_address: ip(r), details: { author_class: 'User', custom_message: { protocol: 'http', action: r() < 0.6 ? 'git-upload-pack' : 'git-receive-pack' } } }); } },
  m365: { gen: (r, i) => { const c = r() < CONTROLLED_SHARE; const name = `doc-${i}.docx`; return JSON.stringify({ Id: `m-${i}`, RecordType: 6, CreationTime: new Date(TIME + i * 10).toISOString().slice(0, 19), Operation: r() < 0.5 ? 'FileAccessed' : 'FileModified', Workload: 'SharePoint', UserId: `${user(r)}@acme.edu`, ClientIP: ip(r), ObjectId: `https://acme.sharepoint.com/sites/${c ? `project-${Math.floor(r() * 100)}` : 'intranet'}/Shared Documents/${name}`, SourceFileName: name }); } },
  gdrive: { gen: (r, i) => JSON.stringify({ kind: 'admin#reports#activity', id: { time: new Date(TIME + i * 10).toISOString(), uniqueQualifier: String(i), applicationName: 'drive' }, actor: { email: `${user(r)}@acme.edu` }, ipAddress: ip(r), events: [{ type: 'access', name: r() < 0.5 ? 'view' : 'edit', parameters: [{ name: 'doc_id', value: `doc${i}` }, { name: 'doc_title', value: r() < CONTROLLED_SHARE ? `project-${i % 100} HGV loads.xlsx` : `notes ${i}.txt` }] }] }) },
  box: { gen: (r, i) => JSON.stringify({ type: 'event', event_id: `b${i}`, event_type: r() < 0.5 ? 'DOWNLOAD' : 'UPLOAD', created_at: new Date(TIME + i * 10).toISOString(), ip_address: ip(r), created_by: { type: 'user', id: String(Math.floor(r() * 100_000)), login: `${user(r)}@acme.edu` }, source: { item_type: 'file', item_id: String(i), item_name: r() < CONTROLLED_SHARE ? `project-${i % 100}-HGV.step` : `photo-${i}.jpg` } }) },
  windows: { gen: (r, i) => { const c = r() < CONTROLLED_SHARE; return `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>5145</EventID><TimeCreated SystemTime="${new Date(TIME + i * 10).toISOString()}"/><EventRecordID>${i}</EventRecordID><Computer>fs1.acme.local</Computer></System><EventData><Data Name="SubjectUserName">${user(r)}</Data><Data Name="SubjectDomainName">ACME</Data><Data Name="IpAddress">${ip(r)}</Data><Data Name="ShareName">\\\\*\\${c ? `project-${i % 100}` : 'Public'}</Data><Data Name="RelativeTargetName">dir\\file-${i}.txt</Data><Data Name="AccessMask">${r() < 0.5 ? '0x1' : '0x80'}</Data></EventData></Event>`; } },
  samba: { gen: (r, i) => { const d = new Date(TIME + i * 10); return `Oct ${d.getUTCDate()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} fs2 smbd_audit: ${user(r)}|${ip(r)}|PC${i % 300}|${r() < CONTROLLED_SHARE ? `project-${i % 100}` : 'Public'}|openat|ok|${r() < 0.5 ? 'r' : 'w'}|dir/file-${i}.txt`; } },
};

/** One corpus file per source: `records` records, gzipped where the source delivers gzip. */
export function corpusFile(source: string, records: number, seed = 7): Buffer {
  const g = generators[source]!;
  const r = rng(seed);
  const lines = Array.from({ length: records }, (_, i) => g.gen(r, i));
  // Trail files hold up to about a thousand records each: one document per line here.
  const chunks: string[] = [];
  if (g.wrap) for (let i = 0; i < lines.length; i += 1000) chunks.push(g.wrap(lines.slice(i, i + 1000)));
  const text = `${(g.wrap ? chunks : lines).join('\n')}\n`;
  return g.gzip ? gzipSync(text) : Buffer.from(text);
}

/** A policy's path patterns: literal prefixes, `**`, braces and extglobs, like real policies mix them. */
export function patterns(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const b = `bucket-${i % 50}`;
    const p = `project-${Math.floor(i / 50) % 100}`;
    switch (i % 5) {
      case 0: out.push(`s3://${b}/${p}/**`); break;
      case 1: out.push(`s3://${b}/${p}-${i}/{cfd,mesh}/*.h5`); break;
      case 2: out.push(`github://acme/${p}-*`); break;
      case 3: out.push(`https://acme.sharepoint.com/sites/${p}/**`); break;
      default: out.push(`smb://fs1.acme.local/${p}/+(dir|data)/**/*.@(txt|csv)`); break;
    }
  }
  return out;
}

/** `count` people with accounts in every source. */
export function peopleCsv(count: number): string {
  const rows = ['id,name,email,accounts,citizenships,permanent_residency,us_person,groups'];
  const countries = ['US', 'US', 'US', 'CN', 'IN', 'DE', 'GB', 'IR', 'KR', 'BR'];
  for (let i = 0; i < count; i++) rows.push(`p${i},Person ${i},u${i}@acme.edu,github:u${i};aws:arn:aws:iam::111122223333:user/u${i};windows:ACME\\u${i};samba:u${i};box:${i};gitlab:u${i},${countries[i % countries.length]},,,${i % 7 === 0 ? 'tcp' : ''}`);
  return `${rows.join('\n')}\n`;
}
