// What a user does on the dashboard, in a real browser against a real
// server: log in, add a job through the form, start it and see its first
// line at once, stop and restart it and read why each run began, start and
// stop several at once, add a schedule, read a log file, add a user with
// fewer rights and see the server refuse that user a STOP.
// The README's screenshots are tour.test.mjs's, of a populated server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launch, openPage } from './lib/browser.mjs';
import { clickConfirming, dismissToasts, gotoRoute, loginWithForm, openScheduleForm, tid, toastTexts } from './lib/dashboard.mjs';
import { shJob, startServer, waitFor } from './lib/server.mjs';

const ADMIN = { username: 'admin', password: 'admin-pass-1234' };
const VIEWER = { username: 'viewer', password: 'viewer-pass-5678' };
const VIEWER_PRIVILEGES = 'STATUSALL,STATUS,READ,GETALL,GET,USAGE,USAGEALL,SCHEDULER.GETALL,SCHEDULER.NEXTRUNS';

// Chromium asks for /favicon.ico on its own; a 404 for it is no fault of the page.
const benign = (p) => p.kind === 'console' && /favicon\.ico/.test(p.text);

// The job page's state badge (data-state UP|DOWN) comes to `state`.
const jobState = (page, state) =>
  page.locator(`[data-testid="job-state"][data-state="${state}"]`).waitFor();

