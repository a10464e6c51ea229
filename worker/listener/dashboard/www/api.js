// Talking to the server: POST /api/COMMAND with the session's CSRF token,
// the session itself (/ui/session, /ui/login, /ui/logout), and the toasts
// that show every error the server gives.
import { h } from './dom.js';
import { t } from './i18n.js';

export const session = { auth: false, user: null, privileges: null, csrf: null, version: '', loaded: false };

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status || 200;
  }
}

// Set by app.js: what to do when the session ended (HTTP 401).
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

async function readJson(res) {
  const text = await res.text();
  try { return JSON.parse(text); } catch (_) { return { code: 'FAILED', error: text.trim() || ('HTTP ' + res.status) }; }
}

// The whole reply {code, data?, error?}. Throws ApiError only when there is
// no protocol reply at all (network, HTTP error, session ended).
export async function api(command, params) {
  const headers = { 'Content-Type': 'application/json' };
  if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let res;
  try {
    res = await fetch('/api/' + command, {
      method: 'POST', headers, credentials: 'same-origin', cache: 'no-store',
      body: JSON.stringify(params || {}),
    });
  } catch (e) {
    throw new ApiError('NETWORK', t('err.network', { msg: e.message }), 0);
  }
  if (res.status === 401) {
    const body = await readJson(res);
    session.user = null;
    session.csrf = null;
    onUnauthorized(body.error);
    throw new ApiError('DENIED', body.error || t('err.session'), 401);
  }
  if (res.status !== 200) {
    const body = await readJson(res);
    throw new ApiError('HTTP', (body.error || t('err.http', { status: res.status })), res.status);
  }
  return readJson(res);
}

// data of an OK reply; a FAILED/DENIED/UNKNOWN reply throws its sentence.
export async function call(command, params) {
  const r = await api(command, params);
  if (r.code !== 'OK') throw new ApiError(r.code, r.error || t('err.code', { code: r.code, cmd: command }));
  if (r.error) toast(r.error, 'warn');
  return r.data;
}

// Runs `fn`, shows what it threw as an error toast; resolves to its value or undefined.
export async function guard(fn) {
  try { return await fn(); } catch (e) { showError(e); return undefined; }
}

export function showError(e) {
  if (e && e.status === 401) return; // the login form takes over
  const msg = e instanceof ApiError ? (e.code && e.code !== 'HTTP' && e.code !== 'NETWORK' ? e.code + ': ' : '') + e.message
    : String(e && e.message || e);
  toast(msg, 'error');
}

export async function loadSession() {
  const res = await fetch('/ui/session', { credentials: 'same-origin', cache: 'no-store' });
  const s = await readJson(res);
  if (res.status !== 200) throw new ApiError('HTTP', s.error || t('err.http', { status: res.status }), res.status);
  Object.assign(session, s, { loaded: true });
  return session;
}

export async function login(username, password) {
  const res = await fetch('/ui/login', {
    method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const r = await readJson(res);
  if (res.status === 200 && r.code === 'OK') {
    const d = r.data || {};
    session.user = d.user !== undefined ? d.user : username;
    session.privileges = d.privileges !== undefined ? d.privileges : null;
    session.csrf = d.csrf || null;
    return null;
  }
  return r.error || (res.status === 429 ? t('login.tooMany') : t('err.http', { status: res.status }));
}

export async function logout() {
  const headers = {};
  if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  try { await fetch('/ui/logout', { method: 'POST', headers, credentials: 'same-origin' }); } catch (_) { /* gone anyway */ }
  session.user = null;
  session.csrf = null;
}

// May the session's user run `command`? Only hides buttons; the server decides.
export function may(command) {
  if (!session.auth) return true;
  const p = session.privileges;
  if (p === '*' ) return true;
  if (!p) return false;
  return String(p).split(',').map((s) => s.trim().toUpperCase()).includes(command);
}

// ---- toasts ----

const recent = new Map();

export function toast(text, kind = 'info') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const key = kind + '\n' + text;
  const old = recent.get(key);
  if (old && old.isConnected) { old.classList.remove('flash'); void old.offsetWidth; old.classList.add('flash'); return; }
  const el = h('div', { class: 'toast ' + kind, testid: 'toast', role: kind === 'error' ? 'alert' : 'status' },
    h('span', { class: 'toast-text', text }),
    h('button', { class: 'toast-close', type: 'button', 'aria-label': t('close'), title: t('close'), onclick: () => el.remove() }));
  recent.set(key, el);
  box.appendChild(el);
  setTimeout(() => { el.remove(); recent.delete(key); }, kind === 'error' ? 10000 : 4000);
}
