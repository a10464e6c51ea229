// A tour of the dashboard over a populated server, as the README shows it:
// auth on with an admin (logged in through the form) and a read-only
// "viewer"; eight /bin/sh jobs (four that keep running, three of them
// printing every 0.5 s, some of it to stderr; one that ran and exited 0; a
// guarded one that keeps crashing; one with a log file; one never started),
// two schedules. Each page is checked for what it must show, and with
// SCREENSHOTS=1 saved as screenshots/NAME.png (overview, jobs, job,
// job-history, schedules, logs, users, server, login) at lib/browser.mjs's
// viewport.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launch, openPage, screenshot } from './lib/browser.mjs';
import { dismissToasts, gotoRoute, loginWithForm, tid } from './lib/dashboard.mjs';
import { shJob, sleep, startServer, waitFor } from './lib/server.mjs';

const ADMIN = { username: 'admin', password: 'admin-pass-1234' };
const VIEWER = { username: 'viewer', password: 'viewer-pass-5678' };
const VIEWER_PRIVILEGES = 'STATUSALL,STATUS,READ,GETALL,GET,USAGE,USAGEALL';

// Chromium asks for /favicon.ico on its own; a 404 for it is no fault of the page.
const benign = (p) => p.kind === 'console' && /favicon\.ico/.test(p.text);

// The jobs. Scripts in single quotes (shJob): no single quote inside.
const worker = (n) => shJob(
  `echo "worker-${n}: connected to queue jobs.default"; i=0; while :; do i=$((i+1)); ` +
  `j=0; while [ $j -lt 1500 ]; do j=$((j+1)); done; ` + // a little CPU
  `echo "worker-${n}: processed task #$((i*${n}+100)) in $((i%7+3))ms"; ` +
  `if [ $((i%4)) -eq 0 ]; then echo "worker-${n}: warning: task #$((i*${n}+100)) retried (timeout from upstream)" >&2; fi; ` +
  'sleep 0.5; done',
  { autostart: true, stoptimeout: 2 });
const JOBS = {
  web: shJob(
    'echo "web: listening on 0.0.0.0:8080"; i=0; while :; do i=$((i+1)); ' +
    'case $((i%4)) in 0) p=/api/orders;; 1) p=/api/users/$i;; 2) p=/healthz;; *) p=/static/app.js;; esac; ' +
    'echo "web: GET $p 200 $((i%9+1))ms"; ' +
    'if [ $((i%6)) -eq 0 ]; then echo "web: POST /api/login 401 (bad password)" >&2; fi; sleep 0.5; done',
    { autostart: true, guard: true, stoptimeout: 2 }),
  'worker-1': worker(1),
  'worker-2': worker(2),
  cache: shJob(
    'echo "cache: warming"; sleep 0.2; echo "cache: 1200 keys loaded"; i=0; ' +
    'while :; do i=$((i+1)); sleep 2; echo "cache: $((1200+i*3)) keys, hit ratio 0.9$((i%10))"; done',
    { stoptimeout: 2 }),
  mailer: shJob('echo "mailer: 3 messages queued"; echo "mailer: sent 3 via smtp.example.com"; exit 0'),
  flaky: shJob(
    'echo "flaky: connecting to db.internal:5432"; sleep 1; echo "flaky: connection refused" >&2; exit 1',
    { guard: true, stoptimeout: 2 }),
  report: shJob(
    'echo "report: building the daily report"; for s in orders users revenue refunds; do echo "report: section $s done"; done; ' +
    'echo "report: wrote /var/reports/daily.csv (42 rows)"',
    { writelog: true }),
  backup: shJob('echo "backup: nothing to do"'),
};
const RUNNING = ['web', 'worker-1', 'worker-2', 'cache'];

// A screenshot (SCREENSHOTS=1 only) without the toasts earlier steps left.
async function shot(page, name) {
  if (process.env.SCREENSHOTS !== '1') return;
  await dismissToasts(page);
  await screenshot(page, name);
}

