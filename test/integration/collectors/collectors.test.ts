import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { collect, collectorFor, CredentialError, credentialsFromEnv, parseCredentials, type CheckpointStore, type CollectorSource } from '#shared/collect/index.ts';
import { directorySink, fileCheckpoints } from '#shared/collect/local.ts';
import type { HttpOptions } from '#shared/collect/http.ts';
import { ittmon } from '../cli.ts';
import { BoxApi, GitHubApi, GitLabApi, GoogleApi, LoopbackApi, M365Api, serviceAccount, times } from './apis.ts';

const NOW = new Date('2026-11-20T12:00:00Z');
const SINCE = new Date('2026-11-18T12:00:00Z');
const context = { since: SINCE, now: () => NOW };

/** Every file the collector wrote under DIR (not its .ittmon state). */
function pageFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) { if (name !== '.ittmon') walk(full); } else out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

/** The record ids in the pages written, whatever the envelope (array, items, entries). */
function collectedIds(dir: string, idOf: (r: Record<string, unknown>) => string): string[] {
  return pageFiles(dir).flatMap((f) => {
    const page = JSON.parse(readFileSync(f, 'utf8')) as unknown;
    const records = Array.isArray(page) ? page : ((page as { items?: unknown[]; entries?: unknown[] }).items ?? (page as { entries?: unknown[] }).entries ?? []);
    return (records as Record<string, unknown>[]).map(idOf);
  });
}

interface Case {
  source: CollectorSource;
  /** Starts the API with `n` records inside the window, and returns the credentials to use. */
  setup(n: number): Promise<{ api: LoopbackApi; creds: unknown; served: string[] }>;
  idOf(r: Record<string, unknown>): string;
  /** The path that lists records (where throttling is injected). */
  listPath: RegExp;
  /** Token endpoint sources refresh on 401; static tokens cannot. */
  refreshes: boolean;
  /** Words the revoked-credential message must contain. */
  revokedSays: RegExp;
}

const recordTimes = (n: number) => times('2026-11-19T08:00:00Z', n, 37);

