import { describe, expect, it } from 'vitest';
import type { Flag } from '#shared/model/index.ts';
import { FourEyesError, prepareDecision, ReviewError } from '#shared/review/index.ts';
import { isSubjectOf } from '#shared/review/identity.ts';
import { maskPersonalPaths, pseudonym, pseudonymiseFlag } from '#shared/review/pseudonym.ts';
import { mixedScripts, plainSafe, showInvisible } from '#shared/review/text.ts';
import { shown } from '#shared/review/views.ts';
import type { Person } from '#shared/config/index.ts';
import type { StoredFlag } from '#shared/store/index.ts';

const stored = (status: StoredFlag['status'], over: Partial<StoredFlag> = {}): StoredFlag => ({
  id: 'f1', severity: 'high', dataset: 'd', classification: '3E001', jurisdiction: 'EAR', day: '2026-10-01', actor: { key: 'p-1', person: 'p-1', accounts: ['github:jdoe'] },
  reasons: [], eventCount: 1, bytes: 0, firstSeen: 't', lastSeen: 't', events: [], status, version: 3, rev: 1, createdAt: 't', updatedAt: 't', ...over,
});
const now = '2026-10-02T00:00:00.000Z';
const reviewer = { roles: ['reviewer'] as const, isSubject: false };

describe('four eyes in the state machine', () => {
  it('refuses any decision by the flag\'s own person, whatever the action', () => {
    for (const d of [{ action: 'assign', version: 3 }, { action: 'escalate', version: 3, justification: 'possible violation here' }] as const) {
      expect(() => prepareDecision(stored('open'), d, 'jdoe@x.edu', now, { ...reviewer, isSubject: true })).toThrow(FourEyesError);
    }
  });
  it('an assigned flag is decided by its assignee; others reassign (with a reason), admins too', () => {
    const mine = stored('in_review', { assignee: 'rita' });
    expect(prepareDecision(mine, { action: 'release', version: 3 }, 'rita', now, reviewer).set.status).toBe('open');
    expect(() => prepareDecision(mine, { action: 'release', version: 3 }, 'sam', now, reviewer)).toThrow(/assigned to rita: take it over with "reassign"/);
    expect(() => prepareDecision(mine, { action: 'escalate', version: 3, justification: 'counsel must see it' }, 'ada', now, { roles: ['admin'], isSubject: false })).toThrow(FourEyesError);
    expect(prepareDecision(mine, { action: 'reassign', version: 3, justification: 'Rita is away this week' }, 'sam', now, reviewer)).toMatchObject({ set: { assignee: 'sam' }, entry: { action: 'reassign', from: 'in_review', to: 'in_review' } });
    expect(() => prepareDecision(stored('open'), { action: 'reassign', version: 3, justification: 'nobody has it yet' }, 'sam', now, reviewer)).toThrow(new ReviewError('cannot reassign a flag that is open'));
  });
  it('the escalating reviewer cannot close the escalation; another reviewer or an admin can', () => {
    const close = { action: 'close', version: 3, disposition: 'not_a_release', justification: 'counsel: not a release' } as const;
    const who = { ...reviewer, escalatedBy: 'esc' };
    expect(() => prepareDecision(stored('escalated'), close, 'esc', now, who)).toThrow(new FourEyesError('you escalated this flag: an admin or another reviewer must close it'));
    expect(prepareDecision(stored('escalated'), close, 'other', now, who).set.status).toBe('closed');
    expect(prepareDecision(stored('escalated'), close, 'esc', now, { ...who, roles: ['reviewer', 'admin'] }).set.status).toBe('closed');
    expect(prepareDecision(stored('escalated'), { action: 'reopen', version: 3, justification: 'more evidence came in' }, 'esc', now, who).set.status).toBe('open');
  });
  it('the system (no reviewer context) is not held to four eyes', () => {
    expect(prepareDecision(stored('closed'), { action: 'reopen', version: 3, justification: 'new evidence after the decision' }, 'system', now).set.status).toBe('open');
  });
});

describe('is the reviewer the subject of a flag', () => {
  const people: Person[] = [{ id: 'p-1', name: 'Jane Doe', email: 'jane.doe@x.edu', accounts: ['github:jdoe'], citizenships: ['US'], usPerson: true, groups: [] } as unknown as Person];
  it('by the directory: the reviewer\'s e-mail is the flag\'s person, in any case', () => {
    expect(isSubjectOf(stored('open'), { id: 'Jane.Doe@X.edu', name: 'J', roles: ['reviewer'] }, people)).toBe(true);
    expect(isSubjectOf(stored('open'), { id: 'rita@x.edu', name: 'R', roles: ['reviewer'] }, people)).toBe(false);
  });
  it('by the flag\'s accounts: a guest e-mail or a prefixed account that is the reviewer\'s address', () => {
    const guest = stored('open', { actor: { key: 'm365:guest@partner.com', accounts: ['m365:guest@partner.com'] } });
    expect(isSubjectOf(guest, { id: 'guest@partner.com', name: 'G', roles: ['reviewer'] }, people)).toBe(true);
    expect(isSubjectOf(guest, { id: 'other@partner.com', name: 'O', roles: ['reviewer'] }, people)).toBe(false);
  });
});

