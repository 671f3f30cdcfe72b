/* eslint-disable @typescript-eslint/no-explicit-any -- JSON responses are checked by the assertions */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flag } from '#shared/model/index.ts';
import { flagId } from '#shared/flags/index.ts';
import { createReviewApp } from '#shared/review/app.ts';
import { rolesFrom, type Reviewer } from '#shared/review/identity.ts';
import { prepareSupersede } from '#shared/review/index.ts';
import { startLocalStore, type LocalStore } from '#shared/store/local.ts';
import type { BusEvent } from '#shared/publish/events.ts';
import { PEOPLE_HEADER, policyFrom } from '#test/helpers.ts';
import type { Policy } from '#shared/config/index.ts';

let local: LocalStore;
let policy: Policy;
const published: BusEvent[] = [];
const app = () => createReviewApp({
  store: local.store, auth: { identify: (c) => (c.env as { reviewer?: Reviewer } | undefined)?.reviewer }, policy: async () => policy,
  secret: 'test-secret', linkBase: 'https://review.example.edu', publisher: { publish: async (e) => { published.push(...e); } }, now: () => '2026-11-29T12:00:00.000Z',
});
const as = (groups: string[], user = 'rita@northfield.edu') => ({ reviewer: { id: user, name: user, roles: rolesFrom(groups) } });
const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function flag(actor: string, day: string, over: Partial<Flag> = {}): Flag {
  return {
    id: flagId(actor, 'hgv-cfd', day), severity: 'high', dataset: 'hgv-cfd', classification: 'USML IV(i)', jurisdiction: 'ITAR', day,
    actor: { key: actor, accounts: [actor] }, reasons: [{ code: 'UNKNOWN_ACCOUNT', severity: 'high', explanation: `${actor} cloned it` }],
    eventCount: 1, bytes: 1, firstSeen: `${day}T10:00:00.000Z`, lastSeen: `${day}T10:00:00.000Z`,
    events: [{ id: `e-${actor}-${day}`, source: 'github', time: `${day}T10:00:00.000Z`, action: 'clone', resource: 'github://acme/hgv' }], ...over,
  };
}
const LOOK_BACK = { foundBy: 'look-back' as const, policyVersion: '3f9a0c1d2e4b', foundAt: '2026-11-29T09:00:00.000Z' };
const ids = { live: flagId('github:a', 'hgv-cfd', '2026-10-01'), found: flagId('github:b', 'hgv-cfd', '2026-10-02'), found2: flagId('github:c', 'hgv-cfd', '2026-10-03'), gone: flagId('github:d', 'hgv-cfd', '2026-10-04') };

beforeAll(async () => {
  local = await startLocalStore();
  policy = await policyFrom({
    'ittmon.yaml': 'directory: people.csv\ndatasets:\n  - { id: hgv-cfd, name: HGV, jurisdiction: ITAR, classification: "IV(i)", match: { paths: ["github://acme/**"] } }\n',
    'people.csv': `${PEOPLE_HEADER}\n`,
  });
  const counts = { records: 1, events: 1, skipped: 0, rejected: 0, flags: 1, processedAt: '2026-11-29T00:00:00.000Z' };
  await local.store.saveObject({ key: 'o1', etag: '1' }, [{ flag: flag('github:a', '2026-10-01') }, { flag: flag('github:d', '2026-10-04') }], counts);
  await local.store.saveObject({ key: 'o2', etag: '1#look-back:3f9a0c1d2e4b' }, [{ flag: flag('github:b', '2026-10-02', LOOK_BACK) }, { flag: flag('github:c', '2026-10-03', LOOK_BACK) }], counts);
  const gone = (await local.store.getFlag(ids.gone))!;
  await local.store.applyDecision(gone.id, gone.version, prepareSupersede(gone, '3f9a0c1d2e4b', 'UNKNOWN_ACCOUNT no longer applies: github:d is allowed (mirror)', '2026-11-29T09:05:00.000Z'));
});
afterAll(async () => local.close());

