// Hash routes: "#/jobs?queue=Q&state=S" ⇄ {name, parts, query}. The server only serves /admin/.

const PAGES = new Set(['overview', 'jobs', 'job', 'search', 'schedules', 'tenants']);

/** Parse location.hash (or a given hash) into a route. Unknown paths give name "unknown". */
export function parseRoute(hash = location.hash) {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const parts = path.split('/').filter(Boolean).map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  const name = parts.length === 0 ? 'overview' : parts[0];
  return { name: PAGES.has(name) ? name : 'unknown', parts: parts.slice(1), query };
}

/** Build a hash link: link('jobs', {queue: 'a'}) → "#/jobs?queue=a"; link('job', {}, [q, id]). */
export function link(name, params = {}, parts = []) {
  const path = ['', name, ...parts.map((p) => encodeURIComponent(String(p)))].join('/');
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const qs = q.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** Link to one job's page. */
export const jobLink = (queue, id) => link('job', {}, [queue, id]);

/** Go to a hash; does nothing when already there. */
export function navigate(hash) {
  if (location.hash !== hash) location.hash = hash;
}
