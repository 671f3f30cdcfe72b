import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { github } from '#shared/sources/github/index.ts';
import { sourceByName } from '#shared/sources/index.ts';
import { events, pantherLogs, parseWith, realFixture, handled } from '#test/helpers.ts';

const origin = { file: 'f', line: 1 };

describe('GitHub audit log — real fixtures', () => {
  it('reads the real API git.clone and git.fetch (no actor: anonymous)', async () => {
    const out = await parseWith(github, readFileSync(realFixture('03-github-audit.sample-api-git-events.json'), 'utf8'));
    const [clone, fetch] = events(out);
    expect(clone).toMatchObject({ source: 'github', action: 'clone', time: '2021-03-02T13:44:51.041Z', actor: { anonymous: true }, resource: { uri: 'github://org-demo/private-repo-2', name: 'private-repo-2' } });
    expect(clone!.id).toMatch(/^[0-9a-f]{40}$/); // no _document_id: a hash of the record
    expect(fetch).toMatchObject({ id: 'uQZXhZ0mcj8gJPuDbJxd8w==', action: 'fetch', time: '2021-03-02T13:44:49.805Z' });
  });

  it('reads the Panther git.clone (renamed @timestamp, actor_location)', () => {
    const [log] = pantherLogs('03-github-audit.sample-panther-git-clone.yml');
    expect(github.detect(log!)).toBe(true);
    expect(github.parse(log!, origin)).toMatchObject({
      kind: 'event', event: { id: 'KCYtigpnShPBSohA4OXbRg==', time: '2023-11-20T21:20:09.423Z', ip: '5.6.7.8', sourceCountry: 'US', actor: { candidates: ['github:acme-inc-user'] }, resource: { uri: 'github://acme-inc/a-repo' } },
    });
  });

  it('repo.access is a visibility change, not a read', () => {
    const [log] = pantherLogs('03-github-audit.sample-panther-repo-access.yml');
    expect(github.parse(log!, origin)).toEqual({ kind: 'skip', reason: 'repo.access is a visibility change, not a read' });
  });
});

describe('GitHub audit log — behaviour', () => {
  const rec = (over: Record<string, unknown> = {}) => ({ '@timestamp': 1792080000000, action: 'git.clone', actor: 'lwei', repo: 'nfu-aero/hgv-solver', _document_id: 'd1', ...over });
  it('reads an API page (a JSON array)', async () => {
    expect(events(await parseWith(github, JSON.stringify([rec(), rec({ _document_id: 'd2', action: 'repo.download_zip' })])))).toHaveLength(2);
  });
  it('download_zip is a download; push is not a read', () => {
    expect(github.parse(rec({ action: 'repo.download_zip' }), origin)).toMatchObject({ kind: 'event', event: { action: 'download' } });
    expect(github.parse(rec({ action: 'git.push' }), origin)).toEqual({ kind: 'skip', reason: 'not a read: git.push' });
  });
  it('SAML name id is an e-mail candidate; deploy keys and [bot] apps are services', () => {
    expect(github.parse(rec({ external_identity_nameid: 'li.wei@northfield.edu' }), origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: ['github:lwei', 'email:li.wei@northfield.edu'] } } });
    expect(github.parse(rec({ actor: '', programmatic_access_type: 'deploy_key' }), origin)).toMatchObject({ kind: 'event', event: { actor: { service: true } } });
    expect(github.parse(rec({ actor: 'dependabot[bot]' }), origin)).toMatchObject({ kind: 'event', event: { actor: { service: true } } });
  });
  it('rejects records without a repo', () => {
    expect(github.parse(rec({ repo: undefined }), origin)).toEqual({ kind: 'reject', reason: 'git.clone without repo "org/name"' });
  });
  it('never throws (fuzz)', () => {
    fc.assert(fc.property(fc.object({ maxDepth: 2 }), fc.anything(), (obj, v) => {
      for (const r of [obj, { ...rec(), ...obj }, rec({ actor: v }), rec({ '@timestamp': v }), rec({ repo: v, actor_location: v })]) {
        expect(['event', 'skip', 'reject']).toContain(handled(github.parse(r as Record<string, unknown>, origin)));
      }
    }), { numRuns: 300 });
  });
});

describe('GitHub — a personal security-log export (no actor, org or business)', () => {
  it('is recognised as GitHub: reads become events (the account in `user`), the rest are skipped', async () => {
    const text = readFileSync(new URL('../../fixtures/variants/logs/github-security-log.json', import.meta.url), 'utf8');
    const records = JSON.parse(text) as Record<string, unknown>[];
    expect(records.every((r) => github.detect(r))).toBe(true);
    const out = await parseWith(github, text);
    expect(out.map((o) => (o.kind === 'event' ? `${o.event.action} ${o.event.resource.uri} ${o.event.actor.anonymous ? 'anonymous' : o.event.actor.candidates[0]}` : `${o.kind}: ${o.reason}`))).toEqual([
      'skip: not a read: user.login',
      'download github://acme/hgv-solver github:lwei',
      'skip: not a read: oauth_authorization.create',
      'clone github://acme/hgv-solver anonymous',
    ]);
  });
});