const CASES: Case[] = [
  {
    source: 'm365', listPath: /subscriptions\/content/, refreshes: true, revokedSays: /refused the credential.*revoked/s,
    idOf: (r) => String(r.Id),
    async setup(n) {
      const api = await new M365Api('contoso-tenant', 'app-id', 's3cret').start();
      const all = recordTimes(n).map((t, i) => ({ Id: `m365-${i}`, CreationTime: t.replace(/\.\d{3}Z$/, ''), Operation: 'FileDownloaded', RecordType: 6, Workload: 'SharePoint', UserType: 0, UserId: `user${i}@northfield.edu`, ClientIP: '128.101.1.1', ObjectId: `https://northfield.sharepoint.com/sites/hgv/Shared Documents/run-${i}.step`, SourceFileName: `run-${i}.step`, OrganizationId: 'b86ab9d4', ItemType: 'File', EventSource: 'SharePoint' }));
      // Blobs of one to three records, created a little after their newest record.
      for (let i = 0; i < all.length; i += 3) api.addBlob(new Date(Date.parse(`${all[Math.min(i + 2, all.length - 1)]!.CreationTime}Z`) + 5 * 60_000).toISOString(), all.slice(i, i + 3));
      return { api, creds: { tenantId: 'contoso-tenant', clientId: 'app-id', clientSecret: 's3cret', apiUrl: api.url, loginUrl: api.url }, served: all.map((r) => r.Id) };
    },
  },
  {
    source: 'gdrive', listPath: /activity\/users/, refreshes: true, revokedSays: /refused the credential/,
    idOf: (r) => String((r.id as { uniqueQualifier: unknown }).uniqueQualifier),
    async setup(n) {
      const api = await new GoogleApi().start();
      const sa = serviceAccount(`${api.url}/token`);
      api.publicKey = sa.publicKey;
      api.now = () => NOW.getTime();
      api.activities = recordTimes(n).map((t, i) => ({ kind: 'admin#reports#activity', id: { time: t, uniqueQualifier: `-${900000 + i}`, applicationName: 'drive', customerId: 'C03az79cb' }, etag: '"x"', actor: { email: `user${i}@acme.edu`, profileId: `1${i}` }, ipAddress: '128.101.1.1', events: [{ type: 'access', name: 'download', parameters: [{ name: 'doc_id', value: `doc-${i}` }, { name: 'doc_title', value: `HGV run ${i}.step` }, { name: 'doc_type', value: 'unknown' }, { name: 'visibility', value: 'private' }] }] }));
      return { api, creds: { serviceAccount: sa.key, subject: 'admin@acme.edu', apiUrl: api.url }, served: api.activities.map((a) => String((a.id as { uniqueQualifier: string }).uniqueQualifier)) };
    },
  },
  {
    source: 'box', listPath: /\/2\.0\/events/, refreshes: true, revokedSays: /refused the credential/,
    idOf: (r) => String(r.event_id),
    async setup(n) {
      const api = await new BoxApi('box-client', 'box-secret', '1234567').start();
      api.events = recordTimes(n).map((t, i) => ({ type: 'event', event_id: `box-${i}`, event_type: 'DOWNLOAD', created_at: t.replace(/\.000Z$/, '-00:00'), ip_address: '128.101.1.1', session_id: null, created_by: { type: 'user', id: `1100${i}`, name: `User ${i}`, login: `user${i}@acme.edu` }, source: { item_type: 'file', item_id: `9${i}`, item_name: `HGV run ${i}.step`, parent: { type: 'folder', name: 'HGV', id: '77' } }, additional_details: { size: 1024, version_id: `v${i}` } }));
      return { api, creds: { clientId: 'box-client', clientSecret: 'box-secret', enterpriseId: '1234567', apiUrl: api.url }, served: api.events.map((e) => String(e.event_id)) };
    },
  },
  {
    source: 'github', listPath: /audit-log/, refreshes: false, revokedSays: /refused the credential.*revoked/s,
    idOf: (r) => String(r._document_id),
    async setup(n) {
      const api = await new GitHubApi().start();
      api.events = recordTimes(n).map((t, i) => ({ '@timestamp': Date.parse(t), _document_id: `gh-${i}`, action: i % 2 ? 'git.fetch' : 'git.clone', actor: `dev${i}`, actor_id: 100 + i, org: 'acme', repo: 'acme/hgv-solver', repository: 'acme/hgv-solver', transport_protocol_name: 'http', repository_public: false, business: 'acme-ent', created_at: Date.parse(t) }));
      return { api, creds: { org: 'acme', token: 'ghp_test', apiUrl: api.url }, served: api.events.map((e) => String(e._document_id)) };
    },
  },
  {
    source: 'gitlab', listPath: /audit_events/, refreshes: false, revokedSays: /refused the credential.*revoked/s,
    idOf: (r) => String(r.id),
    async setup(n) {
      const api = await new GitLabApi().start();
      api.events = recordTimes(n).map((t, i) => ({ id: 500 + i, author_id: 12, entity_id: 7, entity_type: 'Project', details: { author_name: 'Ada Admin', author_class: 'User', target_id: 7, target_type: 'Project', target_details: 'acme/hgv-solver', custom_message: 'Changed visibility level from private to internal', ip_address: '128.101.1.1', entity_path: 'acme/hgv-solver' }, event_name: 'project_visibility_level_updated', created_at: t }));
      return { api, creds: { token: 'glpat-test', url: api.url }, served: api.events.map((e) => String(e.id)) };
    },
  },
];

const apis: LoopbackApi[] = [];
afterEach(async () => { await Promise.all(apis.splice(0).map((a) => a.stop())); });

async function start(c: Case, n: number) {
  const s = await c.setup(n);
  apis.push(s.api);
  return s;
}

/** HTTP options for tests: no real waiting, but every wait recorded. */
function quick() {
  const waits: number[] = [];
  const retries: string[] = [];
  const http: Partial<HttpOptions> = { sleep: async (ms) => { waits.push(ms); }, random: () => 0.5, onRetry: (why) => { retries.push(why); } };
  return { http, waits, retries };
}

