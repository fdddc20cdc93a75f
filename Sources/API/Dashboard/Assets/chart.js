// Our own small SVG line chart of completed and failed jobs per minute (oldest minute first).
//
// The SVG's viewBox is kept equal to its CSS size (a ResizeObserver redraws it when the card
// changes width), so one SVG unit is one CSS pixel and the axis text renders at the size the
// stylesheet gives it instead of being scaled with the card.

import { s } from './dom.js';
import { fmtInt, fmtClock, toDate, num } from './format.js';

// Size used until the element has been laid out (and where ResizeObserver is missing).
const DEFAULT_WIDTH = 300;
const DEFAULT_HEIGHT = 150;
const M = { top: 10, right: 7, bottom: 22 }; // the left margin follows the widest y label
const CHAR_W = 6.6; // rough width of one 11 px digit, for the left margin
const MARKER_LIMIT = 20; // mark every non-zero minute when a series has at most this many

const counts = (list) => (Array.isArray(list) ? list.map((v) => Math.max(0, num(v) ?? 0)) : []);
const sum = (list) => list.reduce((a, b) => a + b, 0);
const hhmm = (date) => fmtClock(date).slice(0, 5);
const f1 = (v) => v.toFixed(1);

/**
 * Integer y ticks for counts: 0 and 2–4 equal round steps (1, 2, 5, 10, 20, 25, 50, …) up to a
 * round top ≥ max. At most maxSteps steps (the plot may be too short for four).
 */
export function yTicks(max, maxSteps = 4) {
  const limit = Math.max(2, Math.min(4, maxSteps));
  const m = Math.max(0, Math.ceil(max));
  let step = 1;
  for (let p = 1; ; p *= 10) {
    const candidates = p === 1 ? [1, 2, 5] : [p, 2 * p, 2.5 * p, 5 * p];
    const found = candidates.find((c) => Math.ceil(m / c) <= limit);
    if (found) { step = found; break; }
  }
  const steps = Math.max(2, Math.ceil(m / step));
  return Array.from({ length: steps + 1 }, (_, i) => i * step);
}

/** Minutes-ago ticks for a span: round steps (5, 10, 15, 30 min, 1 h, …), at most maxSteps. */
function xTicks(span, maxSteps) {
  const step = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440, 2880]
    .find((c) => span / c <= maxSteps) ?? Math.ceil(span / maxSteps);
  const ticks = [];
  for (let v = 0; v < span - step / 2; v += step) ticks.push(v);
  ticks.push(span); // the left edge always carries the whole span
  return { step, ticks };
}

const minutesText = (m) => (m >= 120 && m % 60 === 0 ? `${m / 60} h` : `${m} min`);

/** Totals for a metrics answer: {completed, failed, minutes}. */
export function totals(metrics) {
  const completed = counts(metrics?.completed);
  const failed = counts(metrics?.failed);
  const minutes = num(metrics?.minutes) ?? Math.max(completed.length, failed.length);
  return { completed: sum(completed), failed: sum(failed), minutes };
}

