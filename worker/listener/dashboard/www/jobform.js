// The Add job / Edit job form, in a modal. The server's own error sentence
// is shown beside it (job-form-error) and the field it names is marked.
import { h } from './dom.js';
import { t } from './i18n.js';
import { api, call, toast } from './api.js';
import { modal, field, markFields, setError } from './ui.js';

const FIELDS = ['jobname', 'command', 'params', 'buffersize', 'writelog', 'autostart', 'guard',
  'cwd', 'env', 'user', 'stopsignal', 'stoptimeout', 'interpreter'];

// KEY=VALUE lines → {KEY: VALUE}; returns [object, error].
export function parseEnv(text) {
  const env = {};
  const lines = String(text || '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return [null, t('jobform.envLine', { n: i + 1 })];
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return [env, null];
}

export function envText(env) {
  if (!env || typeof env !== 'object') return '';
  return Object.keys(env).map((k) => k + '=' + env[k]).join('\n');
}

// Opens the form; `name` null adds a job. Resolves to the job's name after a
// successful save, or null when cancelled.
export async function openJobForm(name) {
  let settings = {};
  if (name) settings = (await call('GET', { jobname: name })) || {};
  return new Promise((resolve) => {
    const input = (n, attrs) => h('input', Object.assign({ name: n, testid: 'job-form-' + n }, attrs || {}));
    const bool = (v) => v === true || v === 1 || v === '1' || v === 'true';
    const str = (v) => (v === undefined || v === null ? '' : String(v));
    const f = {
      jobname: input('jobname', { value: name || '', required: true, readOnly: !!name, pattern: '[A-Za-z0-9_.@\\-]{1,64}', autocomplete: 'off', spellcheck: 'false' }),
      command: input('command', { value: str(settings.command), required: true, autocomplete: 'off', spellcheck: 'false', placeholder: '/usr/bin/php' }),
      params: input('params', { value: str(settings.params), autocomplete: 'off', spellcheck: 'false' }),
      buffersize: input('buffersize', { type: 'number', min: 1, max: 10000, value: str(settings.buffersize === undefined ? (name ? '' : 20) : settings.buffersize) }),
      writelog: input('writelog', { type: 'checkbox', checked: bool(settings.writelog) }),
      autostart: input('autostart', { type: 'checkbox', checked: bool(settings.autostart) }),
      guard: input('guard', { type: 'checkbox', checked: bool(settings.guard) }),
      cwd: input('cwd', { value: str(settings.cwd), autocomplete: 'off', spellcheck: 'false' }),
      env: h('textarea', { name: 'env', testid: 'job-form-env', rows: 3, spellcheck: 'false', placeholder: 'KEY=VALUE', value: envText(settings.env) }),
      user: input('user', { value: str(settings.user), autocomplete: 'off' }),
      stopsignal: input('stopsignal', { value: str(settings.stopsignal), placeholder: 'TERM', autocomplete: 'off' }),
      stoptimeout: input('stoptimeout', { type: 'number', min: 0, value: str(settings.stoptimeout), placeholder: '10' }),
    };
    const err = h('p', { class: 'form-error', testid: 'job-form-error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: 'primary', testid: 'job-form-submit', text: name ? t('save') : t('jobs.add') });
    const form = h('form', { class: 'form', testid: 'job-form', novalidate: true },
      h('div', { class: 'form-grid' },
        field(t('jobform.jobname'), f.jobname),
        field(t('jobform.command'), f.command, t('jobform.commandHint')),
        field(t('jobform.params'), f.params, t('jobform.paramsHint')),
        field(t('jobform.buffersize'), f.buffersize),
        field(t('jobform.cwd'), f.cwd),
        field(t('jobform.user'), f.user),
        field(t('jobform.stopsignal'), f.stopsignal),
        field(t('jobform.stoptimeout'), f.stoptimeout),
        h('div', { class: 'checks' },
          field(t('jobform.writelog'), f.writelog),
          field(t('jobform.autostart'), f.autostart),
          field(t('jobform.guard'), f.guard)),
        h('div', { class: 'wide' }, field(t('jobform.env'), f.env, t('jobform.envHint')))),
      err,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', testid: 'job-form-cancel', text: t('cancel'), onclick: () => { m.close(); resolve(null); } }),
        submit));
    const m = modal(name ? t('jobform.editTitle', { name }) : t('jobform.addTitle'), form, 'job-form');
    m.dialog.addEventListener('close', () => resolve(null));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      setError(err, '');
      markFields(form, '', FIELDS);
      const jobname = f.jobname.value.trim();
      const p = { jobname };
      if (!name) {
        p.command = f.command.value;
      } else if (f.command.value !== str(settings.command)) {
        p.command = f.command.value;
      }
      if (!name || f.params.value !== str(settings.params)) p.params = f.params.value;
      const num = (el, key) => {
        const v = el.value.trim();
        if (v === '') return;
        if (!/^\d+$/.test(v)) { p[key] = v; return; } // the server says what is wrong
        p[key] = Number(v);
      };
      num(f.buffersize, 'buffersize');
      num(f.stoptimeout, 'stoptimeout');
      p.writelog = f.writelog.checked;
      p.autostart = f.autostart.checked;
      p.guard = f.guard.checked;
      for (const k of ['cwd', 'user', 'stopsignal']) {
        const v = f[k].value.trim();
        if (v !== '' || (name && str(settings[k]) !== '')) p[k] = v;
      }
      const [env, envErr] = parseEnv(f.env.value);
      if (envErr) { setError(err, envErr); f.env.classList.add('invalid'); return; }
      if (Object.keys(env).length || (name && settings.env && Object.keys(settings.env).length)) p.env = env;
      submit.disabled = true;
      try {
        const r = await api(name ? 'UPDATE' : 'ADD', p);
        if (r.code !== 'OK') {
          const msg = r.error || r.code;
          setError(err, msg);
          markFields(form, msg, FIELDS);
          return;
        }
        if (r.error) toast(r.error, 'warn');
        toast(name ? t('jobform.saved', { name: jobname }) : t('jobform.added', { name: jobname }), 'info');
        m.close();
        resolve(jobname);
      } catch (ex) {
        setError(err, ex.message);
      } finally {
        submit.disabled = false;
      }
    });
  });
}
