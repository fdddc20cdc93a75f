// Overview: one row of counts per queue, Redis memory, and a throughput chart per queue.
// Refreshes every 5 s while auto-refresh is on and the tab is visible.

import { h, replace, setText } from './dom.js';
import { fmtBytes, fmtClock, fmtInt, num, plainInt, text } from './format.js';
import { link } from './router.js';
import { withQuery, seg } from './api.js';
import { throughputChart, totals } from './chart.js';
import { badge, pageTitle, table } from './ui.js';

const COUNTS = [
  ['waiting', 'waiting', 'Waiting'],
  ['active', 'active', 'Active'],
  ['prioritized', 'prioritized', 'Prioritized'],
  ['delayed', 'delayed', 'Delayed'],
  ['completed', 'completed', 'Completed'],
  ['failed', 'failed', 'Failed'],
  ['waitingChildren', 'waiting-children', 'Waiting children'],
];
const REFRESH_MS = 5000;

const countOf = (counts, key, state) => counts?.[key] ?? counts?.[state];

function redisText(redis) {
  const used = num(redis.usedMemoryBytes);
  const max = num(redis.maxMemoryBytes);
  const limit = max && max > 0
    ? ` of ${fmtBytes(max)} (${used === null ? '?' : ((used / max) * 100).toFixed(1)}%)`
    : ' (no limit)';
  const version = typeof redis.version === 'string' && redis.version ? ` · Redis ${redis.version}` : '';
  return `Redis memory: ${fmtBytes(used)}${limit}${version}`;
}

export function render(ctx) {
  const tenant = ctx.tenant;
  let auto = true;
  let busy = false;
  const rows = new Map(); // queue → {tr, cells, paused, workers, lastMinute}
  const figures = new Map(); // queue → {figure, body, caption}

  const updated = h('span', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'updated' }, 'Loading…');
  const toggle = h('button', { type: 'button', id: 'auto-refresh', 'aria-pressed': 'true' }, 'Pause auto-refresh');
  toggle.addEventListener('click', () => {
    auto = !auto;
    toggle.setAttribute('aria-pressed', String(auto));
    toggle.textContent = auto ? 'Pause auto-refresh' : 'Resume auto-refresh';
    ctx.announce(auto ? 'Auto-refresh on' : 'Auto-refresh paused');
    if (auto) refresh();
  });
  const redisSlot = h('div');
  const headers = ['Queue', ...COUNTS.map(([, , label]) => label), 'Status', 'Workers', 'Last minute'];
  const { table: tableEl, tbody } = table('Jobs per queue and state', headers, { class: 'data overview-table' });
  const charts = h('div', { class: 'charts' });

  ctx.main.replaceChildren(h('section', { 'data-testid': 'overview', class: 'page' },
    h('div', { class: 'page-head' },
      pageTitle(tenant ? `Overview · tenant ${tenant}` : 'Overview'),
      h('div', { class: 'toolbar' }, updated, toggle)),
    redisSlot,
    h('div', { class: 'table-wrap' }, tableEl),
    h('h2', {}, 'Completed and failed per minute, last hour'),
    charts));

  function row(queue) {
    if (rows.has(queue)) return rows.get(queue);
    const cells = {};
    const tr = h('tr', { 'data-testid': 'queue-row', 'data-queue': queue },
      h('th', { scope: 'row' }, h('a', { href: link('jobs', { queue, tenant }) }, queue)),
      COUNTS.map(([key, state, label]) => {
        const a = h('a', { href: link('jobs', { queue, state, tenant }), 'aria-label': '' }, '');
        cells[key] = { a, label };
        return h('td', { 'data-count': key, class: 'num' }, a);
      }));
    const r = { tr, cells, paused: h('td'), workers: h('td', { class: 'num' }), lastMinute: h('td', { class: 'num' }) };
    tr.append(r.paused, r.workers, r.lastMinute);
    rows.set(queue, r);
    return r;
  }

  function updateRow(q) {
    const name = text(q.name);
    const r = row(name);
    for (const [key, state] of COUNTS) {
      const value = plainInt(countOf(q.counts, key, state));
      const { a, label } = r.cells[key];
      setText(a, value);
      a.setAttribute('aria-label', `${value} ${label.toLowerCase()} in ${name}`);
    }
    replace(r.paused, q.paused === true ? badge('paused', 'warning') : badge('running', 'ok'));
    if (Array.isArray(q.workers)) {
      const names = q.workers.map(text);
      setText(r.workers, String(names.length));
      r.workers.title = names.length ? names.join('\n') : 'no workers seen in the last 90 s';
    } else {
      setText(r.workers, '—');
      r.workers.removeAttribute('title');
    }
    setText(r.lastMinute, `${fmtInt(q.completedLastMinute)} done · ${fmtInt(q.failedLastMinute)} failed`);
    return r.tr;
  }

  function figure(queue) {
    if (figures.has(queue)) return figures.get(queue);
    const caption = h('figcaption', {}, queue);
    const body = h('div', { class: 'chart-body' }, h('p', { class: 'muted' }, 'Loading…'));
    const f = { figure: h('figure', { class: 'chart-card' }, caption, body), body, caption };
    figures.set(queue, f);
    return f;
  }

  function updateChart(queue, result) {
    const f = figure(queue);
    if (result.status === 'rejected') {
      replace(f.body, h('p', { class: 'muted' }, `No chart: ${result.reason?.message ?? 'error'}`));
      return;
    }
    const t = totals(result.value);
    replace(f.caption, h('span', { class: 'chart-title' }, queue), ' ',
      h('span', { class: 'legend' },
        h('span', { class: 'key completed' }, `${fmtInt(t.completed)} completed`), ' ',
        h('span', { class: 'key failed' }, `${fmtInt(t.failed)} failed`)));
    replace(f.body, throughputChart(queue, result.value));
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const data = await ctx.api.get(withQuery('/api/admin/queues', { tenant }));
      const queues = Array.isArray(data?.queues) ? data.queues.filter((q) => q && typeof q === 'object') : [];
      if (data?.redis && typeof data.redis === 'object') {
        replace(redisSlot, h('p', { 'data-testid': 'redis-memory', class: 'redis' }, redisText(data.redis)));
      } else {
        redisSlot.replaceChildren();
      }
      const trs = queues.map(updateRow);
      const names = new Set(queues.map((q) => text(q.name)));
      for (const [name] of rows) if (!names.has(name)) rows.delete(name);
      if (trs.length) tbody.replaceChildren(...trs);
      else replace(tbody, h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'No queues')));

      const results = await Promise.allSettled([...names].map((name) =>
        ctx.api.get(withQuery(`/api/admin/queues/${seg(name)}/metrics`, { minutes: 60, tenant }))));
      if (ctx.signal.aborted) return;
      [...names].forEach((name, i) => updateChart(name, results[i]));
      for (const [name] of figures) if (!names.has(name)) figures.delete(name);
      charts.replaceChildren(...[...names].map((name) => figure(name).figure));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      setText(updated, `updated ${fmtClock(new Date())}`);
      ctx.clearError('refresh');
    } catch (err) {
      ctx.fail(err, 'refresh');
      setText(updated, `update failed at ${fmtClock(new Date())}`);
    } finally {
      busy = false;
    }
  }

  refresh();
  const timer = setInterval(() => { if (auto && !document.hidden) refresh(); }, REFRESH_MS);
  return () => clearInterval(timer);
}
