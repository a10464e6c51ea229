// The jobs table with many jobs: every job has its row, but only the rows
// in and near the view are laid out (pages/jobs.js); scrolling, filtering
// and sorting bring the right ones in.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launch, openPage } from './lib/browser.mjs';
import { tid } from './lib/dashboard.mjs';
import { startServer } from './lib/server.mjs';

const JOBS = 300;
const name = (i) => `t${String(i).padStart(4, '0')}`;

describe('the jobs table with many jobs', () => {
  let server, browser, page, assertClean;

  before(async () => {
    server = await startServer();
    for (let i = 0; i < JOBS; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(JOBS, i + 50); ++j)
        batch.push(server.ok('ADD', { jobname: name(j), command: '/bin/sleep', params: '100000' }));
      await Promise.all(batch);
    }
    browser = await launch();
    ({ page, assertClean } = await openPage(browser, server.baseURL));
    page.setDefaultTimeout(5000);
    await page.goto('/#/jobs');
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-job]').length === n, JOBS);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  const laidOut = () => page.evaluate(() => [...document.querySelectorAll('tr[data-job]')].filter((tr) => tr.offsetParent !== null).map((tr) => tr.dataset.job));

  test('every job has a row; only those near the view are laid out', async () => {
    const shown = await laidOut();
    assert.ok(shown.includes(name(0)), 'the first job is laid out');
    assert.ok(!shown.includes(name(JOBS - 1)), 'the last job is not laid out while far below the view');
    assert.ok(shown.length < JOBS / 2, `${shown.length} rows laid out of ${JOBS}`);
    await page.locator(`tr[data-job="${name(0)}"]`).waitFor({ state: 'visible' });
  });

  test('scrolled to the bottom, the last jobs are laid out where their rows belong', async () => {
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const last = page.locator(`tr[data-job="${name(JOBS - 1)}"]`);
    await last.waitFor({ state: 'visible' });
    const box = await last.boundingBox();
    assert.ok(box && box.y >= 0 && box.y < 800, `the last row is in the view (y ${box && box.y})`);
    assert.ok(!(await laidOut()).includes(name(0)), 'the first job left the layout');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator(`tr[data-job="${name(0)}"]`).waitFor({ state: 'visible' });
  });

  test('a filter shows the jobs it matches, wherever they were', async () => {
    await tid(page, 'filter').fill(name(JOBS - 2));
    await page.locator(`tr[data-job="${name(JOBS - 2)}"]`).waitFor({ state: 'visible' });
    assert.deepEqual(await laidOut(), [name(JOBS - 2)]);
    await tid(page, 'filter').fill('');
    await page.locator(`tr[data-job="${name(0)}"]`).waitFor({ state: 'visible' });
  });

  test('sorted the other way, the last job comes first', async () => {
    await page.locator('th[data-sort="name"]').click();
    await page.locator(`tr[data-job="${name(JOBS - 1)}"]`).waitFor({ state: 'visible' });
    const first = await page.evaluate(() => [...document.querySelectorAll('tr[data-job]')].find((tr) => tr.offsetParent !== null).dataset.job);
    assert.equal(first, name(JOBS - 1));
    assertClean((p) => p.kind === 'console' && /favicon\.ico/.test(p.text));
  });
});
