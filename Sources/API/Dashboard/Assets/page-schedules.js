// Schedules: the job schedulers of every queue, rendered generically (fields may come and go).

import { h, replace } from './dom.js';
import { fmtDuration, fmtInt, prettyJSON, text, timeEl } from './format.js';
import { withQuery } from './api.js';
import { messageRow, pageTitle, table } from './ui.js';

// Fields shown in their own column; the rest go under "More".
const SHOWN = new Set(['id', 'key', 'queue', 'name', 'tenantId', 'pattern', 'every', 'cron', 'tz',
  'nextRunAt', 'next', 'nextRun', 'iterationCount']);

const first = (obj, ...keys) => keys.map((k) => obj[k]).find((v) => v !== undefined && v !== null && v !== '');

function when(s) {
  const pattern = first(s, 'pattern', 'cron');
  const every = first(s, 'every');
  const parts = [];
  if (pattern !== undefined) parts.push(h('code', {}, text(pattern)));
  if (every !== undefined) parts.push(typeof every === 'number' ? `every ${fmtDuration(every)}` : `every ${text(every)}`);
  const tz = first(s, 'tz');
  if (tz !== undefined) parts.push(h('span', { class: 'muted' }, ` (${text(tz)})`));
  return parts.length ? parts : '—';
}

function more(s) {
  const rest = Object.fromEntries(Object.entries(s).filter(([k]) => !SHOWN.has(k)));
  if (!Object.keys(rest).length) return '';
  return h('details', {}, h('summary', {}, `${Object.keys(rest).length} more`), h('pre', {}, prettyJSON(rest)));
}

export function render(ctx) {
  const headers = ['Scheduler', 'Queue', 'Job name', ctx.isPlatform ? 'Tenant' : null, 'When', 'Next run', 'Runs so far', 'More'].filter(Boolean);
  const { table: tableEl, tbody } = table('Job schedulers', headers, { class: 'data schedules-table' });
  ctx.main.replaceChildren(h('section', { 'data-testid': 'schedules', class: 'page' },
    h('div', { class: 'page-head' }, pageTitle('Schedules')),
    h('div', { class: 'table-wrap' }, tableEl)));
  replace(tbody, messageRow(headers.length, 'Loading…'));

  (async () => {
    try {
      const data = await ctx.api.get(withQuery('/api/admin/schedules', { tenant: ctx.tenant }));
      const list = Array.isArray(data?.schedulers) ? data.schedulers.filter((s) => s && typeof s === 'object') : [];
      if (!list.length) {
        replace(tbody, messageRow(headers.length, 'No schedules.', { 'data-testid': 'schedules-empty' }));
        return;
      }
      tbody.replaceChildren(...list.map((s) => {
        const key = text(first(s, 'id', 'key'));
        return h('tr', { 'data-testid': 'schedule-row', 'data-scheduler-id': key },
          h('th', { scope: 'row', class: 'mono' }, key || '—'),
          h('td', {}, text(s.queue) || '—'),
          h('td', {}, text(s.name) || '—'),
          ctx.isPlatform ? h('td', { class: 'mono' }, text(s.tenantId) || '—') : null,
          h('td', {}, when(s)),
          h('td', {}, timeEl(first(s, 'nextRunAt', 'next', 'nextRun'))),
          h('td', { class: 'num' }, fmtInt(s.iterationCount)),
          h('td', {}, more(s)));
      }));
    } catch (err) {
      replace(tbody, messageRow(headers.length, 'Could not load the schedules.'));
      ctx.fail(err);
    }
  })();
  return null;
}
