import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gitlab } from '#shared/sources/gitlab/index.ts';
import { events, parseWith, realFixture, handled } from '#test/helpers.ts';

const fixture = (name: string) => readFileSync(realFixture(name), 'utf8');
const origin = { file: 'f', line: 1 };

describe('GitLab audit events — real fixtures', () => {
  it('a user\'s git-upload-pack over SSH is a clone of the project', async () => {
    const [e] = events(await parseWith(gitlab, fixture('04-gitlab-audit.sample-streaming-git-op-user.json')));
    expect(e).toMatchObject({ id: '1', source: 'gitlab', time: '2022-02-23T06:21:05.283Z', action: 'clone', release: true, ip: '127.0.0.1', actor: { candidates: ['gitlab:Administrator', 'gitlab-id:1'] }, resource: { uri: 'gitlab://example-group/example-project', name: 'example-project' } });
  });
  it('a deploy key is a service account', async () => {
    const [e] = events(await parseWith(gitlab, fixture('04-gitlab-audit.sample-streaming-git-op.json')));
    expect(e!.actor).toMatchObject({ service: true });
  });
  it('audit_json.log lines (a login, a visibility change) are not reads', async () => {
    const out = await parseWith(gitlab, fixture('04-gitlab-audit.sample-audit_json.log'));
    expect(out).toEqual([{ kind: 'skip', reason: 'not a read: SessionsController#create' }, { kind: 'skip', reason: 'not a read: visibility' }]);
  });
});

// Authored from the documented schema (no public sample shows these shapes).
const op = (over: Record<string, unknown> = {}, details: Record<string, unknown> = {}) => ({
  id: '77', author_id: 42, author_name: 'lwei', entity_type: 'Project', entity_path: 'nfu/hgv-solver', event_type: 'repository_git_operation', created_at: '2026-10-15T09:00:00.000Z', ip_address: '10.1.2.3',
  details: { author_class: 'User', custom_message: { protocol: 'http', action: 'git-upload-pack' }, ...details }, ...over,
});
describe('GitLab audit events — documented shapes (authored)', () => {
  it('push is not a read; UI archive download is', () => {
    expect(gitlab.parse(op({}, { custom_message: { action: 'git-receive-pack' } }), origin)).toEqual({ kind: 'skip', reason: 'not a read: git-receive-pack' });
    expect(gitlab.parse(op({ event_type: 'repository_download_operation', details: {} }), origin)).toMatchObject({ kind: 'event', event: { action: 'download' } });
  });
  it('an unauthenticated archive download is anonymous', () => {
    expect(gitlab.parse(op({ event_type: 'repository_download_operation', author_id: -1, author_name: 'An unauthenticated user', details: {} }), origin)).toMatchObject({ kind: 'event', event: { actor: { anonymous: true } } });
  });
  it('never throws (fuzz)', () => {
    fc.assert(fc.property(fc.object({ maxDepth: 2 }), fc.anything(), (o, v) => {
      for (const r of [o, { ...op(), ...o }, op({ details: v }), op({ created_at: v, author_id: v })]) expect(['event', 'skip', 'reject']).toContain(handled(gitlab.parse(r as Record<string, unknown>, origin)));
    }), { numRuns: 300 });
  });
});

describe('GitLab — the variants the streaming destinations really receive (test/fixtures/variants)', () => {
  const sample = readFileSync(new URL('../../fixtures/variants/logs/gitlab-streaming.jsonl', import.meta.url), 'utf8');
  it('the UI Download button (plain-string custom_message) and the public-project event are downloads; a deploy token is a service; a push is not a read', async () => {
    const out = await parseWith(gitlab, sample);
    expect(out.map((o) => (o.kind === 'event' ? `${o.event.action} ${o.event.resource.uri} ${o.event.actor.service ? 'service' : o.event.actor.anonymous ? 'anonymous' : o.event.actor.candidates[0]}` : `${o.kind}: ${o.reason}`))).toEqual([
      'download gitlab://acme/hgv/solver gitlab:lwei',
      'clone gitlab://acme/hgv/solver service',
      'download gitlab://acme/public/docs anonymous',
      'skip: not a read: git-receive-pack',
      'skip: not a read: Changed visibility from Private to Internal',
    ]);
  });
  it('a deploy token and a deploy key are both named as what they are', () => {
    const token = gitlab.parse(JSON.parse(sample.split('\n')[1]!), origin);
    expect(token).toMatchObject({ kind: 'event', event: { actor: { service: true, display: 'deploy token', candidates: ['gitlab:gitlab+deploy-token-57'] } } });
  });
});
