// The dashboard measured (tests/bench/run-dashboard.sh calls it), on one
// server, in a real browser (Debian's chromium through playwright-core):
//   - latency: a job prints its own wall-clock time (line_stamps) every
//     INTERVAL; the job's page, opened in the browser, shows each line; a
//     MutationObserver in the page notes when each line element is added to
//     the output. The difference is what a user waits for a line.
//   - followers: FOLLOWERS event streams (what as many open job pages hold)
//     on a job printing 1,000 lines a second, and the listener's CPU time
//     over the run (backend_process_cpu_seconds_total{process="listener"})
//     as a share of one core, beside the same run with no follower.
//   - table: JOBS jobs, the jobs page loaded afresh, the time from the
//     navigation's start until every row is in the table.
// Prints one JSON object of results on stdout.
import http from 'node:http';
import { parseArgs } from 'node:util';

import { launch, openPage } from '../../browser/lib/browser.mjs';
import { sleep, startServer, waitFor } from '../../browser/lib/server.mjs';

const { values: a } = parseArgs({
  options: {
    stamps: { type: 'string' },
    writer: { type: 'string' },
    jobs: { type: 'string', default: '1000' },
    followers: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    samples: { type: 'string', default: '100' },
    loads: { type: 'string', default: '5' },
  },
});
const log = (m) => process.stderr.write(`dashboard-bench: ${new Date().toISOString().slice(11, 19)} ${m}\n`);
const quantile = (xs, q) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs) => quantile(xs, 0.5);

async function listenerCpu(server) {
  const r = await server.request('GET', '/metrics');
  const m = r.text.match(/^backend_process_cpu_seconds_total\{process="listener"\} ([0-9.e+-]+)$/m);
  if (!m) throw new Error('no listener CPU in /metrics');
  return Number(m[1]);
}

// The latency of lines from the job's printf to the page's DOM.
async function latency(server, browser, samples) {
  await server.ok('ADD', { jobname: 'stamps', command: a.stamps, params: '100000', buffersize: 200 });
  await server.ok('START', { jobname: 'stamps' });
  const { context, page } = await openPage(browser, server.baseURL);
  await page.goto('/#/job/stamps');
  await page.locator('[data-testid="output"] .line').first().waitFor({ timeout: 10000 });
  await page.evaluate(() => {
    window.__arrivals = [];
    const out = document.querySelector('[data-testid="output"]');
    new MutationObserver((records) => {
      const now = performance.timeOrigin + performance.now();
      for (const r of records)
        for (const n of r.addedNodes) {
          const m = /stamp (\d+\.\d+)/.exec(n.textContent || '');
          if (m) window.__arrivals.push(now - Number(m[1]) * 1000);
        }
    }).observe(out, { childList: true, subtree: true });
  });
  await waitFor(() => page.evaluate((n) => window.__arrivals.length >= n, samples), {
    timeout: samples * 100 + 20000,
    what: `${samples} lines on the page`,
  });
  const ms = await page.evaluate(() => window.__arrivals);
  await context.close();
  await server.ok('STOP', { jobname: 'stamps' });
  return { samples: ms.length, p50_ms: median(ms), p90_ms: quantile(ms, 0.9), p99_ms: quantile(ms, 0.99), max_ms: Math.max(...ms) };
}

// FOLLOWERS raw event streams, each with the session cookie a page has.
function follow(server, cookie, n) {
  const streams = [];
  for (let i = 0; i < n; ++i) {
    const s = { bytes: 0, lines: 0, req: null };
    s.req = http.get(
      { host: '127.0.0.1', port: server.httpPort, path: '/ui/events?job=chatty', headers: { Cookie: cookie }, agent: false },
      (res) => {
        if (res.statusCode !== 200) throw new Error(`stream ${i}: HTTP ${res.statusCode}`);
        res.on('data', (d) => {
          s.bytes += d.length;
          s.lines += (d.toString().match(/"n":/g) || []).length;
        });
      },
    );
    s.req.on('error', () => {});
    streams.push(s);
  }
  return streams;
}

async function followers(server, n, seconds) {
  await server.ok('ADD', { jobname: 'chatty', command: a.writer, params: '0 100000000 1000', buffersize: 1000 });
  await server.ok('START', { jobname: 'chatty' });
  const session = await server.request('GET', '/ui/session');
  const cookie = String(session.headers['set-cookie']).split(';')[0];
  const measure = async (count) => {
    const streams = follow(server, cookie, count);
    await sleep(2000);  // streams open, first bursts sent
    const before = await listenerCpu(server);
    const linesBefore = streams.reduce((t, s) => t + s.lines, 0);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = (await listenerCpu(server)) - before;
    const wall = (performance.now() - t0) / 1000;
    const lines = streams.reduce((t, s) => t + s.lines, 0) - linesBefore;
    const starved = streams.filter((s) => s.lines === 0).length;
    for (const s of streams) s.req.destroy();
    await sleep(500);
    return { streams: count, listener_core_share: cpu / wall, lines_per_stream_per_s: count ? lines / count / wall : 0, starved };
  };
  const idle = await measure(0);
  const loaded = await measure(n);
  await server.ok('STOP', { jobname: 'chatty' });
  return { idle, loaded };
}

async function table(server, browser, jobs, loads) {
  log(`adding ${jobs} jobs`);
  for (let i = 0; i < jobs; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(jobs, i + 50); ++j)
      batch.push(server.ok('ADD', { jobname: `t${String(j).padStart(4, '0')}`, command: '/bin/sleep', params: '100000' }));
    await Promise.all(batch);
  }
  const { context, page } = await openPage(browser, server.baseURL);
  const times = [];
  for (let k = 0; k < loads; ++k) {
    await page.goto('/#/jobs', { waitUntil: 'commit' });
    await page.reload({ waitUntil: 'commit' });
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-job]').length >= n, jobs, { polling: 'raf', timeout: 30000 });
    times.push(await page.evaluate(() => performance.now()));
  }
  await context.close();
  return { jobs, loads, median_ms: median(times), max_ms: Math.max(...times), all_ms: times.map((t) => Math.round(t)) };
}

const server = await startServer();
const browser = await launch();
try {
  log('latency');
  const lat = await latency(server, browser, Number(a.samples));
  log(`followers (${a.followers})`);
  const fol = await followers(server, Number(a.followers), Number(a.seconds));
  log('table');
  const tab = await table(server, browser, Number(a.jobs), Number(a.loads));
  process.stdout.write(JSON.stringify({ latency: lat, followers: fol, table: tab }, null, 2) + '\n');
} finally {
  await browser.close();
  await server.stop();
}
