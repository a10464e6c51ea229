// backend-server dashboard: the router (by hash), the session and the header.
//
// Test hooks (data-testid unless said otherwise), one list:
//   header:    nav (the <nav>), nav-overview nav-jobs nav-schedules nav-logs
//              nav-users nav-server (its links), lang-switch (<select>, en|zh),
//              session-user, logout, version, page (the <main> holding the page;
//              its data-page = overview|jobs|job|schedules|logs|users|server|login)
//   messages:  toasts (container), toast (each; class error|warn|info),
//              confirm-dialog, confirm-text, confirm-ok, confirm-cancel
//   overview:  ov-total ov-up ov-down ov-restarts ov-backoff (list) ov-mem-jobs
//              ov-mem-server ov-nextruns (list)
//   jobs:      filter, jobs-table, jobs-count, select-all, add-job,
//              start-selected stop-selected restart-selected;
//              rows: <tr data-job="NAME" data-state="UP|DOWN">, in it
//              row-select (checkbox), cells td[data-col=name|state|pid|uptime|
//              mem|cpu|restarts|exit|next|flags], buttons [data-action=start|
//              stop|restart|edit|delete]; headers th[data-sort=KEY];
//              job-form (the <form>, fields by name=jobname command params
//              buffersize writelog autostart guard cwd env user stopsignal
//              stoptimeout), job-form-error, job-form-submit, job-form-cancel
//   job page:  job-page (data-job), job-state, job-start job-stop job-restart
//              job-edit, output (lines: div.line[data-n], .err + data-stream=
//              "stderr" for stderr, .older for lines from log files), follow
//              (checkbox), pause (button, aria-pressed), search, search-count,
//              older-lines, download, history (table; rows tr.history-row),
//              usage-chart, job-settings, job-schedules, live-mode
//   schedules: nextruns (list), schedules-table (rows tr[data-job][data-uuid],
//              buttons [data-action=history|edit|delete|run]), add-schedule,
//              schedule-history, schedule-form (fields by name=jobname enable
//              mode(cron|fields) cron Y m d W N z H i U), schedule-form-error,
//              schedule-form-submit
//   logs:      log-job (<select>, "__server__" = the server), log-dirs,
//              log-files (lists of buttons with data-dir / data-file),
//              log-file-content (<pre>), log-more, log-warning
//   users:     auth-enable (checkbox), users-table (rows tr[data-user],
//              buttons [data-action=edit|delete]), add-user, user-form
//              (fields username password privileges-mode(all|list) privileges),
//              user-form-error, user-form-submit
//   server:    server-output, server-mem, server-version, server-health,
//              server-user
//   login:     login-form, login-user, login-password, login-submit, login-error
import { h, replace } from './dom.js';
import { t, setLang, getLang, languages } from './i18n.js';
import { session, loadSession, logout, setUnauthorizedHandler, showError } from './api.js';

const pages = {
  overview: () => import('./pages/overview.js'),
  jobs: () => import('./pages/jobs.js'),
  job: () => import('./pages/job.js'),
  schedules: () => import('./pages/schedules.js'),
  logs: () => import('./pages/logs.js'),
  users: () => import('./pages/users.js'),
  server: () => import('./pages/server.js'),
  login: () => import('./pages/login.js'),
};

const nav = [
  ['overview', '#/'], ['jobs', '#/jobs'], ['schedules', '#/schedules'],
  ['logs', '#/logs'], ['users', '#/users'], ['server', '#/server'],
];

let cleanup = null;
let renderSeq = 0;

// '#/job/a%20b?x=1' → {page: 'job', arg: 'a b', query: URLSearchParams}
export function parseRoute(hash) {
  let path = (hash || '').replace(/^#/, '');
  let query = '';
  const q = path.indexOf('?');
  if (q !== -1) { query = path.slice(q + 1); path = path.slice(0, q); }
  const parts = path.split('/').filter(Boolean);
  const page = parts[0] || 'overview';
  let arg = null;
  if (parts.length > 1) {
    try { arg = decodeURIComponent(parts.slice(1).join('/')); } catch (_) { arg = parts.slice(1).join('/'); }
  }
  return { page: pages[page] ? page : 'notfound', arg, query: new URLSearchParams(query), path };
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// The login form, remembering where to come back to.
export function goLogin() {
  const r = parseRoute(location.hash);
  if (r.page === 'login') return;
  const next = location.hash && location.hash !== '#/login' ? location.hash : '#/';
  location.hash = '#/login?next=' + encodeURIComponent(next);
}

function renderHeader(active) {
  const header = document.getElementById('header');
  const links = nav.map(([key, href]) => h('a', {
    href, testid: 'nav-' + key, class: active === key || (key === 'jobs' && active === 'job') ? 'active' : '',
    text: t('nav.' + key),
  }));
  const lang = h('select', {
    testid: 'lang-switch', 'aria-label': t('language'),
    onchange: (e) => { setLang(e.target.value); document.title = t('app.title'); route(); },
  }, Object.keys(languages).map((k) => h('option', { value: k, selected: k === getLang(), text: languages[k] })));
  const right = h('div', { class: 'head-right' },
    session.version ? h('span', { class: 'muted small', testid: 'version', text: 'v' + session.version }) : null,
    session.user ? h('span', { class: 'user', testid: 'session-user', text: session.user }) : null,
    session.auth && session.user ? h('button', {
      type: 'button', class: 'link', testid: 'logout', text: t('logout'),
      onclick: async () => { await logout(); goLogin(); },
    }) : null,
    lang);
  replace(header,
    h('a', { class: 'brand', href: '#/', text: t('app.title') }),
    active === 'login' ? null : h('nav', { testid: 'nav' }, links),
    right);
}

async function route() {
  const seq = ++renderSeq;
  const r = parseRoute(location.hash);
  if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } cleanup = null; }
  document.querySelectorAll('dialog.modal').forEach((d) => { d.close(); d.remove(); });
  const main = document.getElementById('page');
  if (!session.loaded) {
    try { await loadSession(); } catch (e) { showError(e); }
    if (seq !== renderSeq) return;
  }
  if (r.page !== 'login' && session.auth && !session.user) { goLogin(); return; }
  document.title = t('app.title');
  renderHeader(r.page);
  main.dataset.page = r.page;
  if (r.page === 'notfound') {
    replace(main, h('section', { class: 'card' }, h('h1', { text: t('notFound') }),
      h('p', null, h('a', { href: '#/', text: t('nav.overview') }))));
    return;
  }
  let mod;
  try { mod = await pages[r.page](); } catch (e) { showError(e); return; }
  if (seq !== renderSeq) return;
  replace(main);
  try {
    const c = await mod.default(main, r, { go, goLogin, refreshHeader: () => renderHeader(r.page) });
    if (seq !== renderSeq) { if (typeof c === 'function') c(); return; }
    cleanup = typeof c === 'function' ? c : null;
  } catch (e) {
    showError(e);
  }
}

setUnauthorizedHandler(() => { session.user = null; goLogin(); });
window.addEventListener('hashchange', route);
route();
