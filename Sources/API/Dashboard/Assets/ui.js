// Shared page pieces: queue and state lists, badges, action buttons, tables and paging.

import { h } from './dom.js';

export const QUEUES = ['inter-notifications', 'immo-imports', 'agent-runs', 'agent-tools'];
export const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'waiting-children'];
export const FINISHED = new Set(['completed', 'failed']);
export const PAGE_SIZE = 50;

/** Options for a select of known values, keeping an unknown current value visible. */
export function optionsWith(values, current) {
  const list = values.map((v) => [v, v]);
  if (current && !values.includes(current)) list.push([current, current]);
  return list;
}

/** A CSS-safe token for class names built from API data. */
const token = (value) => String(value ?? 'unknown').toLowerCase().replace(/[^a-z0-9-]/g, '') || 'unknown';

/** A job state badge whose text is exactly the state. */
export function stateBadge(state, attrs = {}) {
  const label = typeof state === 'string' && state ? state : 'unknown';
  return h('span', { class: `badge state-${token(label)}`, ...attrs }, label);
}

/** A small neutral or warning badge. */
export const badge = (label, kind = 'neutral') => h('span', { class: `badge badge-${token(kind)}` }, label);

/**
 * A button carrying data-action, or null for read-only users (no data-action may exist then).
 * The handler may be async: the button is disabled and aria-busy while it runs; afterwards it
 * is enabled again unless enabled() says otherwise.
 */
export function actionButton(ctx, action, label, handler, { attrs = {}, enabled } = {}) {
  if (!ctx.canAct) return null;
  const button = h('button', { type: 'button', 'data-action': action, ...attrs }, label);
  button.addEventListener('click', async () => {
    if (button.getAttribute('aria-busy') === 'true') return;
    button.setAttribute('aria-busy', 'true');
    button.disabled = true;
    try {
      await handler(button);
    } catch (err) {
      ctx.fail(err);
    } finally {
      button.removeAttribute('aria-busy');
      button.disabled = enabled ? !enabled() : false;
    }
  });
  return button;
}

/** A page heading that can take focus after navigation. */
export const pageTitle = (text) => h('h1', { tabindex: '-1' }, text);

/** A table with a caption and column headers; returns {table, tbody}. */
export function table(caption, headers, attrs = {}) {
  const tbody = h('tbody');
  const table = h('table', attrs,
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((c) => (c instanceof Node ? c : h('th', { scope: 'col' }, c))))),
    tbody);
  return { table, tbody };
}

/** One row spanning the table, for "nothing here" messages. */
export const messageRow = (colspan, text, attrs = {}) =>
  h('tr', {}, h('td', { colspan, class: 'muted', ...attrs }, text));

/** Previous/next paging with #page-prev, #page-next and [data-testid=page-number]. */
export function pager(onGo) {
  const prev = h('button', { type: 'button', id: 'page-prev', disabled: true }, '← Previous');
  const next = h('button', { type: 'button', id: 'page-next', disabled: true }, 'Next →');
  const number = h('span', { 'data-testid': 'page-number', 'aria-live': 'polite' }, '');
  let page = 1;
  prev.addEventListener('click', () => onGo(page - 1));
  next.addEventListener('click', () => onGo(page + 1));
  return {
    el: h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, number, next),
    update(current, hasNext) {
      page = current;
      number.textContent = `Page ${current}`;
      prev.disabled = current <= 1;
      next.disabled = !hasNext;
    },
  };
}

/** A status line (polite live region) for the results of actions. */
export const statusLine = (attrs = {}) => h('p', { role: 'status', class: 'status-line', ...attrs });
