// Live updates: an EventSource on /ui/events, and when the stream keeps
// failing (a proxy that cuts it, an error reply), polling STATUSALL /
// STATUS + READ {"since"} / SERVERREAD every 2 s instead, with a new try of
// the stream every minute.
//
//   const ev = openEvents({job: 'web'}, {jobs, job, gone, usage, lines, mode});
//   ev.close();
import { api, showError, ApiError } from './api.js';

const POLL_MS = 2000;
const USAGE_POLL_MS = 10000;
const RETRY_STREAM_MS = 60000;
const MAX_ERRORS = 3;

export function openEvents(opts, handlers) {
  const job = opts && opts.job;
  const server = opts && opts.server;
  let url = '/ui/events';
  if (job) url += '?job=' + encodeURIComponent(job);
  else if (server) url += '?server=1';

  let es = null, errors = 0, closed = false, pollTimer = 0, retryTimer = 0;
  let polling = false, next = 0, lastServerText = null, lastError = '', lastUsage = 0;

  const emit = (name, data) => {
    if (closed) return;
    if (name === 'lines' && data && typeof data.next === 'number') next = data.next;
    const f = handlers[name];
    if (f) {
      try { f(data); } catch (e) { console.error(e); }
    }
  };
  const setMode = (m) => { if (handlers.mode) handlers.mode(m); };

  function startStream() {
    if (closed || typeof EventSource === 'undefined') { startPolling(); return; }
    const s = new EventSource(url, { withCredentials: true });
    es = s;
    const on = (name) => s.addEventListener(name, (e) => {
      errors = 0;
      if (polling) stopPolling();
      let data;
      try { data = JSON.parse(e.data); } catch (_) { return; }
      emit(name, data);
    });
    ['jobs', 'job', 'gone', 'usage', 'lines'].forEach(on);
    s.addEventListener('open', () => { if (!polling) setMode('stream'); });
    s.addEventListener('error', () => {
      if (closed) return;
      errors++;
      if (s.readyState === EventSource.CLOSED || errors >= MAX_ERRORS) {
        s.close();
        if (es === s) es = null;
        if (!polling) startPolling();
        scheduleRetry();
      }
    });
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      if (closed || es) return;
      errors = 0;
      startStream();
    }, RETRY_STREAM_MS);
  }

  function startPolling() {
    if (closed || polling) return;
    polling = true;
    setMode('poll');
    const tick = async () => {
      if (closed || !polling) return;
      try {
        await pollOnce();
        lastError = '';
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 401) {
          if (e.message !== lastError) showError(e);
          lastError = e.message;
        }
      }
      if (!closed && polling) pollTimer = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  function stopPolling() {
    polling = false;
    clearTimeout(pollTimer);
    setMode('stream');
  }

  async function ok(command, params) {
    const r = await api(command, params);
    if (r.code !== 'OK') throw new ApiError(r.code, r.error || r.code);
    return r.data;
  }

  async function pollOnce() {
    if (job) {
      const r = await api('STATUS', { jobname: job, detail: true });
      if (r.code === 'OK' && r.data && typeof r.data === 'object') emit('job', Object.assign({ name: job }, r.data));
      else if (r.code === 'FAILED') { emit('gone', { name: job }); return; }
      else if (r.code !== 'OK') throw new ApiError(r.code, r.error || r.code);
      const d = normalise(await ok('READ', { jobname: job, since: next }));
      if (d && Array.isArray(d.lines)) { if (d.lines.length || d.next !== next) emit('lines', d); }
      return;
    }
    if (server) {
      const d = normalise(await ok('SERVERREAD', { since: next }));
      if (d && typeof d === 'object' && Array.isArray(d.lines)) {
        if (d.lines.length || d.next !== next) emit('lines', d);
      } else if (typeof d === 'string' && d !== lastServerText) {
        // An old-shaped reply: the whole buffer, shown anew.
        lastServerText = d;
        const lines = d === '' ? [] : d.split('\n').map((text, n) => ({ n, err: false, text }));
        emit('lines', { lines, next: lines.length, replace: true });
      }
      return;
    }
    const all = await ok('STATUSALL', { detail: true });
    emit('jobs', all || {});
    if (handlers.usage && Date.now() - lastUsage >= USAGE_POLL_MS) {
      lastUsage = Date.now();
      const u = await ok('USAGEALL', { points: 1 });
      const out = {};
      for (const k in u || {}) {
        const v = u[k] || {};
        out[k] = { mem: last(v.mem), cpu: last(v.cpu) };
      }
      emit('usage', out);
    }
  }

  startStream();

  return {
    close() {
      closed = true;
      if (es) es.close();
      es = null;
      clearTimeout(pollTimer);
      clearTimeout(retryTimer);
    },
    get mode() { return polling ? 'poll' : 'stream'; },
  };
}

// READ {"since"} gives its lines as strings; the stream as {n, err, text}.
function normalise(d) {
  if (!d || typeof d !== 'object' || !Array.isArray(d.lines)) return d;
  const next = typeof d.next === 'number' ? d.next : d.lines.length;
  const first = next - d.lines.length;
  return {
    next,
    lines: d.lines.map((l, i) => (typeof l === 'string' ? { n: first + i, err: false, text: l } : l)),
  };
}

function last(a) {
  if (!Array.isArray(a) || !a.length) return null;
  return a[a.length - 1];
}
