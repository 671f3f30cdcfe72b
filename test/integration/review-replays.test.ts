import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplay, stepFunctionsProgress } from '#shared/aws/replay.ts';
import { createReviewApp } from '#shared/review/app.ts';
import { rolesFrom, type Reviewer } from '#shared/review/identity.ts';
import { startLocalStore, type LocalStore } from '#shared/store/local.ts';
import type { ReplayProgress } from '#shared/ingest/replay.ts';
import { sfnLoopback, type SfnLoopback } from '#test/aws/sfn-loopback.ts';
import { s3Loopback } from './aws.ts';

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:Replay';
const viewer = { reviewer: { id: 'vera@northfield.edu', name: 'Vera', roles: rolesFrom(['viewer']) } satisfies Reviewer };

/** The review page's replay panel through the Step Functions adapter, against the loopback service. */
describe('review page: running and recent replays', () => {
  let local: LocalStore;
  let s3: Awaited<ReturnType<typeof s3Loopback>>;
  let sfn: SfnLoopback;
  let client: SFNClient;
  let done: string;
  const make = (replays?: ReplayProgress) => createReviewApp({
    store: local.store, auth: { identify: (c) => (c.env as { reviewer?: Reviewer } | undefined)?.reviewer },
    secret: 'test-secret', linkBase: 'https://review.example.edu', ...(replays ? { replays } : {}),
  });
  beforeAll(async () => {
    local = await startLocalStore();
    s3 = await s3Loopback();
    await s3.bucket('acme-logs');
    for (const k of ['AWSLogs/1.log', 'AWSLogs/2.log', 'AWSLogs/3.log']) await s3.put('acme-logs', k, 'x');
    sfn = await sfnLoopback({ stateMachines: [SM], s3: s3.client });
    client = new SFNClient({ endpoint: sfn.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    done = (await startReplay(client, SM, { bucket: 'acme-logs', prefix: 'AWSLogs/', since: '2026-01-01T00:00:00Z', until: '2026-07-01T00:00:00Z', lookBack: null, startedBy: 'cli:alice' }, new Date('2026-11-01T00:00:00Z'))).executionArn;
    sfn.settle(done, 1);
    await startReplay(client, SM, { bucket: 'acme-logs', prefix: 'AWSLogs/', since: '2026-06-01T00:00:00Z', until: '2026-11-29T00:00:00Z', lookBack: { policyVersion: 'a1b2c3d4e5f6' }, startedBy: 'config-change' }, new Date('2026-11-29T00:00:00Z'));
  });
  afterAll(async () => { client?.destroy(); await sfn?.close(); await s3?.close(); await local?.close(); });

  it('the API lists them newest first, with state, counts, who and when', async () => {
    const res = await make(stepFunctionsProgress(client, SM)).request('/api/replays', {}, viewer);
    expect(res.status).toBe(200);
    const { replays } = await res.json() as { replays: any[] };
    expect(replays.map((r) => [r.status, r.request.startedBy, r.items.total, r.items.pending])).toEqual([['RUNNING', 'config-change', 3, 3], ['SUCCEEDED', 'cli:alice', 3, 0]]);
    expect(replays[1]).toMatchObject({ executionArn: done, items: { succeeded: 2, failed: 1 } });
  });

  it('the page shows each replay; what the execution input says is escaped and its invisible characters shown', async () => {
    await startReplay(client, SM, { bucket: 'acme-logs', prefix: '', since: '2026-01-01T00:00:00Z', until: '2026-02-01T00:00:00Z', lookBack: null, startedBy: 'cli:<script>alert(1)</script>\u202Eevil' }, new Date('2026-11-30T00:00:00Z'));
    const res = await make(stepFunctionsProgress(client, SM)).request('/replays', {}, viewer);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('look-back after policy version <bdi>a1b2c3d4e5f6</bdi>');
    expect(page).toContain('2 enqueued, 1 failed, 0 pending, of 3');
    expect(page).toContain('0 enqueued, 0 failed, 3 pending, of 3');
    expect(page).toContain('<span class="status">succeeded</span>');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&lt;script&gt;');
    expect(page).toContain('U+202E');
    expect(page).toContain('<a href="/replays">Replays</a>');
  });

  it('locally there are none: the API lists nothing and the page says how a look-back runs here', async () => {
    const app = make();
    expect(await (await app.request('/api/replays', {}, viewer)).json()).toEqual({ replays: [] });
    expect(await (await app.request('/replays', {}, viewer)).text()).toContain('ittmon scan OLD_LOGS --config NEW_CONFIG --look-back');
  });

  it('a role that may not read them: the page says so (and the API answers 502), nothing else breaks', async () => {
    const denying = await sfnLoopback({ stateMachines: [SM], deny: ['ListExecutions'] });
    const c = new SFNClient({ endpoint: denying.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    try {
      const app = make(stepFunctionsProgress(c, SM));
      const page = await app.request('/replays', {}, viewer);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Replay progress is unavailable: AccessDeniedException');
      expect((await app.request('/api/replays', {}, viewer)).status).toBe(502);
      expect((await app.request('/', {}, viewer)).status).toBe(200);
    } finally {
      c.destroy();
      await denying.close();
    }
  });

  it('without sign-in: refused like every other page', async () => {
    const res = await make(stepFunctionsProgress(client, SM)).request('/api/replays', {}, { reviewer: undefined });
    expect(res.status).toBe(401);
  });
});
