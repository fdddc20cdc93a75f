// Job page: everything about one job, its actions, and live updates from the job's event stream.

import { h, replace, setText } from './dom.js';
import { fmtDuration, fmtInt, num, prettyJSON, text, timeEl } from './format.js';
import { link } from './router.js';
import { seg, isAbort, streamEvents } from './api.js';
import { FINISHED, actionButton, pageTitle, stateBadge, statusLine } from './ui.js';

const RECONNECT_MS = 2000;
const MAX_BACKOFF_MS = 30000;
const CANCELLABLE = new Set(['waiting', 'delayed', 'active', 'prioritized']);

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

function progressView(progress) {
  const n = typeof progress === 'number' ? progress : null;
  if (n !== null && n >= 0 && n <= 100) {
    return h('span', { class: 'progress' },
      h('progress', { 'data-testid': 'job-progress', max: 100, value: n, 'aria-label': 'Progress' }, `${n}%`),
      ` ${+n.toFixed(1)}%`);
  }
  if (progress === undefined || progress === null) return h('span', { class: 'muted' }, '—');
  return h('code', { 'data-testid': 'job-progress', class: 'json-inline' }, prettyJSON(progress));
}

function dl(pairs) {
  return h('dl', { class: 'meta' }, pairs.filter(Boolean).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

export function render(ctx, route) {
  const [queue = '', id = ''] = route.parts;
  const base = `/api/admin/queues/${seg(queue)}/jobs/${seg(id)}`;
  let job = null;
  let lastSnapshot = '';
  let gone = false; // removed or not found: stop following
  let following = false;
  let streamAbort = null; // ends the open event stream when the job is gone

  const live = h('span', { 'data-testid': 'live', class: 'live-indicator', 'data-live': 'off' }, 'connecting');
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Job actions' });
  const message = statusLine({ 'data-testid': 'action-result' });
  const body = h('div', { class: 'job-body' }, h('p', { class: 'muted' }, 'Loading…'));
  ctx.main.replaceChildren(h('section', { 'data-testid': 'job-page', class: 'page' },
    h('div', { class: 'page-head' }, pageTitle(`Job ${id}`), live),
    h('p', { class: 'crumbs' }, h('a', { href: link('jobs', { queue, tenant: ctx.tenant }) }, `← ${queue} jobs`)),
    actions, message, body));

  const setLive = (state) => {
    live.dataset.live = state === 'live' ? 'on' : 'off';
    setText(live, state);
  };

  function showGone(text_, testid) {
    gone = true;
    streamAbort?.abort();
    actions.replaceChildren();
    replace(body, h('div', { 'data-testid': testid, class: 'notice', role: testid === 'not-found' ? 'alert' : 'status' }, text_));
    setLive('ended');
  }

  // ---- actions ----
  async function act(kind, request, done) {
    const answer = await request();
    if (kind === 'remove') {
      setText(message, '');
      ctx.announce(`Job ${id} removed`);
      showGone(`Job ${id} was removed.`, 'job-removed');
      return;
    }
    setText(message, done(answer));
    await reload();
    follow();
  }

  function renderActions(state) {
    const buttons = [];
    if (state === 'failed' || state === 'completed') {
      buttons.push(actionButton(ctx, 'retry', 'Retry', () => act('retry', () => ctx.api.post(`${base}/retry`), () => 'Sent back to wait.')));
    }
    if (state === 'delayed') {
      buttons.push(actionButton(ctx, 'promote', 'Run now', () => act('promote', () => ctx.api.post(`${base}/promote`), () => 'Promoted: it waits for a worker now.')));
    }
    if (CANCELLABLE.has(state)) {
      buttons.push(actionButton(ctx, 'cancel', 'Cancel', () => act('cancel',
        () => ctx.api.post(`/api/jobs/${seg(queue)}/${seg(id)}/cancel`),
        (a) => (a?.cancellation?.outcome === 'removed' ? 'Cancelled: it had not started.' : 'Cancellation requested: its worker stops it.'))));
    }
    buttons.push(actionButton(ctx, 'remove', 'Remove', () => act('remove', () => ctx.api.del(base)), { attrs: { class: 'danger' } }));
    const focused = document.activeElement?.dataset?.action;
    actions.replaceChildren(...buttons.filter(Boolean));
    if (focused) actions.querySelector(`[data-action="${focused}"]`)?.focus();
  }

  // ---- the job ----
  function renderJob(j) {
    const state = typeof j.state === 'string' ? j.state : 'unknown';
    const stack = Array.isArray(j.stacktrace) ? j.stacktrace.map(text) : [];
    const logs = Array.isArray(j.logs) ? j.logs.map(text) : [];
    const logCount = num(j.logCount) ?? logs.length;
    const failed = j.failedReason !== undefined && j.failedReason !== null && j.failedReason !== '';

    renderActions(state);
    replace(body,
      dl([
        ['ID', text(j.id) || id],
        ['Name', text(j.name) || '—'],
        ['Queue', text(j.queue) || queue],
        ['Tenant', text(j.tenantId) || '—'],
        ['State', stateBadge(state, { 'data-testid': 'job-state' })],
        ['Progress', progressView(j.progress)],
        ['Priority', fmtInt(j.priority)],
        ['Delay', fmtDuration(j.delayMs)],
        j.parent ? ['Parent', text(j.parent)] : null,
      ]),
      h('h2', {}, 'Timeline'),
      h('ol', { 'data-testid': 'timeline', class: 'timeline' },
        h('li', {}, h('span', { class: 'label' }, 'Created '), timeEl(j.createdAt)),
        h('li', {}, h('span', { class: 'label' }, 'Processed '), timeEl(j.processedAt)),
        h('li', {}, h('span', { class: 'label' }, 'Finished '), timeEl(j.finishedAt)),
        h('li', {}, h('span', { class: 'label' }, 'Attempts made '), fmtInt(j.attemptsMade)),
        h('li', {}, h('span', { class: 'label' }, 'Attempts started '), fmtInt(j.attemptsStarted))),
      failed || state === 'failed' ? [
        h('h2', {}, 'Failure'),
        h('pre', { 'data-testid': 'job-failed-reason', class: 'failure' }, text(j.failedReason) || '—'),
        h('details', { open: stack.length > 0 && stack.length < 4 },
          h('summary', {}, `Stack trace (${stack.length})`),
          h('pre', { 'data-testid': 'job-stacktrace' }, stack.length ? stack.join('\n\n') : 'No stack trace.')),
      ] : null,
      j.returnValue !== undefined ? [
        h('h2', {}, 'Return value'),
        h('pre', { 'data-testid': 'job-return' }, prettyJSON(j.returnValue)),
      ] : null,
      h('h2', {}, 'Data'),
      h('pre', { 'data-testid': 'job-data' }, prettyJSON(j.data)),
      h('h2', {}, 'Options'),
      h('pre', { 'data-testid': 'job-options' }, prettyJSON(j.options)),
      h('h2', {}, logCount > logs.length ? `Logs (last ${fmtInt(logs.length)} of ${fmtInt(logCount)})` : `Logs (${fmtInt(logs.length)})`),
      h('ol', { 'data-testid': 'job-logs', class: 'logs' },
        logs.length ? logs.map((line) => h('li', {}, line)) : h('li', { class: 'muted' }, 'No logs.')));
  }

  async function load() {
    if (gone) return;
    try {
      const data = await ctx.api.get(base);
      const j = data?.job;
      if (!j || typeof j !== 'object') throw new Error('The API answered without a job');
      const snapshot = JSON.stringify(j);
      job = j;
      // Re-render only on a change: keeps focus, selection and open <details> stable.
      if (snapshot !== lastSnapshot) renderJob(j);
      lastSnapshot = snapshot;
      ctx.clearError('job');
    } catch (err) {
      if (isAbort(err)) return;
      if (err?.status === 404) showGone(err.message || 'No such job', 'not-found');
      else ctx.fail(err, 'job');
    }
  }

  // Re-fetch coalescing: events can arrive faster than the detail loads.
  let loading = null;
  let again = false;
  function reload() {
    if (loading) { again = true; return loading; }
    loading = (async () => {
      do { again = false; await load(); } while (again && !ctx.signal.aborted && !gone);
    })().finally(() => { loading = null; });
    return loading;
  }

  // ---- live events ----
  async function follow() {
    if (following || gone || ctx.signal.aborted) return;
    following = true;
    let lastStart = 0;
    let failures = 0;
    try {
      while (!ctx.signal.aborted && !gone) {
        const backoff = failures ? Math.min(MAX_BACKOFF_MS, RECONNECT_MS * 2 ** (failures - 1)) : 0;
        const wait = Math.max(lastStart + RECONNECT_MS - Date.now(), backoff, 0);
        if (wait) await sleep(wait, ctx.signal);
        if (ctx.signal.aborted) return;
        lastStart = Date.now();
        setLive(failures ? 'reconnecting' : 'connecting');
        streamAbort = new AbortController();
        const stop = () => streamAbort.abort();
        ctx.signal.addEventListener('abort', stop, { once: true });
        try {
          await streamEvents(`${base}/events`, {
            signal: streamAbort.signal,
            onOpen: () => { failures = 0; setLive('live'); },
            onEvent: (ev) => {
              if (ev.type === 'removed') showGone(`Job ${id} was removed.`, 'job-removed');
              else reload();
            },
          });
        } catch (err) {
          if (isAbort(err) || ctx.signal.aborted || gone) return;
          if (err?.status === 401 || err?.status === 403 || err?.status === 404) {
            if (err.status === 404) await reload();
            else ctx.fail(err, 'job');
            setLive('offline');
            return;
          }
          failures += 1;
          setLive('offline');
        } finally {
          ctx.signal.removeEventListener('abort', stop);
        }
        await reload();
        if (gone) return;
        if (FINISHED.has(job?.state)) { setLive('ended'); return; }
        if (!failures) setLive('reconnecting');
      }
    } finally {
      following = false;
    }
  }

  if (!queue || !id) {
    showGone('This job address is incomplete: it needs a queue and an id.', 'not-found');
    return null;
  }
  reload().then(() => { if (!gone) follow(); });
  return null;
}
