// #/login: the login form; posts JSON to /ui/login, then goes to the page asked for.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { login, session, loadSession } from '../api.js';
import { setError } from '../ui.js';

export default async function loginPage(root, route, app) {
  let next = route.query.get('next') || '#/';
  if (!next.startsWith('#/') || next.startsWith('#/login')) next = '#/';

  if (session.loaded && !session.auth) {
    // No login needed here (auth is off).
    root.appendChild(h('section', { class: 'card narrow' },
      h('h1', { text: t('login.title') }), h('p', { text: t('login.notNeeded') }),
      h('p', null, h('a', { href: next, text: t('login.continue') }))));
    return null;
  }

  const user = h('input', { name: 'username', testid: 'login-user', autocomplete: 'username', required: true, id: 'login-user' });
  const pass = h('input', { name: 'password', type: 'password', testid: 'login-password', autocomplete: 'current-password', id: 'login-password' });
  const err = h('p', { class: 'form-error', testid: 'login-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'login-submit', text: t('login.submit') });
  const form = h('form', { class: 'card narrow login', testid: 'login-form', autocomplete: 'on' },
    h('h1', { text: t('login.title') }),
    h('div', { class: 'field' }, h('label', { for: 'login-user', text: t('login.user') }), user),
    h('div', { class: 'field' }, h('label', { for: 'login-password', text: t('login.password') }), pass),
    err,
    h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setError(err, '');
    submit.disabled = true;
    try {
      const msg = await login(user.value, pass.value);
      if (msg) { setError(err, msg); pass.select(); return; }
      try { await loadSession(); } catch (_) { /* keep what login gave */ }
      app.go(next);
    } catch (ex) {
      setError(err, t('err.network', { msg: ex.message }));
    } finally {
      submit.disabled = false;
    }
  });
  root.appendChild(form);
  user.focus();
  return null;
}