describe.each(CASES)('the $source collector against its API on loopback', (c) => {
  it('pages to the end: every record served is written once, unchanged, and the checkpoint is saved', async () => {
    const { api, creds, served } = await start(c, 7);
    const out = mkdtempSync(join(tmpdir(), `collect-${c.source}-`));
    const result = await collect(collectorFor(c.source, parseCredentials(c.source, creds, 'test'), quick().http), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context });
    expect(collectedIds(out, c.idOf).sort()).toEqual([...served].sort());
    expect(result.records).toBe(served.length);
    expect(result.pages).toBeGreaterThan(1); // the API pages by 2 or 3: paging was followed
    expect(result.checkpoint?.newest).toBe(new Date(recordTimes(7).at(-1)!).toISOString());
    expect(result.lagSeconds).toBe((NOW.getTime() - Date.parse(recordTimes(7).at(-1)!)) / 1000);
    // A second run finds nothing new to store (the boundary page at most, overwriting itself).
    const again = await collect(collectorFor(c.source, parseCredentials(c.source, creds, 'test'), quick().http), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context });
    expect(new Set(collectedIds(out, c.idOf))).toEqual(new Set(served));
    expect(again.records).toBeLessThanOrEqual(c.source === 'gdrive' ? served.length : 2);
    expect(api.requests.length).toBeGreaterThan(0);
  });

  it('a crash between storing a page and saving its checkpoint re-fetches that page onto the same object, losing nothing', async () => {
    const { creds, served } = await start(c, 7);
    const out = mkdtempSync(join(tmpdir(), `collect-${c.source}-`));
    const files = fileCheckpoints(out);
    let saves = 0;
    const crashing: CheckpointStore = { load: files.load, save: async (s, cp) => { if (++saves === 2) throw new Error('killed'); await files.save(s, cp); } };
    await expect(collect(collectorFor(c.source, parseCredentials(c.source, creds, 'test'), quick().http), { sink: directorySink(out), checkpoints: crashing, context })).rejects.toThrow('killed');
    const before = pageFiles(out);
    expect(before.length).toBeGreaterThan(0);
    await collect(collectorFor(c.source, parseCredentials(c.source, creds, 'test'), quick().http), { sink: directorySink(out), checkpoints: files, context });
    const ids = collectedIds(out, c.idOf);
    expect(new Set(ids)).toEqual(new Set(served));
    expect(ids.length).toBe(served.length); // the re-fetched page overwrote itself
  });

  it('honours Retry-After on 429 and backs off on 503, then completes', async () => {
    const { api, creds, served } = await start(c, 5);
    api.fault(c.listPath, 429, 1, { 'retry-after': '7' }, '{"message":"Too many requests"}');
    api.fault(c.listPath, 503, 1, {}, '');
    const out = mkdtempSync(join(tmpdir(), `collect-${c.source}-`));
    const q = quick();
    await collect(collectorFor(c.source, parseCredentials(c.source, creds, 'test'), q.http), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context });
    expect(q.waits[0]).toBe(7000);
    expect(q.retries.slice(0, 2)).toEqual(['throttled', 'unavailable']);
    expect(q.waits[1]).toBeLessThanOrEqual(60_000);
    expect(new Set(collectedIds(out, c.idOf))).toEqual(new Set(served));
  });

  it('a Retry-After longer than the cap waits only the cap', async () => {
    const { api, creds } = await start(c, 2);
    api.fault(c.listPath, 429, 1, { 'retry-after': '3600' });
    const q = quick();
    const out = mkdtempSync(join(tmpdir(), `collect-${c.source}-`));
    await collect(collectorFor(c.source, parseCredentials(c.source, creds, 'test'), { ...q.http, maxDelayMs: 30_000 }), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context });
    expect(q.waits[0]).toBe(30_000);
  });

  it.runIf(c.refreshes)('an expired token is refreshed once and the run goes on', async () => {
    const { api, creds, served } = await start(c, 7);
    const out = mkdtempSync(join(tmpdir(), `collect-${c.source}-`));
    let stored = 0;
    const sink = directorySink(out);
    const expiring = { put: async (k: string, b: string) => { await sink.put(k, b); if (++stored === 1) api.expireTokens(); } };
    const q = quick();
    await collect(collectorFor(c.source, parseCredentials(c.source, creds, 'test'), q.http), { sink: expiring, checkpoints: fileCheckpoints(out), context });
    expect(api.tokensIssued).toBe(2);
    expect(q.retries).toContain('token-refresh');
    expect(new Set(collectedIds(out, c.idOf))).toEqual(new Set(served));
  });

  it('a revoked credential stops the collector with a CredentialError that says what to do, and keeps the checkpoint', async () => {
    const { api, creds } = await start(c, 7);
    const out = mkdtempSync(join(tmpdir(), `collect-${c.source}-`));
    let stored = 0;
    const sink = directorySink(out);
    const revoking = { put: async (k: string, b: string) => { await sink.put(k, b); if (++stored === 1) api.revoke(); } };
    const error = await collect(collectorFor(c.source, parseCredentials(c.source, creds, 'test'), quick().http), { sink: revoking, checkpoints: fileCheckpoints(out), context }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect((error as Error).message).toMatch(c.revokedSays);
    expect((error as CredentialError).permission).toBeTruthy();
    expect(await fileCheckpoints(out).load(c.source)).toBeDefined();
  });

  it('collected pages scan to exactly the records served: records = events + skipped + rejected', async () => {
    const { creds, served } = await start(c, 6);
    const out = mkdtempSync(join(tmpdir(), `collect-${c.source}-`));
    await collect(collectorFor(c.source, parseCredentials(c.source, creds, 'test'), quick().http), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context });
    const { code, stderr } = await ittmon(['scan', out, '--config', 'examples/ittmon.yaml', '--json', '--source', c.source]);
    expect(code).toBe(0);
    const m = /(\d+) records? → (\d+) events?, (\d+) skipped, (\d+) rejected/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const [records, events, skipped, rejected] = m!.slice(1).map(Number) as [number, number, number, number];
    expect(records).toBe(served.length);
    expect(events + skipped + rejected).toBe(records);
    expect(rejected).toBe(0);
    // Reads are events; GitLab's REST API has admin events only, which are skipped.
    expect(events).toBe(c.source === 'gitlab' ? 0 : served.length);
  });
});

