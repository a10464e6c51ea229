// #/: jobs by state, restarts in the last hour, jobs in guarder backoff,
// memory of the jobs and of the server, the next scheduled runs.
import { h, setText, replace, fmtKB, fmtTime, fmtDuration, jobHref, now } from '../dom.js';
import { t } from '../i18n.js';
import { api, showError, ApiError } from '../api.js';
import { openEvents } from '../events.js';

const RESTART_REASON = /crash|restart|guard|backoff|exit|died/i;

export default async function overviewPage(root) {
  let all = {}, destroyed = false;
  const stat = (testid, label) => {
    const v = h('div', { class: 'stat-v', testid });
    return [h('div', { class: 'stat' }, v, h('div', { class: 'stat-l', text: label })), v];
  };
  const [totalBox, total] = stat('ov-total', t('ov.total'));
  const [upBox, up] = stat('ov-up', t('ov.up'));
  const [downBox, down] = stat('ov-down', t('ov.down'));
  const [restartsBox, restarts] = stat('ov-restarts', t('ov.restarts'));
  const [memJobsBox, memJobs] = stat('ov-mem-jobs', t('ov.memJobs'));
  const [memServerBox, memServer] = stat('ov-mem-server', t('ov.memServer'));
  upBox.classList.add('good');
  downBox.classList.add('bad');
  const backoffList = h('ul', { class: 'plain', testid: 'ov-backoff' });
  const nextList = h('ul', { class: 'plain runs', testid: 'ov-nextruns' });
  const restartList = h('ul', { class: 'plain', testid: 'ov-restart-list' });

  root.append(
    h('section', { class: 'card' }, h('h1', { text: t('nav.overview') }),
      h('div', { class: 'stats' }, h('a', { href: '#/jobs', class: 'stat-link' }, totalBox), upBox, downBox, restartsBox, memJobsBox, memServerBox)),
    h('div', { class: 'two' },
      h('section', { class: 'card' }, h('h2', { text: t('ov.backoff') }), backoffList),
      h('section', { class: 'card' }, h('h2', { text: t('ov.nextRuns') }), nextList)),
    h('section', { class: 'card' }, h('h2', { text: t('ov.recentRestarts') }), restartList));

  function draw() {
    const names = Object.keys(all);
    let nup = 0, mem = 0;
    const backoff = [];
    for (const n of names) {
      const s = all[n] || {};
      if (s.state === 'UP') { nup++; mem += Number(s.mem) || 0; }
      if (s.backoff > 0) backoff.push([n, s]);
    }
    setText(total, names.length);
    setText(up, nup);
    setText(down, names.length - nup);
    setText(memJobs, fmtKB(mem));
    backoff.sort((a, b) => a[0].localeCompare(b[0]));
    if (!backoff.length) replace(backoffList, h('li', { class: 'muted', text: t('ov.noBackoff') }));
    else {
      replace(backoffList, backoff.slice(0, 50).map(([n, s]) => h('li', { dataset: { job: n } },
        h('a', { href: jobHref(n), text: n }), ' ',
        h('span', { class: 'muted', text: t('ov.retryIn', { s: Math.ceil(s.backoff), restarts: s.restarts || 0 }) }))));
      if (backoff.length > 50) backoffList.appendChild(h('li', { class: 'muted', text: t('ov.more', { n: backoff.length - 50 }) }));
    }
  }

  // Restarts in the last hour: the histories of the jobs that (re)started in it.
  let restartsBusy = false;
  async function countRestarts() {
    if (restartsBusy) return;
    restartsBusy = true;
    try {
      const since = now() - 3600;
      const cand = Object.keys(all).filter((n) => { const s = all[n] || {}; return (s.restarts > 0 && s.started >= since) || (s.last_exit && s.last_exit.at >= since); })
        .slice(0, 40);
      let count = 0;
      const recent = [];
      await Promise.all(cand.map(async (n) => {
        const r = await api('STATUS', { jobname: n, detail: true });
        if (r.code !== 'OK' || !r.data || !Array.isArray(r.data.history)) return;
        // The runs that ended, and the one running now: a run the guarder
        // began after a crash counts while it still runs.
        const runs = [...r.data.history];
        if (r.data.state === 'UP' && r.data.started) runs.push({ reason: r.data.reason, started: r.data.started, code: null, signal: null });
        for (const x of runs) {
          if (x.started >= since && x.reason && RESTART_REASON.test(String(x.reason))) { count++; recent.push([n, x]); }
        }
      }));
      if (destroyed) return;
      setText(restarts, count);
      recent.sort((a, b) => b[1].started - a[1].started);
      if (!recent.length) replace(restartList, h('li', { class: 'muted', text: t('ov.noRestarts') }));
      else replace(restartList, recent.slice(0, 20).map(([n, x]) => h('li', null,
        h('span', { class: 'muted', text: fmtTime(x.started) + ' ' }), h('a', { href: jobHref(n), text: n }),
        ' ' + String(x.reason) + (x.signal ? ' (' + x.signal + ')' : x.code !== null && x.code !== undefined ? ' (' + t('jobs.exitCode', { code: x.code }) + ')' : ''))));
    } catch (e) {
      showError(e);
    } finally {
      restartsBusy = false;
    }
  }

  async function loadServerMem() {
    const r = await api('SERVERMEM', {}).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (r.code === 'OK') setText(memServer, fmtKB(r.data));
    else { setText(memServer, '-'); showError(new ApiError(r.code, r.error || r.code)); }
  }

  async function loadNextRuns() {
    const r = await api('SCHEDULER.NEXTRUNS', { hours: 24 }).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (r.code === 'UNKNOWN') { replace(nextList, h('li', { class: 'muted', text: t('sched.off') })); return; }
    if (r.code !== 'OK') { showError(new ApiError(r.code, r.error || r.code)); return; }
    const runs = Array.isArray(r.data) ? r.data.slice(0, 10) : [];
    if (!runs.length) { replace(nextList, h('li', { class: 'muted', text: t('ov.noRuns') })); return; }
    replace(nextList, runs.map((x) => h('li', { dataset: { job: x.jobname, uuid: x.uuid } },
      h('span', { class: 'mono', text: fmtTime(x.at) }), ' ',
      h('a', { href: jobHref(x.jobname), text: x.jobname }), ' ',
      h('span', { class: 'muted', text: t('ov.inTime', { d: fmtDuration(x.at - now()) }) }))));
  }

  const first = await api('STATUSALL', { detail: true }).catch((e) => { showError(e); return null; });
  if (first && first.code === 'OK') { all = first.data || {}; draw(); countRestarts(); }
  else if (first) showError(new ApiError(first.code, first.error || first.code));
  loadServerMem();
  loadNextRuns();

  let drawTimer = 0;
  const drawSoon = () => { if (!drawTimer) drawTimer = setTimeout(() => { drawTimer = 0; draw(); }, 250); };
  const ev = openEvents({}, {
    jobs: (d) => { all = d || {}; drawSoon(); },
    job: (d) => {
      if (!d || !d.name) return;
      const { name, ...s } = d;
      const old = all[name];
      all[name] = Object.assign({}, old, s);
      drawSoon();
      if (old && s.restarts !== undefined && s.restarts !== old.restarts) countRestartsSoon();
    },
    gone: (d) => { if (d) { delete all[d.name]; drawSoon(); } },
    usage: (u) => { for (const n in u || {}) if (all[n]) all[n].mem = u[n].mem; drawSoon(); },
  });
  let restartTimer = 0;
  const countRestartsSoon = () => { clearTimeout(restartTimer); restartTimer = setTimeout(countRestarts, 2000); };
  const slow = setInterval(() => { loadServerMem(); loadNextRuns(); countRestarts(); }, 30000);
  const backoffTick = setInterval(() => {
    // backoff counts down between events
    let any = false;
    for (const n in all) if (all[n] && all[n].backoff > 0) { all[n].backoff = Math.max(0, all[n].backoff - 1); any = true; }
    if (any) draw();
  }, 1000);

  return () => {
    destroyed = true;
    ev.close();
    clearInterval(slow);
    clearInterval(backoffTick);
    clearTimeout(drawTimer);
    clearTimeout(restartTimer);
  };
}
