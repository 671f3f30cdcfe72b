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

// Behaviour from the audit event schema (reference/log-sources/04-gitlab-audit.md), each with its second case.
describe('GitLab audit events — documented behaviour, second cases', () => {
  const gl = (over: Record<string, unknown> = {}, details: Record<string, unknown> = {}) => gitlab.parse(op(over, details), origin);
  const download = (over: Record<string, unknown> = {}) => gl({ event_type: 'repository_download_operation', details: {}, ...over });
  it('detect: a streamed event (event_type) or an audit_json.log line (entity_type), with an author; nothing else', () => {
    expect(gitlab.detect(op())).toBe(true);
    expect(gitlab.detect({ time: '2026-10-15T09:00:00Z', author_name: 'lwei', entity_type: 'Project', change: 'visibility' })).toBe(true);
    expect(gitlab.detect({ event_type: 'repository_git_operation', author_id: 1 })).toBe(true);
    expect(gitlab.detect({ event_type: 'repository_git_operation', entity_path: 'a/b' })).toBe(false);
    expect(gitlab.detect({ author_id: 1, author_name: 'x' })).toBe(false);
    expect(gitlab.detect({ action: 'git.clone', actor: 'lwei', '@timestamp': 1 })).toBe(false);
    expect(gitlab.detect('repository_git_operation author_id')).toBe(false);
  });
  it('a text line is refused as not JSON', () => {
    expect(gitlab.parse('repository_git_operation lwei nfu/hgv-solver', origin)).toEqual({ kind: 'reject', reason: 'GitLab audit records are JSON objects' });
  });
  it('the author\'s name: meta.user (audit_json.log), details.author_name, author_name — in that order', () => {
    expect(gl({ 'meta.user': 'root', author_name: 'Administrator' }, { author_name: 'Admin' })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:root', 'gitlab-id:42'], display: 'root' } } });
    expect(gl({ author_name: 'Administrator' }, { author_name: 'Admin' })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:Admin', 'gitlab-id:42'] } } });
    expect(gl({ author_name: 'Administrator' })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:Administrator', 'gitlab-id:42'], display: 'Administrator' } } });
  });
  it('the author\'s e-mail, in details or at the top, is a candidate', () => {
    expect(gl({}, { author_email: 'li.wei@northfield.edu' })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:lwei', 'gitlab-id:42', 'email:li.wei@northfield.edu'] } } });
    expect(gl({ author_email: 'ana@example.org' })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:lwei', 'gitlab-id:42', 'email:ana@example.org'] } } });
  });
  it('an author known only by id, or only by name; neither is anonymous', () => {
    const idOnly = gl({ author_name: undefined });
    expect(idOnly).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab-id:42'] } } });
    expect(idOnly.kind === 'event' && ['display' in idOnly.event.actor, idOnly.event.actor.anonymous]).toEqual([false, undefined]);
    expect(gl({ author_id: undefined })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:lwei'], display: 'lwei' } } });
    expect(gl({ author_id: undefined, author_name: undefined })).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
  });
  it('unauthenticated: author_id -1, or the name "An unauthenticated user" — either alone', () => {
    expect(download({ author_id: -1, author_name: 'someone' })).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
    expect(download({ author_id: 0, author_name: 'An unauthenticated user' })).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
  });
  it('a deploy key is author_id -3 even without author_class; named by the key when there is a name', () => {
    expect(gl({ author_id: -3, author_name: undefined }, { author_class: undefined })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:deploy-key'], service: true, display: 'deploy key' } } });
    expect(gl({ author_id: -3, author_name: 'ci-key' }, { author_class: undefined })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:ci-key'], service: true } } });
    expect(gl({ author_id: 3, author_name: 'lwei' }, { author_class: undefined })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:lwei', 'gitlab-id:3'] } } });
    expect(gl({ author_id: -2, author_name: undefined, author_class: 'DeployToken' }, { author_class: undefined })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['gitlab:deploy-token'], display: 'deploy token' } } });
  });
  it('the time is created_at, or time in audit_json.log; without either the event is refused', () => {
    expect(gl({ created_at: undefined, time: '2026-10-15T09:00:00.000Z' })).toMatchObject({ kind: 'event', event: { time: '2026-10-15T09:00:00.000Z' } });
    expect(gl({ created_at: undefined })).toEqual({ kind: 'reject', reason: 'GitLab audit event needs created_at' });
  });
  it('a git operation: a custom_message without "download" and one without an action are not reads', () => {
    const long = `Changed default branch from main to a-branch-whose-name-is-long-enough-to-cut`;
    expect(gl({}, { custom_message: long })).toEqual({ kind: 'skip', reason: `not a read: ${long.slice(0, 60)}` });
    expect(gl({}, { custom_message: { protocol: 'ssh' } })).toEqual({ kind: 'skip', reason: 'not a read: git operation' });
    expect(gl({}, { custom_message: 'Repository DOWNLOAD started' })).toMatchObject({ kind: 'event', event: { action: 'download' } });
  });
  it('other event types are not reads, named by event_type, event_name, the change or the caller', () => {
    expect(gl({ event_type: 'project_created' })).toEqual({ kind: 'skip', reason: 'not a read: project_created' });
    expect(gl({ event_type: undefined, event_name: 'repository_download_operation' })).toMatchObject({ kind: 'event', event: { action: 'download' } });
    expect(gl({ event_type: undefined, change: 'visibility' })).toEqual({ kind: 'skip', reason: 'not a read: visibility' });
    expect(gl({ event_type: undefined, 'meta.caller_id': 'SessionsController#create' })).toEqual({ kind: 'skip', reason: 'not a read: SessionsController#create' });
    expect(gl({ event_type: undefined })).toEqual({ kind: 'skip', reason: 'not a read: audit event' });
  });
  it('the project is entity_path, at the top or in details; without it the event is refused', () => {
    expect(gl({ entity_path: undefined }, { entity_path: 'nfu/sram' })).toMatchObject({ kind: 'event', event: { resource: { uri: 'gitlab://nfu/sram', name: 'sram' } } });
    expect(gl({ entity_path: undefined })).toEqual({ kind: 'reject', reason: 'repository_git_operation without entity_path' });
    expect(download({ entity_path: '' })).toEqual({ kind: 'reject', reason: 'repository_download_operation without entity_path' });
  });
  it('the IP: ip_address, else details.ip_address, else meta.remote_ip', () => {
    expect(gl({ ip_address: undefined }, { ip_address: '198.51.100.4' })).toMatchObject({ kind: 'event', event: { ip: '198.51.100.4' } });
    expect(gl({ ip_address: undefined, 'meta.remote_ip': '203.0.113.8' })).toMatchObject({ kind: 'event', event: { ip: '203.0.113.8' } });
    expect(gl({ 'meta.remote_ip': '203.0.113.8' }, { ip_address: '198.51.100.4' })).toMatchObject({ kind: 'event', event: { ip: '10.1.2.3' } });
  });
  it('the id is the event id (a number in older payloads); without one, a hash of the record', () => {
    expect(gl({ id: 77 })).toMatchObject({ kind: 'event', event: { id: '77' } });
    expect(gl({ id: 0 })).toMatchObject({ kind: 'event', event: { id: '0' } });
    for (const id of [undefined, null]) {
      const out = gl({ id });
      expect(out.kind === 'event' && out.event.id).toMatch(/^[0-9a-f]{40}$/);
    }
  });
});