/** The chart's children for a drawing area of width × height CSS px. */
function draw(data, width, height) {
  const { completed, failed, n, span, end, summary } = data;
  const ys = yTicks(Math.max(0, ...completed, ...failed), Math.floor((height - M.top - M.bottom) / 26));
  const top = ys[ys.length - 1];
  const labels = ys.map((v) => fmtInt(v));
  const left = Math.max(22, Math.ceil(Math.max(...labels.map((l) => l.length)) * CHAR_W) + 10);
  const plotW = Math.max(10, width - left - M.right);
  const plotH = Math.max(10, height - M.top - M.bottom);
  const bottom = M.top + plotH;

  // x in minutes before the end of the current minute; minute i is drawn at its middle.
  const bucket = span / n;
  const xAgo = (ago) => left + plotW - (ago / span) * plotW;
  const x = (i) => xAgo((n - i - 0.5) * bucket);
  const y = (v) => M.top + plotH - (v / top) * plotH;
  const points = (list) => list.map((v, i) => `${f1(x(i))},${f1(y(v))}`).join(' ');

  const grid = ys.map((v, i) => [
    s('line', { class: i === 0 ? 'axis-line' : 'grid', x1: left, x2: left + plotW, y1: f1(y(v)), y2: f1(y(v)) }),
    s('text', { class: 'axis', x: left - 6, y: f1(y(v)), dy: '0.35em', 'text-anchor': 'end' }, labels[i]),
  ]);

  const { ticks } = xTicks(span, Math.max(1, Math.min(6, Math.floor(plotW / 70))));
  const xAxis = ticks.map((ago) => {
    const anchor = ago === 0 ? 'end' : ago === span ? 'start' : 'middle';
    const label = ago === 0 ? 'now' : ago === span ? `−${minutesText(ago)}` : `−${ago}`;
    const px = xAgo(ago);
    return [
      s('line', { class: 'tick', x1: f1(px), x2: f1(px), y1: bottom, y2: bottom + 4 }),
      s('text', { class: 'axis', x: f1(ago === 0 ? Math.min(width - 1, px + 4) : px), y: height - 5, 'text-anchor': anchor }, label),
    ];
  });

  const minuteText = (i) => (end ? hhmm(new Date(end.getTime() - (n - i) * bucket * 60_000)) : `−${Math.round((n - i) * bucket)} min`);
  const markers = (list, kind) => {
    const hits = list.flatMap((v, i) => (v > 0 ? [i] : []));
    if (!hits.length || hits.length > MARKER_LIMIT) return null;
    return hits.map((i) => {
      const tip = s('title', {}, `${minuteText(i)}: ${fmtInt(list[i])} ${kind}`);
      return kind === 'failed'
        ? s('rect', { class: 'marker failed', x: f1(x(i) - 4), y: f1(y(list[i]) - 4), width: 8, height: 8 }, tip)
        : s('circle', { class: 'marker completed', cx: f1(x(i)), cy: f1(y(list[i])), r: 3.25 }, tip);
    });
  };

  const area = completed.length
    ? s('polygon', {
      class: 'area completed',
      points: `${f1(x(0))},${f1(bottom)} ${points(completed)} ${f1(x(completed.length - 1))},${f1(bottom)}`,
    })
    : null;

  return [
    s('title', {}, summary),
    grid,
    xAxis,
    area,
    completed.length ? s('polyline', { class: 'series completed', points: points(completed) }) : null,
    failed.length ? s('polyline', { class: 'series failed', points: points(failed) }) : null,
    markers(completed, 'completed'),
    markers(failed, 'failed'),
  ];
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
  const span = t.minutes > 0 ? t.minutes : n;
  const end = toDate(metrics?.endsAt);
  const range = end ? ` (${hhmm(new Date(end.getTime() - span * 60_000))}–${hhmm(end)})` : '';
  const summary = `${queue}: ${fmtInt(t.completed)} completed and ${fmtInt(t.failed)} failed in the last ${fmtInt(t.minutes)} minutes${range}`;
  const data = { completed, failed, n, span, end, summary };

  const svg = s('svg', {
    'data-testid': 'throughput-chart', 'data-queue': queue, class: 'chart',
    role: 'img', 'aria-label': summary,
  });
  let drawn = '';
  const redraw = (w, h) => {
    const width = Math.round(w * 100) / 100;
    const height = Math.round(h * 100) / 100;
    if (`${width}x${height}` === drawn) return;
    drawn = `${width}x${height}`;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.replaceChildren(...draw(data, width, height).flat(2).filter(Boolean));
  };
  redraw(DEFAULT_WIDTH, DEFAULT_HEIGHT);

  if (typeof ResizeObserver === 'function') {
    // One observer per chart; it lets go once the chart has left the page (size 0, disconnected).
    const observer = new ResizeObserver((entries) => {
      if (!svg.isConnected) { observer.disconnect(); return; }
      const entry = entries[entries.length - 1];
      const box = entry.contentBoxSize?.[0];
      const w = box ? box.inlineSize : entry.contentRect.width;
      const h = box ? box.blockSize : entry.contentRect.height;
      if (w > 0 && h > 0) redraw(w, h);
    });
    observer.observe(svg);
  }
  return svg;
}
