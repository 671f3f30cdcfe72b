import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { DatasetRule, LicenseRule, Person } from '#shared/config/index.ts';
import { SEVERITIES, type Severity } from '#shared/model/index.ts';
import { lookBackText } from '#shared/flags/index.ts';
import { DISPOSITIONS, STATUSES, type AuditEntry, type Contribution, type StoredFlag } from '#shared/store/index.ts';
import type { Reviewer } from './identity.ts';
import { mixedScripts, showInvisible } from './text.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Served from /static/app.css: the CSP allows no inline style or script. */
export const CSS = `
:root{--c:#7a0019;--h:#b34700;--m:#8a6d00;--l:#2f5d8a;--bg:#fafafa;--fg:#1b1b1b;--mut:#5c5c5c;--line:#d8d8d8}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:#0b4f8a}a:focus,button:focus,select:focus,input:focus,textarea:focus{outline:3px solid #f0b400;outline-offset:1px}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header{background:#1f2937;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:baseline}header a{color:#fff;font-weight:600;text-decoration:none}
header .who{margin-left:auto;font-size:13px;color:#d1d5db}
main{max-width:1200px;margin:0 auto;padding:16px 20px}h1{font-size:22px;margin:8px 0 12px}h2{font-size:17px;margin:22px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{font-size:13px;color:var(--mut);font-weight:600}td.num{text-align:right}.break{word-break:break-all}
.sev{display:inline-block;min-width:64px;text-align:center;border-radius:3px;color:#fff;font-size:12px;font-weight:700;padding:1px 6px;text-transform:uppercase}
.sev-critical{background:var(--c)}.sev-high{background:var(--h)}.sev-medium{background:var(--m)}.sev-low{background:var(--l)}
.status{font-size:12px;border:1px solid var(--line);border-radius:3px;padding:1px 5px;background:#fff}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin-bottom:12px}form.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--mut)}
input,select,textarea,button{font:inherit}button{background:#0b4f8a;color:#fff;border:0;border-radius:3px;padding:6px 12px;cursor:pointer}button.secondary{background:#e5e7eb;color:#111}
.why li{margin-bottom:8px}.code{font-family:ui-monospace,monospace;font-size:13px}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:16px}
.card{background:#fff;border:1px solid var(--line);border-radius:4px;padding:10px 14px}.card dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}.card dt{color:var(--mut)}
.decide{display:grid;gap:8px;max-width:640px}.decide label{display:flex;flex-direction:column;font-size:13px}
.msg{padding:8px 12px;border-radius:4px;margin:8px 0}.msg.ok{background:#e7f5e9}.msg.err{background:#fde8e8}.msg.superseded{background:#eef1f5}.lookback{background:#fff3bf}
.chart{background:#fff;border:1px solid var(--line);border-radius:4px;padding:8px}.legend span{margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}.pager{margin:10px 0;display:flex;gap:16px;align-items:baseline}
td,dd,h1,li,p,.code{overflow-wrap:anywhere}.card{min-width:0}table{table-layout:auto}.scroll{overflow-x:auto}
bdi{unicode-bidi:isolate}.ctl{background:#fff3bf;color:#5c3c00;font-family:ui-monospace,monospace;font-size:12px}
mark.mixed{background:#ffe3e3;color:#7a0019;font-size:12px;padding:0 3px;border-radius:2px;margin-left:4px}
form.inline{display:inline}header form button{background:transparent;color:#d1d5db;padding:0;text-decoration:underline}
@media (max-width:700px){th:nth-child(7),td:nth-child(7),th:nth-child(8),td:nth-child(8){display:none}header{flex-wrap:wrap}}
`;

/** The favicon: a small SVG, served without sign-in so that the browser never logs a failed request. */
export const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f2937"/><path d="M4 4h8v2H9v6H7V6H4z" fill="#f0b400"/></svg>';

/**
 * Log-derived text as HTML: isolated (<bdi>) so it cannot reorder what is around it, invisible
 * and bidi controls shown as ⟨U+202E⟩ markers, and a "mixed scripts" mark on lookalikes.
 */