describe('review API — look-back and superseded flags', () => {
  it('filters the queue by how flags were found: look-back only, live only; anything else is a 400 naming the field', async () => {
    const list = async (q: string) => ((await (await app().request(`/api/flags?${q}`, {}, as(['viewer']))).json()) as any).items.map((f: any) => f.id).sort();
    expect(await list('foundBy=look-back')).toEqual([ids.found, ids.found2].sort());
    expect(await list('foundBy=live')).toEqual([ids.live]);
    expect(await list('')).toEqual([ids.live, ids.found, ids.found2].sort());
    const bad = await app().request('/api/flags?foundBy=replay', {}, as(['viewer']));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).message).toMatch(/^foundBy: /);
    const one = ((await (await app().request(`/api/flags/${ids.found}`, {}, as(['viewer']))).json()) as any).flag;
    expect(one).toMatchObject(LOOK_BACK);
  });

  it('shows a superseded flag in its own queue with the audit reason', async () => {
    const items = ((await (await app().request('/api/flags?status=superseded', {}, as(['viewer']))).json()) as any).items;
    expect(items.map((f: any) => f.id)).toEqual([ids.gone]);
    const detail = (await (await app().request(`/api/flags/${ids.gone}`, {}, as(['viewer']))).json()) as any;
    expect(detail.audit).toEqual([expect.objectContaining({ who: 'system', action: 'supersede', from: 'open', to: 'superseded', justification: 'superseded by policy version 3f9a0c1d2e4b: UNKNOWN_ACCOUNT no longer applies: github:d is allowed (mirror)' })]);
  });

  it('a reviewer cannot supersede (403 system_only) nor decide a superseded flag (409 invalid_transition); reopening it works and is announced', async () => {
    const live = (await local.store.getFlag(ids.live))!;
    const refused = await app().request(`/api/flags/${ids.live}/decisions`, json({ action: 'supersede', version: live.version, justification: 'no longer relevant to us' }), as(['admin']));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: 'system_only', message: expect.stringMatching(/^only the system supersedes a flag/) });
    expect((await local.store.getFlag(ids.live))!.status).toBe('open');

    const gone = (await local.store.getFlag(ids.gone))!;
    for (const body of [{ action: 'assign' }, { action: 'escalate', justification: 'possible violation here' }, { action: 'close', disposition: 'misclassified', justification: 'not this dataset at all' }]) {
      const r = await app().request(`/api/flags/${ids.gone}/decisions`, json({ ...body, version: gone.version }), as(['reviewer']));
      expect(r.status).toBe(409);
      expect(((await r.json()) as any).error).toBe('invalid_transition');
    }
    published.length = 0;
    const reopened = await app().request(`/api/flags/${ids.gone}/decisions`, json({ action: 'reopen', version: gone.version, justification: 'the allow entry was a mistake' }), as(['reviewer']));
    expect(reopened.status).toBe(200);
    expect(((await reopened.json()) as any).status).toBe('open');
    expect(published.map((e) => [e.detailType, e.detail.status])).toEqual([['Export Review Flag Decided', 'open']]);
  });

  it('the page: the look-back filter, the look-back mark and sentence, the superseded reason and its reopen button', async () => {
    const queue = await (await app().request('/?foundBy=look-back', {}, as(['reviewer']))).text();
    expect(queue).toContain('<option value="look-back" selected>on look-back only</option>');
    expect(queue.match(/class="status lookback"/g)).toHaveLength(2);
    expect(queue).not.toContain(`/flags/${ids.live}`);
    const page = await (await app().request(`/flags/${ids.found}`, {}, as(['reviewer']))).text();
    expect(page).toContain('This flag was raised on look-back after policy version 3f9a0c1d2e4b on 2026-11-29.');
    const live = await (await app().request(`/flags/${ids.live}`, {}, as(['reviewer']))).text();
    expect(live).not.toContain('raised on look-back');

    const found2 = (await local.store.getFlag(ids.found2))!;
    await local.store.applyDecision(found2.id, found2.version, prepareSupersede(found2, '77aa00bb11cc', 'its resources no longer match dataset hgv-cfd (github://acme/hgv)', '2026-11-29T10:00:00.000Z'));
    const superseded = await (await app().request(`/flags/${ids.found2}`, {}, as(['reviewer']))).text();
    expect(superseded).toContain('<strong>Superseded</strong>: <bdi>superseded by policy version 77aa00bb11cc: its resources no longer match dataset hgv-cfd (github://acme/hgv)</bdi>');
    const actions = [...superseded.matchAll(/<option value="(assign|reassign|close|escalate|release|reopen)"/g)].map((m) => m[1]);
    expect(actions).toEqual(['reopen']);
  });
});
