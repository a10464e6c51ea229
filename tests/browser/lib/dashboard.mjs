// Steps on the dashboard's pages through their test hooks (the data-testid
// list at the top of worker/listener/dashboard/www/app.js).
import { sleep } from './server.mjs';

export const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

// Opens #/ROUTE (a full load the first time, a hash change after) and waits
// until <main data-page=PAGE> is there.
export async function gotoRoute(page, route, pageName) {
  const url = `/#/${route}`;
  if (page.url().startsWith('http')) {
    await page.evaluate((h) => { location.hash = h; }, `#/${route}`);
  } else {
    await page.goto(url);
  }
  const name = pageName || route.split(/[/?]/)[0] || 'overview';
  await page.locator(`main[data-testid="page"][data-page="${name}"]`).waitFor();
}

// The login form: fills it, submits, and waits to leave #/login.
export async function loginWithForm(page, username, password) {
  await page.goto('/#/login');
  await tid(page, 'login-form').waitFor();
  await tid(page, 'login-user').fill(username);
  await tid(page, 'login-password').fill(password);
  await tid(page, 'login-submit').click();
  await page.locator('main[data-testid="page"]:not([data-page="login"])').waitFor();
}

// Clicks, then answers OK to the confirm dialog if the page asks one (some
// actions do, some do not).
export async function clickConfirming(page, locator, { wait = 700 } = {}) {
  await locator.click();
  const ok = tid(page, 'confirm-ok');
  try {
    await ok.waitFor({ state: 'visible', timeout: wait });
  } catch {
    return false;
  }
  await ok.click();
  return true;
}

// The text of the page as a user sees it, plus the values of its form
// controls (a param or env value may be shown in an input).
export function shownText(page) {
  return page.evaluate(() => {
    const values = [...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join('\n');
    return `${document.body.innerText}\n${values}`;
  });
}

// Waits until shownText holds every one of texts; returns it.
export async function waitShown(page, texts, { timeout = 5000 } = {}) {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    last = await shownText(page);
    if (texts.every((s) => last.includes(s))) return last;
    if (Date.now() >= deadline) {
      const missing = texts.filter((s) => !last.includes(s));
      throw new Error(`the page does not show ${JSON.stringify(missing)} after ${timeout} ms; it shows:\n${last.slice(0, 2000)}`);
    }
    await sleep(100);
  }
}

// Elements an injection would have made: <img src=x>, an <svg>/<img>/any
// element with an on* attribute, a <script> that is not one of the page's own
// module scripts from /ui/, an <iframe>, a <b>/<i> element made from a
// job's output. Returns their outerHTML (empty when clean).
export function injectedElements(page) {
  return page.evaluate(() => {
    const found = [];
    for (const el of document.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      const onAttr = [...el.attributes].some((a) => a.name.toLowerCase().startsWith('on'));
      const badImg = tag === 'img' && (el.getAttribute('src') === 'x' || el.getAttribute('src')?.startsWith('x/'));
      const badScript = tag === 'script' && !(el.getAttribute('src') || '').startsWith('/ui/');
      const marker = el.hasAttribute('data-injected') || tag === 'iframe' || tag === 'object' || tag === 'embed';
      if (onAttr || badImg || badScript || marker) found.push(el.outerHTML.slice(0, 200));
    }
    return found;
  });
}

// Toasts of a kind (error|warn|info) now shown.
export async function toastTexts(page, kind = 'error') {
  return page.locator(`[data-testid="toast"].${kind}`).allInnerTexts();
}

// Closes every toast now shown (with its close button, as a user would).
export async function dismissToasts(page) {
  const close = page.locator('[data-testid="toast"] .toast-close');
  for (let n = await close.count(); n > 0; n = await close.count()) {
    await close.first().click().catch(() => {});
  }
}

// The schedules page's form, opened for `job`: whether the page offers the
// jobs as a <select> or a text field. Returns the form's locator.
export async function openScheduleForm(page, job) {
  await gotoRoute(page, 'schedules');
  await tid(page, 'schedules-table').waitFor();
  await tid(page, 'add-schedule').click();
  const form = tid(page, 'schedule-form');
  await form.waitFor();
  const jobname = form.locator('[name="jobname"]');
  if ((await jobname.evaluate((e) => e.tagName)) === 'SELECT') await jobname.selectOption(job);
  else await jobname.fill(job);
  return form;
}
