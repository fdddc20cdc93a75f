// Entry module: sign-in state, the session, the header (whoami, tenant filter, sign out),
// errors, and rendering the page for the current hash route.

import * as api from './api.js';
import { h, field, setText } from './dom.js';
import { isUUID } from './format.js';
import { parseRoute, link, navigate } from './router.js';
import * as overview from './page-overview.js';
import * as jobs from './page-jobs.js';
import * as job from './page-job.js';
import * as search from './page-search.js';
import * as schedules from './page-schedules.js';
import * as tenants from './page-tenants.js';
import * as signin from './page-signin.js';

const PAGES = { overview, jobs, job, search, schedules, tenants };
const TITLES = { overview: 'Overview', jobs: 'Jobs', job: 'Job', search: 'Search', schedules: 'Schedules', tenants: 'Tenants' };
const TENANT_KEY = 'obotcall.tenant';

const $ = (id) => document.getElementById(id);
const main = $('main');
const errorBox = $('error');

let session = null;
let current = null; // {name, controller, cleanup}
let errorSource = null;
let tenantInput = null;
let rendered = false;

// ---- errors and announcements ----

function showError(message, source = 'page') {
  errorSource = source;
  setText(errorBox, message);
  errorBox.hidden = false;
}

function clearError(source) {
  if (source !== undefined && source !== errorSource) return;
  errorSource = null;
  errorBox.textContent = '';
  errorBox.hidden = true;
}

function announce(message) {
  const box = $('announcer');
  box.textContent = '';
  // A fresh text node after clearing makes screen readers read repeated messages too.
  setTimeout(() => { box.textContent = message; }, 50);
}

// ---- pages ----

function teardown() {
  if (!current) return;
  current.controller.abort();
  try { current.cleanup?.(); } catch { /* a page's cleanup must not stop navigation */ }
  current = null;
}

function tenantFilter() {
  return session?.platformAdmin ? (sessionStorage.getItem(TENANT_KEY) ?? '') : '';
}

function makeContext(route, signal) {
  const withSignal = (options) => ({ ...options, signal });
  return {
    route,
    main,
    session,
    signal,
    canAct: !session.readOnly,
    isPlatform: Boolean(session.platformAdmin),
    tenant: tenantFilter(),
    api: {
      get: (path, o) => api.get(path, withSignal(o)),
      post: (path, body, o) => api.post(path, body, withSignal(o)),
      del: (path, o) => api.del(path, withSignal(o)),
      stream: (path, o) => api.streamEvents(path, withSignal(o)),
    },
    navigate,
    announce,
    showError,
    clearError,
    /** Report a failed call; aborted calls and 401s (handled globally) are ignored. */
    fail(err, source = 'page') {
      if (api.isAbort(err) || signal.aborted || err?.status === 401) return;
      showError(err?.message || String(err), source);
    },
  };
}