// Behaviour from the audit-log event fields (reference/log-sources/03-github-audit.md), each with its second case.
describe('GitHub audit log — documented behaviour, second cases', () => {
  const rec = (over: Record<string, unknown> = {}) => ({ '@timestamp': 1792080000000, action: 'git.clone', actor: 'lwei', repo: 'nfu-aero/hgv-solver', _document_id: 'd1', ...over });
  const gh = (over: Record<string, unknown> = {}) => github.parse(rec(over), origin);
  it('the time is @timestamp or created_at (epoch ms), or Panther\'s zone-less at_sign_timestamp; without one the record is refused', () => {
    expect(gh()).toMatchObject({ kind: 'event', event: { time: '2026-10-15T16:00:00.000Z' } });
    expect(gh({ '@timestamp': undefined, created_at: 1792083600000 })).toMatchObject({ kind: 'event', event: { time: '2026-10-15T17:00:00.000Z' } });
    expect(gh({ '@timestamp': undefined, at_sign_timestamp: '2026-10-15 02:00:00.000' })).toMatchObject({ kind: 'event', event: { time: '2026-10-15T02:00:00.000Z' } });
    expect(gh({ '@timestamp': undefined })).toEqual({ kind: 'reject', reason: 'GitHub audit record needs action and @timestamp (or created_at)' });
  });
  it('the repository is repo or repository, "org/name"; the name is the part after the org', () => {
    expect(gh({ repo: undefined, repository: 'acme/sram-rtl' })).toMatchObject({ kind: 'event', event: { resource: { uri: 'github://acme/sram-rtl', name: 'sram-rtl' } } });
    expect(gh({ repo: 'hgv-solver' })).toEqual({ kind: 'reject', reason: 'git.clone without repo "org/name"' });
  });
  it('the id is _document_id, else a hash of the record (two records, two ids)', () => {
    expect(gh()).toMatchObject({ kind: 'event', event: { id: 'd1' } });
    const a = gh({ _document_id: undefined });
    const b = gh({ _document_id: undefined, actor: 'mkumar' });
    expect(a.kind === 'event' && a.event.id).toMatch(/^[0-9a-f]{40}$/);
    expect(a.kind === 'event' && b.kind === 'event' && a.event.id !== b.event.id).toBe(true);
  });
  it('actor_location.country_code (any case) is where GitHub placed the actor; a code that is no country is a note, not a place', () => {
    expect(gh({ actor_location: { country_code: 'de' } })).toMatchObject({ kind: 'event', event: { sourceCountry: 'DE' } });
    expect(gh({ actor_location: { country_code: 'CN' } })).toMatchObject({ kind: 'event', event: { sourceCountry: 'CN' } });
    const eu = gh({ actor_location: { country_code: 'EU' } });
    expect(eu).toMatchObject({ kind: 'event', event: { notes: ['location unknown: actor_location.country_code "EU" is not an ISO 3166 country'] } });
    expect(eu.kind === 'event' && 'sourceCountry' in eu.event).toBe(false);
    const none = gh();
    expect(none.kind === 'event' && ['sourceCountry' in none.event, 'notes' in none.event]).toEqual([false, false]);
  });
  it('actor_ip only when the enterprise shows IPs', () => {
    expect(gh({ actor_ip: '203.0.113.9' })).toMatchObject({ kind: 'event', event: { ip: '203.0.113.9' } });
    const none = gh();
    expect(none.kind === 'event' && 'ip' in none.event).toBe(false);
  });
  it('a deploy key is a service, named by the actor when there is one; a personal access token is the person', () => {
    expect(gh({ programmatic_access_type: 'Deploy key' })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['github:lwei'], service: true, display: 'deploy key' } } });
    expect(gh({ actor: undefined, programmatic_access_type: 'deploy_key' })).toMatchObject({ kind: 'event', event: { actor: { candidates: ['github:deploy-key'], service: true } } });
    const pat = gh({ programmatic_access_type: 'personal_access_token' });
    expect(pat).toMatchObject({ kind: 'event', event: { actor: { candidates: ['github:lwei'], display: 'lwei' } } });
    expect(pat.kind === 'event' && pat.event.actor.service).toBeUndefined();
  });
  it('repository topics are labels: add_topic adds, remove_topic removes; a topic event needs repo and topic', () => {
    expect(gh({ action: 'repo.add_topic', topic: 'itar' })).toMatchObject({ kind: 'event', event: { action: 'label', release: false, labelChange: 'add', resource: { uri: 'github://nfu-aero/hgv-solver', labels: ['itar'] } } });
    expect(gh({ action: 'repo.remove_topic', topic: 'ear-3e001' })).toMatchObject({ kind: 'event', event: { action: 'label', labelChange: 'remove', resource: { labels: ['ear-3e001'] } } });
    expect(gh({ action: 'repo.add_topic' })).toEqual({ kind: 'reject', reason: 'repo.add_topic without repo or topic' });
    expect(gh({ action: 'repo.remove_topic', topic: 'x', repo: undefined })).toEqual({ kind: 'reject', reason: 'repo.remove_topic without repo or topic' });
  });
  it('detect: a dotted action and a GitHub time field; neither alone', () => {
    expect(github.detect({ action: 'git.clone', created_at: 1 })).toBe(true);
    expect(github.detect({ action: 'git.clone' })).toBe(false);
    expect(github.detect({ action: 'Clone', '@timestamp': 1 })).toBe(false);
  });
});

