// #/users: the auth plugin's users and its switch.
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { api, call, guard, showError, toast, ApiError, session } from '../api.js';
import { modal, field, setError, markFields, confirmDialog, emptyRow } from '../ui.js';

export default async function usersPage(root) {
  let users = {}, destroyed = false;
  // Disabled until AUTH.GETENABLE answers: unchecked before then would say
  // "off" when nobody knows yet, and a click would send a guess.
  const enable = h('input', { type: 'checkbox', testid: 'auth-enable', id: 'auth-enable', disabled: true });
  const enableNote = h('span', { class: 'muted' });
  const tbody = h('tbody');
  const tbl = h('table', { class: 'grid', testid: 'users-table' },
    h('thead', null, h('tr', null, [t('users.username'), t('users.privileges'), t('users.extra'), ''].map((x) => h('th', { text: x })))), tbody);
  root.append(h('section', { class: 'card' },
    h('h1', { text: t('nav.users') }),
    h('div', { class: 'toolbar' },
      h('span', { class: 'check' }, enable, h('label', { for: 'auth-enable', text: t('users.enable') })), enableNote,
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'primary', testid: 'add-user', text: t('users.add'), onclick: () => openForm(null) })),
    h('p', { class: 'hint', text: t('users.hint') }),
    h('div', { class: 'table-wrap' }, tbl)));

  async function loadEnable() {
    const r = await api('AUTH.GETENABLE', {}).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (r.code !== 'OK') {
      enable.disabled = true;
      enableNote.textContent = r.code === 'UNKNOWN' ? t('users.pluginOff') : (r.error || r.code);
      if (r.code !== 'UNKNOWN') showError(new ApiError(r.code, r.error || r.code));
      return;
    }
    enable.disabled = false;
    enable.checked = r.data === true || r.data === 1 || r.data === '1' || r.data === 'true';
    enableNote.textContent = '';
  }

  async function loadUsers() {
    const r = await api('AUTH.GETALL', {}).catch((e) => { showError(e); return null; });
    if (!r || destroyed) return;
    if (r.code !== 'OK') {
      emptyRow(tbody, 4, r.error || r.code);
      if (r.code !== 'UNKNOWN') showError(new ApiError(r.code, r.error || r.code));
      return;
    }
    users = r.data && typeof r.data === 'object' ? r.data : {};
    const names = Object.keys(users).sort();
    if (!names.length) { emptyRow(tbody, 4, t('users.none')); return; }
    replace(tbody, names.map((u) => {
      const rec = users[u] || {};
      const extra = Object.keys(rec).filter((k) => k !== 'privileges' && k !== 'username' && k !== 'password')
        .map((k) => k + '=' + (typeof rec[k] === 'object' ? JSON.stringify(rec[k]) : rec[k])).join(', ');
      return h('tr', { dataset: { user: u } },
        h('td', null, h('span', { text: u }), u === session.user ? h('span', { class: 'muted', text: ' (' + t('users.you') + ')' }) : null),
        h('td', null, h('code', { text: rec.privileges === undefined ? '' : String(rec.privileges) })),
        h('td', { class: 'muted', text: extra }),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'small', dataset: { action: 'edit' }, text: t('edit') }),
          h('button', { type: 'button', class: 'small danger', dataset: { action: 'delete' }, text: t('delete') })));
    }));
  }

  enable.addEventListener('change', async () => {
    const want = enable.checked;
    if (want && !Object.keys(users).length && !(await confirmDialog(t('users.enableNoUsers'), t('ok')))) { enable.checked = false; return; }
    const ok = await guard(() => call('AUTH.SETENABLE', { enable: want }).then(() => true));
    if (ok) toast(want ? t('users.enabled') : t('users.disabled'), 'info');
    loadEnable();
  });

  tbody.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    const u = b.closest('tr').dataset.user;
    if (b.dataset.action === 'edit') openForm(u);
    else if (b.dataset.action === 'delete') {
      if (!(await confirmDialog(t('users.confirmDelete', { user: u }), t('delete')))) return;
      const ok = await guard(() => call('AUTH.DELETE', { username: u }).then(() => true));
      if (ok) { toast(t('users.deleted', { user: u }), 'info'); loadUsers(); }
    }
  });

  function openForm(name) {
    const rec = name ? users[name] || {} : {};
    const priv = rec.privileges === undefined ? '' : String(rec.privileges);
    const username = h('input', { name: 'username', testid: 'user-form-username', value: name || '', readOnly: !!name, required: true, autocomplete: 'off' });
    const password = h('input', { name: 'password', type: 'password', testid: 'user-form-password', autocomplete: 'new-password', placeholder: name ? t('users.keepPassword') : '' });
    const all = h('input', { type: 'radio', name: 'privileges-mode', value: 'all', testid: 'user-form-all', checked: priv === '*' || !name });
    const some = h('input', { type: 'radio', name: 'privileges-mode', value: 'list', testid: 'user-form-list', checked: !!name && priv !== '*' });
    const list = h('input', { name: 'privileges', testid: 'user-form-privileges', value: priv === '*' ? '' : priv, placeholder: 'STATUSALL,START,STOP,READ', autocomplete: 'off', spellcheck: 'false' });
    const sync = () => { list.disabled = all.checked; };
    all.addEventListener('change', sync);
    some.addEventListener('change', sync);
    sync();
    const err = h('p', { class: 'form-error', testid: 'user-form-error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: 'primary', testid: 'user-form-submit', text: name ? t('save') : t('users.add') });
    const form = h('form', { class: 'form', testid: 'user-form', novalidate: true },
      field(t('users.username'), username),
      field(t('users.password'), password),
      h('div', { class: 'radios' },
        h('label', null, all, ' ' + t('users.privAll')),
        h('label', null, some, ' ' + t('users.privList'))),
      field(t('users.privileges'), list, t('users.privHint')),
      err,
      h('div', { class: 'form-actions' }, h('button', { type: 'button', text: t('cancel'), onclick: () => m.close() }), submit));
    const m = modal(name ? t('users.editTitle', { user: name }) : t('users.addTitle'), form, 'user-form');
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      setError(err, '');
      const p = { username: username.value.trim() };
      if (password.value !== '' || !name) p.password = password.value;
      p.privileges = all.checked ? '*' : list.value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean).join(',');
      submit.disabled = true;
      try {
        const r = await api(name ? 'AUTH.UPDATE' : 'AUTH.ADD', p);
        if (r.code !== 'OK') { setError(err, r.error || r.code); markFields(form, r.error || '', ['username', 'password', 'privileges']); return; }
        toast(name ? t('users.saved', { user: p.username }) : t('users.added', { user: p.username }), 'info');
        m.close();
        loadUsers();
        loadEnable();
      } catch (ex) {
        setError(err, ex.message);
      } finally {
        submit.disabled = false;
      }
    });
  }

  await Promise.all([loadEnable(), loadUsers()]);
  return () => { destroyed = true; };
}