export function shown(text: string | undefined | null): Html {
  if (text === undefined || text === null || text === '') return html``;
  const parts = showInvisible(text).split(/(⟨U\+[0-9A-F]{4,6}⟩)/);
  const mixed = mixedScripts(text);
  return html`<bdi>${parts.map((p, i) => (i % 2 ? html`<span class="ctl">${p}</span>` : p))}</bdi>${mixed.length ? html`<mark class="mixed" title="letters from ${mixed.join(' and ')} in one word: possibly a lookalike">mixed scripts</mark>` : ''}`;
}

const SEV_COLOR: Record<Severity, string> = { critical: '#7a0019', high: '#b34700', medium: '#8a6d00', low: '#2f5d8a' };
const label = (s: string) => s.replace(/_/g, ' ');

/** `signOut`: the CSRF token for the sign-out form, when there is a sign-in to end. */
export function page(title: string, reviewer: Reviewer | undefined, body: Html, signOut?: string): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} — ITT Monitor</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/static/app.css"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><a href="/">ITT Monitor — export review</a><a href="/?status=open">Open</a><a href="/?status=in_review">In review</a><a href="/?status=escalated">Escalated</a><a href="/?status=closed">Closed</a><a href="/?status=superseded">Superseded</a><a href="/replays">Replays</a>
<span class="who">${reviewer ? `${reviewer.name} (${reviewer.roles.join(', ')})` : ''}${reviewer && signOut ? html` <form class="inline" method="post" action="/logout"><input type="hidden" name="csrf" value="${signOut}"><button type="submit">Sign out</button></form>` : ''}</span></header>
<main id="main">${body}</main></body></html>`;
}

const sev = (s: Severity) => html`<span class="sev sev-${s}">${s}</span>`;

export interface QueueFilters { status: string; severity?: string; dataset?: string; person?: string; from?: string; to?: string; foundBy?: string }

export interface QueuePaging { total: number; first: number; prev?: string | undefined; next?: string | undefined; empty?: string | undefined }

export function queuePage(flags: StoredFlag[], filters: QueueFilters, datasets: string[], paging: QueuePaging, chart: Html, exportHref: string): Html {
  const opt = (value: string, current: string | undefined, text = label(value)) => html`<option value="${value}" ${value === current ? 'selected' : ''}>${text}</option>`;
  const rows = flags.map((f) => html`<tr>
<td>${sev(f.severity)}</td><td><span class="status">${label(f.status)}</span>${f.foundBy === 'look-back' ? html`<br><span class="status lookback" title="${lookBackText(f)}">look-back</span>` : ''}</td><td>${f.day}</td>
<td><a href="/flags/${f.id}">${f.dataset}</a><br><span class="code">${f.classification}</span></td>
<td>${shown(f.actor.name ?? f.actor.key)}${f.actor.name && f.actor.name !== f.actor.key ? html`<br><span class="code">${shown(f.actor.key)}</span>` : ''}</td>
<td>${f.reasons.map((r) => html`<div>${r.code}${r.country ? ` ${r.country}` : ''}</div>`)}</td>
<td class="num">${f.eventCount}</td><td>${f.assignee ?? ''}</td></tr>`);
  return html`<h1>Flags for export-license review</h1>
