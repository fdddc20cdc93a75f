// Tenants: a fair queue's tenants — queued, running, parked — with pause/resume for admins.

import { h, field, replace, select } from './dom.js';
import { fmtDuration, fmtInt, num, text, timeEl } from './format.js';
import { link } from './router.js';
import { seg } from './api.js';
import { QUEUES, actionButton, badge, messageRow, optionsWith, pageTitle, statusLine, table } from './ui.js';

const LIMIT_KEYS = ['weight', 'concurrency', 'maxPending'];

function limitsText(t) {
  const src = t.limits && typeof t.limits === 'object' ? { ...t, ...t.limits } : t;
  const parts = LIMIT_KEYS.filter((k) => num(src[k]) !== null).map((k) => `${k} ${fmtInt(src[k])}`);
  const rl = src.rateLimit;
  if (rl && typeof rl === 'object' && num(rl.max) !== null) {
    parts.push(`rate ${fmtInt(rl.max)} per ${fmtDuration(rl.durationMs)}`);
  }
  return parts.length ? parts.join(' · ') : 'defaults';
}

const isPaused = (t) => t.paused === true || t.parked === 'paused';

function status(t) {
  const parked = typeof t.parked === 'string' ? t.parked : (typeof t.held === 'string' && t.held ? 'held' : '');
  if (isPaused(t)) return badge('paused', 'warning');
  if (!parked) return badge('taking turns', 'ok');
  const until = t.parkedUntil ?? (typeof t.held === 'string' ? t.held : undefined);
  return [badge(parked, 'warning'), until ? [' until ', timeEl(until)] : null];
}

export function render(ctx, route) {
  const queue = route.query.get('queue') || QUEUES[0];
  const canManage = ctx.canAct && (ctx.isPlatform || ['admin', 'owner'].includes(ctx.session.role));
  const queueSelect = select({ id: 'tenants-queue' }, optionsWith(QUEUES, queue), queue);
  queueSelect.addEventListener('change', () => ctx.navigate(link('tenants', { queue: queueSelect.value })));
  const fair = h('p', { 'data-testid': 'tenants-fair', class: 'muted' });
  const message = canManage ? statusLine({ 'data-testid': 'tenant-action-result' }) : null;
  const headers = ['Tenant', 'Queued', 'Running', 'Status', 'Limits', canManage ? 'Actions' : null].filter(Boolean);
  const { table: tableEl, tbody } = table(`Tenants of ${queue}`, headers, { class: 'data tenants-table' });

  ctx.main.replaceChildren(h('section', { 'data-testid': 'tenants', class: 'page' },
    h('div', { class: 'page-head' }, pageTitle('Fair-queue tenants')),
    h('div', { class: 'controls' }, field('Queue', queueSelect)),
    fair, message,
    h('div', { class: 'table-wrap' }, tableEl)));

  function row(t) {
    const tenantId = text(t.tenantId);
    const paused = isPaused(t);
    const toggle = async () => {
      const verb = paused ? 'resume' : 'pause';
      await ctx.api.post(`/api/admin/queues/${seg(queue)}/tenants/${seg(tenantId)}/${verb}`);
      message.textContent = `Tenant ${tenantId} ${paused ? 'resumed' : 'paused'} in ${queue}.`;
      await load();
      tbody.querySelector(`tr[data-tenant-id="${CSS.escape(tenantId)}"] button`)?.focus();
    };
    return h('tr', { 'data-testid': 'tenant-row', 'data-tenant-id': tenantId },
      h('th', { scope: 'row', class: 'mono' }, tenantId || '—'),
      h('td', { class: 'num' }, fmtInt(t.queued)),
      h('td', { class: 'num' }, fmtInt(t.running)),
      h('td', {}, status(t)),
      h('td', {}, limitsText(t)),
      canManage ? h('td', {}, tenantId
        ? actionButton(ctx, paused ? 'tenant-resume' : 'tenant-pause', paused ? 'Resume' : 'Pause', toggle,
          { attrs: { 'aria-label': `${paused ? 'Resume' : 'Pause'} tenant ${tenantId}` } })
        : '') : null);
  }

  async function load() {
    try {
      const data = await ctx.api.get(`/api/admin/queues/${seg(queue)}/tenants`);
      const list = Array.isArray(data?.tenants) ? data.tenants.filter((t) => t && typeof t === 'object') : [];
      fair.textContent = data?.fair === true
        ? `${queue} serves tenants in turns (fair queue).`
        : `${queue} is not a fair queue: jobs run in arrival order and tenants are not listed.`;
      if (list.length) tbody.replaceChildren(...list.map(row));
      else replace(tbody, messageRow(headers.length, 'No tenants with queued or running jobs.', { 'data-testid': 'tenants-empty' }));
    } catch (err) {
      replace(tbody, messageRow(headers.length, 'Could not load the tenants.'));
      ctx.fail(err);
    }
  }

  replace(tbody, messageRow(headers.length, 'Loading…'));
  load();
  return null;
}