describe('dashboard flows', () => {
  let server, browser, admin;
  const as = { auth: ADMIN };
  const status = async (name) => (await server.ok('STATUS', { jobname: name, detail: true }, as));

  before(async () => {
    server = await startServer();
    await server.ok('AUTH.ADD', { ...ADMIN, privileges: '*' });
    await server.ok('AUTH.SETENABLE', { enable: true });
    // Auth is on from here: every call below carries the admin's credentials.
    const denied = await server.api('STATUSALL');
    assert.equal(denied.code, 'DENIED', 'auth is on: a call without credentials is refused');
    browser = await launch();
    admin = await openPage(browser, server.baseURL);
    admin.page.setDefaultTimeout(5000);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  test('the login form refuses a wrong password and lets the admin in', async () => {
    const { page } = admin;
    await page.goto('/');
    // With auth on and no session, every page sends us to the login form.
    await page.locator('main[data-testid="page"][data-page="login"]').waitFor();
    await tid(page, 'login-form').waitFor();

    await tid(page, 'login-user').fill(ADMIN.username);
    await tid(page, 'login-password').fill('wrong-password');
    await tid(page, 'login-submit').click();
    await tid(page, 'login-error').waitFor({ state: 'visible' });
    assert.notEqual((await tid(page, 'login-error').innerText()).trim(), '', 'a refused login says why');

    await tid(page, 'login-password').fill(ADMIN.password);
    await tid(page, 'login-submit').click();
    await page.locator('main[data-testid="page"][data-page="overview"]').waitFor();
    assert.equal((await tid(page, 'session-user').innerText()).trim(), ADMIN.username);
    await tid(page, 'ov-total').waitFor();
    admin.assertClean(benign);
  });

  test('a job added through the form is stored as typed', async () => {
    const { page } = admin;
    await gotoRoute(page, 'jobs');
    await tid(page, 'jobs-table').waitFor();
    await tid(page, 'add-job').click();
    const form = tid(page, 'job-form');
    await form.waitFor();
    const params = "-c 'echo first-line-hello; i=0; while :; do i=$((i+1)); echo tick $i; sleep 1; done'";
    await form.locator('[name="jobname"]').fill('hello');
    await form.locator('[name="command"]').fill('/bin/sh');
    await form.locator('[name="params"]').fill(params);
    await form.locator('[name="writelog"]').check();
    await form.locator('[name="stoptimeout"]').fill('3');
    await tid(page, 'job-form-submit').click();
    await form.waitFor({ state: 'detached' });

    const row = page.locator('[data-testid="jobs-table"] tr[data-job="hello"]');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-state'), 'DOWN');
    const stored = await server.ok('GET', { jobname: 'hello' }, as);
    assert.equal(stored.command, '/bin/sh');
    assert.equal(stored.params, params);
    assert.equal(stored.writelog, true);
    assert.equal(Number(stored.stoptimeout), 3);
    admin.assertClean(benign);
  });

  test('a bad job from the form shows the server\'s sentence and stores nothing', async () => {
    const { page } = admin;
    await gotoRoute(page, 'jobs');
    await tid(page, 'add-job').click();
    const form = tid(page, 'job-form');
    await form.waitFor();
    await form.locator('[name="jobname"]').fill('nocommand');
    await form.locator('[name="command"]').fill('/no/such/program');
    await tid(page, 'job-form-submit').click();
    // Either the server refuses the path at ADD (the error shown in the
    // form), or it takes it and START will refuse it: both must say why.
    const err = tid(page, 'job-form-error');
    const refused = await err.waitFor({ state: 'visible', timeout: 2000 }).then(() => true, () => false);
    if (refused) {
      assert.match(await err.innerText(), /\S/);
      await tid(page, 'job-form-cancel').click();
      assert.equal((await server.api('GET', { jobname: 'nocommand' }, as)).code, 'FAILED');
    } else {
      const row = page.locator('tr[data-job="nocommand"]');
      await row.waitFor();
      await row.locator('button[data-action="start"]').click();
      const toast = page.locator('[data-testid="toast"].error');
      await toast.first().waitFor();
      assert.match(await toast.first().innerText(), /FAILED/);
      await server.ok('DELETE', { jobname: 'nocommand' }, as);
    }
    admin.assertClean(benign);
  });

  test('START shows the job\'s first line on its page within a second', async (t) => {
    const { page } = admin;
    await gotoRoute(page, 'job/hello', 'job');
    await tid(page, 'job-page').waitFor();
    assert.equal(await tid(page, 'job-page').getAttribute('data-job'), 'hello');
    await tid(page, 'output').waitFor({ state: 'attached' });

    // Timed from the click: the click, START, the fork, the line through
    // the ring and the event stream, and its drawing, all within 1 s.
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/START'));
    const t0 = Date.now();
    await tid(page, 'job-start').click();
    await sent;
    const line = tid(page, 'output').locator('.line', { hasText: 'first-line-hello' });
    await line.first().waitFor({ timeout: 3000 });
    const took = Date.now() - t0;
    t.diagnostic(`first line shown ${took} ms after the click on Start`);
    assert.ok(took <= 1000, `the first line came ${took} ms after the click on Start (at most 1000)`);
    await jobState(page, 'UP');
    assert.equal((await status('hello')).state, 'UP');
    // The stream goes on: the next lines come too.
    await tid(page, 'output').locator('.line', { hasText: 'tick 2' }).first().waitFor({ timeout: 4000 });
    admin.assertClean(benign);
  });

  test('STOP, then START and RESTART: the history lists each run and why it began', async () => {
    const { page } = admin;
    await gotoRoute(page, 'job/hello', 'job');
    await tid(page, 'job-page').waitFor();
    await jobState(page, 'UP');

    await clickConfirming(page, tid(page, 'job-stop'));
    await jobState(page, 'DOWN');
    assert.equal((await status('hello')).state, 'DOWN');

    await clickConfirming(page, tid(page, 'job-start'));
    await jobState(page, 'UP');
    const pidBefore = (await status('hello')).pid;

    await clickConfirming(page, tid(page, 'job-restart'));
    await waitFor(async () => {
      const s = await status('hello');
      return s.state === 'UP' && s.pid !== pidBefore;
    }, { what: 'a new pid after RESTART' });

    // Two runs ended (the STOP and the RESTART): both in the history, with
    // the reason each began.
    const detail = await status('hello');
    assert.ok(detail.history.length >= 2, `history: ${JSON.stringify(detail.history)}`);
    const rows = tid(page, 'history').locator('tr.history-row');
    await waitFor(async () => (await rows.count()) >= 2, { what: 'two history rows' });
    const text = (await rows.allInnerTexts()).join('\n');
    for (const h of detail.history) {
      assert.ok(text.toLowerCase().includes(String(h.reason).toLowerCase()),
        `the history shows the reason "${h.reason}"; it shows:\n${text}`);
    }
    admin.assertClean(benign);
  });

  test('bulk START and STOP act on the selected jobs only', async () => {
    const { page } = admin;
    for (const n of ['bulk-1', 'bulk-2', 'bulk-3']) {
      await server.ok('ADD', { jobname: n, ...shJob(`echo ${n}; exec sleep 600`, { stoptimeout: 2 }) }, as);
    }
    await gotoRoute(page, 'jobs');
    await dismissToasts(page); // those of earlier tests
    const row = (n) => page.locator(`[data-testid="jobs-table"] tr[data-job="${n}"]`);
    for (const n of ['bulk-1', 'bulk-2', 'bulk-3']) await row(n).waitFor();
    const select = async (names, on) => {
      for (const n of names) {
        const cb = row(n).locator('[data-testid="row-select"]');
        if (on) await cb.check(); else await cb.uncheck();
      }
    };

    await select(['bulk-1', 'bulk-2'], true);
    await clickConfirming(page, tid(page, 'start-selected'));
    for (const n of ['bulk-1', 'bulk-2']) {
      await waitFor(async () => (await row(n).getAttribute('data-state')) === 'UP', { what: `${n} UP in the table` });
    }
    assert.equal((await status('bulk-1')).state, 'UP');
    assert.equal((await status('bulk-2')).state, 'UP');
    assert.equal((await status('bulk-3')).state, 'DOWN', 'a job not selected is not started');
    assert.equal(await row('bulk-3').getAttribute('data-state'), 'DOWN');

    // Selection may or may not survive the action: make it the two again.
    await select(['bulk-3'], false);
    await select(['bulk-1', 'bulk-2'], true);
    await clickConfirming(page, tid(page, 'stop-selected'));
    for (const n of ['bulk-1', 'bulk-2']) {
      await waitFor(async () => (await row(n).getAttribute('data-state')) === 'DOWN', { what: `${n} DOWN in the table` });
      assert.equal((await status(n)).state, 'DOWN');
    }
    assert.deepEqual(await toastTexts(page, 'error'), [], 'no action was refused');
    admin.assertClean(benign);
  });

  test('a schedule added through the form is stored and listed', async () => {
    const { page } = admin;
    const form = await openScheduleForm(page, 'bulk-3');
    const enable = form.locator('[name="enable"]');
    if ((await enable.evaluate((e) => e.type)) === 'checkbox') await enable.check();
    else await enable.selectOption({ index: 0 }).catch(() => {});
    const mode = form.locator('[name="mode"]');
    if (await mode.count()) {
      const tag = await mode.first().evaluate((e) => `${e.tagName}:${e.type}`);
      if (tag.startsWith('SELECT')) await mode.selectOption('cron');
      else await form.locator('[name="mode"][value="cron"]').check();
    }
    await form.locator('[name="cron"]').fill('*/5 * * * *');
    await tid(page, 'schedule-form-submit').click();
    await form.waitFor({ state: 'detached' });

    const all = await server.ok('SCHEDULER.GETALL', {}, as);
    const uuids = Object.keys(all['bulk-3'] || {});
    assert.equal(uuids.length, 1, `SCHEDULER.GETALL: ${JSON.stringify(all)}`);
    assert.deepEqual(all['bulk-3'][uuids[0]].condition, { cron: '*/5 * * * *' });
    await page.locator(`[data-testid="schedules-table"] tr[data-job="bulk-3"][data-uuid="${uuids[0]}"]`).waitFor();
    // The next runs of the next 24 h: a run every 5 minutes, so some are listed.
    await waitFor(async () => (await tid(page, 'nextruns').innerText()).includes('bulk-3'), { what: 'bulk-3 in nextruns' });
    admin.assertClean(benign);
  });

  test('a log file of a job with writelog is listed and read', async () => {
    const { page } = admin;
    await server.ok('ADD', { jobname: 'logger', ...shJob('echo log-line-one; echo log-line-two; echo err-line-one >&2', { writelog: true }) }, as);
    await server.ok('START', { jobname: 'logger' }, as);
    await waitFor(async () => (await status('logger')).state === 'DOWN' && (await status('logger')).last_exit, { what: 'logger to end' });
    // The job's end and its log file's first write are separate events: the
    // page lists folders once when a job is chosen, so it is opened only
    // after the server itself lists the file with both lines in it.
    await waitFor(async () => {
      const dirs = await server.ok('LOGEXPLORER.LISTDIR', { jobname: 'logger' }, as);
      for (const dirname of dirs || []) {
        const files = await server.ok('LOGEXPLORER.LISTFILE', { jobname: 'logger', dirname }, as);
        for (const filename of files || []) {
          if (!filename.endsWith('.log') || filename.endsWith('.error.log')) continue;
          const text = await server.ok('LOGEXPLORER.GET', { jobname: 'logger', dirname, filename }, as);
          if (String(text).includes('log-line-two')) return true;
        }
      }
      return false;
    }, { what: 'the logger\'s log file written' });

    await gotoRoute(page, 'logs');
    await tid(page, 'log-job').waitFor();
    await waitFor(async () => (await tid(page, 'log-job').locator('option[value="logger"]').count()) > 0, { what: 'logger among the log-job options' });
    await tid(page, 'log-job').selectOption('logger');
    const dir = tid(page, 'log-dirs').locator('[data-dir]').first();
    await dir.waitFor();
    await dir.click();
    const file = tid(page, 'log-files').locator('[data-file$=".log"]:not([data-file$=".error.log"])').first();
    await file.waitFor();
    await file.click();
    const content = tid(page, 'log-file-content');
    await waitFor(async () => (await content.innerText()).includes('log-line-two'), { what: 'the log file\'s lines' });
    const text = await content.innerText();
    assert.match(text, /log-line-one/);
    assert.doesNotMatch(text, /err-line-one/, 'stderr goes to the .error.log file, not this one');
    admin.assertClean(benign);
  });

  test('the server page shows its version, output and processes', async () => {
    const { page } = admin;
    await gotoRoute(page, 'server');
    await tid(page, 'server-version').waitFor();
    assert.match(await tid(page, 'server-version').innerText(), /\d+\.\d+/);
    await tid(page, 'server-output').waitFor({ state: 'attached' });
    // Its three processes, each with its memory; the workers with their restarts.
    for (const p of ['master', 'listener', 'supervisor']) {
      const row = page.locator(`[data-testid="server-workers"] tr[data-process="${p}"]`);
      await row.waitFor();
      assert.match(await row.locator('td').nth(1).innerText(), /\d.*B$/, `${p}'s memory`);
    }
    assert.match(await page.locator('[data-testid="server-workers"] tr[data-process="listener"] td').nth(3).innerText(), /^\d+$/);
    admin.assertClean(benign);
  });

  test('a user with fewer privileges, added on the users page, is refused a STOP', async () => {
    const { page } = admin;
    await gotoRoute(page, 'users');
    await tid(page, 'users-table').waitFor();
    // The switch shows its state once AUTH.GETENABLE has answered, after the table is drawn.
    await waitFor(async () => (await tid(page, 'auth-enable').isEnabled()) && tid(page, 'auth-enable').isChecked(), { what: 'auth shown as on' });
    await page.locator(`[data-testid="users-table"] tr[data-user="${ADMIN.username}"]`).waitFor();

    await tid(page, 'add-user').click();
    const form = tid(page, 'user-form');
    await form.waitFor();
    await form.locator('[name="username"]').fill(VIEWER.username);
    await form.locator('[name="password"]').fill(VIEWER.password);
    const mode = form.locator('[name="privileges-mode"]');
    if (await mode.count()) {
      const tag = await mode.first().evaluate((e) => `${e.tagName}:${e.type}`);
      if (tag.startsWith('SELECT')) await mode.selectOption('list');
      else await form.locator('[name="privileges-mode"][value="list"]').check();
    }
    await form.locator('[name="privileges"]').fill(VIEWER_PRIVILEGES);
    await tid(page, 'user-form-submit').click();
    await form.waitFor({ state: 'detached' });
    await page.locator(`[data-testid="users-table"] tr[data-user="${VIEWER.username}"]`).waitFor();
    const rec = await server.ok('AUTH.GET', { username: VIEWER.username }, as);
    assert.equal(rec.privileges, VIEWER_PRIVILEGES);
    assert.equal(rec.password, undefined, 'no password is ever returned');
    admin.assertClean(benign);

    // The viewer, in a browser of its own, looks at a running job and asks
    // for a STOP: the server refuses and the page shows its sentence.
    await server.ok('START', { jobname: 'bulk-1' }, as);
    const viewer = await openPage(browser, server.baseURL);
    viewer.page.setDefaultTimeout(5000);
    try {
      const vp = viewer.page;
      await loginWithForm(vp, VIEWER.username, VIEWER.password);
      assert.equal((await tid(vp, 'session-user').innerText()).trim(), VIEWER.username);
      await gotoRoute(vp, 'job/bulk-1', 'job');
      await tid(vp, 'job-page').waitFor();
      await tid(vp, 'output').locator('.line', { hasText: 'bulk-1' }).first().waitFor();

      // The page may hide a button the user has no right to; the server
      // decides all the same. Click it if shown, else send the STOP as the
      // page's own code does (the page's api module, its session and token).
      const stop = tid(vp, 'job-stop');
      if (await stop.isVisible() && await stop.isEnabled()) {
        await clickConfirming(vp, stop);
      } else {
        await vp.evaluate(async () => {
          const m = await import('/ui/api.js');
          await m.guard(() => m.call('STOP', { jobname: 'bulk-1' }));
        });
      }
      // The server's sentence: user "viewer" may not run STOP.
      const toast = vp.locator('[data-testid="toast"].error', { hasText: /DENIED: .*STOP/ });
      await toast.first().waitFor();
      const said = await toast.first().innerText();
      assert.match(said, /DENIED: .*viewer.*STOP/, `the refusal's sentence is shown: ${said}`);
      assert.equal((await status('bulk-1')).state, 'UP', 'the job still runs');
      viewer.assertClean(benign);
    } finally {
      await viewer.context.close();
    }
    await server.ok('STOP', { jobname: 'bulk-1' }, as);
  });

  test('logout ends the session: the API then answers 401 for it', async () => {
    const { page } = admin;
    await gotoRoute(page, 'jobs');
    const csrf = await page.evaluate(async () => (await import('/ui/api.js')).session.csrf);
    const cookies = await admin.context.cookies();
    const cookie = cookies.find((c) => c.name === 'backend_session');
    assert.ok(cookie, `a backend_session cookie: ${JSON.stringify(cookies.map((c) => c.name))}`);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    await tid(page, 'logout').click();
    await page.locator('main[data-testid="page"][data-page="login"]').waitFor();
    const r = await server.request('POST', '/api/STATUSALL', {
      headers: { 'Content-Type': 'application/json', Cookie: `backend_session=${cookie.value}`, 'X-CSRF-Token': csrf },
      body: {},
    });
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json?.code, 'DENIED');
    admin.assertClean(benign);
  });
});
