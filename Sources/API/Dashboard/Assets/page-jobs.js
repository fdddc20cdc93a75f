// Jobs: one queue's jobs in one state, 50 a page, with bulk retry/remove/promote for those who may act.

import { h, field, replace, select, setText } from './dom.js';
import { fmtInt, num, text, timeEl, truncate } from './format.js';
import { link, jobLink } from './router.js';
import { withQuery, seg } from './api.js';
import { QUEUES, STATES, PAGE_SIZE, actionButton, messageRow, optionsWith, pageTitle, pager, statusLine, table } from './ui.js';

const DONE = { retry: 'Retried', remove: 'Removed', promote: 'Promoted' };
const DOING = { retry: 'Retrying', remove: 'Removing', promote: 'Promoting' };
const MAX_BULK_CALLS = 200; // 200 × 1,000 jobs: a runaway loop stops eventually

/** Which bulk actions make sense for jobs in a state. */
function actionsFor(state) {
  const list = [];
  if (state === 'failed' || state === 'completed') list.push('retry');
  if (state === 'delayed') list.push('promote');
  if (state !== 'active') list.push('remove');
  return list;
}

export function render(ctx, route) {
  const q = route.query;
  const queue = q.get('queue') || QUEUES[0];
  const state = q.get('state') || 'waiting';
  const order = q.get('order') === 'oldest' ? 'oldest' : 'newest';
  const page = Math.max(1, Math.trunc(num(q.get('page')) ?? 1));
  const tenant = ctx.tenant;
  const go = (changes) => ctx.navigate(link('jobs', { queue, state, order, page, tenant, ...changes }));
  const selected = new Set();
  let ids = [];

  const queueSelect = select({ id: 'jobs-queue' }, optionsWith(QUEUES, queue), queue);
  queueSelect.addEventListener('change', () => go({ queue: queueSelect.value, page: 1 }));
  const stateSelect = select({ id: 'jobs-state' }, optionsWith(STATES, state), state);
  stateSelect.addEventListener('change', () => go({ state: stateSelect.value, page: 1 }));
  const orderButton = h('button', {
    type: 'button', id: 'jobs-order', 'data-order': order,
    title: 'Switch between newest first and oldest first',
  }, order === 'newest' ? 'Newest first' : 'Oldest first');
  orderButton.addEventListener('click', () => go({ order: order === 'newest' ? 'oldest' : 'newest', page: 1 }));

  const paging = pager((p) => go({ page: p }));
  const result = ctx.canAct ? statusLine({ 'data-testid': 'bulk-result' }) : null;

  // ---- selection and bulk actions (absent for read-only users) ----
  const selectAll = ctx.canAct
    ? h('input', { type: 'checkbox', 'data-action': 'select-all', 'aria-label': 'Select all jobs on this page' })
    : null;
  const selectionButtons = [];
  const hasSelection = () => selected.size > 0;

  function syncSelection() {
    if (!selectAll) return;
    selectAll.checked = ids.length > 0 && selected.size === ids.length;
    selectAll.indeterminate = selected.size > 0 && selected.size < ids.length;
    for (const b of selectionButtons) if (b.getAttribute('aria-busy') !== 'true') b.disabled = !hasSelection();
  }

  async function bulk(action, body) {
    let done = 0;
    let skipped = 0;
    let before;
    for (let call = 0; call < MAX_BULK_CALLS; call += 1) {
      // Later calls keep to the jobs the first one saw (`before`), so retried jobs that finish
      // again meanwhile are not taken a second time.
      const answer = await ctx.api.post(`/api/admin/queues/${seg(queue)}/bulk`, { action, ...body, ...(before === undefined ? {} : { before }) });
      const doneNow = num(answer?.done) ?? 0;
      done += doneNow;
      skipped += num(answer?.skipped) ?? 0;
      before = num(answer?.before) ?? before;
      if (!(body.state && answer?.more === true) || doneNow === 0) break;
      setText(result, `${DOING[action]}… ${fmtInt(done)} so far`);
    }
    const message = `${DONE[action]} ${fmtInt(done)} job${done === 1 ? '' : 's'}${skipped ? `, skipped ${fmtInt(skipped)}` : ''}.`;
    setText(result, message);
    selected.clear();
    await load();
  }

  function bulkButtons() {
    if (!ctx.canAct) return null;
    const actions = actionsFor(state);
    const forSelection = actions.map((action) => actionButton(ctx, `bulk-${action}`, `${capital(action)} selected`, async () => {
      const list = [...selected];
      if (!list.length) return;
      if (action === 'remove' && !confirm(`Remove ${list.length} selected job(s) from ${queue}?`)) return;
      await bulk(action, { ids: list });
    }, { attrs: { disabled: true }, enabled: hasSelection }));
    selectionButtons.push(...forSelection);
    const forState = actions.map((action) => actionButton(ctx, `bulk-${action}-all`, `${capital(action)} all ${state}`, async () => {
      if (action === 'remove' && !confirm(`Remove every ${state} job in ${queue}${tenant ? ` of tenant ${tenant}` : ''}?`)) return;
      await bulk(action, { state, ...(tenant ? { tenant } : {}) });
    }));
    return h('div', { class: 'bulk', role: 'group', 'aria-label': 'Bulk actions' },
      h('span', { class: 'muted' }, 'Selected:'), forSelection,
      h('span', { class: 'muted' }, `All ${state}:`), forState);
  }

  if (selectAll) {
    selectAll.addEventListener('change', () => {
      selected.clear();
      if (selectAll.checked) ids.forEach((id) => selected.add(id));
      for (const box of tbody.querySelectorAll('input[data-action="select"]')) box.checked = selectAll.checked;
      syncSelection();
    });
  }

  // ---- the table ----
  const headers = [
    selectAll ? h('th', { scope: 'col', class: 'check' }, selectAll) : null,
    'ID', 'Name', 'Attempts', 'Created', 'Processed', 'Finished', 'Failed reason',
  ].filter(Boolean);
  const { table: tableEl, tbody } = table(`${queue} jobs: ${state}`, headers, { class: 'data jobs-table' });

  function jobRow(job) {
    const id = text(job.id);
    let box = null;
    if (ctx.canAct) {
      box = h('input', { type: 'checkbox', 'data-action': 'select', 'aria-label': `Select job ${id}`, checked: selected.has(id) });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(id); else selected.delete(id);
        syncSelection();
      });
    }
    const reason = text(job.failedReason);
    return h('tr', { 'data-testid': 'job-row', 'data-job-id': id },
      box ? h('td', { class: 'check' }, box) : null,
      h('th', { scope: 'row' }, id ? h('a', { href: jobLink(text(job.queue) || queue, id) }, id) : '?'),
      h('td', {}, text(job.name)),
      h('td', { class: 'num' }, fmtInt(job.attemptsMade)),
      h('td', {}, timeEl(job.createdAt)),
      h('td', {}, timeEl(job.processedAt)),
      h('td', {}, timeEl(job.finishedAt)),
      h('td', { class: 'reason', title: reason }, truncate(reason, 100)));
  }

  async function load() {
    replace(tbody, messageRow(headers.length, 'Loading…'));
    try {
      const data = await ctx.api.get(withQuery(`/api/admin/queues/${seg(queue)}/jobs`, { state, page, order, tenant }));
      const jobs = Array.isArray(data?.jobs) ? data.jobs.filter((j) => j && typeof j === 'object') : [];
      ids = jobs.map((j) => text(j.id)).filter(Boolean);
      for (const id of [...selected]) if (!ids.includes(id)) selected.delete(id);
      if (jobs.length) tbody.replaceChildren(...jobs.map(jobRow));
      else replace(tbody, messageRow(headers.length, `No ${state} jobs in ${queue}${page > 1 ? ' on this page' : ''}.`, { 'data-testid': 'jobs-empty' }));
      paging.update(num(data?.page) ?? page, jobs.length >= PAGE_SIZE);
    } catch (err) {
      ids = [];
      replace(tbody, messageRow(headers.length, 'Could not load the jobs.'));
      paging.update(page, false);
      ctx.fail(err);
    }
    syncSelection();
  }

  ctx.main.replaceChildren(h('section', { 'data-testid': 'jobs', class: 'page' },
    h('div', { class: 'page-head' }, pageTitle(`Jobs · ${queue} · ${state}`)),
    h('div', { class: 'controls' },
      field('Queue', queueSelect),
      field('State', stateSelect),
      h('div', { class: 'field' }, h('span', { class: 'label', id: 'jobs-order-label' }, 'Order'), orderButton)),
    bulkButtons(),
    result,
    h('div', { class: 'table-wrap' }, tableEl),
    paging.el));
  orderButton.setAttribute('aria-describedby', 'jobs-order-label');
  paging.update(page, false);
  load();
  return null;
}

const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);