describe('pseudonyms that hold', () => {
  const flag: Flag = {
    id: 'f', severity: 'high', dataset: 'd', classification: 'c', jurisdiction: 'EAR', day: '2026-10-01', eventCount: 2, bytes: 0, firstSeen: 't', lastSeen: 't',
    actor: { key: 'm365:jane.doe@partner.com', accounts: ['m365:jane.doe@partner.com'] },
    reasons: [{ code: 'UNKNOWN_ACCOUNT', severity: 'high', explanation: 'm365:jane.doe@partner.com (not in the directory) downloaded x' }],
    events: [
      { id: 'e1', source: 'm365', time: 't', action: 'download', resource: 'https://northfield-my.sharepoint.com/personal/jane_doe_partner_com/Documents/hgv.step' },
      { id: 'e2', source: 'samba', time: 't', action: 'download', resource: 'smb://fs1/home/jdoe/hgv/mesh.cgns' },
    ],
  };
  it('guests and unknown accounts get a pseudonym too, stable and case-insensitive', () => {
    const p = pseudonymiseFlag(flag, 's');
    expect(p.actor).toEqual({ key: pseudonym('s', 'm365:jane.doe@partner.com'), person: pseudonym('s', 'M365:Jane.Doe@partner.com'), name: p.actor.key, accounts: ['(hidden)'] });
    expect(JSON.stringify(p)).not.toMatch(/jane|doe|jdoe/i);
  });
  it('personal folders are masked: OneDrive personal sites, home shares, home directories', () => {
    const p = pseudonymiseFlag(flag, 's');
    expect(p.events.map((e) => e.resource)).toEqual(['https://northfield-my.sharepoint.com/personal/(hidden)/Documents/hgv.step', 'smb://fs1/home/(hidden)/hgv/mesh.cgns']);
    expect(maskPersonalPaths('\\\\fs1\\homes$\\..\\x')).toBe('\\\\fs1\\homes$\\..\\x'); // not a home share: "homes$" is not "home$"
    expect(maskPersonalPaths('\\\\fs1\\home$\\okovalenko\\thesis.pdf')).toBe('\\\\fs1\\home$\\(hidden)\\thesis.pdf');
    expect(maskPersonalPaths('/Users/priya/Desktop/a.step')).toBe('/Users/(hidden)/Desktop/a.step');
    expect(maskPersonalPaths('s3://bucket/shared/hgv/a.step')).toBe('s3://bucket/shared/hgv/a.step');
  });
});

describe('hostile text shown visibly', () => {
  it('bidi controls and invisible characters become ⟨U+XXXX⟩ markers', () => {
    expect(showInvisible('report\u202Efdp.exe')).toBe('report⟨U+202E⟩fdp.exe');
    expect(showInvisible('a\u200Bb\u2066c\u2069\uFEFFd\u0000')).toBe('a⟨U+200B⟩b⟨U+2066⟩c⟨U+2069⟩⟨U+FEFF⟩d⟨U+0000⟩');
    expect(showInvisible('plain name, Ünïcødé, 李伟, שלום')).toBe('plain name, Ünïcødé, 李伟, שלום');
  });
  it('a word mixing scripts is marked; a word in one script, or Japanese kana with kanji, is not', () => {
    expect(mixedScripts('p\u0430ypal.pdf')).toEqual(['Latin', 'Cyrillic']);
    expect(mixedScripts('Olena Коваленко')).toEqual([]); // two words, each in one script
    expect(mixedScripts('東京タワー')).toEqual([]);
    expect(plainSafe('p\u0430ypal\u202E.pdf')).toBe('p\u0430ypal⟨U+202E⟩.pdf ⟨mixed scripts: Latin+Cyrillic⟩');
  });
  it('in HTML: isolated with <bdi>, markers and the mixed-scripts mark escaped around the text', async () => {
    expect(String(await shown('<b>x\u202Ey</b>'))).toBe('<bdi>&lt;b&gt;x<span class="ctl">⟨U+202E⟩</span>y&lt;/b&gt;</bdi>');
    expect(String(await shown('p\u0430ypal'))).toMatch(/^<bdi>p\u0430ypal<\/bdi><mark class="mixed" title="letters from Latin and Cyrillic in one word: possibly a lookalike">mixed scripts<\/mark>$/);
  });
});
