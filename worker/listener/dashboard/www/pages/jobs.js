// #/jobs: every job in one table, updated in place from the event stream.
// Rows are cloned from one template row and put in with a DocumentFragment;
// an event changes only the cells of its row. Every job has its row, but
// only the rows in and near the view are laid out (the others are
// display: none between two spacers of their height): laying out 1,000 rows
// took longer than the 500 ms the whole page may take to show them.
import { h, setText, clear, fmtKB, fmtDuration, fmtPct, fmtTime, fmtClock, jobHref, now } from '../dom.js';
import { t } from '../i18n.js';
import { api, call, guard, showError, toast, ApiError } from '../api.js';
import { openEvents } from '../events.js';
import { sparkline } from '../chart.js';
import { confirmDialog } from '../ui.js';
import { openJobForm } from '../jobform.js';

const COLS = ['sel', 'name', 'state', 'pid', 'uptime', 'mem', 'cpu', 'restarts', 'exit', 'next', 'flags', 'actions'];
const SORTABLE = { name: 1, state: 1, pid: 1, uptime: 1, mem: 1, cpu: 1, restarts: 1, exit: 1, next: 1 };

export function exitText(e) {
  if (!e) return '-';
  if (e.signal) return e.signal;
  if (e.code !== null && e.code !== undefined) return t('jobs.exitCode', { code: e.code });
  return '-';
}

export function uptimeOf(s) {
  if (!s || s.state !== 'UP') return null;
  if (s.started) return Math.max(0, now() - s.started);
  return s.uptime !== undefined ? s.uptime : null;
}

// Runs `fn` over `items`, `limit` at a time.
export async function pool(items, limit, fn) {
  let i = 0;
  const worker = async () => { while (i < items.length) { const x = items[i++]; await fn(x); } };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// START/STOP/RESTART of `names`; every refusal is shown with its sentence.
export async function jobAction(command, names) {
  const errors = [];
  let ok = 0;
  await pool(names, 8, async (name) => {
    try {
      const r = await api(command, { jobname: name });
      if (r.code === 'OK') ok++;
      else errors.push(r.code + ': ' + (r.error || t('err.code', { code: r.code, cmd: command })));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) throw e;
      errors.push(e.message);
    }
  });
  const shown = [...new Set(errors)].slice(0, 5);
  for (const e of shown) toast(e, 'error');
  if (errors.length > shown.length) toast(t('jobs.moreErrors', { n: errors.length - shown.length }), 'error');
  if (names.length > 1 && ok) toast(t('jobs.actionDone', { cmd: command, n: ok }), 'info');
  return errors.length === 0;
}

