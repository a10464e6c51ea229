// #/job/NAME: one job's live output, its restart history, its usage over
// 24 h, its settings and its schedules.
import { h, setText, replace, fmtKB, fmtDuration, fmtPct, fmtTime } from '../dom.js';
import { t } from '../i18n.js';
import { api, call, guard, showError, ApiError } from '../api.js';
import { openEvents } from '../events.js';
import { createOutput, logLoader } from '../output.js';
import { usageChart } from '../chart.js';
import { section, table, emptyRow, condText, isTrue } from '../ui.js';
import { openJobForm, envText } from '../jobform.js';
import { exitText, uptimeOf, jobAction } from './jobs.js';

export default async function jobPage(root, route) {
  const name = route.arg || '';
  let status = null, destroyed = false, chart = null;

  // ---- head ----
  const badge = h('span', { class: 'badge', testid: 'job-state' });
  const facts = {
    pid: h('dd'), uptime: h('dd'), mem: h('dd'), cpu: h('dd'), restarts: h('dd'), exit: h('dd'),
  };
  const btn = (cmd, testid, label, cls) => h('button', {
    type: 'button', testid, class: cls || '', text: label,
    onclick: async (e) => {
      e.target.disabled = true;
      try { await guard(() => jobAction(cmd, [name])); } finally { e.target.disabled = false; }
    },
  });
  const startBtn = btn('START', 'job-start', t('start'), 'primary');
  const stopBtn = btn('STOP', 'job-stop', t('stop'));
  const restartBtn = btn('RESTART', 'job-restart', t('restart'));
  const editBtn = h('button', { type: 'button', testid: 'job-edit', text: t('edit'),
    onclick: async () => { const n = await guard(() => openJobForm(name)); if (n) loadSettings(); } });
  const mode = h('span', { class: 'muted live-mode', testid: 'live-mode' });
  const gone = h('p', { class: 'banner warn', hidden: true, text: t('job.gone') });

  const head = h('section', { class: 'card job-head' },
    h('div', { class: 'title-row' },
      h('h1', null, h('a', { href: '#/jobs', class: 'crumb', text: t('nav.jobs') }), ' / ', h('span', { text: name })),
      badge, mode, h('span', { class: 'spacer' }), startBtn, stopBtn, restartBtn, editBtn),
    gone,
    h('dl', { class: 'facts' },
      h('dt', { text: t('jobs.col.pid') }), facts.pid,
      h('dt', { text: t('jobs.col.uptime') }), facts.uptime,
      h('dt', { text: t('jobs.col.mem') }), facts.mem,
      h('dt', { text: t('jobs.col.cpu') }), facts.cpu,
      h('dt', { text: t('jobs.col.restarts') }), facts.restarts,
      h('dt', { text: t('jobs.col.exit') }), facts.exit));

  // ---- output ----
  const out = createOutput({ testid: 'output', filename: name, loadOlder: logLoader(call, name) });

  // ---- history ----
  const hist = table('history', [t('hist.reason'), t('hist.started'), t('hist.exited'), t('hist.exit'), t('hist.output')]);

  // ---- usage ----
  const chartBox = h('div', { class: 'chart', testid: 'usage-chart' });

  // ---- settings and schedules ----
  const settingsBox = h('div', { testid: 'job-settings' });
  const schedBox = h('div', { testid: 'job-schedules' });

  root.dataset.job = name;
  root.append(
    h('div', { class: 'job-page', testid: 'job-page', dataset: { job: name } },
      head,
      section(t('job.output'), out.el),
      section(t('job.history'), h('div', { class: 'table-wrap' }, hist.table)),
      section(t('job.usage'), chartBox),
      h('div', { class: 'two' },
        section(t('job.settings'), settingsBox),
        section(t('job.schedules'), schedBox))));

  function showStatus(s) {
    status = s;
    const up = s && s.state === 'UP';
    badge.className = 'badge ' + (s && s.backoff > 0 ? 'backoff' : up ? 'up' : 'down');
    setText(badge, s && s.backoff > 0 ? t('state.backoff', { s: Math.ceil(s.backoff) }) : up ? t('state.up') : t('state.down'));
    badge.dataset.state = up ? 'UP' : 'DOWN';
    startBtn.hidden = up;
    stopBtn.hidden = !up;
    restartBtn.hidden = !up;
    setText(facts.pid, (s && s.pid) || '-');
    tickUptime();
    setText(facts.mem, up ? fmtKB(s.mem) : '-');
    setText(facts.cpu, up ? fmtPct(s.cpu) : '-');
    setText(facts.restarts, s ? (s.restarts || 0) + (s.reason ? ' · ' + s.reason : '') : '-');
    setText(facts.exit, s ? exitText(s.last_exit) + (s.last_exit && s.last_exit.at ? ' @ ' + fmtTime(s.last_exit.at) : '') : '-');
  }
  function tickUptime() { const u = uptimeOf(status); setText(facts.uptime, u === null ? '-' : fmtDuration(u)); }

  function showHistory(list) {
    if (!Array.isArray(list) || !list.length) { emptyRow(hist.tbody, 5, t('hist.none')); return; }
    // The table is drawn again at every change of the job: a run whose lines
    // were opened stays open (a crash loop redraws it every few seconds).
    const opened = new Set([...hist.tbody.querySelectorAll('tr.history-row details[open]')]
      .map((d) => d.closest('tr').dataset.run));
    const frag = document.createDocumentFragment();
    // Newest first, whatever order the reply has.
    const sorted = list.map((x, i) => [x, i]).sort((a, b) => ((b[0].started || 0) - (a[0].started || 0)) || (a[1] - b[1])).map((p) => p[0]);
    for (const x of sorted) {
      const lines = Array.isArray(x.output) ? x.output : [];
      const ex = x.signal ? String(x.signal) : x.code !== null && x.code !== undefined ? t('jobs.exitCode', { code: x.code }) : '-';
      const run = `${x.started || 0}-${x.exited || 0}`;
      frag.appendChild(h('tr', { class: 'history-row', dataset: { run } },
        h('td', { text: x.reason || '-' }),
        h('td', { text: fmtTime(x.started) }),
        h('td', { text: x.exited ? fmtTime(x.exited) : '-' }),
        h('td', { text: ex }),
        h('td', null, lines.length
          ? h('details', { open: opened.has(run) }, h('summary', { text: t('hist.lines', { n: lines.length }) }),
            h('pre', { class: 'small-pre', text: lines.map((l) => (typeof l === 'string' ? l : l && l.text !== undefined ? l.text : JSON.stringify(l))).join('\n') }))
          : '-')));
    }
    replace(hist.tbody, frag);
  }

  async function loadStatus() {
    const r = await api('STATUS', { jobname: name, detail: true }).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (r.code !== 'OK') { showError(new ApiError(r.code, r.error || r.code)); return; }
    if (r.data && typeof r.data === 'object') {
      const { history, ...s } = r.data;
      showStatus(s);
      showHistory(history);
    } else {
      showStatus({ state: r.data });
    }
  }
  let statusTimer = 0;
  const loadStatusSoon = () => { clearTimeout(statusTimer); statusTimer = setTimeout(loadStatus, 500); };

  async function loadUsage() {
    const r = await api('USAGE', { jobname: name }).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (chart) { chart.destroy(); chart = null; }
    replace(chartBox);
    if (r.code === 'OK' && r.data) chart = usageChart(chartBox, r.data);
    else if (r.code === 'UNKNOWN') chartBox.appendChild(h('p', { class: 'muted', text: t('job.noUsage') }));
    else showError(new ApiError(r.code, r.error || r.code));
  }

  async function loadSettings() {
    const s = await guard(() => call('GET', { jobname: name }));
    if (!s || destroyed) return;
    const dl = h('dl', { class: 'kv' });
    for (const k of Object.keys(s).sort()) {
      let v = s[k];
      if (k === 'env') v = envText(v);
      else if (typeof v === 'object' && v !== null) v = JSON.stringify(v);
      else if (typeof v === 'boolean') v = v ? t('yes') : t('no');
      dl.append(h('dt', { text: k }), h('dd', { class: k === 'env' ? 'pre' : '', text: String(v) }));
    }
    replace(settingsBox, dl);
  }

  async function loadSchedules() {
    const r = await api('SCHEDULER.GETALL', {}).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (r.code === 'UNKNOWN') { replace(schedBox, h('p', { class: 'muted', text: t('sched.off') })); return; }
    if (r.code !== 'OK') { showError(new ApiError(r.code, r.error || r.code)); return; }
    const mine = (r.data && r.data[name]) || {};
    const ul = h('ul', { class: 'plain' });
    for (const uuid of Object.keys(mine)) {
      const s = mine[uuid] || {};
      ul.appendChild(h('li', { dataset: { uuid } },
        h('span', { class: 'badge ' + (isTrue(s.enable) ? 'up' : 'down'), text: isTrue(s.enable) ? t('sched.on') : t('sched.offOne') }), ' ',
        h('code', { text: condText(s.condition) })));
    }
    replace(schedBox, Object.keys(mine).length ? ul : h('p', { class: 'muted', text: t('sched.noneForJob') }),
      h('p', null, h('a', { href: '#/schedules?job=' + encodeURIComponent(name), text: t('sched.manage') })));
  }

  await Promise.all([loadStatus(), loadSettings()]);
  if (destroyed) return () => {};
  loadUsage();
  loadSchedules();

  let lastStarted = status && status.started, lastRestarts = status && status.restarts;
  const ev = openEvents({ job: name }, {
    mode: (m) => setText(mode, m === 'stream' ? t('live.stream') : t('live.poll')),
    jobs: (all) => { if (all && all[name]) showStatus(Object.assign({}, status, all[name])); },
    job: (d) => {
      if (!d || (d.name !== undefined && d.name !== name)) return;
      const { name: _n, history, ...s } = d;
      gone.hidden = true;
      showStatus(Object.assign({}, status, s));
      if (Array.isArray(history)) showHistory(history);
      else if (s.started !== lastStarted || s.restarts !== lastRestarts || s.state === 'DOWN') loadStatusSoon();
      lastStarted = s.started; lastRestarts = s.restarts;
    },
    gone: (d) => { if (!d || d.name === name) gone.hidden = false; },
    usage: (u) => {
      const x = u && u[name];
      if (x && status && status.state === 'UP') { setText(facts.mem, fmtKB(x.mem)); setText(facts.cpu, fmtPct(x.cpu)); }
    },
    lines: (d) => out.push(d),
  });
  const tick = setInterval(tickUptime, 1000);
  const slow = setInterval(loadUsage, 120000);

  return () => {
    destroyed = true;
    ev.close();
    clearInterval(tick);
    clearInterval(slow);
    clearTimeout(statusTimer);
    if (chart) chart.destroy();
  };
}
