// #/logs: a job (or the server), its day folders, their files, a file's text.
import { h, setText, replace } from '../dom.js';
import { t } from '../i18n.js';
import { api, call, guard, showError, ApiError } from '../api.js';
import { names } from '../output.js';

const SERVER = '__server__';
const CHUNK = 1024 * 1024;

export default async function logsPage(root, route) {
  let destroyed = false;
  const jobSel = h('select', { testid: 'log-job', 'aria-label': t('logs.job') });
  const dirs = h('ul', { class: 'pick', testid: 'log-dirs' });
  const files = h('ul', { class: 'pick', testid: 'log-files' });
  const title = h('h2', { class: 'mono', testid: 'log-file-name', text: t('logs.pickFile') });
  const warn = h('p', { class: 'banner warn', testid: 'log-warning', hidden: true });
  const content = h('pre', { class: 'file', testid: 'log-file-content' });
  const more = h('button', { type: 'button', testid: 'log-more', hidden: true, text: t('logs.more') });
  const download = h('button', { type: 'button', testid: 'log-download', hidden: true, text: t('out.download') });

  root.append(h('section', { class: 'card' },
    h('div', { class: 'toolbar' }, h('h1', { text: t('nav.logs') }), field(jobSel)),
    h('div', { class: 'logs' },
      h('div', { class: 'col' }, h('h2', { text: t('logs.days') }), dirs),
      h('div', { class: 'col' }, h('h2', { text: t('logs.files') }), files),
      h('div', { class: 'col wide' }, h('div', { class: 'title-row' }, title, h('span', { class: 'spacer' }), download), warn, content, more))));

  function field(sel) { return h('label', { class: 'inline' }, t('logs.job') + ' ', sel); }

  const isServer = () => jobSel.value === SERVER;
  const cmd = (verb) => 'LOGEXPLORER.' + (isServer() ? 'SERVER' + verb : verb);
  const base = () => (isServer() ? {} : { jobname: jobSel.value });

  function pickList(ul, items, attr, onPick, empty) {
    if (!items.length) { replace(ul, h('li', { class: 'muted', text: empty })); return; }
    replace(ul, items.map((x) => h('li', null, h('button', {
      type: 'button', class: 'linkish', dataset: { [attr]: x }, text: x,
      onclick: (e) => {
        ul.querySelectorAll('.active').forEach((b) => b.classList.remove('active'));
        e.target.classList.add('active');
        onPick(x);
      },
    }))));
  }

  function resetFile() {
    setText(title, t('logs.pickFile'));
    content.textContent = '';
    warn.hidden = true;
    more.hidden = true;
    download.hidden = true;
  }

  async function loadDirs() {
    replace(files);
    resetFile();
    if (!jobSel.value) { replace(dirs); return; }
    const d = await guard(() => call(cmd('LISTDIR'), base()));
    if (destroyed) return;
    pickList(dirs, names(d), 'dir', loadFiles, t('logs.noDirs'));
  }

  async function loadFiles(dir) {
    resetFile();
    const d = await guard(() => call(cmd('LISTFILE'), Object.assign(base(), { dirname: dir })));
    if (destroyed) return;
    pickList(files, names(d), 'file', (f) => loadFile(dir, f, 0), t('logs.noFiles'));
  }

  let current = null;
  async function loadFile(dir, file, offset) {
    if (!offset) { resetFile(); setText(title, dir + '/' + file); }
    const p = Object.assign(base(), { dirname: dir, filename: file, offset, length: CHUNK });
    let r;
    try { r = await api(cmd('GET'), p); } catch (e) { showError(e); return; }
    if (destroyed) return;
    if (r.code !== 'OK') { showError(new ApiError(r.code, r.error || r.code)); return; }
    const text = typeof r.data === 'string' ? r.data : JSON.stringify(r.data);
    if (r.error) { warn.textContent = r.error; warn.hidden = false; } else warn.hidden = true;
    content.appendChild(document.createTextNode(text));
    const bytes = new TextEncoder().encode(text).length;
    current = { dir, file, offset: offset + bytes };
    more.hidden = bytes < CHUNK;
    download.hidden = false;
  }
  more.addEventListener('click', () => { if (current) loadFile(current.dir, current.file, current.offset); });
  download.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([content.textContent], { type: 'text/plain;charset=utf-8' }));
    const a = h('a', { href: url, download: (isServer() ? 'server' : jobSel.value) + '-' + (current ? current.file : 'log.txt') });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });

  jobSel.addEventListener('change', loadDirs);

  const all = await guard(() => call('GETALL', {}));
  if (destroyed) return () => {};
  const jobNames = Object.keys(all || {}).sort();
  const want = route.query.get('job') || '';
  replace(jobSel,
    h('option', { value: '', text: t('logs.pickJob') }),
    h('option', { value: SERVER, text: t('logs.server'), selected: want === SERVER || want === 'server' }),
    jobNames.map((n) => h('option', { value: n, text: n, selected: n === want })));
  if (jobSel.value) loadDirs();
  else replace(dirs, h('li', { class: 'muted', text: t('logs.pickJobFirst') }));
  return () => { destroyed = true; };
}