function renderRoute() {
  if (!session) return;
  const route = parseRoute();
  if ((route.name === 'jobs' || route.name === 'search') && session.platformAdmin && route.query.has('tenant')) {
    const t = route.query.get('tenant') ?? '';
    sessionStorage.setItem(TENANT_KEY, t);
    if (tenantInput) tenantInput.value = t;
  }
  const samePage = current?.name === route.name;
  const focusedId = samePage ? document.activeElement?.id : '';
  teardown();
  clearError();
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === route.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${TITLES[route.name] ?? 'Not found'} · Obotcall jobs`;
  const controller = new AbortController();
  const page = PAGES[route.name];
  let cleanup = null;
  if (page) {
    try {
      cleanup = page.render(makeContext(route, controller.signal), route);
    } catch (err) {
      showError(`This page failed to load: ${err?.message ?? err}`);
    }
  } else {
    main.replaceChildren(h('section', { 'data-testid': 'not-found' },
      h('h1', { tabindex: '-1' }, 'Page not found'),
      h('p', {}, h('a', { href: link('overview') }, 'Go to the overview'))));
  }
  current = { name: route.name, controller, cleanup };
  if (focusedId && $(focusedId)) $(focusedId).focus();
  else if (rendered && !samePage) main.querySelector('h1')?.focus();
  rendered = true;
}

// ---- header ----

function whoamiText(s) {
  const ro = s.readOnly ? ' (read-only)' : '';
  if (s.platformAdmin) return `platform admin${ro}`;
  const tenant = typeof s.tenantId === 'string' && s.tenantId ? s.tenantId : 'unknown';
  const role = typeof s.role === 'string' && s.role ? s.role : 'unknown role';
  return `tenant ${tenant} · ${role}${ro}`;
}

function applyTenant() {
  const value = tenantInput.value.trim();
  if (value && !isUUID(value)) {
    tenantInput.setAttribute('aria-invalid', 'true');
    showError('The tenant filter must be a tenant id (a UUID), or empty for all tenants.', 'tenant');
    return;
  }
  tenantInput.removeAttribute('aria-invalid');
  clearError('tenant');
  if (value === (sessionStorage.getItem(TENANT_KEY) ?? '')) return;
  sessionStorage.setItem(TENANT_KEY, value);
  const route = parseRoute();
  if (route.name === 'jobs' || route.name === 'search') {
    const params = Object.fromEntries(route.query);
    params.tenant = value;
    params.page = '1';
    navigate(link(route.name, params));
  } else {
    renderRoute();
  }
}

function showHeader() {
  $('nav').hidden = false;
  $('tools').hidden = false;
  setText($('whoami'), whoamiText(session));
  const slot = $('tenant-slot');
  slot.replaceChildren();
  tenantInput = null;
  if (session.platformAdmin) {
    tenantInput = h('input', {
      id: 'tenant-filter', type: 'text', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'all tenants', size: 36, maxlength: 36, 'aria-describedby': 'tenant-filter-hint',
      value: sessionStorage.getItem(TENANT_KEY) ?? '',
    });
    tenantInput.addEventListener('change', applyTenant);
    tenantInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') applyTenant(); });
    slot.append(field('Tenant', tenantInput),
      h('span', { id: 'tenant-filter-hint', class: 'visually-hidden' }, 'A tenant id (UUID); empty shows all tenants'));
  }
}

function hideHeader() {
  $('nav').hidden = true;
  $('tools').hidden = true;
  $('whoami').textContent = '';
  $('tenant-slot').replaceChildren();
  tenantInput = null;
}

// ---- sign-in and session ----

function showSignIn(message = '') {
  teardown();
  session = null;
  hideHeader();
  clearError();
  document.title = 'Sign in · Obotcall jobs';
  signin.render(main, { message, onToken: signInWith });
}

async function signInWith(value) {
  const t = value.trim().replace(/^Bearer\s+/i, '');
  if (!t) {
    showSignIn('Paste an access token first.');
    return;
  }
  api.token.set(t);
  await startSession();
}

async function startSession() {
  try {
    const s = await api.get('/api/admin/session');
    if (!s || typeof s !== 'object') throw new api.ApiError(200, 'The session answer is empty');
    session = {
      platformAdmin: s.platformAdmin === true,
      tenantId: typeof s.tenantId === 'string' ? s.tenantId : undefined,
      role: typeof s.role === 'string' ? s.role : '',
      readOnly: s.readOnly !== false, // when in doubt, read only
    };
  } catch (err) {
    if (err?.status === 401) return; // onUnauthorized already showed the sign-in page
    api.token.clear();
    showSignIn(err?.message || 'Could not load the session');
    return;
  }
  if (!session.platformAdmin) sessionStorage.removeItem(TENANT_KEY);
  showHeader();
  renderRoute();
}

/** Take a Supabase session from "#access_token=…&…", store it and clean the address bar. */
function takeTokenFromFragment() {
  const raw = location.hash.replace(/^#/, '');
  if (!/(^|&)(access_token|error_description)=/.test(raw)) return '';
  const params = new URLSearchParams(raw);
  const t = params.get('access_token');
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  if (!t) return params.get('error_description') || params.get('error') || 'Sign-in failed';
  // A link must not swap an open session for someone else's token: sign out first to use it.
  const current = api.token.get();
  if (current && current !== t) {
    announce('You are already signed in: the token in the link was ignored. Sign out to use it.');
    return '';
  }
  api.token.set(t);
  return '';
}

function signOut() {
  api.token.clear();
  sessionStorage.removeItem(TENANT_KEY);
  showSignIn('');
  announce('Signed out');
}

function start() {
  api.onUnauthorized((message) => {
    api.token.clear();
    showSignIn(message || 'Your session has expired; sign in again.');
  });
  $('sign-out').addEventListener('click', signOut);
  window.addEventListener('unhandledrejection', (e) => {
    const err = e.reason;
    if (api.isAbort(err) || err?.status === 401) { e.preventDefault(); return; }
    if (session) showError(err?.message || String(err));
  });
  window.addEventListener('hashchange', () => {
    // A sign-in redirect can also land on an already open dashboard.
    if (/(^#|&)(access_token|error_description)=/.test(location.hash)) {
      const error = takeTokenFromFragment();
      if (error) showSignIn(error);
      else startSession();
      return;
    }
    renderRoute();
  });
  const fragmentError = takeTokenFromFragment();
  if (api.token.get()) startSession();
  else showSignIn(fragmentError);
}

start();
