// Talking to the API: the bearer token, JSON requests, error messages, and a
// Server-Sent Events reader over fetch (EventSource cannot send Authorization).

const TOKEN_KEY = 'obotcall.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An HTTP error with the API's message; status 0 when the API could not be reached. */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

let unauthorized = () => {};
/** Called with the API's message whenever a call answers 401. */
export function onUnauthorized(handler) { unauthorized = handler; }

export const isAbort = (err) => err?.name === 'AbortError';

/** Path with query parameters; empty values are left out. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Encode one path segment. */
export const seg = (value) => encodeURIComponent(String(value));

function errorMessage(status, statusText, bodyText) {
  let data = null;
  try { data = JSON.parse(bodyText); } catch { /* not JSON */ }
  const e = data?.error;
  if (typeof e === 'string' && e.trim()) return e;
  if (typeof e?.message === 'string') return e.message;
  if (typeof data?.message === 'string') return data.message;
  const plain = (bodyText ?? '').trim();
  if (plain && plain.length < 300 && !plain.startsWith('<')) return plain;
  return `${status} ${statusText || 'error'}`.trim();
}

async function send(method, path, { body, signal, accept = 'application/json' } = {}) {
  const headers = { Accept: accept };
  const t = token.get();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers, signal, cache: 'no-store', credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(0, `Cannot reach the API (${err?.message ?? 'network error'})`);
  }
  if (!res.ok) {
    const bodyText = await res.text().catch(() => '');
    const err = new ApiError(res.status, errorMessage(res.status, res.statusText, bodyText), bodyText);
    if (res.status === 401) unauthorized(err.message);
    throw err;
  }
  return res;
}

/** JSON request; resolves to the parsed body, or null for an empty answer (204). */
export async function request(method, path, options = {}) {
  const res = await send(method, path, options);
  if (res.status === 204) return null;
  const bodyText = await res.text();
  if (!bodyText) return null;
  try {
    return JSON.parse(bodyText);
  } catch {
    throw new ApiError(res.status, 'The API answered something that is not JSON');
  }
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, body, options) => request('POST', path, { ...options, body });
export const del = (path, options) => request('DELETE', path, options);

/**
 * Read a text/event-stream. Calls onOpen() once connected and onEvent({type, data, id})
 * for each frame; resolves when the server ends the stream. Heartbeats (":" lines) are skipped.
 */
export async function streamEvents(path, { signal, onOpen, onEvent }) {
  const res = await send('GET', path, { signal, accept: 'text/event-stream' });
  if (!res.body) throw new ApiError(res.status, 'The event stream has no body');
  onOpen?.();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let frame = { type: '', data: [], id: '' };
  const lineOf = (line) => {
    if (line === '') {
      if (frame.data.length > 0) {
        onEvent({ type: frame.type || 'message', data: frame.data.join('\n'), id: frame.id });
      }
      frame = { type: '', data: [], id: frame.id };
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') frame.type = value;
    else if (name === 'data') frame.data.push(value);
    else if (name === 'id' && !value.includes('\0')) frame.id = value;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // A trailing "\r" may be the first half of "\r\n": keep it for the next chunk.
      const lines = buffer.split(/\r\n|\r(?!$)|\n/);
      buffer = lines.pop();
      for (const line of lines) lineOf(line);
    }
    if (buffer) lineOf(buffer.replace(/\r$/, ''));
  } finally {
    reader.releaseLock();
  }
}