<div class="chart"><h2>Open flags by severity and day</h2>${chart}</div>
<form class="filters" method="get" action="/" aria-label="Filter the queue">
<label>Status<select name="status">${STATUSES.map((s) => opt(s, filters.status))}</select></label>
<label>Severity<select name="severity"><option value="">any</option>${[...SEVERITIES].reverse().map((s) => opt(s, filters.severity))}</select></label>
<label>Dataset<select name="dataset"><option value="">any</option>${datasets.map((d) => opt(d, filters.dataset, d))}</select></label>
<label>Person, account or pseudonym<input name="person" type="search" value="${filters.person ?? ''}" size="16" maxlength="300"></label>
<label>From day<input name="from" type="date" value="${filters.from ?? ''}"></label>
<label>To day<input name="to" type="date" value="${filters.to ?? ''}"></label>
<label>Found<select name="foundBy"><option value="">live or look-back</option>${opt('look-back', filters.foundBy, 'on look-back only')}${opt('live', filters.foundBy, 'live only')}</select></label>
<button type="submit">Filter</button> <a href="${exportHref}">Export CSV</a></form>
<p class="total" role="status">${paging.total ? `Flags ${paging.first + 1}–${paging.first + flags.length} of ${paging.total}` : 'No flags match.'}</p>
<div class="scroll"><table aria-label="Review queue"><thead><tr><th>Severity</th><th>Status</th><th>Day</th><th>Dataset</th><th>Who</th><th>Reasons</th><th>Events</th><th>Assignee</th></tr></thead>
<tbody>${flags.length ? rows : html`<tr><td colspan="8">${paging.empty ?? 'No flags match.'}</td></tr>`}</tbody></table></div>
${paging.prev || paging.next ? html`<p class="pager">${paging.prev ? html`<a rel="prev" href="${paging.prev}">← Previous page</a>` : ''}${paging.next ? html`<a rel="next" href="${paging.next}">Next page →</a>` : ''}</p>` : ''}`;
}

/** Stacked bars of open flags per day and severity, drawn on the server: no script needed. */
export function severityChart(counts: Map<string, Record<Severity, number>>): Html {
  const days = [...counts.keys()].sort().slice(-30);
  if (!days.length) return html`<p>No open flags.</p>`;
  const max = Math.max(...days.map((d) => SEVERITIES.reduce((n, s) => n + counts.get(d)![s], 0)));
  const w = 22;
  const h = 120;
  const bars = days.map((d, i) => {
    let y = h;
    const parts = [...SEVERITIES].map((s) => {
      const n = counts.get(d)![s];
      const bh = (n / max) * (h - 10);
      y -= bh;
      return n ? html`<rect x="${i * w + 30}" y="${y.toFixed(1)}" width="${w - 4}" height="${bh.toFixed(1)}" fill="${SEV_COLOR[s]}"><title>${d}: ${n} ${s}</title></rect>` : '';
    });
    return html`${parts}<text x="${i * w + 30}" y="${h + 12}" font-size="8" transform="rotate(45 ${i * w + 30} ${h + 12})">${d.slice(5)}</text>`;
  });
  return html`<svg role="img" aria-label="Open flags by severity over the last ${days.length} days" width="${days.length * w + 40}" height="${h + 40}" viewBox="0 0 ${days.length * w + 40} ${h + 40}">
<text x="0" y="10" font-size="10">${max}</text><text x="0" y="${h}" font-size="10">0</text>${bars}</svg>
<div class="legend">${[...SEVERITIES].reverse().map((s) => html`<span><i class="sev-${s}"></i>${s}</span>`)}</div>`;
}

export interface DetailContext {
  flag: StoredFlag;
  person?: Person | undefined;
  revealed: boolean;
  pseudonymised: boolean;
  dataset?: DatasetRule | undefined;
  licenses: LicenseRule[];
  evidence: Contribution[];
  audit: AuditEntry[];
  reviewer: Reviewer;
  canDecide: boolean;
  csrf: string;
  message?: { ok: boolean; text: string } | undefined;
  /**
   * The first event's index and links to the neighbouring pages. `paged`: the flag's events are this
   * page of all its events (kept one by one); otherwise they are the kept samples, shown a page at a time.
   */
  events: { first: number; paged?: boolean; prev?: string | undefined; next?: string | undefined };
}

export const EVENTS_PER_PAGE = 10;

export function detailPage(x: DetailContext): Html {
  const f = x.flag;
  const shownEvents = x.events.paged ? f.events : f.events.slice(x.events.first, x.events.first + EVENTS_PER_PAGE);
  const of = x.events.paged ? f.eventCount : f.events.length;
  const p = x.person;
  const who = p && (!x.pseudonymised || x.revealed)
    ? html`<dl><dt>Name</dt><dd>${p.name}</dd><dt>Id</dt><dd>${p.id}</dd><dt>Citizenship</dt><dd>${p.citizenships.join(', ') || '—'}</dd>
