// Search: finished and running jobs in PostgreSQL by failure text, id or name.

import { h, field, replace, select } from './dom.js';
import { fmtInt, num, text, timeEl, truncate } from './format.js';
import { link, jobLink } from './router.js';
import { withQuery } from './api.js';
import { QUEUES, PAGE_SIZE, messageRow, optionsWith, pageTitle, pager, stateBadge, table } from './ui.js';

export function render(ctx, route) {
  const q = route.query;
  const criteria = {
    text: q.get('text') ?? '',
    id: q.get('id') ?? '',
    name: q.get('name') ?? '',
    queue: q.get('queue') ?? '',
  };
  const page = Math.max(1, Math.trunc(num(q.get('page')) ?? 1));
  const tenant = ctx.tenant;
  const searching = Boolean(criteria.text || criteria.id || criteria.name);

  const input = (id, value, attrs = {}) => h('input', { id, type: 'search', value, autocomplete: 'off', spellcheck: 'false', ...attrs });
  const textInput = input('search-text', criteria.text, { maxlength: 200, placeholder: 'part of the failure reason' });
  const idInput = input('search-id', criteria.id, { maxlength: 255 });
  const nameInput = input('search-name', criteria.name, { maxlength: 200 });
  const queueSelect = select({ id: 'search-queue' }, [['', 'All queues'], ...optionsWith(QUEUES, criteria.queue)], criteria.queue);
  const submit = h('button', { type: 'submit', id: 'search-submit', class: 'primary' }, 'Search');

  const form = h('form', { class: 'controls', role: 'search', 'aria-label': 'Search jobs', novalidate: true },
    field('Failure text', textInput), field('Job id', idInput), field('Job name', nameInput),
    field('Queue', queueSelect), h('div', { class: 'field end' }, submit));
  const go = (changes) => ctx.navigate(link('search', { ...criteria, page, tenant, ...changes }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = {
      text: textInput.value.trim(), id: idInput.value.trim(), name: nameInput.value.trim(), queue: queueSelect.value,
    };
    if (!next.text && !next.id && !next.name) {
      ctx.showError('Enter a failure text, a job id or a job name to search.', 'search');
      textInput.focus();
      return;
    }
    ctx.clearError('search');
    go({ ...next, page: 1 });
  });

  const paging = pager((p) => go({ page: p }));
  const headers = ['Job', 'Queue', 'Name', 'State', 'Attempts', 'Error', 'Enqueued', 'Finished', ctx.isPlatform ? 'Tenant' : null].filter(Boolean);
  const { table: tableEl, tbody } = table('Search results', headers, { class: 'data search-table' });
  const results = h('div', { class: 'results' });

  ctx.main.replaceChildren(h('section', { 'data-testid': 'search', class: 'page' },
    h('div', { class: 'page-head' }, pageTitle('Search jobs')),
    h('p', { class: 'muted' }, 'Searches the results workers keep in PostgreSQL: jobs that started. Waiting jobs are not there yet.'),
    form, results));

  function row(r) {
    const jobId = text(r.jobId);
    const queue = text(r.queue);
    const error = text(r.error);
    return h('tr', { 'data-testid': 'search-row', 'data-job-id': jobId, 'data-queue': queue },
      h('th', { scope: 'row' }, jobId && queue ? h('a', { href: jobLink(queue, jobId) }, jobId) : jobId || '?'),
      h('td', {}, queue),
      h('td', {}, text(r.name)),
      h('td', {}, stateBadge(r.state)),
      h('td', { class: 'num' }, fmtInt(r.attempts)),
      h('td', { class: 'reason', title: error }, truncate(error, 100)),
      h('td', {}, timeEl(r.enqueuedAt)),
      h('td', {}, timeEl(r.finishedAt)),
      ctx.isPlatform ? h('td', { class: 'mono' }, text(r.tenantId)) : null);
  }

  async function load() {
    replace(results, h('div', { class: 'table-wrap' }, tableEl), paging.el);
    replace(tbody, messageRow(headers.length, 'Searching…'));
    paging.update(page, false);
    try {
      const data = await ctx.api.get(withQuery('/api/admin/jobs/search', { ...criteria, tenant, page }));
      const list = Array.isArray(data?.results) ? data.results.filter((r) => r && typeof r === 'object') : [];
      if (list.length) tbody.replaceChildren(...list.map(row));
      else replace(tbody, messageRow(headers.length, page > 1 ? 'No more results.' : 'No jobs match.', { 'data-testid': 'search-empty' }));
      paging.update(num(data?.page) ?? page, list.length >= PAGE_SIZE);
      ctx.announce(list.length ? `${list.length} result${list.length === 1 ? '' : 's'}` : 'No jobs match');
    } catch (err) {
      replace(tbody, messageRow(headers.length, 'The search failed.'));
      ctx.fail(err);
    }
  }

  if (searching) load();
  else results.append(h('p', { class: 'muted' }, 'Enter a failure text, a job id or a job name.'));
  return null;
}
