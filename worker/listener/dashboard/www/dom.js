// Element helpers. Text goes in through textContent / createTextNode and
// attributes through setAttribute, never as markup: every name, line of
// output, param and user record the page shows may be hostile.

// h('div', {class: 'x', testid: 'y', onclick: fn}, child, 'text', [more])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el, attrs) {
  for (const k in attrs) {
    const v = attrs[k];
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'testid') el.dataset.testid = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected' ||
             k === 'hidden' || k === 'readOnly' || k === 'required') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// Sets a text only when it changed (keeps in-place updates cheap).
export function setText(el, s) {
  s = s === null || s === undefined ? '' : String(s);
  if (el.textContent !== s) el.textContent = s;
}

// Puts `text` into `el`, every case-insensitive match of `q` in a <mark>.
// Returns the number of matches.
export function highlight(el, text, q) {
  clear(el);
  if (!q) { el.textContent = text; return 0; }
  const lower = text.toLowerCase();
  const ql = q.toLowerCase();
  let at = 0, n = 0, i;
  while ((i = lower.indexOf(ql, at)) !== -1) {
    if (i > at) el.appendChild(document.createTextNode(text.slice(at, i)));
    const m = document.createElement('mark');
    m.textContent = text.slice(i, i + q.length);
    el.appendChild(m);
    at = i + q.length;
    n++;
  }
  if (at < text.length) el.appendChild(document.createTextNode(text.slice(at)));
  return n;
}

// ---- formatting ----

export function fmtKB(kb) {
  if (kb === null || kb === undefined || kb === '') return '-';
  kb = Number(kb);
  if (!isFinite(kb)) return '-';
  if (kb < 1024) return kb.toFixed(0) + ' KiB';
  if (kb < 1024 * 1024) return (kb / 1024).toFixed(1) + ' MiB';
  return (kb / 1024 / 1024).toFixed(2) + ' GiB';
}

export function fmtDuration(s) {
  if (s === null || s === undefined || !isFinite(s)) return '-';
  s = Math.max(0, Math.floor(s));
  const d = Math.floor(s / 86400), hh = Math.floor(s % 86400 / 3600);
  const m = Math.floor(s % 3600 / 60), sec = s % 60;
  if (d) return d + 'd ' + hh + 'h';
  if (hh) return hh + 'h ' + m + 'm';
  if (m) return m + 'm ' + sec + 's';
  return sec + 's';
}

const pad = (n) => String(n).padStart(2, '0');

export function fmtTime(unix) {
  if (unix === null || unix === undefined || unix === '') return '-';
  const d = new Date(Number(unix) * 1000);
  if (isNaN(d)) return '-';
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
    pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}

export function fmtClock(unix) {
  const d = new Date(Number(unix) * 1000);
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}

export function fmtPct(p) {
  if (p === null || p === undefined || !isFinite(p)) return '-';
  return Number(p).toFixed(p < 10 ? 1 : 0) + '%';
}

export const now = () => Date.now() / 1000;

// A job name as it goes into a hash route.
export const jobHref = (name) => '#/job/' + encodeURIComponent(name);