describe('a tour of a populated dashboard', () => {
  let server, browser, admin;
  const as = { auth: ADMIN };
  const status = (name) => server.ok('STATUS', { jobname: name, detail: true }, as);
  const row = (page, name) => page.locator(`[data-testid="jobs-table"] tr[data-job="${name}"]`);

  before(async () => {
    const t0 = Date.now();
    server = await startServer();
    await server.ok('AUTH.ADD', { ...ADMIN, privileges: '*' });
    await server.ok('AUTH.ADD', { ...VIEWER, privileges: VIEWER_PRIVILEGES });
    await server.ok('AUTH.SETENABLE', { enable: true });

    for (const [jobname, job] of Object.entries(JOBS)) await server.ok('ADD', { jobname, ...job }, as);
    for (const n of [...RUNNING, 'flaky', 'mailer', 'report']) await server.ok('START', { jobname: n }, as);
    await server.ok('SCHEDULER.ADD', { jobname: 'report', enable: true, condition: { cron: '*/5 * * * *' } }, as);
    await server.ok('SCHEDULER.ADD', { jobname: 'mailer', enable: true, condition: { H: '03', i: '30' } }, as);

    browser = await launch();
    admin = await openPage(browser, server.baseURL);
    admin.page.setDefaultTimeout(5000);
    await loginWithForm(admin.page, ADMIN.username, ADMIN.password);

    // The data the pages are to show: mailer and report ran and exited 0,
    // flaky crashed and was started again at least twice, and the usage
    // sampler (every 10 s) has a point of worker-1's memory, and its CPU
    // if it comes soon enough.
    const done = async (n) => { const s = await status(n); return s.state === 'DOWN' && s.last_exit && s.last_exit.code === 0; };
    await waitFor(() => done('mailer'), { timeout: 5000, what: 'mailer to exit 0' });
    await waitFor(() => done('report'), { timeout: 5000, what: 'report to exit 0' });
    await waitFor(async () => (await status('flaky')).restarts >= 2, { timeout: 15000, step: 200, what: 'flaky restarted twice' });
    const usage = () => server.ok('USAGE', { jobname: 'worker-1' }, as);
    const known = (a) => (Array.isArray(a) ? a.filter((v) => v !== null && v !== undefined) : []);
    await waitFor(async () => known((await usage()).mem).length > 0, { timeout: 15000, step: 250, what: 'a memory sample of worker-1' });
    await waitFor(async () => known((await usage()).cpu).length > 0, { timeout: Math.max(0, 25000 - (Date.now() - t0)), step: 250, what: 'a CPU sample' })
      .catch(() => {}); // the memory point alone will do
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  test('overview: counts match the server, restarts and next runs are listed', async () => {
    const { page } = admin;
    await gotoRoute(page, '', 'overview');
    assert.equal((await tid(page, 'session-user').innerText()).trim(), ADMIN.username);
    await waitFor(async () => (await tid(page, 'ov-total').innerText()).trim() === '8', { what: 'total 8' });
    // flaky comes and goes: the page and the server agree at some moment.
    await waitFor(async () => {
      const all = await server.ok('STATUSALL', {}, as);
      const up = Object.values(all).filter((s) => (s.state ?? s) === 'UP').length;
      const shownUp = Number((await tid(page, 'ov-up').innerText()).trim());
      const shownDown = Number((await tid(page, 'ov-down').innerText()).trim());
      return shownUp === up && shownDown === 8 - up && up >= RUNNING.length;
    }, { timeout: 5000, step: 100, what: 'the up and down counts of the server' });
    await waitFor(async () => Number((await tid(page, 'ov-restarts').innerText()).trim()) >= 2, { what: 'restarts in the last hour >= 2' });
    await waitFor(async () => /\d/.test(await tid(page, 'ov-mem-server').innerText()), { what: 'the server\'s memory' });
    const next = tid(page, 'ov-nextruns');
    // The next 10 runs: report's, every 5 minutes (mailer's 03:30 run is
    // later than those, most of the day).
    await next.locator('li[data-job="report"]').first().waitFor();
    const recent = tid(page, 'ov-restart-list');
    await waitFor(async () => /flaky crash \(code 1\)/.test(await recent.innerText()), { what: 'flaky\'s crashes among the recent restarts' });
    // flaky waits longer after each crash (1, 2, 4, 8 s): soon it waits in backoff.
    await tid(page, 'ov-backoff').locator('li[data-job="flaky"]').waitFor({ timeout: 12000 });
    await shot(page, 'overview');
    admin.assertClean(benign);
  });

  test('jobs: eight rows, states as the server says, flaky with restarts', async () => {
    const { page } = admin;
    await gotoRoute(page, 'jobs');
    await tid(page, 'jobs-table').waitFor();
    await waitFor(async () => (await page.locator('[data-testid="jobs-table"] tr[data-job]').count()) === 8, { what: '8 rows' });
    for (const n of RUNNING) await waitFor(async () => (await row(page, n).getAttribute('data-state')) === 'UP', { what: `${n} UP` });
    for (const n of ['mailer', 'report', 'backup']) assert.equal(await row(page, n).getAttribute('data-state'), 'DOWN', n);
    const restarts = row(page, 'flaky').locator('td[data-col="restarts"]');
    await waitFor(async () => parseInt(await restarts.innerText(), 10) >= 2, { what: 'flaky restarts >= 2 in its row' });
    assert.match(await restarts.innerText(), /crash/);
    assert.match(await row(page, 'mailer').locator('td[data-col="exit"]').innerText(), /0/);
    // The next runs come with their own request, after the rows.
    await waitFor(async () => (await row(page, 'report').locator('td[data-col="next"]').innerText()).trim() !== '-',
      { what: 'report has a next run' });
    assert.match(await row(page, 'flaky').locator('td[data-col="flags"]').innerText(), /\S/, 'flaky is marked guarded');
    await waitFor(async () => /\d/.test(await row(page, 'worker-1').locator('td[data-col="mem"]').innerText()), { what: 'worker-1 memory' });
    await shot(page, 'jobs');
    admin.assertClean(benign);
  });

  test('job page of worker-1: its output, stderr lines marked', async () => {
    const { page } = admin;
    await gotoRoute(page, 'job/worker-1', 'job');
    assert.equal(await tid(page, 'job-page').getAttribute('data-job'), 'worker-1');
    await page.locator('[data-testid="job-state"][data-state="UP"]').waitFor();
    const out = tid(page, 'output');
    await waitFor(async () => (await out.locator('.line', { hasText: 'processed task' }).count()) >= 10, { what: '10 output lines' });
    const err = out.locator('.line.err[data-stream="stderr"]');
    await waitFor(async () => (await err.count()) >= 2, { what: 'stderr lines marked' });
    assert.match(await err.first().innerText(), /warning: task/);
    assert.equal(await out.locator('.line:not(.err)', { hasText: 'warning:' }).count(), 0, 'every stderr line is marked');
    // The usage chart: a uPlot canvas, or the sentence that there is none yet.
    await waitFor(async () => (await tid(page, 'usage-chart').locator('canvas').count()) > 0, { what: 'the usage chart' });
    await tid(page, 'job-settings').getByText('/bin/sh').first().waitFor();
    await shot(page, 'job');
    admin.assertClean(benign);
  });

  test('job page of flaky: its runs, those the guarder began marked crash, with their last lines', async () => {
    const { page } = admin;
    await gotoRoute(page, 'job/flaky', 'job');
    assert.equal(await tid(page, 'job-page').getAttribute('data-job'), 'flaky');
    const rows = tid(page, 'history').locator('tr.history-row');
    const crashRows = rows.filter({ has: page.locator('td:first-child', { hasText: /^crash$/ }) });
    await waitFor(async () => (await crashRows.count()) >= 2, { timeout: 8000, what: 'two history rows begun by a crash' });
    const texts = await rows.allInnerTexts();
    assert.ok(texts.some((x) => /code 1/.test(x)), `a run that ended with exit code 1:\n${texts.join('\n')}`);
    const detail = await status('flaky');
    assert.ok(detail.history.filter((x) => x.reason === 'crash').length >= 2, JSON.stringify(detail.history));
    // The runs in the view (below the sticky header), the newest one's last lines open.
    const section = tid(page, 'history').locator('xpath=ancestor::section[1]');
    await section.evaluate((el) => {
      const head = document.getElementById('header')?.getBoundingClientRect().height || 0;
      window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - head - 12);
    });
    // The page draws the table again at every change of flaky (it crashes
    // and restarts meanwhile): the run opened stays open through that.
    const newest = rows.first();
    const run = await newest.getAttribute('data-run');
    const opened = tid(page, 'history').locator(`tr.history-row[data-run="${run}"]`);
    await opened.locator('summary').click();
    await opened.locator('details[open] pre').waitFor();
    await opened.evaluate((tr) => { tr.dataset.drawnBefore = '1'; });
    // A START now (or, while it runs, its crash within a second) is a change
    // of flaky that makes the page draw the table again, whatever its backoff.
    await server.api('START', { jobname: 'flaky' }, as);
    await waitFor(async () => (await tid(page, 'history').locator('tr.history-row[data-drawn-before]').count()) === 0,
      { timeout: 15000, what: 'the history drawn again' });
    const pre = opened.locator('details[open] pre');
    assert.equal(await pre.count(), 1, 'the opened run closed when the table was drawn again');
    assert.match(await pre.innerText(), /connection refused|connecting/);
    await shot(page, 'job-history');
    admin.assertClean(benign);
  });

  test('schedules: both schedules, with their next runs', async () => {
    const { page } = admin;
    await gotoRoute(page, 'schedules');
    const all = await server.ok('SCHEDULER.GETALL', {}, as);
    for (const [job, cond] of [['report', /cron \*\/5 \* \* \* \*/], ['mailer', /H=03 i=30/]]) {
      const uuid = Object.keys(all[job] || {})[0];
      assert.ok(uuid, `${job} has a schedule: ${JSON.stringify(all)}`);
      const tr = page.locator(`[data-testid="schedules-table"] tr[data-job="${job}"][data-uuid="${uuid}"]`);
      await tr.waitFor();
      assert.match(await tr.innerText(), cond);
      await waitFor(async () => /\d\d:\d\d/.test(await tr.locator('td.mono').first().innerText()), { what: `${job}'s next run` });
    }
    const runs = tid(page, 'nextruns');
    await runs.locator('li[data-job="report"]').first().waitFor();
    await runs.locator('li[data-job="mailer"]').first().waitFor();
    assert.ok(await runs.locator('li[data-job="report"]').count() >= 200, 'report runs every 5 minutes of the next 24 h');
    await shot(page, 'schedules');
    admin.assertClean(benign);
  });

  test('logs: report\'s log file is read', async () => {
    const { page } = admin;
    await gotoRoute(page, 'logs');
    await page.locator('[data-testid="log-job"] option[value="report"]').waitFor({ state: 'attached' });
    await tid(page, 'log-job').selectOption('report');
    const dir = tid(page, 'log-dirs').locator('[data-dir]').first();
    await dir.click();
    const file = tid(page, 'log-files').locator('[data-file$=".log"]:not([data-file$=".error.log"])').first();
    await file.click();
    const content = tid(page, 'log-file-content');
    await waitFor(async () => (await content.innerText()).includes('daily.csv'), { what: 'report\'s lines' });
    const text = await content.innerText();
    for (const s of ['building the daily report', 'section orders done', 'section refunds done']) assert.ok(text.includes(s), s);
    await shot(page, 'logs');
    admin.assertClean(benign);
  });

  test('users: auth on, the admin and the viewer with their privileges', async () => {
    const { page } = admin;
    await gotoRoute(page, 'users');
    await tid(page, 'users-table').waitFor();
    await waitFor(() => tid(page, 'auth-enable').isChecked(), { what: 'auth shown as on' });
    const a = page.locator(`[data-testid="users-table"] tr[data-user="${ADMIN.username}"]`);
    const v = page.locator(`[data-testid="users-table"] tr[data-user="${VIEWER.username}"]`);
    await a.waitFor();
    await v.waitFor();
    assert.match(await a.innerText(), /\*/);
    assert.equal((await v.locator('code').innerText()).trim(), VIEWER_PRIVILEGES);
    assert.equal(await page.locator('[data-testid="users-table"] tr[data-user]').count(), 2);
    await shot(page, 'users');
    admin.assertClean(benign);
  });

  test('server: its output, version, memory and health', async () => {
    const { page } = admin;
    await gotoRoute(page, 'server');
    assert.match(await tid(page, 'server-version').innerText(), /\d+\.\d+/);
    const out = tid(page, 'server-output');
    await waitFor(async () => (await out.locator('.line').count()) >= 5, { what: 'server output lines' });
    // Who did what: the admin's login through the form, the guarder's restarts.
    await waitFor(async () => {
      const text = await out.innerText();
      return text.includes('user "admin" logged in') && /guarder: job "flaky" died/.test(text) && text.includes('START');
    }, { what: 'the login and the guarder\'s lines in the server output' });
    await waitFor(async () => /\d/.test(await tid(page, 'server-mem').innerText()), { what: 'server memory' });
    await waitFor(async () => /200/.test(await tid(page, 'server-health').innerText()), { what: 'server health' });
    assert.match(await tid(page, 'server-user').innerText(), /admin/);
    await shot(page, 'server');
    admin.assertClean(benign);
  });

  test('logout: back on the login form, which lets the viewer in', async () => {
    const { page } = admin;
    await tid(page, 'logout').click();
    await page.locator('main[data-testid="page"][data-page="login"]').waitFor();
    await tid(page, 'login-form').waitFor();
    assert.equal(await tid(page, 'nav').count(), 0, 'no navigation before login');
    assert.equal(await tid(page, 'session-user').count(), 0);
    await sleep(100);
    await shot(page, 'login');
    // The viewer sees the jobs too.
    await loginWithForm(page, VIEWER.username, VIEWER.password);
    assert.equal((await tid(page, 'session-user').innerText()).trim(), VIEWER.username);
    await gotoRoute(page, 'jobs');
    await waitFor(async () => (await page.locator('[data-testid="jobs-table"] tr[data-job]').count()) === 8, { what: '8 rows for the viewer' });
    admin.assertClean(benign);
  });
});