describe('GitHub audit log — what is decided first, and what is bounded', () => {
  const rec = (over: Record<string, unknown> = {}) => ({ '@timestamp': 1792080000000, action: 'git.clone', actor: 'lwei', repo: 'nfu-aero/hgv-solver', _document_id: 'd1', ...over });
  it('an action that is not a read is skipped even when the rest of the record is incomplete (never quarantined)', () => {
    expect(github.parse({ action: 'git.push' }, origin)).toEqual({ kind: 'skip', reason: 'not a read: git.push' });
    expect(github.parse({ action: 'repo.access', repo: 'x' }, origin)).toEqual({ kind: 'skip', reason: 'repo.access is a visibility change, not a read' });
    expect(github.parse({ action: 'git.clone' }, origin)).toEqual({ kind: 'reject', reason: 'GitHub audit record needs action and @timestamp (or created_at)' });
  });
  it('a text line is refused as not JSON; an actor-less clone names no account', () => {
    expect(github.parse('git.clone lwei nfu-aero/hgv-solver', origin)).toEqual({ kind: 'reject', reason: 'GitHub audit records are JSON objects' });
    expect(github.parse(rec({ actor: undefined }), origin)).toMatchObject({ kind: 'event', event: { actor: { candidates: [], anonymous: true } } });
  });
  it('a topic event keeps its _document_id, or a hash, like a read', () => {
    expect(github.parse(rec({ action: 'repo.add_topic', topic: 'itar' }), origin)).toMatchObject({ kind: 'event', event: { id: 'd1', source: 'github' } });
    const hashed = github.parse(rec({ action: 'repo.add_topic', topic: 'itar', _document_id: undefined }), origin);
    expect(hashed.kind === 'event' && hashed.event.id).toMatch(/^[0-9a-f]{40}$/);
  });
  it('actor_location without a country code places nothing; a hostile code is cut to 8 characters in the note', () => {
    const city = github.parse(rec({ actor_location: { city: 'Berlin' } }), origin);
    expect(city.kind === 'event' && ['sourceCountry' in city.event, 'notes' in city.event]).toEqual([false, false]);
    expect(github.parse(rec({ actor_location: { country_code: 'XX-LONG-CODE-AND-MORE' } }), origin)).toMatchObject({ kind: 'event', event: { notes: ['location unknown: actor_location.country_code "XX-LONG-" is not an ISO 3166 country'] } });
  });
});

// Gaps found by mutation testing, pinned from the audit-log documentation: an action is a whole
// lower-case `category.operation` name; clones, fetches and ZIP downloads are releases.
describe('GitHub audit log — detect and releases, second cases', () => {
  const rec = (over: Record<string, unknown> = {}) => ({ '@timestamp': 1792080000000, action: 'git.clone', actor: 'lwei', repo: 'nfu-aero/hgv-solver', _document_id: 'd1', ...over });
  it('detect: the whole action must be a lower-case category.operation, not text around one', () => {
    expect(github.detect({ action: 'protected_branch.policy_override', created_at: 1621305118553 })).toBe(true);
    expect(github.detect({ action: 'Repo.Download_zip', created_at: 1 })).toBe(false);
    expect(github.detect({ action: 'Git.clone', created_at: 1 })).toBe(false);
    expect(github.detect({ action: 'git.clone of nfu-aero/hgv-solver', created_at: 1 })).toBe(false);
  });
  it('detect: an action that is not text is not GitHub\'s, even when it would read as one', () => {
    expect(github.detect({ action: ['git.clone'], created_at: 1 })).toBe(false);
    expect(github.detect({ action: { toString: 'git.clone' }, '@timestamp': 1 })).toBe(false);
  });
  it('a clone, a fetch and a ZIP download each release the repository', () => {
    for (const action of ['git.clone', 'git.fetch', 'repo.download_zip']) expect(github.parse(rec({ action }), origin)).toMatchObject({ kind: 'event', event: { source: 'github', release: true } });
  });
  it('the source is named "github", the name --source and the configuration use', () => {
    expect(sourceByName('github')).toBe(github);
  });
});
