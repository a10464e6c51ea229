// Shared widgets: modal dialogs, the confirm dialog, form fields, tables.
import { h, clear } from './dom.js';
import { t } from './i18n.js';

// Opens a modal <dialog> holding `content`; returns {dialog, close()}.
export function modal(title, content, testid) {
  const dlg = h('dialog', { class: 'modal', testid: testid ? testid + '-dialog' : 'modal' },
    h('div', { class: 'modal-head' },
      h('h2', { text: title }),
      h('button', { type: 'button', class: 'icon', 'aria-label': t('close'), text: '×', onclick: () => close() })),
    content);
  const close = () => { if (dlg.open) dlg.close(); dlg.remove(); };
  dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  document.body.appendChild(dlg);
  dlg.showModal();
  const first = dlg.querySelector('input:not([readonly]):not([type=hidden]), select, textarea');
  if (first) first.focus();
  return { dialog: dlg, close };
}

// Asks a yes/no question in a modal; resolves true on OK.
export function confirmDialog(text, okLabel) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => { if (done) return; done = true; m.close(); resolve(v); };
    const body = h('div', { class: 'modal-body' },
      h('p', { class: 'confirm-text', testid: 'confirm-text', text }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', testid: 'confirm-cancel', text: t('cancel'), onclick: () => finish(false) }),
        h('button', { type: 'button', class: 'danger', testid: 'confirm-ok', text: okLabel || t('ok'), onclick: () => finish(true) })));
    const m = modal(t('confirm.title'), body, 'confirm');
    m.dialog.addEventListener('close', () => finish(false));
    body.querySelector('[data-testid=confirm-ok]').focus();
  });
}

let fieldSeq = 0;

// A labelled field: field(t('x'), input, hint?) → <label class=field>
export function field(label, control, hint) {
  const id = control.id || (control.id = 'f' + (++fieldSeq));
  return h('div', { class: 'field' + (control.type === 'checkbox' ? ' check' : '') },
    control.type === 'checkbox' ? [control, h('label', { for: id, text: label })]
      : [h('label', { for: id, text: label }), control],
    hint ? h('small', { class: 'hint', text: hint }) : null);
}

// Marks the fields whose name the server's error sentence mentions.
export function markFields(form, error, names) {
  form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
  if (!error) return;
  const low = error.toLowerCase();
  for (const n of names) {
    // One-letter names (schedule fields) only as written, in quotes or alone.
    const hit = n.length === 1
      ? new RegExp('(^|["\'\\s(])' + n + '(["\'\\s):=]|$)').test(error)
      : new RegExp('(^|[^a-z_])' + n.toLowerCase() + '([^a-z_]|$)').test(low);
    if (hit) {
      const el = form.elements[n];
      if (el && el.classList) el.classList.add('invalid');
    }
  }
}

export function setError(el, msg) {
  el.textContent = msg || '';
  el.hidden = !msg;
}

// A <table> with a header row of labels.
export function table(testid, headers) {
  const tbody = h('tbody');
  const tbl = h('table', { class: 'grid', testid },
    h('thead', null, h('tr', null, headers.map((x) => h('th', { text: x })))), tbody);
  return { table: tbl, tbody };
}

export function emptyRow(tbody, cols, text) {
  clear(tbody);
  tbody.appendChild(h('tr', { class: 'empty' }, h('td', { colspan: cols, text })));
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', { text: title }), children);
}

export function badge(state) {
  const s = state === 'UP' ? 'UP' : 'DOWN';
  return h('span', { class: 'badge ' + s.toLowerCase(), text: s === 'UP' ? t('state.up') : t('state.down') });
}

const COND_KEYS = ['Y', 'm', 'd', 'W', 'N', 'z', 'H', 'i', 'U'];

// A schedule's condition as one line: "cron */5 * * * *" or "H=03 i=00".
export function condText(c) {
  if (!c || typeof c !== 'object') return c === undefined || c === null ? '' : String(c);
  if (typeof c.cron === 'string') return 'cron ' + c.cron;
  const keys = COND_KEYS.filter((k) => k in c).concat(Object.keys(c).filter((k) => !COND_KEYS.includes(k)));
  return keys.map((k) => k + '=' + (typeof c[k] === 'object' ? JSON.stringify(c[k]) : c[k])).join(' ');
}

export const isTrue = (v) => v === true || v === 1 || v === '1' || v === 'true';
