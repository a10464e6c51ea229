// What a hostile job, user record or web page could try against the
// dashboard: markup in a job's output, params, env, a schedule's fields and a
// user record must show as text and run nothing; another origin may not
// send commands, reuse the session without its token, reach the server by
// a name of its own, or frame the page; every reply carries a content
// policy that runs no inline script.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { launch, openPage, watch } from './lib/browser.mjs';
import { gotoRoute, injectedElements, openScheduleForm, tid, waitShown } from './lib/dashboard.mjs';
import { freePort, shJob, sleep, startServer, waitFor } from './lib/server.mjs';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
const benign = (p) => p.kind === 'console' && /favicon\.ico/.test(p.text);

// Content-Security-Policy → {directive: [sources]}.
function parseCsp(value) {
  const out = {};
  for (const part of String(value || '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out[name.toLowerCase()] = sources;
  }
  return out;
}

// The policy's rules for scripts: script-src, else default-src.
function scriptSources(csp) {
  return csp['script-src'] || csp['default-src'] || [];
}

function assertPolicy(r, what) {
  const value = r.headers['content-security-policy'];
  assert.ok(value, `${what}: a Content-Security-Policy header (headers: ${JSON.stringify(r.headers)})`);
  const csp = parseCsp(value);
  const scripts = scriptSources(csp);
  assert.ok(scripts.length > 0, `${what}: the policy rules scripts: ${value}`);
  assert.ok(!scripts.includes("'unsafe-inline'"), `${what}: no 'unsafe-inline' in script-src: ${value}`);
  assert.ok(!scripts.includes("'unsafe-eval'"), `${what}: no 'unsafe-eval' in script-src: ${value}`);
  assert.ok(!scripts.includes('*'), `${what}: no * in script-src: ${value}`);
  return csp;
}

describe('hostile input and other origins', () => {
  let server, browser;

  before(async () => {
    server = await startServer();
    browser = await launch();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  // A session of the page (auth is off here: /ui/session gives one at once).
  async function pageSession() {
    const r = await server.request('GET', '/ui/session');
    assert.equal(r.status, 200, `GET /ui/session: ${r.status} ${r.text}`);
    const set = [].concat(r.headers['set-cookie'] || []);
    const cookie = set.map((c) => c.split(';')[0]).find((c) => c.startsWith('backend_session='));
    assert.ok(cookie, `GET /ui/session sets backend_session: ${JSON.stringify(set)}`);
    assert.ok(r.json?.csrf, `GET /ui/session gives a token: ${r.text}`);
    return { cookie, csrf: r.json.csrf };
  }

  test('a job printing markup: shown as text, nothing runs', async () => {
    await server.ok('ADD', {
      jobname: 'evil-out',
      ...shJob(`echo "${IMG}"; echo "${SCRIPT}"; echo "<b data-injected=1>bold</b>" >&2; exec sleep 600`, { stoptimeout: 2 }),
    });
    await server.ok('START', { jobname: 'evil-out' });
    await waitFor(async () => (await server.ok('READ', { jobname: 'evil-out' })).includes('alert(2)'), { what: 'the job\'s output' });

    const { page, assertClean } = await openPage(browser, server.baseURL);
    page.setDefaultTimeout(5000);
    try {
      await gotoRoute(page, 'job/evil-out', 'job');
      await tid(page, 'output').locator('.line', { hasText: 'alert(2)' }).first().waitFor();
      await waitShown(page, [IMG, SCRIPT, '<b data-injected=1>bold</b>']);
      // The lines are text nodes of their .line elements, markup and all.
      const lines = await tid(page, 'output').locator('.line').allTextContents();
      assert.ok(lines.some((l) => l.includes(IMG)), `a line holds ${IMG}: ${JSON.stringify(lines)}`);
      assert.ok(lines.some((l) => l.includes(SCRIPT)), `a line holds ${SCRIPT}: ${JSON.stringify(lines)}`);
      // A search highlights with <mark> elements, still no markup of the job's.
      const search = tid(page, 'search');
      if (await search.count()) {
        await search.fill('img');
        await waitFor(async () => (await tid(page, 'output').locator('mark').count()) > 0, { what: '<mark> highlights' });
        await search.fill('');
      }
      await sleep(1500); // an onerror would fire by now
      assert.deepEqual(await injectedElements(page), []);
      // The list pages show the job too, as a name: nothing of the output runs there.
      for (const route of ['jobs', '']) {
        await gotoRoute(page, route, route || 'overview');
        await sleep(300);
        assert.deepEqual(await injectedElements(page), [], `#/${route}`);
      }
      assertClean(benign);
    } finally {
      await page.context().close();
    }
  });

  test('params and env holding markup: shown as text, nothing runs', async () => {
    const params = `-c 'exec sleep 600' x "<img src=x onerror=alert(3)>" "<svg/onload=alert(4)>"`;
    const env = { EVIL_SCRIPT: '<script>alert(5)</script>', EVIL_IMG: '<img src=x onerror=alert(6)>' };
    await server.ok('ADD', { jobname: 'evil-settings', command: '/bin/sh', params, env, stoptimeout: 2 });
    await server.ok('START', { jobname: 'evil-settings' });

    const { page, assertClean } = await openPage(browser, server.baseURL);
    page.setDefaultTimeout(5000);
    try {
      await gotoRoute(page, 'job/evil-settings', 'job');
      await tid(page, 'job-settings').waitFor();
      await waitShown(page, ['<img src=x onerror=alert(3)>', '<svg/onload=alert(4)>', env.EVIL_SCRIPT, env.EVIL_IMG]);
      // The edit form holds them as values, not markup.
      const edit = tid(page, 'job-edit');
      if (await edit.isVisible()) {
        await edit.click();
        const form = tid(page, 'job-form');
        await form.waitFor();
        assert.equal(await form.locator('[name="params"]').inputValue(), params);
        const envText = await form.locator('[name="env"]').inputValue();
        assert.ok(envText.includes(`EVIL_SCRIPT=${env.EVIL_SCRIPT}`), envText);
        await sleep(500);
        assert.deepEqual(await injectedElements(page), []);
        await tid(page, 'job-form-cancel').click();
      }
      await gotoRoute(page, 'jobs');
      await page.locator('tr[data-job="evil-settings"]').waitFor();
      await sleep(1000);
      assert.deepEqual(await injectedElements(page), []);
      assertClean(benign);
    } finally {
      await page.context().close();
    }
  });

  test('a schedule with markup in its fields: refused, the sentence shown as text', async (t) => {
    await server.ok('ADD', { jobname: 'sched-target', ...shJob('echo hi') });
    // Bad fields are refused by the server, whatever they hold.
    const badH = await server.api('SCHEDULER.ADD', { jobname: 'sched-target', enable: true, condition: { H: '<img src=x onerror=alert(7)>' } });
    assert.equal(badH.code, 'FAILED', JSON.stringify(badH));
    const badKey = await server.api('SCHEDULER.ADD', { jobname: 'sched-target', enable: true, condition: { i: '00', '<img src=x onerror=alert(8)>': '1' } });
    // If the server kept such a key, the page must still show it as text (checked below).

    const cron = '<svg/onload=alert(9)> * * * *';
    const { page, assertClean } = await openPage(browser, server.baseURL);
    page.setDefaultTimeout(5000);
    try {
      const form = await openScheduleForm(page, 'sched-target');
      const mode = form.locator('[name="mode"]');
      if (await mode.count()) {
        const tag = await mode.first().evaluate((e) => `${e.tagName}:${e.type}`);
        if (tag.startsWith('SELECT')) await mode.selectOption('cron');
        else await form.locator('[name="mode"][value="cron"]').check();
      }
      await form.locator('[name="cron"]').fill(cron);
      await tid(page, 'schedule-form-submit').click();
      const err = tid(page, 'schedule-form-error');
      await err.waitFor({ state: 'visible' });
      const said = await err.innerText();
      t.diagnostic(`SCHEDULER.ADD with a markup key: ${badKey.code}; the form says: ${said}`);
      assert.match(said, /\S/, 'the refusal says why');
      // The server's sentence quotes the field it refused: as text.
      if (said.includes('<svg')) assert.ok(said.includes('<svg/onload=alert(9)>'), said);
      await sleep(1000);
      assert.deepEqual(await injectedElements(page), []);
      const stored = await server.ok('SCHEDULER.GETALL');
      assert.deepEqual(Object.keys(stored['sched-target'] || {}).length, badKey.code === 'OK' ? 1 : 0, JSON.stringify(stored));

      if (badKey.code === 'OK') {
        await gotoRoute(page, 'jobs');
        await gotoRoute(page, 'schedules');
        await page.locator('tr[data-job="sched-target"]').waitFor();
        await waitShown(page, ['<img src=x onerror=alert(8)>']);
        await sleep(1000);
        assert.deepEqual(await injectedElements(page), []);
      }
      assertClean(benign);
    } finally {
      await page.context().close();
    }
  });

  test('a user record with markup: shown as text, nothing runs', async (t) => {
    const name = '<img src=x onerror=alert(10)>';
    const added = await server.api('AUTH.ADD', { username: name, password: 'x-pass-1234', privileges: 'STATUS', note: '<script>alert(11)</script>' });
    t.diagnostic(`AUTH.ADD of a markup username: ${added.code} ${added.error ?? ''}`);
    const { page, assertClean } = await openPage(browser, server.baseURL);
    page.setDefaultTimeout(5000);
    try {
      await gotoRoute(page, 'users');
      await tid(page, 'users-table').waitFor();
      if (added.code === 'OK') await waitShown(page, [name]);
      await sleep(1000);
      assert.deepEqual(await injectedElements(page), []);
      assertClean(benign);
    } finally {
      await page.context().close();
      if (added.code === 'OK') await server.ok('AUTH.DELETE', { username: name });
    }
  });

  test('POST /api/STOP from another origin is refused (403)', async () => {
    await server.ok('ADD', { jobname: 'victim', ...shJob('exec sleep 600', { stoptimeout: 2 }) });
    await server.ok('START', { jobname: 'victim' });
    const r = await server.request('POST', '/api/STOP', {
      headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' },
      body: { jobname: 'victim' },
    });
    assert.equal(r.status, 403, r.text);
    assert.equal((await server.ok('STATUS', { jobname: 'victim' })), 'UP');
  });

  test('the session cookie without X-CSRF-Token is refused (403); with it, accepted', async () => {
    const { cookie, csrf } = await pageSession();
    const without = await server.request('POST', '/api/STOP', {
      headers: { 'Content-Type': 'application/json', Cookie: cookie },
      body: { jobname: 'victim' },
    });
    assert.equal(without.status, 403, without.text);
    const wrong = await server.request('POST', '/api/STOP', {
      headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': `${csrf}x` },
      body: { jobname: 'victim' },
    });
    assert.equal(wrong.status, 403, wrong.text);
    assert.equal((await server.ok('STATUS', { jobname: 'victim' })), 'UP');
    const right = await server.request('POST', '/api/STATUS', {
      headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': csrf },
      body: { jobname: 'victim' },
    });
    assert.equal(right.status, 200, right.text);
    assert.equal(right.json?.code, 'OK', right.text);
  });

  test('a request naming another host is refused (403)', async () => {
    for (const [method, path, body] of [['POST', '/api/STATUSALL', {}], ['GET', '/', undefined], ['GET', '/ui/session', undefined]]) {
      const headers = { Host: 'evil.example' };
      if (body) headers['Content-Type'] = 'application/json';
      const r = await server.request(method, path, { headers, body });
      assert.equal(r.status, 403, `${method} ${path} with Host: evil.example: ${r.status} ${r.text}`);
    }
    const rebound = await server.request('GET', '/', { headers: { Host: `evil.example:${server.httpPort}` } });
    assert.equal(rebound.status, 403, rebound.text);
  });

  test('every reply carries the content policy; / cannot be framed', async () => {
    const root = await server.request('GET', '/');
    assert.equal(root.status, 200, root.text.slice(0, 200));
    assert.match(root.headers['content-type'] || '', /^text\/html/);
    const csp = assertPolicy(root, 'GET /');
    assert.deepEqual(csp['frame-ancestors'], ["'none'"], root.headers['content-security-policy']);
    assert.equal(String(root.headers['x-frame-options']).toUpperCase(), 'DENY');
    assert.equal(root.headers['x-content-type-options'], 'nosniff');
    assert.equal(root.headers['referrer-policy'], 'no-referrer');
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(root.text), 'index.html has no inline <script>');
    assert.ok(!/\son[a-z]+\s*=/i.test(root.text), 'index.html has no on*= attribute');

    const app = await server.request('GET', '/ui/app.js');
    assert.equal(app.status, 200);
    assert.match(app.headers['content-type'] || '', /javascript/);
    assertPolicy(app, 'GET /ui/app.js');
    assertPolicy(await server.request('GET', '/ui/session'), 'GET /ui/session');
    assertPolicy(await server.request('POST', '/api/STATUSALL', { headers: { 'Content-Type': 'application/json' }, body: {} }), 'POST /api/STATUSALL');
    assertPolicy(await server.request('GET', '/no/such/path'), 'GET /no/such/path');
  });

  test('a page of another origin: its frame of the dashboard stays empty, its requests are refused', async () => {
    // The other origin: a server on another port of this machine.
    const evilPort = await freePort();
    const target = server.baseURL;
    const evilPage = `<!doctype html><html><body><h1>evil</h1>
<iframe id="f" src="${target}/" width="800" height="600"></iframe>
<script>
window.results = {};
fetch('${target}/api/STOP', {method: 'POST', credentials: 'include', headers: {'Content-Type': 'application/json'}, body: '{"jobname":"victim"}'})
  .then((r) => { window.results.json = 'answered ' + r.status; }, (e) => { window.results.json = 'refused'; });
fetch('${target}/api/STOP', {method: 'POST', mode: 'no-cors', credentials: 'include', headers: {'Content-Type': 'text/plain'}, body: '{"jobname":"victim"}'})
  .then((r) => { window.results.simple = 'sent'; }, (e) => { window.results.simple = 'refused'; });
</script></body></html>`;
    const evil = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(evilPage);
    });
    await new Promise((r) => evil.listen(evilPort, '127.0.0.1', r));
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = watch(page);
    const toServer = [];
    page.on('request', (r) => {
      if (r.url().startsWith(target)) toServer.push(`${r.method()} ${new URL(r.url()).pathname} (${r.resourceType()})`);
    });
    try {
      await page.goto(`http://127.0.0.1:${evilPort}/`);
      await waitFor(() => page.evaluate(() => window.results.json && window.results.simple), { what: 'the evil page\'s fetches to end' });
      await sleep(1000);
      const results = await page.evaluate(() => window.results);
      // A JSON POST needs a preflight the server never allows; the simple
      // one reaches it without the JSON type and with a foreign Origin.
      assert.equal(results.json, 'refused', JSON.stringify(results));
      assert.equal((await server.ok('STATUS', { jobname: 'victim' })), 'UP', 'the victim job still runs');

      // The framed dashboard: chromium refuses to show it, so none of its
      // scripts load and it asks the server nothing.
      const frame = page.frames().find((f) => f !== page.mainFrame());
      assert.ok(frame, 'the iframe exists');
      const sub = toServer.filter((x) => !/^GET \/ \(document\)$/.test(x) && !/\/api\/STOP/.test(x));
      assert.deepEqual(sub, [], 'the framed page loaded nothing (no script ran in it)');
      const frameUrl = frame.url();
      const blockedNote = problems.some((p) => /frame-ancestors|X-Frame-Options|Refused to (display|frame)/i.test(p.text));
      assert.ok(frameUrl.startsWith('chrome-error:') || frameUrl === 'about:blank' || blockedNote,
        `chromium blocked the frame (its url ${frameUrl}; console: ${JSON.stringify(problems)})`);
      let inside = '';
      try {
        inside = await frame.evaluate(() => document.body?.innerText || '');
      } catch {
        inside = ''; // an error page of another origin cannot be read: nothing of ours
      }
      assert.ok(!/backend-server/.test(inside), `the frame shows nothing of the dashboard: ${inside.slice(0, 200)}`);
      assert.ok(!problems.some((p) => p.kind === 'dialog'), JSON.stringify(problems));
    } finally {
      await context.close();
      await new Promise((r) => evil.close(r));
    }
  });
});