<dt>Permanent residency</dt><dd>${p.permanentResidency ?? '—'}</dd><dt>US person</dt><dd>${p.usPerson ? 'yes' : 'no'}</dd>
<dt>Groups</dt><dd>${p.groups.join(', ') || '—'}</dd><dt>Accounts</dt><dd class="break">${f.actor.accounts.map((a, i) => html`${i ? ', ' : ''}${shown(a)}`)}</dd></dl>`
    : html`<dl><dt>Who</dt><dd>${shown(f.actor.name ?? f.actor.key)}</dd><dt>Accounts</dt><dd class="break">${f.actor.accounts.length ? f.actor.accounts.map((a, i) => html`${i ? ', ' : ''}${shown(a)}`) : '—'}</dd></dl>
${x.pseudonymised && !x.revealed && x.canDecide ? html`<form method="post" action="/flags/${f.id}/reveal" class="decide"><input type="hidden" name="csrf" value="${x.csrf}">
<p>The person is shown under a pseudonym. Revealing who it is is recorded in the audit trail with your reason.</p>
<label>Reason for revealing<input name="reason" required minlength="10" maxlength="4000"></label><div><button type="submit" class="secondary">Reveal identity</button></div></form>` : ''}`;
  const d = x.dataset;
  const decideForm = x.canDecide ? html`<h2 id="decide">Decision</h2>
<form class="decide" method="post" action="/flags/${f.id}/decide">
<input type="hidden" name="csrf" value="${x.csrf}"><input type="hidden" name="version" value="${f.version}">
<label>Action<select name="action" required>
${f.status === 'open' || (f.status === 'in_review' && !f.assignee) ? html`<option value="assign">assign to me (in review)</option>` : ''}
${f.status === 'in_review' && f.assignee && f.assignee !== x.reviewer.id ? html`<option value="reassign">take over from ${f.assignee} (reassign; say why)</option>` : ''}
${f.status !== 'closed' && f.status !== 'superseded' ? html`<option value="close">close with a disposition</option>` : ''}
${f.status === 'open' || f.status === 'in_review' ? html`<option value="escalate">escalate (possible violation: counsel)</option>` : ''}
${f.status === 'in_review' ? html`<option value="release">release back to the queue</option>` : ''}
${f.status === 'closed' || f.status === 'escalated' || f.status === 'superseded' ? html`<option value="reopen">reopen</option>` : ''}
</select></label>
<label>Disposition (to close)<select name="disposition"><option value="">—</option>${DISPOSITIONS.map((s) => html`<option value="${s}">${label(s)}</option>`)}</select></label>
<label>Reference (license number, or the license exception cited)<input name="reference"></label>
<label>Justification<textarea name="justification" rows="3"></textarea></label>
<div><button type="submit">Record decision</button></div></form>` : html`<p>You can read this flag; deciding needs the reviewer role.</p>`;
  return html`<p><a href="/">← Queue</a></p>