describe('collector specifics', () => {
  it('GitHub: a missing scope names the permission to grant', async () => {
    const { api, creds } = await start(CASES[3]!, 2);
    (api as GitHubApi).scopes = 'repo';
    const error = await collect(collectorFor('github', parseCredentials('github', creds, 'test'), quick().http), { sink: directorySink(mkdtempSync(join(tmpdir(), 'gh-'))), checkpoints: fileCheckpoints(mkdtempSync(join(tmpdir(), 'gh-'))), context }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect((error as Error).message).toMatch(/403.*grant read:audit_log/);
  });

  it('Google: an activity reported late, inside the overlap window, is collected by the next run', async () => {
    const c = CASES[1]!;
    const { api, creds } = await start(c, 4);
    const google = api as GoogleApi;
    const late = { ...google.activities[0]!, id: { time: '2026-11-20T11:00:00.000Z', uniqueQualifier: '-777', applicationName: 'drive', customerId: 'C03az79cb' } };
    google.activities.push(late);
    let now = NOW.getTime();
    google.now = () => now;
    google.visibleFrom.set(late, NOW.getTime() + 2 * 3_600_000); // reported two hours after it happened
    const out = mkdtempSync(join(tmpdir(), 'gdrive-'));
    const run = (overlapMinutes: number) => collect(collectorFor('gdrive', parseCredentials('gdrive', { ...(creds as object), overlapMinutes }, 'test'), quick().http), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context: { since: SINCE, now: () => new Date(now) } });
    await run(240);
    expect(collectedIds(out, c.idOf)).not.toContain('-777');
    now += 3 * 3_600_000;
    await run(240);
    expect(collectedIds(out, c.idOf)).toContain('-777');
  });

  it('Google: without an overlap the late activity would be missed (the overlap is what finds it)', async () => {
    const c = CASES[1]!;
    const { api, creds } = await start(c, 2);
    const google = api as GoogleApi;
    const late = { ...google.activities[0]!, id: { time: '2026-11-20T11:00:00.000Z', uniqueQualifier: '-778', applicationName: 'drive', customerId: 'C03az79cb' } };
    google.activities.push(late);
    let now = NOW.getTime();
    google.now = () => now;
    google.visibleFrom.set(late, NOW.getTime() + 2 * 3_600_000);
    const out = mkdtempSync(join(tmpdir(), 'gdrive-'));
    const run = () => collect(collectorFor('gdrive', parseCredentials('gdrive', { ...(creds as object), overlapMinutes: 0 }, 'test'), quick().http), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context: { since: SINCE, now: () => new Date(now) } });
    await run();
    now += 3 * 3_600_000;
    await run();
    expect(collectedIds(out, c.idOf)).not.toContain('-778');
  });

  it('M365: signs in with a certificate instead of a secret (a signed client assertion)', async () => {
    const { api, creds, served } = await start(CASES[0]!, 4);
    const m365 = api as M365Api;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const thumbprint = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    m365.certificate = { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), thumbprint };
    const { clientSecret: _, ...rest } = creds as Record<string, unknown>;
    const withCert = { ...rest, certificate: { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), thumbprint } };
    const out = mkdtempSync(join(tmpdir(), 'm365-cert-'));
    await collect(collectorFor('m365', parseCredentials('m365', withCert, 'test'), quick().http), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context });
    expect(new Set(collectedIds(out, CASES[0]!.idOf))).toEqual(new Set(served));
    // A certificate the app does not know is refused like a wrong secret.
    m365.certificate = { ...m365.certificate, thumbprint: 'ffffffffffffffffffffffffffffffffffffffff' };
    const error = await collect(collectorFor('m365', parseCredentials('m365', withCert, 'test'), quick().http), { sink: directorySink(out), checkpoints: fileCheckpoints(mkdtempSync(join(tmpdir(), 'm365-'))), context }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
  });

  it('GitHub: signs in as a GitHub App (JWT → installation token) and refreshes the token when it expires', async () => {
    const { api, creds, served } = await start(CASES[3]!, 6);
    const gh = api as GitHubApi;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    gh.app = { id: '123456', installation: '987', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    gh.token = 'no-static-token';
    const asApp = { org: 'acme', apiUrl: (creds as { apiUrl: string }).apiUrl, appId: '123456', installationId: '987', privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
    const out = mkdtempSync(join(tmpdir(), 'gh-app-'));
    const sink = directorySink(out);
    let stored = 0;
    const expiring = { put: async (k: string, b: string) => { await sink.put(k, b); if (++stored === 1) gh.expireTokens(); } };
    await collect(collectorFor('github', parseCredentials('github', asApp, 'test'), quick().http), { sink: expiring, checkpoints: fileCheckpoints(out), context });
    expect(new Set(collectedIds(out, CASES[3]!.idOf))).toEqual(new Set(served));
    expect(gh.tokensIssued).toBe(2);
  });

  it('credentials: each missing field is named, with its environment variable on a laptop', () => {
    expect(() => parseCredentials('m365', { tenantId: 't' }, 'secret ittmon/m365')).toThrow(/secret ittmon\/m365: clientId: missing/);
    expect(() => credentialsFromEnv('gitlab', {}, () => '')).toThrow('ITTMON_GITLAB_TOKEN: missing');
    expect(() => credentialsFromEnv('m365', { ITTMON_M365_TENANT_ID: 't', ITTMON_M365_CLIENT_ID: 'c' }, () => '')).toThrow(/clientSecret or certificate/);
    expect(() => parseCredentials('github', { token: 't' })).toThrow(/exactly one of org and enterprise/);
    expect(() => parseCredentials('github', { org: 'acme' })).toThrow(/token, or appId, installationId and privateKey/);
  });

  it('M365: lists at most 24 hours per call and never further back than the API keeps (7 days)', async () => {
    const { api, creds } = await start(CASES[0]!, 3);
    const out = mkdtempSync(join(tmpdir(), 'm365-'));
    await collect(collectorFor('m365', parseCredentials('m365', creds, 'test'), quick().http), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context: { since: new Date('2026-10-01T00:00:00Z'), now: () => NOW } });
    const lists = api.requests.filter((r) => r.url.includes('subscriptions/content') && !r.url.includes('nextPage'));
    expect(lists.length).toBe(7);
    const first = new URL(`http://x${lists[0]!.url}`);
    expect(Date.parse(first.searchParams.get('startTime')!)).toBeGreaterThan(NOW.getTime() - 7 * 86_400_000);
  });

  it('M365: a clock between whole seconds never asks for a window that starts and ends in the same second (AF20055), as a scheduled run\'s does', async () => {
    const { api, creds, served } = await start(CASES[0]!, 3);
    const out = mkdtempSync(join(tmpdir(), 'm365-'));
    // The Lambda's default start (now less a day, to the millisecond) read a little later: 24 h and 300 ms.
    const result = await collect(collectorFor('m365', parseCredentials('m365', creds, 'test'), quick().http), { sink: directorySink(out), checkpoints: fileCheckpoints(out), context: { since: new Date('2026-11-19T08:00:00.200Z'), now: () => new Date('2026-11-20T08:00:00.500Z') } });
    expect(result.records).toBe(served.length);
    const windows = api.requests.filter((r) => r.url.includes('subscriptions/content') && !r.url.includes('nextPage')).map((r) => new URL(`http://x${r.url}`).searchParams);
    expect(windows.map((w) => [w.get('startTime'), w.get('endTime')])).toEqual([['2026-11-19T08:00:00Z', '2026-11-20T08:00:00Z']]);
  });
});