export default async function jobsPage(root) {
  const rows = new Map(); // name → row
  const selected = new Set();
  let sort = { key: 'name', dir: 1 };
  let filter = '';
  let settings = {}, nextRuns = {}, usage = {};
  let destroyed = false;
  const visible = new Set();

  // ---- toolbar ----
  const filterInput = h('input', { type: 'search', testid: 'filter', placeholder: t('jobs.filter'), 'aria-label': t('jobs.filter'), autocomplete: 'off' });
  const count = h('span', { class: 'muted', testid: 'jobs-count' });
  const bulk = (cmd, testid, label) => h('button', {
    type: 'button', testid, text: label,
    onclick: async () => {
      const names = [...selected].filter((n) => rows.has(n));
      if (!names.length) { toast(t('jobs.noneSelected'), 'warn'); return; }
      await guard(() => jobAction(cmd, names));
    },
  });
  const toolbar = h('div', { class: 'toolbar' },
    filterInput,
    bulk('START', 'start-selected', t('jobs.startSel')),
    bulk('STOP', 'stop-selected', t('jobs.stopSel')),
    bulk('RESTART', 'restart-selected', t('jobs.restartSel')),
    count,
    h('span', { class: 'spacer' }),
    h('button', { type: 'button', class: 'primary', testid: 'add-job', text: t('jobs.add'),
      onclick: async () => { const n = await guard(() => openJobForm(null)); if (n) refreshSettings(); } }));

  // ---- table ----
  const selectAll = h('input', { type: 'checkbox', testid: 'select-all', 'aria-label': t('jobs.selectAll') });
  const headRow = h('tr', null, COLS.map((c) => {
    if (c === 'sel') return h('th', { class: 'c-sel' }, selectAll);
    const th = h('th', { class: 'c-' + c, text: t('jobs.col.' + c) });
    if (SORTABLE[c]) { th.dataset.sort = c; th.classList.add('sortable'); th.tabIndex = 0; th.setAttribute('role', 'button'); }
    return th;
  }));
  const tbody = h('tbody');
  const pad = () => { const td = h('td', { colSpan: COLS.length }); return { td, body: h('tbody', { class: 'pad' }, h('tr', null, td)) }; };
  const padTop = pad(), padBottom = pad();
  const tableEl = h('table', { class: 'grid jobs', testid: 'jobs-table' }, h('thead', null, headRow), padTop.body, tbody, padBottom.body);
  const empty = h('p', { class: 'muted empty-note', text: t('jobs.none'), hidden: true });
  root.appendChild(h('section', { class: 'card' }, h('h1', { text: t('nav.jobs') }), toolbar, h('div', { class: 'table-wrap' }, tableEl), empty));

  // The template every row is cloned from.
  const tmpl = h('tr', null, COLS.map((c) => h('td', { class: 'c-' + c, dataset: { col: c } })));
  {
    const td = tmpl.children;
    td[0].appendChild(h('input', { type: 'checkbox', testid: 'row-select', 'aria-label': t('jobs.select') }));
    td[1].appendChild(h('a'));
    td[2].appendChild(h('span', { class: 'badge' }));
    td[5].appendChild(h('span', { class: 'mem-v' }));
    td[5].appendChild(h('canvas', { class: 'spark', width: 80, height: 18, 'aria-hidden': 'true' }));
    td[11].append(
      h('button', { type: 'button', class: 'small act-start', dataset: { action: 'start' }, text: t('start') }),
      h('button', { type: 'button', class: 'small act-stop', dataset: { action: 'stop' }, text: t('stop') }),
      h('button', { type: 'button', class: 'small act-restart', dataset: { action: 'restart' }, text: t('restart') }),
      h('button', { type: 'button', class: 'small', dataset: { action: 'edit' }, text: t('edit') }),
      h('button', { type: 'button', class: 'small danger act-delete', dataset: { action: 'delete' }, text: t('delete') }));
  }

  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const row = e.target._row;
      if (!row) continue;
      if (e.isIntersecting) { visible.add(row); drawSpark(row); updateUptime(row); } else visible.delete(row);
    }
  }, { rootMargin: '200px' });

  function makeRow(name) {
    const tr = tmpl.cloneNode(true);
    const td = tr.children;
    const row = {
      name, tr, status: null, sparkDrawn: false,
      cb: td[0].firstChild, link: td[1].firstChild, badge: td[2].firstChild, pid: td[3], uptime: td[4],
      mem: td[5].firstChild, canvas: td[5].lastChild, cpu: td[6], restarts: td[7], exit: td[8], next: td[9], flags: td[10],
    };
    tr.dataset.job = name;
    tr._row = row;
    row.link.textContent = name;
    row.link.href = jobHref(name);
    row.cb.checked = selected.has(name);
    return row;
  }

  function fillRow(row) {
    const s = row.status || {};
    const state = s.state === 'UP' ? 'UP' : 'DOWN';
    if (row.tr.dataset.state !== state) row.tr.dataset.state = state;
    const back = s.backoff > 0;
    const cls = 'badge ' + (back ? 'backoff' : state.toLowerCase());
    if (row.badge.className !== cls) row.badge.className = cls;
    setText(row.badge, back ? t('state.backoff', { s: Math.ceil(s.backoff) }) : state === 'UP' ? t('state.up') : t('state.down'));
    setText(row.pid, s.pid || '-');
    updateUptime(row);
    setText(row.mem, state === 'UP' ? fmtKB(s.mem) : '-');
    setText(row.cpu, state === 'UP' ? fmtPct(s.cpu) : '-');
    setText(row.restarts, (s.restarts || 0) + (s.reason ? ' · ' + s.reason : ''));
    setText(row.exit, exitText(s.last_exit));
    row.exit.title = s.last_exit && s.last_exit.at ? fmtTime(s.last_exit.at) : '';
    fillSettings(row);
    fillNext(row);
  }

  function fillSettings(row) {
    const st = settings[row.name];
    const marks = [];
    if (st && (st.autostart === true || st.autostart === '1' || st.autostart === 1)) marks.push(t('jobs.flagAutostart'));
    if (st && (st.guard === true || st.guard === '1' || st.guard === 1)) marks.push(t('jobs.flagGuard'));
    setText(row.flags, marks.join(' '));
    row.tr.title = st && st.command ? st.command + (st.params ? ' ' + st.params : '') : '';
  }

  function fillNext(row) {
    const at = nextRuns[row.name];
    setText(row.next, at ? fmtClock(at) : '-');
    row.next.title = at ? fmtTime(at) : '';
  }

  function updateUptime(row) {
    const u = uptimeOf(row.status);
    setText(row.uptime, u === null ? '-' : fmtDuration(u));
  }

  function drawSpark(row) {
    const u = usage[row.name];
    if (!u) return;
    sparkline(row.canvas, u.mem);
    row.sparkDrawn = true;
  }

  function matches(row) {
    if (!filter) return true;
    if (row.name.toLowerCase().includes(filter)) return true;
    const st = settings[row.name];
    return !!(st && typeof st.command === 'string' && st.command.toLowerCase().includes(filter));
  }

  function sortValue(row, key) {
    const s = row.status || {};
    switch (key) {
      case 'name': return row.name;
      case 'state': return s.state === 'UP' ? 1 : 0;
      case 'pid': return s.pid || null;
      case 'uptime': return uptimeOf(s);
      case 'mem': return s.state === 'UP' ? s.mem : null;
      case 'cpu': return s.state === 'UP' ? s.cpu : null;
      case 'restarts': return s.restarts || 0;
      case 'exit': return s.last_exit ? s.last_exit.at : null;
      case 'next': return nextRuns[row.name] || null;
      default: return null;
    }
  }

  function compare(a, b) {
    const va = sortValue(a, sort.key), vb = sortValue(b, sort.key);
    if (va === vb || (va == null && vb == null)) return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    if (va == null) return 1;
    if (vb == null) return -1;
    if (typeof va === 'string') return sort.dir * va.localeCompare(vb);
    return sort.dir * (va < vb ? -1 : 1);
  }

  function sorted() { return [...rows.values()].sort(compare); }

  function reorder() {
    const list = sorted();
    let same = tbody.children.length === list.length;
    if (same) for (let i = 0; i < list.length; i++) if (tbody.children[i] !== list[i].tr) { same = false; break; }
    if (same) return;
    const frag = document.createDocumentFragment();
    for (const r of list) frag.appendChild(r.tr);
    tbody.appendChild(frag);
    windowSoon();
  }

  let reorderTimer = 0;
  function reorderSoon() {
    if (sort.key === 'name') return;
    clearTimeout(reorderTimer);
    reorderTimer = setTimeout(reorder, 400);
  }

  function updateCount() {
    let shown = 0;
    for (const r of rows.values()) if (!r.tr.hidden) shown++;
    setText(count, t('jobs.count', { total: rows.size, shown, selected: [...selected].filter((n) => rows.has(n)).length }));
    empty.hidden = rows.size !== 0;
    const vis = [...rows.values()].filter((r) => !r.tr.hidden);
    selectAll.checked = vis.length > 0 && vis.every((r) => selected.has(r.name));
    selectAll.indeterminate = !selectAll.checked && vis.some((r) => selected.has(r.name));
    windowSoon();
  }

  // ---- the window of rows laid out ----
  const OVERSCAN = 15;
  let rowH = 0;  // measured from the first row laid out
  function layoutWindow() {
    windowQueued = false;
    if (destroyed) return;
    const list = [];
    for (const tr of tbody.children) if (!tr.hidden) list.push(tr);
    const h0 = rowH || 31;
    // Where the first row's slot begins: under the header (a hidden spacer
    // has no box to measure).
    const top = headRow.getBoundingClientRect().bottom;
    const first = Math.max(0, Math.min(list.length, Math.floor(-top / h0) - OVERSCAN));
    const last = Math.min(list.length, first + Math.ceil(window.innerHeight / h0) + 2 * OVERSCAN);
    for (let i = 0; i < list.length; i++) list[i].classList.toggle('off', i < first || i >= last);
    padTop.td.style.height = first * h0 + 'px';
    padBottom.td.style.height = (list.length - last) * h0 + 'px';
    padTop.body.hidden = first === 0;
    padBottom.body.hidden = last === list.length;
    if (!rowH && last > first) {
      const measured = list[first].getBoundingClientRect().height;
      if (measured > 0) { rowH = measured; if (Math.abs(measured - h0) > 0.5) windowSoon(); }
    }
  }
  let windowQueued = false;
  function windowSoon() {
    if (windowQueued) return;
    windowQueued = true;
    requestAnimationFrame(layoutWindow);
  }
  window.addEventListener('scroll', windowSoon, { passive: true });
  window.addEventListener('resize', windowSoon, { passive: true });

  // Puts in, changes or takes out rows to match a full STATUSALL detail object.
  function sync(all) {
    const frag = document.createDocumentFragment();
    const added = [];
    for (const name in all) {
      let row = rows.get(name);
      if (!row) {
        row = makeRow(name);
        rows.set(name, row);
        added.push(row);
      }
      row.status = all[name];
      fillRow(row);
    }
    for (const [name, row] of rows) if (!(name in all)) removeRow(name, row);
    if (added.length) {
      added.sort(compare);
      for (const r of added) { r.tr.hidden = !matches(r); r.tr.classList.add('off'); frag.appendChild(r.tr); }
      tbody.appendChild(frag);
      for (const r of added) io.observe(r.tr);
      reorder();
      layoutWindow();
      if (added.some((r) => !settings[r.name])) refreshSettingsSoon();
    }
    reorderSoon();
    updateCount();
  }

  function upsert(name, status) {
    let row = rows.get(name);
    if (!row) {
      row = makeRow(name);
      rows.set(name, row);
      row.status = status;
      fillRow(row);
      row.tr.hidden = !matches(row);
      tbody.appendChild(row.tr);
      io.observe(row.tr);
      reorder();
      refreshSettingsSoon();
      updateCount();
      return;
    }
    row.status = Object.assign({}, row.status, status);
    fillRow(row);
    reorderSoon();
  }

  function removeRow(name, row) {
    io.unobserve(row.tr);
    visible.delete(row);
    row.tr.remove();
    rows.delete(name);
    selected.delete(name);
  }

  // ---- data besides the stream ----
  async function refreshSettings() {
    const r = await api('GETALL', {}).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (r.code !== 'OK') { showError(new ApiError(r.code, r.error || r.code)); return; }
    settings = r.data || {};
    for (const row of rows.values()) { fillSettings(row); row.tr.hidden = !matches(row); }
    updateCount();
  }
  let settingsTimer = 0;
  function refreshSettingsSoon() { clearTimeout(settingsTimer); settingsTimer = setTimeout(refreshSettings, 300); }

  // Optional data (a plugin may be off): UNKNOWN is quiet, anything else is shown once.
  const reported = new Set();
  async function optional(cmd, params) {
    try {
      const r = await api(cmd, params);
      if (r.code === 'OK') return r.data;
      if (r.code !== 'UNKNOWN' && !reported.has(cmd)) { reported.add(cmd); showError(new ApiError(r.code, r.error || r.code)); }
    } catch (e) {
      if (!reported.has(cmd)) { reported.add(cmd); showError(e); }
    }
    return null;
  }

  async function refreshUsage() {
    const d = await optional('USAGEALL', { points: 30 });
    if (!d || destroyed) return;
    usage = d;
    for (const row of visible) drawSpark(row);
    for (const row of rows.values()) if (!visible.has(row)) row.sparkDrawn = false;
  }

  async function refreshNextRuns() {
    const d = await optional('SCHEDULER.NEXTRUNS', { hours: 24 });
    if (!Array.isArray(d) || destroyed) return;
    nextRuns = {};
    for (const r of d) if (r && r.jobname && !(r.jobname in nextRuns)) nextRuns[r.jobname] = r.at;
    for (const row of rows.values()) fillNext(row);
    if (sort.key === 'next') reorder();
  }

  // ---- interactions ----
  filterInput.addEventListener('input', () => {
    filter = filterInput.value.trim().toLowerCase();
    for (const row of rows.values()) { const hide = !matches(row); if (row.tr.hidden !== hide) row.tr.hidden = hide; }
    updateCount();
  });

  const sortBy = (key) => {
    if (sort.key === key) sort.dir = -sort.dir; else sort = { key, dir: 1 };
    for (const th of headRow.children) {
      th.classList.toggle('sorted', th.dataset.sort === key);
      th.classList.toggle('desc', th.dataset.sort === key && sort.dir < 0);
      if (th.dataset.sort) th.setAttribute('aria-sort', th.dataset.sort === key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
    reorder();
  };
  headRow.addEventListener('click', (e) => { const th = e.target.closest('th[data-sort]'); if (th) sortBy(th.dataset.sort); });
  headRow.addEventListener('keydown', (e) => {
    const th = e.target.closest('th[data-sort]');
    if (th && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); sortBy(th.dataset.sort); }
  });
  headRow.firstChild.nextSibling.classList.add('sorted');

  selectAll.addEventListener('change', () => {
    for (const row of rows.values()) {
      if (row.tr.hidden) continue;
      if (selectAll.checked) selected.add(row.name); else selected.delete(row.name);
      row.cb.checked = selectAll.checked;
      row.tr.classList.toggle('selected', selectAll.checked);
    }
    updateCount();
  });

  tbody.addEventListener('change', (e) => {
    if (e.target.dataset.testid !== 'row-select') return;
    const row = e.target.closest('tr')._row;
    if (e.target.checked) selected.add(row.name); else selected.delete(row.name);
    row.tr.classList.toggle('selected', e.target.checked);
    updateCount();
  });

  tbody.addEventListener('click', async (e) => {
    const btn = e.target.closest('button[data-action]');
    if (!btn) return;
    const name = btn.closest('tr')._row.name;
    const action = btn.dataset.action;
    if (action === 'edit') {
      const n = await guard(() => openJobForm(name));
      if (n) refreshSettings();
      return;
    }
    if (action === 'delete') {
      if (!(await confirmDialog(t('jobs.confirmDelete', { name }), t('delete')))) return;
      const ok = await guard(() => call('DELETE', { jobname: name }).then(() => true));
      if (ok) { const row = rows.get(name); if (row) removeRow(name, row); updateCount(); toast(t('jobs.deleted', { name }), 'info'); }
      return;
    }
    btn.disabled = true;
    try { await guard(() => jobAction(action.toUpperCase(), [name])); } finally { btn.disabled = false; }
  });

  // ---- start ----
  const t0 = performance.now();
  const [first] = await Promise.all([
    api('STATUSALL', { detail: true }).catch((e) => { showError(e); return null; }),
    refreshSettings(),
  ]);
  if (destroyed) return () => {};
  if (first && first.code === 'OK') sync(first.data || {});
  else if (first) showError(new ApiError(first.code, first.error || first.code));
  root.dataset.renderMs = String(Math.round(performance.now() - t0));
  refreshUsage();
  refreshNextRuns();

  const ev = openEvents({}, {
    jobs: (all) => sync(all || {}),
    job: (d) => { if (d && d.name) { const { name, ...rest } = d; upsert(name, rest); } },
    gone: (d) => { const row = d && rows.get(d.name); if (row) { removeRow(d.name, row); updateCount(); } },
    usage: (u) => {
      for (const name in u || {}) {
        const row = rows.get(name);
        if (!row || !row.status) continue;
        row.status.mem = u[name].mem;
        row.status.cpu = u[name].cpu;
        setText(row.mem, row.status.state === 'UP' ? fmtKB(u[name].mem) : '-');
        setText(row.cpu, row.status.state === 'UP' ? fmtPct(u[name].cpu) : '-');
      }
      if (sort.key === 'mem' || sort.key === 'cpu') reorderSoon();
    },
  });

  const tick = setInterval(() => { for (const row of visible) updateUptime(row); }, 1000);
  const slow = setInterval(() => { refreshUsage(); refreshNextRuns(); }, 60000);

  return () => {
    destroyed = true;
    window.removeEventListener('scroll', windowSoon);
    window.removeEventListener('resize', windowSoon);
    ev.close();
    io.disconnect();
    clearInterval(tick);
    clearInterval(slow);
    clearTimeout(reorderTimer);
    clearTimeout(settingsTimer);
    clear(tbody);
  };
}
