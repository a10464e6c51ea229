// A live output view: lines from "lines" events ({lines:[{n,err,text}],
// next}), stderr marked, follow and pause, a search that puts matches in
// <mark> elements, older lines put in above, and a download of what is shown.
import { h, setText, highlight } from './dom.js';
import { t } from './i18n.js';
import { guard, toast } from './api.js';

const MAX_LIVE = 20000;

export function createOutput(opts) {
  const o = opts || {};
  const box = h('div', { class: 'output', testid: o.testid || 'output', role: 'log', tabindex: 0, 'aria-live': 'off' });
  const olderBox = h('div', { class: 'older-box' });
  const liveBox = h('div', { class: 'live-box' });
  box.append(olderBox, liveBox);

  let next = -1, paused = false, query = '', queued = [], liveCount = 0, hasLines = false;
  const follow = h('input', { type: 'checkbox', testid: 'follow', checked: true, id: (o.testid || 'output') + '-follow' });
  const pauseBtn = h('button', { type: 'button', testid: 'pause', 'aria-pressed': 'false', text: t('out.pause') });
  const search = h('input', { type: 'search', testid: 'search', placeholder: t('out.search'), 'aria-label': t('out.search'), autocomplete: 'off' });
  const searchCount = h('span', { class: 'muted', testid: 'search-count' });
  const olderBtn = o.loadOlder ? h('button', { type: 'button', testid: 'older-lines', text: t('out.older') }) : null;
  const downloadBtn = h('button', { type: 'button', testid: 'download', text: t('out.download') });
  const toolbar = h('div', { class: 'toolbar' },
    h('span', { class: 'check' }, follow, h('label', { for: follow.id, text: t('out.follow') })),
    pauseBtn, search, searchCount, h('span', { class: 'spacer' }), olderBtn, downloadBtn);

  function lineEl(text, err, n, cls) {
    const el = document.createElement('div');
    el.className = 'line' + (err ? ' err' : '') + (cls ? ' ' + cls : '');
    if (err) { el.dataset.stream = 'stderr'; el.title = t('out.stderr'); }
    if (n !== undefined && n !== null) el.dataset.n = n;
    el._t = text;
    if (query) highlight(el, text, query); else el.textContent = text;
    return el;
  }

  function sepEl(text) {
    const el = document.createElement('div');
    el.className = 'line sep';
    el.textContent = text;
    el._sep = true;
    return el;
  }

  function atBottom() { return box.scrollHeight - box.scrollTop - box.clientHeight < 8; }
  function scrollDown() { if (follow.checked) box.scrollTop = box.scrollHeight; }

  function render(d) {
    const frag = document.createDocumentFragment();
    if (d.replace) { liveBox.textContent = ''; liveCount = 0; next = -1; }
    const lines = Array.isArray(d.lines) ? d.lines : [];
    let restart = false;
    if (typeof d.next === 'number' && next >= 0 && d.next < next) restart = true; // the ring began anew
    for (let l of lines) {
      if (typeof l === 'string') l = { text: l, err: false };
      const n = typeof l.n === 'number' ? l.n : null;
      if (!restart && n !== null && next >= 0 && n < next) continue; // seen already
      if (n !== null && next >= 0 && n > next && hasLines && !restart) frag.appendChild(sepEl(t('out.gap', { n: n - next })));
      if (restart) { frag.appendChild(sepEl(t('out.restarted'))); restart = false; }
      frag.appendChild(lineEl(String(l.text === undefined ? '' : l.text), !!l.err, n));
      liveCount++;
      hasLines = true;
      if (n !== null) next = n + 1;
    }
    if (typeof d.next === 'number') next = d.next;
    liveBox.appendChild(frag);
    while (liveCount > MAX_LIVE && liveBox.firstChild) {
      if (!liveBox.firstChild._sep) liveCount--;
      liveBox.removeChild(liveBox.firstChild);
    }
    if (query) updateCount();
    scrollDown();
  }

  function push(d) {
    if (!d) return;
    if (paused) { queued.push(d); setText(pauseBtn, t('out.resumeN', { n: queued.reduce((a, q) => a + (q.lines ? q.lines.length : 0), 0) })); return; }
    render(d);
  }

  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.setAttribute('aria-pressed', String(paused));
    pauseBtn.classList.toggle('on', paused);
    if (!paused) { const q = queued; queued = []; q.forEach(render); }
    setText(pauseBtn, paused ? t('out.resume') : t('out.pause'));
  });

  box.addEventListener('scroll', () => {
    // Scrolling up stops following; back at the bottom follows again.
    const bottom = atBottom();
    if (!bottom && follow.checked && box._userScroll) follow.checked = false;
    else if (bottom && !follow.checked && box._userScroll) follow.checked = true;
  });
  box.addEventListener('wheel', () => { box._userScroll = true; }, { passive: true });
  box.addEventListener('keydown', () => { box._userScroll = true; });
  box.addEventListener('pointerdown', () => { box._userScroll = true; });
  follow.addEventListener('change', () => { box._userScroll = false; scrollDown(); });

  function allLines() { return box.querySelectorAll('.line:not(.sep)'); }

  function updateCount() {
    if (!query) { setText(searchCount, ''); return; }
    setText(searchCount, t('out.matches', { n: box.querySelectorAll('mark').length }));
  }

  let searchTimer = 0;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      query = search.value;
      for (const el of allLines()) {
        if (query) highlight(el, el._t, query);
        else if (el.firstChild !== el.lastChild || (el.firstChild && el.firstChild.nodeType !== 3)) el.textContent = el._t;
      }
      updateCount();
      const first = box.querySelector('mark');
      if (first && query) { follow.checked = false; first.scrollIntoView({ block: 'center' }); }
    }, 120);
  });

  if (olderBtn) {
    olderBtn.addEventListener('click', async () => {
      olderBtn.disabled = true;
      let more = true;
      await guard(async () => {
        const firstLive = liveBox.querySelector('.line:not(.sep)');
        const chunk = await o.loadOlder(firstLive ? firstLive._t : null);
        if (!chunk) { more = false; toast(t('out.noOlder'), 'info'); return; }
        const keepBottom = box.scrollHeight - box.scrollTop;
        const frag = document.createDocumentFragment();
        frag.appendChild(sepEl(chunk.label));
        for (const l of chunk.lines) frag.appendChild(lineEl(l.text, l.err, null, 'older'));
        olderBox.insertBefore(frag, olderBox.firstChild);
        box.scrollTop = box.scrollHeight - keepBottom;
        if (query) updateCount();
      });
      olderBtn.disabled = !more;
    });
  }

  downloadBtn.addEventListener('click', () => {
    const text = Array.from(allLines(), (el) => el._t).join('\n') + '\n';
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const a = h('a', { href: url, download: (o.filename || 'output') + '-' + stamp() + '.log' });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });

  return {
    toolbar, box, push,
    el: h('div', { class: 'output-wrap' }, toolbar, box),
    clear() { liveBox.textContent = ''; olderBox.textContent = ''; liveCount = 0; next = -1; hasLines = false; },
  };
}

