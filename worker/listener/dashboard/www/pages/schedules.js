// #/schedules: the runs of the next 24 h, every schedule, each one's
// history, add / edit / delete, and "run now" (START of its job).
import { h, setText, replace, fmtTime, fmtClock, fmtDuration, jobHref, now } from '../dom.js';
import { t } from '../i18n.js';
import { api, call, guard, showError, toast, ApiError } from '../api.js';
import { modal, field, setError, markFields, confirmDialog, condText, isTrue, emptyRow } from '../ui.js';
import { jobAction } from './jobs.js';

const FIELDS = [
  ['Y', '2013..2099'], ['m', '01..12'], ['d', '01..31, @t'], ['W', '1..53'], ['N', '1..7'],
  ['z', '1..366'], ['H', '00..23'], ['i', '00..59'], ['U', '60, 300, ...'],
];

export default async function schedulesPage(root, route) {
  let all = {}, jobs = [], destroyed = false;
  let jobFilter = route.query.get('job') || '';

  const runsBox = h('div', { class: 'timeline', testid: 'nextruns' });
  const filterSel = h('select', { testid: 'schedule-job-filter', 'aria-label': t('sched.filterJob') });
  const tbody = h('tbody');
  const tbl = h('table', { class: 'grid', testid: 'schedules-table' },
    h('thead', null, h('tr', null, [t('sched.job'), t('sched.enabled'), t('sched.condition'), t('sched.nextRun'), 'UUID', ''].map((x) => h('th', { text: x })))),
    tbody);
  const histBox = h('div', { class: 'card', testid: 'schedule-history', hidden: true });

  root.append(
    h('section', { class: 'card' }, h('h1', { text: t('nav.schedules') }),
      h('h2', { text: t('sched.next24') }), runsBox),
    h('section', { class: 'card' },
      h('div', { class: 'toolbar' },
        h('h2', { text: t('sched.all') }), filterSel, h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'primary', testid: 'add-schedule', text: t('sched.add'), onclick: () => openForm(null, null) })),
      h('div', { class: 'table-wrap' }, tbl)),
    histBox);

  let nextByUuid = {};

  async function loadRuns() {
    const r = await api('SCHEDULER.NEXTRUNS', { hours: 24 }).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (r.code !== 'OK') { replace(runsBox, h('p', { class: 'muted', text: r.code === 'UNKNOWN' ? t('sched.off') : (r.error || r.code) })); if (r.code !== 'UNKNOWN') showError(new ApiError(r.code, r.error || r.code)); return; }
    const runs = Array.isArray(r.data) ? r.data : [];
    nextByUuid = {};
    for (const x of runs) if (x && x.uuid && !(x.uuid in nextByUuid)) nextByUuid[x.uuid] = x.at;
    if (!runs.length) { replace(runsBox, h('p', { class: 'muted', text: t('ov.noRuns') })); drawTable(); return; }
    // Grouped by hour; at most 300 shown.
    const groups = new Map();
    for (const x of runs.slice(0, 300)) {
      const d = new Date(x.at * 1000);
      const key = fmtTime(x.at).slice(0, 13) + ':00';
      if (!groups.has(key)) groups.set(key, { d, items: [] });
      groups.get(key).items.push(x);
    }
    const frag = document.createDocumentFragment();
    for (const [key, g] of groups) {
      frag.appendChild(h('div', { class: 'tl-hour' },
        h('div', { class: 'tl-label mono', text: key }),
        h('ul', { class: 'tl-items' }, g.items.map((x) => h('li', { dataset: { job: x.jobname, uuid: x.uuid } },
          h('span', { class: 'mono', text: fmtClock(x.at) }), ' ',
          h('a', { href: jobHref(x.jobname), text: x.jobname }))))));
    }
    if (runs.length > 300) frag.appendChild(h('p', { class: 'muted', text: t('ov.more', { n: runs.length - 300 }) }));
    frag.appendChild(h('p', { class: 'muted', text: t('sched.runsTotal', { n: runs.length }) }));
    replace(runsBox, frag);
    drawTable();
  }

  async function loadAll() {
    const [r, g] = await Promise.all([
      api('SCHEDULER.GETALL', {}).catch((e) => { showError(e); return null; }),
      api('GETALL', {}).catch((e) => { showError(e); return null; }),
    ]);
    if (destroyed) return;
    if (g && g.code === 'OK') jobs = Object.keys(g.data || {}).sort();
    else if (g) showError(new ApiError(g.code, g.error || g.code));
    if (r && r.code === 'OK') all = r.data || {};
    else if (r) { all = {}; if (r.code !== 'UNKNOWN') showError(new ApiError(r.code, r.error || r.code)); }
    const names = [...new Set([...jobs, ...Object.keys(all)])].sort();
    replace(filterSel, h('option', { value: '', text: t('sched.allJobs') }),
      names.map((n) => h('option', { value: n, selected: n === jobFilter, text: n })));
    drawTable();
  }

  function drawTable() {
    const frag = document.createDocumentFragment();
    let n = 0;
    for (const job of Object.keys(all).sort()) {
      if (jobFilter && job !== jobFilter) continue;
      const list = all[job] || {};
      for (const uuid of Object.keys(list)) {
        const s = list[uuid] || {};
        const on = isTrue(s.enable);
        const at = nextByUuid[uuid];
        n++;
        frag.appendChild(h('tr', { dataset: { job, uuid } },
          h('td', null, h('a', { href: jobHref(job), text: job })),
          h('td', null, h('span', { class: 'badge ' + (on ? 'up' : 'down'), text: on ? t('sched.on') : t('sched.offOne') })),
          h('td', null, h('code', { text: condText(s.condition) })),
          h('td', { class: 'mono', text: at ? fmtTime(at) : '-' }),
          h('td', { class: 'mono muted small', text: uuid }),
          h('td', { class: 'actions' },
            h('button', { type: 'button', class: 'small', dataset: { action: 'history' }, text: t('sched.history') }),
            h('button', { type: 'button', class: 'small', dataset: { action: 'run' }, text: t('sched.runNow') }),
            h('button', { type: 'button', class: 'small', dataset: { action: 'edit' }, text: t('edit') }),
            h('button', { type: 'button', class: 'small danger', dataset: { action: 'delete' }, text: t('delete') }))));
      }
    }
    if (!n) emptyRow(tbody, 6, t('sched.none'));
    else replace(tbody, frag);
  }

  tbody.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    const tr = b.closest('tr');
    const job = tr.dataset.job, uuid = tr.dataset.uuid;
    const a = b.dataset.action;
    if (a === 'run') { b.disabled = true; await guard(() => jobAction('START', [job])); b.disabled = false; }
    else if (a === 'edit') openForm(job, uuid);
    else if (a === 'delete') {
      if (!(await confirmDialog(t('sched.confirmDelete', { job, cond: condText(((all[job] || {})[uuid] || {}).condition) }), t('delete')))) return;
      const ok = await guard(() => call('SCHEDULER.DELETE', { jobname: job, uuid }).then(() => true));
      if (ok) { toast(t('sched.deleted'), 'info'); loadAll(); loadRuns(); }
    } else if (a === 'history') showHistory(job, uuid);
  });

  filterSel.addEventListener('change', () => { jobFilter = filterSel.value; drawTable(); });

  async function showHistory(job, uuid) {
    const d = await guard(() => call('SCHEDULER.GETLOG', { jobname: job, uuid }));
    if (d === undefined || destroyed) return;
    const list = Array.isArray(d) ? d : [];
    histBox.hidden = false;
    replace(histBox,
      h('div', { class: 'title-row' },
        h('h2', { text: t('sched.historyOf', { job, cond: condText(((all[job] || {})[uuid] || {}).condition) }) }),
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'icon', 'aria-label': t('close'), text: '×', onclick: () => { histBox.hidden = true; } })),
      list.length
        ? h('ol', { class: 'plain mono' }, list.map((at) => h('li', { text: fmtTime(at) + '  (' + t('sched.ago', { d: fmtDuration(now() - at) }) + ')' })))
        : h('p', { class: 'muted', text: t('sched.noHistory') }));
    histBox.scrollIntoView({ block: 'nearest' });
  }

  function openForm(job, uuid) {
    const cur = job && uuid ? ((all[job] || {})[uuid] || {}) : { enable: true, condition: {} };
    const cond = cur.condition && typeof cur.condition === 'object' ? cur.condition : {};
    const isCron = typeof cond.cron === 'string';
    const jobSel = h('select', { name: 'jobname', testid: 'schedule-form-jobname', disabled: !!uuid, required: true },
      (job && !jobs.includes(job) ? [job, ...jobs] : jobs).map((n) => h('option', { value: n, selected: n === (job || jobFilter), text: n })));
    const enable = h('input', { type: 'checkbox', name: 'enable', testid: 'schedule-form-enable', checked: isTrue(cur.enable) });
    const modeCron = h('input', { type: 'radio', name: 'mode', value: 'cron', testid: 'schedule-form-mode-cron', checked: isCron || !uuid });
    const modeFields = h('input', { type: 'radio', name: 'mode', value: 'fields', testid: 'schedule-form-mode-fields', checked: !isCron && !!uuid });
    const cron = h('input', { name: 'cron', testid: 'schedule-form-cron', value: isCron ? cond.cron : '', placeholder: '*/5 * * * *', autocomplete: 'off', spellcheck: 'false' });
    const inputs = {};
    const grid = h('div', { class: 'cond-grid' }, FIELDS.map(([k, hint]) => {
      inputs[k] = h('input', { name: k, testid: 'schedule-form-' + k, value: !isCron && k in cond ? String(cond[k]) : '', placeholder: hint, autocomplete: 'off', size: 6 });
      return field(k + ' · ' + t('cond.' + k), inputs[k]);
    }));
    const cronBox = h('div', null, field(t('sched.cron'), cron, t('sched.cronHint')));
    const syncMode = () => { cronBox.hidden = !modeCron.checked; grid.hidden = modeCron.checked; };
    modeCron.addEventListener('change', syncMode);
    modeFields.addEventListener('change', syncMode);
    const err = h('p', { class: 'form-error', testid: 'schedule-form-error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: 'primary', testid: 'schedule-form-submit', text: uuid ? t('save') : t('sched.add') });
    const form = h('form', { class: 'form', testid: 'schedule-form', novalidate: true },
      field(t('sched.job'), jobSel),
      field(t('sched.enabled'), enable),
      h('div', { class: 'radios' },
        h('label', null, modeCron, ' ' + t('sched.modeCron')),
        h('label', null, modeFields, ' ' + t('sched.modeFields'))),
      cronBox, grid,
      h('p', { class: 'hint', text: t('sched.fieldsHint') }),
      err,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', text: t('cancel'), onclick: () => m.close() }), submit));
    syncMode();
    const m = modal(uuid ? t('sched.editTitle') : t('sched.addTitle'), form, 'schedule-form');

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      setError(err, '');
      markFields(form, '', ['cron', ...FIELDS.map((f) => f[0])]);
      let condition;
      if (modeCron.checked) condition = { cron: cron.value.trim() };
      else {
        condition = {};
        for (const [k] of FIELDS) { const v = inputs[k].value.trim(); if (v !== '') condition[k] = v; }
      }
      const p = { jobname: jobSel.value, enable: enable.checked, condition };
      if (uuid) p.uuid = uuid;
      submit.disabled = true;
      try {
        const r = await api(uuid ? 'SCHEDULER.UPDATE' : 'SCHEDULER.ADD', p);
        if (r.code !== 'OK') {
          setError(err, r.error || r.code);
          markFields(form, r.error || '', ['cron', ...FIELDS.map((f) => f[0])]);
          return;
        }
        toast(uuid ? t('sched.saved') : t('sched.added'), 'info');
        m.close();
        loadAll();
        loadRuns();
      } catch (ex) {
        setError(err, ex.message);
      } finally {
        submit.disabled = false;
      }
    });
  }

  await loadAll();
  loadRuns();
  const slow = setInterval(loadRuns, 60000);
  return () => { destroyed = true; clearInterval(slow); };
}
