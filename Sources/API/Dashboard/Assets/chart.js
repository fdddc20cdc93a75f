// Our own small SVG line chart of completed and failed jobs per minute (oldest minute first).

import { s } from './dom.js';
import { fmtInt, fmtClock, toDate, num } from './format.js';

const WIDTH = 640;
const HEIGHT = 180;
const M = { left: 44, right: 12, top: 12, bottom: 26 };

const counts = (list) => (Array.isArray(list) ? list.map((v) => Math.max(0, num(v) ?? 0)) : []);
const sum = (list) => list.reduce((a, b) => a + b, 0);

/** A round upper bound for the y axis: 1, 2, 5, 10, 20, 50, … */
function niceMax(value) {
  if (value <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(value));
  for (const f of [1, 2, 5, 10]) if (f * p >= value) return f * p;
  return 10 * p;
}

/** Totals for a metrics answer: {completed, failed, minutes}. */
export function totals(metrics) {
  const completed = counts(metrics?.completed);
  const failed = counts(metrics?.failed);
  const minutes = num(metrics?.minutes) ?? Math.max(completed.length, failed.length);
  return { completed: sum(completed), failed: sum(failed), minutes };
}

/**
 * <svg data-testid="throughput-chart" data-queue=…> for a metrics answer
 * {queue, minutes, completed:[…], failed:[…], endsAt}.
 */
export function throughputChart(queue, metrics) {
  const completed = counts(metrics?.completed);
  const failed = counts(metrics?.failed);
  const n = Math.max(completed.length, failed.length, 1);
  const t = totals(metrics);
  const summary = `${queue}: ${fmtInt(t.completed)} completed and ${fmtInt(t.failed)} failed in the last ${fmtInt(t.minutes)} minutes`;

  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const top = niceMax(Math.max(0, ...completed, ...failed));
  const x = (i) => M.left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v) => M.top + plotH - (v / top) * plotH;
  const points = (list) => list.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');

  const grid = [0, top / 2, top].map((v) => [
    s('line', { class: 'grid', x1: M.left, x2: WIDTH - M.right, y1: y(v), y2: y(v) }),
    s('text', { class: 'axis', x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtInt(v)),
  ]);

  const end = toDate(metrics?.endsAt);
  const start = end ? new Date(end.getTime() - t.minutes * 60_000) : null;
  const xLabels = [
    s('text', { class: 'axis', x: M.left, y: HEIGHT - 6, 'text-anchor': 'start' },
      start ? fmtClock(start).slice(0, 5) : `−${t.minutes} min`),
    s('text', { class: 'axis', x: WIDTH - M.right, y: HEIGHT - 6, 'text-anchor': 'end' },
      end ? `${fmtClock(end).slice(0, 5)} (now)` : 'now'),
  ];

  return s('svg', {
    'data-testid': 'throughput-chart', 'data-queue': queue, class: 'chart',
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': summary,
  },
  s('title', {}, summary),
  grid,
  s('line', { class: 'axis-line', x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH }),
  xLabels,
  completed.length ? s('polyline', { class: 'series completed', points: points(completed) }) : null,
  failed.length ? s('polyline', { class: 'series failed', points: points(failed) }) : null);
}
