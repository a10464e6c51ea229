// #/server: the server's own output (live), its memory, version and health.
import { h, setText, fmtKB } from '../dom.js';
import { t } from '../i18n.js';
import { api, session, showError, ApiError } from '../api.js';
import { openEvents } from '../events.js';
import { createOutput } from '../output.js';
import { table, emptyRow } from '../ui.js';

export default async function serverPage(root) {
  let destroyed = false;
  const mem = h('dd', { testid: 'server-mem', text: '…' });
  const version = h('dd', { testid: 'server-version', text: session.version || '-' });
  const health = h('dd', { testid: 'server-health', text: '…' });
  const user = h('dd', { testid: 'server-user', text: session.auth ? (session.user || '-') + ' (' + (session.privileges || '-') + ')' : t('server.noAuth') });
  const mode = h('span', { class: 'muted live-mode', testid: 'live-mode' });
  const out = createOutput({ testid: 'server-output', filename: 'server' });
  const workers = table('server-workers', [t('server.process'), t('server.procMem'), t('server.procCpu'), t('server.restarts')]);

  root.append(
    h('section', { class: 'card' }, h('h1', { text: t('nav.server') }),
      h('dl', { class: 'facts' },
        h('dt', { text: t('server.version') }), version,
        h('dt', { text: t('server.mem') }), mem,
        h('dt', { text: t('server.health') }), health,
        h('dt', { text: t('server.session') }), user),
      h('p', null, h('a', { href: '#/logs?job=__server__', text: t('server.logs') }))),
    h('section', { class: 'card' }, h('h2', { text: t('server.workers') }), workers.table),
    h('section', { class: 'card' }, h('div', { class: 'title-row' }, h('h2', { text: t('server.output') }), mode), out.el));

  async function loadMem() {
    const r = await api('SERVERMEM', {}).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (r.code === 'OK') setText(mem, fmtKB(r.data));
    else { setText(mem, r.error || r.code); showError(new ApiError(r.code, r.error || r.code)); }
  }

  async function loadHealth() {
    try {
      const res = await fetch('/healthz', { credentials: 'same-origin', cache: 'no-store' });
      const text = (await res.text()).trim();
      if (destroyed) return;
      setText(health, (res.ok ? t('server.healthy') : t('server.unhealthy')) + ' — HTTP ' + res.status + (text ? ': ' + text.slice(0, 300) : ''));
      health.className = res.ok ? 'good' : 'bad';
    } catch (e) {
      setText(health, e.message);
      health.className = 'bad';
    }
  }

  // The server's processes as /metrics tells them (the same numbers
  // Prometheus scrapes): memory and CPU of each, and the workers' restarts.
  async function loadWorkers() {
    let text = '';
    try {
      const res = await fetch('/metrics', { credentials: 'same-origin', cache: 'no-store' });
      if (!res.ok) return;
      text = await res.text();
    } catch { return; }
    if (destroyed) return;
    const procs = {};
    const re = /^(backend_process_resident_memory_bytes|backend_process_cpu_seconds_total|backend_worker_restarts_total)\{(?:process|worker)="([a-z]+)"\} ([0-9.e+-]+)$/gm;
    for (let m; (m = re.exec(text));) (procs[m[2]] ||= {})[m[1]] = Number(m[3]);
    workers.tbody.replaceChildren();
    const names = Object.keys(procs);
    if (!names.length) return emptyRow(workers.tbody, 4, '-');
    for (const name of names) {
      const p = procs[name];
      const restarts = p.backend_worker_restarts_total;
      workers.tbody.append(h('tr', { dataset: { process: name } },
        h('td', { text: name }),
        h('td', { text: p.backend_process_resident_memory_bytes !== undefined ? fmtKB(p.backend_process_resident_memory_bytes / 1024) : '-' }),
        h('td', { text: p.backend_process_cpu_seconds_total !== undefined ? p.backend_process_cpu_seconds_total.toFixed(2) + ' s' : '-' }),
        h('td', { text: restarts !== undefined ? String(restarts) : '-' })));
    }
  }

  loadMem();
  loadHealth();
  loadWorkers();
  const ev = openEvents({ server: 1 }, {
    mode: (m) => setText(mode, m === 'stream' ? t('live.stream') : t('live.poll')),
    lines: (d) => out.push(d),
  });
  const slow = setInterval(() => { loadMem(); loadHealth(); loadWorkers(); }, 10000);
  return () => { destroyed = true; ev.close(); clearInterval(slow); };
}
