// Formatting helpers: numbers, bytes, times, JSON. All tolerant of missing or odd values.

import { h } from './dom.js';

const intFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});
const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});

/** A finite number, or null. */
export function num(value) {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/** 12345 → "12,345" (locale separators); anything else → "—". */
export function fmtInt(value) {
  const n = num(value);
  return n === null ? '—' : intFormat.format(n);
}

/** Plain integer text for [data-count] cells: "12345", or "—" when missing. */
export function plainInt(value) {
  const n = num(value);
  return n === null ? '—' : String(Math.trunc(n));
}

/** Bytes in binary units: "1.5 MiB". */
export function fmtBytes(value) {
  const n = num(value);
  if (n === null || n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** Milliseconds as "1.5 s", "3 min", "2 h". */
export function fmtDuration(ms) {
  const n = num(ms);
  if (n === null) return '—';
  if (n < 1000) return `${n} ms`;
  if (n < 60_000) return `${+(n / 1000).toFixed(1)} s`;
  if (n < 3_600_000) return `${+(n / 60_000).toFixed(1)} min`;
  if (n < 86_400_000) return `${+(n / 3_600_000).toFixed(1)} h`;
  return `${+(n / 86_400_000).toFixed(1)} d`;
}

/** RFC 3339 string or epoch milliseconds → Date, or null. */
export function toDate(value) {
  if (value === undefined || value === null || value === '') return null;
  let d;
  if (typeof value === 'number') d = new Date(value);
  else if (typeof value === 'string') d = /^\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
  else return null;
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Local date and time text, or "—". */
export function fmtTime(value) {
  const d = toDate(value);
  return d ? timeFormat.format(d) : '—';
}

/** hh:mm:ss of a Date (local). */
export function fmtClock(date) {
  return clockFormat.format(date);
}

/** A <time> element in local time with the ISO instant as its title. */
export function timeEl(value) {
  const d = toDate(value);
  if (!d) return h('span', { class: 'muted' }, '—');
  const iso = d.toISOString();
  return h('time', { datetime: iso, title: iso }, timeFormat.format(d));
}

/** Any value as display text (strings unchanged, others as JSON). */
export function text(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try { return JSON.stringify(value); } catch { return String(value); }
}

/** Pretty JSON for <pre>, "—" for undefined. */
export function prettyJSON(value) {
  if (value === undefined) return '—';
  try { return JSON.stringify(value, null, 2) ?? '—'; } catch { return String(value); }
}

/** Cut long text to n characters with an ellipsis. */
export function truncate(value, n = 120) {
  const t = text(value);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

/** Whether a string looks like a UUID. */
export function isUUID(value) {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