function stamp() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return '' + d.getFullYear() + p(d.getMonth() + 1) + p(d.getDate()) + '-' + p(d.getHours()) + p(d.getMinutes()) + p(d.getSeconds());
}

// ---- older lines from the log files (LOGEXPLORER) ----

export function names(list) {
  if (!list) return [];
  if (!Array.isArray(list)) return typeof list === 'object' ? Object.keys(list) : [];
  return list.map((x) => (typeof x === 'string' ? x : x && (x.name || x.filename || x.dirname || ''))).filter(Boolean);
}

const STAMP = /^\[(\d\d-\d\d-\d\d \d\d:\d\d:\d\d)\]/;

// Merges stdout and stderr lines of one hour by their time prefix (stable).
export function mergeByTime(out, err) {
  const tag = (arr, e) => {
    let last = '';
    return arr.map((text) => { const m = STAMP.exec(text); if (m) last = m[1]; return { text, err: e, at: last }; });
  };
  const a = tag(out, false), b = tag(err, true), r = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].at <= b[j].at)) r.push(a[i++]); else r.push(b[j++]);
  }
  return r;
}

function splitLines(s) {
  if (typeof s !== 'string' || s === '') return [];
  const l = s.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

// A loader for createOutput's loadOlder: each call gives the next older hour
// of the job's log files, both streams merged, or null when none is left.
export function logLoader(call, jobname) {
  let dirs = null, di = 0, groups = [], gi = 0, dir = '', first = true;
  return async function older(firstShown) {
    if (dirs === null) dirs = names(await call('LOGEXPLORER.LISTDIR', { jobname }));
    for (;;) {
      while (gi >= groups.length) {
        if (di >= dirs.length) return null;
        dir = dirs[di++];
        const files = names(await call('LOGEXPLORER.LISTFILE', { jobname, dirname: dir }));
        const byHour = new Map();
        for (const f of files) {
          const err = /\.error\.log$/.test(f);
          const key = f.replace(/(\.error)?\.log$/, '');
          if (!byHour.has(key)) byHour.set(key, {});
          byHour.get(key)[err ? 'err' : 'out'] = f;
        }
        groups = [...byHour.entries()].sort((x, y) => (x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : 0));
        gi = 0;
      }
      const [key, g] = groups[gi++];
      const get = (filename) => (filename ? call('LOGEXPLORER.GET', { jobname, dirname: dir, filename }) : '');
      const [out, err] = await Promise.all([get(g.out), get(g.err)]);
      let lines = mergeByTime(splitLines(out), splitLines(err));
      if (first && firstShown) {
        // The newest hour ends with what the live view shows already.
        for (let i = lines.length - 1; i >= 0; i--) if (lines[i].text === firstShown) { lines = lines.slice(0, i); break; }
      }
      first = false;
      // An hour that held only what is shown already: on to the one before.
      if (lines.length) return { label: t('out.fromFile', { file: dir + '/' + key }), lines };
    }
  };
}
