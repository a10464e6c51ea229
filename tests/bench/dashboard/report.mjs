// Writes tests/bench/results/dashboard.md from bench.mjs's JSON:
//   node report.mjs RESULTS.json MACHINE.md COMMAND
import fs from 'node:fs';

const [resultsFile, machineFile, command] = process.argv.slice(2);
const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
const verdict = (ok) => (ok ? '**met**' : '**missed**');
const f1 = (x) => x.toFixed(1);
const { latency: lat, followers: fol, table: tab } = r;
const share = fol.loaded.listener_core_share;
const out = `# The dashboard: benchmark results

Written by \`${command}\` (tests/bench/dashboard/bench.mjs) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC,
in Debian's chromium, headless, through playwright-core.

${fs.readFileSync(machineFile, 'utf8').trim()}

## Results

| what | measured | target | |
|---|---|---|---|
| a printed line on the job's page, p50 | ${f1(lat.p50_ms)} ms (p90 ${f1(lat.p90_ms)}, p99 ${f1(lat.p99_ms)}, max ${f1(lat.max_ms)}; ${lat.samples} lines) | < 100 ms | ${verdict(lat.p50_ms < 100)} |
| the listener with ${fol.loaded.streams} pages following a job printing 1,000 lines/s | ${f1(share * 100)} % of a core (${f1(fol.idle.listener_core_share * 100)} % with none) | < 10 % | ${verdict(share < 0.1)} |
| lines each page received | ${Math.round(fol.loaded.lines_per_stream_per_s)}/s; pages that got none: ${fol.loaded.starved} | every page | ${verdict(fol.loaded.starved === 0 && fol.loaded.lines_per_stream_per_s > 0)} |
| the jobs page with ${tab.jobs} jobs, navigation to a row for every job and the first screen painted | median ${Math.round(tab.median_ms)} ms of ${tab.loads} loads (max ${Math.round(tab.max_ms)}; ${tab.all_ms.join(', ')}) | < 500 ms | ${verdict(tab.median_ms < 500)} |

How each is measured:
- **Line latency**: a job (tests/bench/line_stamps.c) prints its wall-clock
  time every 100 ms; a MutationObserver in the job's page notes when each
  line's element enters the output. Same machine, same clock.
- **Followers**: as many event streams as pages (\`GET /ui/events?job=chatty\`
  with a page's session cookie), read by one node process; the job is
  tests/bench/jobs_writer.c at 1,000 lines a second. The listener's share is
  its CPU seconds (\`backend_process_cpu_seconds_total{process="listener"}\`)
  over the run's wall time; the run with no stream is the baseline.
- **Table**: the jobs page reloaded; the time is \`performance.now()\` (from
  the navigation's start) at the first animation frame after the table
  holds a row for every job. Rows out of view are in the table but not laid
  out until scrolled to (pages/jobs.js): laying out all 1,000 rows alone
  took 250 to 350 ms here, most of the 1 s the page took before.
`;
process.stdout.write(out);
