import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ReplayRun } from '#shared/ingest/replay.ts';
import { shown } from './views.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
const n = (v: number) => v.toLocaleString('en-US');

/**
 * Running and recent replays (backfills and look-backs): state, objects enqueued, failed and
 * pending, who started them and when. The execution's input is shown as text: anyone who may start
 * an execution writes it.
 */
export function replaysPage(runs: ReplayRun[] | undefined, problem?: string): Html {
  if (problem) return html`<h1>Replays</h1><p class="error" role="alert">Replay progress is unavailable: ${problem}</p>`;
  if (!runs) return html`<h1>Replays</h1><p>Replays run in AWS (ittmon replay start, or a look-back after a policy change). Locally, a look-back is <code>ittmon scan OLD_LOGS --config NEW_CONFIG --look-back</code>.</p>`;
  if (!runs.length) return html`<h1>Replays</h1><p>No replays yet.</p>`;
  const rows = runs.map((r) => {
    const q = r.request ?? {};
    const i = r.items;
    return html`<tr>
<td><span class="status">${r.status.toLowerCase().replace(/_/g, ' ')}</span></td>
<td>${q.lookBack ? html`look-back after policy version ${shown(String(q.lookBack.policyVersion))}` : 'backfill'}<br><span class="code">${shown(`s3://${q.bucket ?? '?'}/${q.prefix ?? ''}`)}</span></td>
<td>${shown(q.since ?? '?')} to ${shown(q.until ?? '?')}</td>
<td>${i ? html`${n(i.succeeded)} enqueued, ${n(i.failed + i.timedOut + i.aborted)} failed, ${n(i.pending + i.running)} pending, of ${n(i.total)}` : 'listing not started'}</td>
<td>${shown(q.startedBy ?? 'unknown')}<br>${r.startedAt}${r.stoppedAt ? html`<br>stopped ${r.stoppedAt}` : ''}</td>
<td class="code">${shown(r.name)}${r.error ? html`<br>${shown(r.error)}` : ''}</td></tr>`;
  });
  return html`<h1>Replays</h1>
<table><caption>Running and recent replays of log buckets through the ingest (newest first)</caption>
<thead><tr><th scope="col">State</th><th scope="col">What</th><th scope="col">Window</th><th scope="col">Objects</th><th scope="col">Started by, when</th><th scope="col">Execution</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}