${x.message ? html`<p class="msg ${x.message.ok ? 'ok' : 'err'}" role="status">${x.message.text}</p>` : ''}
<h1>${sev(f.severity)} ${f.dataset} — ${shown(f.actor.name ?? f.actor.key)}, ${f.day}</h1>
<p><span class="status">${label(f.status)}</span> version ${f.version}${f.assignee ? ` · assigned to ${f.assignee}` : ''}${f.disposition ? ` · ${label(f.disposition)}` : ''}${f.reference ? html` (${shown(f.reference)})` : ''} · flag <span class="code">${f.id}</span></p>
${lookBackText(f) ? html`<p class="found" role="note">This flag was ${lookBackText(f)}.</p>` : ''}
${f.status === 'superseded' ? html`<p class="msg superseded" role="note"><strong>Superseded</strong>: ${shown(x.audit.filter((a) => a.to === 'superseded' && a.from !== 'superseded').at(-1)?.justification ?? 'a new policy version no longer supports this flag')}. It is kept with its record; reopen it if the finding still needs review.</p>` : ''}
<h2>Why this was raised</h2><ul class="why">${f.reasons.map((r) => html`<li><strong>${r.code}${r.country ? ` ${r.country}` : ''}</strong> (${r.severity}): ${shown(r.explanation)}</li>`)}</ul>
${f.cleared?.length ? html`<h2>Cleared by license</h2><ul class="why">${f.cleared.map((c) => html`<li><strong>${c.code} ${c.country}</strong> — ${c.license}: ${shown(c.explanation)}</li>`)}</ul>` : ''}
<div class="grid"><section class="card" aria-label="Person"><h2>Person</h2>${who}</section>
<section class="card" aria-label="Dataset"><h2>Dataset</h2><dl><dt>Id</dt><dd>${f.dataset}</dd>${d ? html`<dt>Name</dt><dd>${d.name}</dd>` : ''}
<dt>Classification</dt><dd>${f.classification} (${f.jurisdiction})</dd>${d?.reasons ? html`<dt>Reasons</dt><dd>${d.reasons.join(', ')}</dd>` : ''}
<dt>TCP list</dt><dd>${d ? (d.authorized ? d.authorized.join(', ') : 'none') : '—'}</dd></dl></section>
<section class="card" aria-label="Licenses considered"><h2>Licenses considered</h2>${x.licenses.length ? html`<ul>${x.licenses.map((l) => html`<li><strong>${l.id}</strong>: ${l.countries.join(', ')}${l.persons ? ` for ${l.persons.join(', ')}` : ''}; expires ${l.expires}</li>`)}</ul>` : html`<p>No license on file covers this dataset.</p>`}</section></div>
<h2 id="events">Events (${f.eventCount})</h2>
<p class="total">Events ${shownEvents.length ? `${x.events.first + 1}–${x.events.first + shownEvents.length} of ${of}` : 'none kept'}</p>
${!x.events.paged && f.eventCount > f.events.length ? html`<p>${f.eventCount - f.events.length} more event${f.eventCount - f.events.length === 1 ? ' is' : 's are'} counted but not kept with the flag (a sample is kept per source object); the source objects listed under Evidence hold every one.</p>` : ''}
<div class="scroll"><table aria-label="Events"><thead><tr><th>Time (UTC)</th><th>Source</th><th>Action</th><th>Resource</th><th>IP</th><th>Country</th><th>Bytes</th></tr></thead><tbody>
${shownEvents.map((e) => html`<tr><td>${e.time}</td><td>${e.source}</td><td>${e.action}</td><td class="break">${shown(e.resource)}</td><td>${shown(e.ip)}</td><td>${e.country ?? ''}</td><td class="num">${e.bytes ?? ''}</td></tr>`)}</tbody></table></div>
${x.events.prev || x.events.next ? html`<p class="pager">${x.events.prev ? html`<a rel="prev" href="${x.events.prev}">← Earlier events</a>` : ''}${x.events.next ? html`<a rel="next" href="${x.events.next}">Later events →</a>` : ''}</p>` : ''}
<p>Evidence from ${x.evidence.length} source object${x.evidence.length === 1 ? '' : 's'}: ${x.evidence.map((c, i) => html`${i ? ', ' : ''}<span class="code break">${shown(c.object)}</span>`)}</p>
${decideForm}
<h2 id="audit">Audit trail</h2>
<div class="scroll"><table aria-label="Audit trail"><thead><tr><th>When (UTC)</th><th>Who</th><th>Action</th><th>From → to</th><th>Disposition</th><th>Why</th></tr></thead><tbody>
${x.audit.length ? x.audit.map((a) => html`<tr><td>${a.at}</td><td>${a.who}</td><td>${a.action}</td><td>${a.from ? label(a.from) : '—'} → ${label(a.to)}</td><td>${a.disposition ? label(a.disposition) : ''}${a.reference ? html` (${shown(a.reference)})` : ''}</td><td>${shown(a.justification)}</td></tr>`) : html`<tr><td colspan="6">No decisions yet.</td></tr>`}
</tbody></table></div>`;
}

export function errorPage(status: number, text: string, reviewer?: Reviewer): Html {
  return page(`Error ${status}`, reviewer, html`<h1>${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong'}</h1><p>${text}</p><p><a href="/">Back to the queue</a></p>`);
}

