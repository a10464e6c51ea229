"""Writes tests/bench/results/compare.md from the samples of compare.py."""
import os
import statistics
import time

PEERS = ("supervisord", "pm2")
US = "backend-server"


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))]


def num(x, digits=0):
    return f"{x:,.{digits}f}"


class Row:
    """One measured quantity: per daemon a value (the median of the rounds,
    or a percentile of pooled samples) with its spread; the ratio of
    backend-server to the better peer, "times better" either way; and
    backend-server's value over the floor's (or ceiling's) where the run
    measured one. Targets, each optional: `peer`, at least that many times
    better than the better peer; `floor`, within that factor of the floor
    (a time at most floor x f, a rate at least ceiling / f); `limit`, an
    absolute bound (at most, or for a rate at least). Met when all are."""

    def __init__(self, label, values, higher_better, peer=None, digits=0, spread=None, floor=None, limit=None,
                 compare=True):
        self.label, self.values, self.higher = label, values, higher_better
        self.peer, self.floor, self.limit = peer, floor, limit
        self.digits, self.spread, self.compare = digits, spread or {}, compare

    def floor_value(self):
        return next((v for d, v in self.values.items() if d not in PEERS and d != US), None)

    def floor_key(self):
        return next((d for d in self.values if d not in PEERS and d != US), None)

    def ratio(self, daemon=US):
        """How many times better than the better peer `daemon` did (backend-server, or the floor)."""
        peers = [self.values[p] for p in PEERS if p in self.values]
        if not self.compare or daemon not in self.values or not peers or not self.values[daemon] or not all(peers):
            return None
        return self.values[daemon] / max(peers) if self.higher else min(peers) / self.values[daemon]

    def of_floor(self):
        f = self.floor_value()
        return self.values[US] / f if f and US in self.values else None

    def cell(self, daemon):
        if daemon is None or daemon not in self.values:
            return "-"
        text = num(self.values[daemon], self.digits)
        if daemon in self.spread:
            lo, hi = self.spread[daemon]
            text += f" ({num(lo, self.digits)}..{num(hi, self.digits)})"
        return text

    def checks(self):
        """Per target: (met by backend-server, missed by the floor too). A target
        the floor or ceiling measured in the same run misses as well is beyond
        what this machine allows: blocked, not missed."""
        out = []
        floor = self.floor_key()
        if self.peer is not None:
            r, fr = self.ratio(), self.ratio(floor) if floor else None
            out.append((r is not None and r >= self.peer, fr is not None and fr < self.peer))
        if self.floor is not None:
            f = self.of_floor()
            out.append((f is not None and (f >= 1 / self.floor if self.higher else f <= self.floor), False))
        if self.limit is not None and US in self.values:
            within = lambda v: v >= self.limit if self.higher else v <= self.limit
            out.append((within(self.values[US]), floor is not None and not within(self.values[floor])))
        return out

    def target(self):
        parts = []
        if self.peer is not None:
            parts.append(f">= {self.peer:g}x peer")
        if self.floor is not None:
            parts.append(f">= {1 / self.floor:.2g}x ceiling" if self.higher else f"<= {self.floor:g}x floor")
        if self.limit is not None:
            parts.append(f"{'>=' if self.higher else '<='} {num(self.limit, self.digits)}")
        return "; ".join(parts) or "-"

    def verdict(self):
        c = self.checks()
        if not c:
            return "-"
        if all(met for met, _ in c):
            return "**met**"
        return "**blocked**" if all(met or beyond for met, beyond in c) else "**missed**"

    def line(self):
        r, f = self.ratio(), self.of_floor()
        return (f"| {self.label} | {self.cell(US)} | {self.cell('supervisord')} | {self.cell('pm2')} | "
                f"{self.cell(self.floor_key())} | {'-' if r is None else f'**{r:.1f}x**'} | "
                f"{'-' if f is None else f'{f:.2f}'} | {self.target()} | {self.verdict()} |")


def median_row(label, samples, key, higher, peer, digits=0, scale=1, **targets):
    values, spread = {}, {}
    for d, s in samples.items():
        v = [(x[key] if key else x) * scale for x in s]
        values[d], spread[d] = statistics.median(v), (min(v), max(v))
    return Row(label, values, higher, peer, digits, spread, **targets)


def pooled_row(label, samples, p, peer, scale=1e3, digits=2, **targets):
    return Row(label, {d: pct(s, p) * scale for d, s in samples.items()}, False, peer, digits, **targets)


def huge_rows(results, sizes):
    """9: per daemon its one sample, at the count it reached."""
    s = results.get("9", {})
    one = lambda key, scale=1: {d: v[0][key] * scale for d, v in s.items() if key in v[0]}
    n = f"{sizes.huge:,}"
    return [Row(f"9. {n} jobs: how many were up within {sizes.huge_budget} s", one("jobs"), True, compare=False,
                limit=sizes.huge),
            Row("9. same, seconds until they were up", one("seconds"), False, digits=2, compare=False, limit=10),
            Row("9. same, status of all jobs, p99 ms", one("status_all_p99_us", 1e-3), False, digits=2,
                compare=False, limit=5),
            Row("9. same, daemon PSS MiB", one("pss_kib", 1 / 1024), False, digits=1, compare=False, limit=64),
            Row("9. same, daemon RSS MiB", one("rss_kib", 1 / 1024), False, digits=1, compare=False),
            # One ADD per job of the count it ran at (6,496, not 10,000, under a hard limit of 20,000 fds).
            Row("9. backend-server: an ADD for each of its jobs, over 8 connections, seconds", one("added_s"), False,
                digits=2,
                compare=False),
            # What grows with the number of jobs, at the count reached (costs_at_scale in daemons.py).
            Row("9. backend-server at that count: MEMALL, p99 ms", one("mem_all_p99_us", 1e-3), False, digits=2,
                compare=False),
            Row("9. same: STATUS of one job while another client asks MEMALL without a pause, p99 ms",
                one("status_beside_mem_all_p99_us", 1e-3), False, digits=2, compare=False),
            Row("9. same: GETALL, p99 ms", one("get_all_p99_us", 1e-3), False, digits=2, compare=False),
            Row("9. same: USAGEALL (30 points a job, as the dashboard asks), p99 ms", one("usage_all_p99_us", 1e-3),
                False, digits=2, compare=False),
            Row("9. same: USAGEALL of a day (1,440 points a job), p99 ms", one("usage_all_day_p99_us", 1e-3), False,
                digits=2, compare=False),
            Row("9. same: STATUS of one job while another client asks a day's USAGEALL without a pause, p99 ms",
                one("status_beside_usage_all_day_p99_us", 1e-3), False, digits=2, compare=False),
            Row("9. same: a scrape of GET /metrics, p50 ms", one("scrape_p50_ms"), False, digits=2, compare=False),
            Row("9. same: STATUS of one job while /metrics is scraped without a pause, p99 ms",
                one("status_beside_scrapes_p99_us", 1e-3), False, digits=2, compare=False),
            Row("9. same: one more ADD (settings saved), p99 ms", one("add_one_p99_us", 1e-3), False, digits=2,
                compare=False),
            Row("9. same: a schedule for every job, over 8 connections, seconds", one("schedules_added_s"), False,
                digits=2, compare=False),
            Row("9. same: one more schedule, p99 ms", one("schedule_one_p99_us", 1e-3), False, digits=2,
                compare=False),
            Row("9. same: SCHEDULER.GETALL, p99 ms", one("schedules_all_p99_us", 1e-3), False, digits=2,
                compare=False),
            Row("9. same: the guarder's sweep over every job, supervisor CPU ms", one("sweep_ms"), False, digits=2,
                compare=False)]


def rows(results, sizes):
    r, many = results, f"{sizes.many:,}"
    out = []
    s = r.get("1-1", {})
    out.append(median_row("1. status of one job, 1 client: requests/s", s, "req_per_s", True, None, floor=1.3))
    out.append(median_row("1. same, p99 µs", s, "p99_us", False, None))
    s = r.get("1-32", {})
    out.append(median_row("1. status of one job, 32 clients: requests/s", s, "req_per_s", True, 20))
    out.append(median_row("1. same, p99 µs", s, "p99_us", False, None))
    s = r.get("2", {})
    out.append(median_row(f"2. status of all jobs, {many} jobs: p50 µs", s, "p50_us", False, 10))
    out.append(median_row("2. same, p99 µs", s, "p99_us", False, 10))
    out.append(median_row(f"3. start {many} jobs: seconds until all up", r.get("3", {}), None, False, 15, 3,
                          floor=1.5))
    s = r.get("4", {})
    out.append(pooled_row("4. crash to running again: p50 ms", s, 0.5, None, floor=1.15))
    out.append(pooled_row("4. same, p99 ms", s, 0.99, None))
    s = {d: v for d, v in r.get("5", {}).items()}
    out.append(median_row(f"5. output capture, {sizes.bulk_lines * 70 / 1e6:.0f} MB: MB/s", s, "mb_per_s", True, 1,
                          floor=1 / 0.9))
    out.append(median_row("5. same, daemon CPU seconds", {d: v for d, v in s.items() if d in PEERS or d == US},
                          "cpu_s", False, 1, 2))
    out.append(median_row("5. same, lines lost (a daemon that lost the last one has no rate)", s, "lost", False,
                          None))
    s = r.get("6", {})
    out.append(median_row(f"6. {sizes.trickle_jobs} chatty jobs: daemon CPU, % of a core", s, "cpu_pct", False, 1, 1))
    out.append(median_row("6. same, lines lost", s, "lost", False, None))
    out.append(median_row("7. daemon memory, idle: RSS MiB", r.get("7-idle", {}), "rss_kib", False, None, 1,
                          1 / 1024))
    out.append(median_row("7. same, PSS MiB", r.get("7-idle", {}), "pss_kib", False, 6, 1, 1 / 1024))
    out.append(median_row(f"7. daemon memory, {many} jobs running: RSS MiB", r.get("7-many", {}), "rss_kib", False,
                          None, 1, 1 / 1024))
    out.append(median_row("7. same, PSS MiB", r.get("7-many", {}), "pss_kib", False, 4, 1, 1 / 1024))
    s = r.get("8", {})
    out.append(pooled_row("8. START to the first line read through the API: p50 ms", s, 0.5, 1))
    out.append(pooled_row("8. same, p99 ms", s, 0.99, None))
    return out + huge_rows(results, sizes)


def ceiling_note(results):
    c = results.get("5", {}).get("writer | cat > file")
    if not c:
        return ""
    return (f"The writer piped into `cat > file`, no supervisor at all, reached "
            f"{num(statistics.median(x['mb_per_s'] for x in c))} MB/s (median): the ceiling of scenario 5 here.")


FLOORS_HOW = """The floor or ceiling column is what no supervisor can beat on this machine, measured in the same
run beside the idle daemons: for 1, `tests/bench/echo_floor.c`, one thread, epoll, answering
every frame with the very bytes backend-server answered `STATUS j0` with (no parsing, no
lookup), loaded by the same generator; for 3, `tests/bench/spawn_floor.c`, one loop of 1,000
`posix_spawn`s of the same `/bin/sleep` (own session, stdio on `/dev/null`) from a process with
no other descriptor open, and for 9 the same loop at backend-server's count of jobs; for 4
and 5, the two below. ÷ floor is backend-server's value over
it: a time above 1 is slower than the floor, a rate below 1 slower than the ceiling. A target
is blocked, not missed, where backend-server misses it and the floor or ceiling misses it
too: no supervisor could meet it on this machine."""


def floor_note(results):
    f = results.get("4", {}).get("minimal C supervisor")
    if not f:
        return ""
    return (f"A minimal C supervisor (`tests/bench/restart_floor.c`: signalfd, waitpid, posix_spawn, nothing "
            f"else), killed and timed by the same rounds as the daemons, restarted the job in p50 {pct(f, 0.5) * 1e3:.2f} ms, "
            f"p99 {pct(f, 0.99) * 1e3:.2f} ms: the floor of scenario 4 here.")


HOW = """## How each scenario is measured

1. Closed loop, keep-alive: backend-server `STATUS {"jobname":"j0"}` from the C++ generator;
   supervisord `supervisor.getProcessInfo('j0')`, one HTTP/1.1 connection per client thread;
   PM2 `pm2.describe('j0')`, that many calls in flight on the API's one connection.
2. The same with one client, for the status of every job: `STATUSALL`, `getAllProcessInfo()`,
   `pm2.list()`, with the 1,000 jobs of scenario 3 running.
3. 1,000 jobs (`/bin/sleep`) configured but not running, then started together: backend-server
   1,000 `START`s over 8 connections; supervisord one `system.multicall` of 1,000
   `startProcess(name, false)`; PM2 `pm2.start({apps})` of the 1,000 (PM2 keeps no job that
   never ran, so there it is created and started in one call). Until a status query of every
   job shows them all up (RUNNING, online).
4. The job is `job_stamp` (static, so its own start-up costs little), which writes the time it
   began to a file and sleeps: SIGKILL it, then read the new process's time from the file. No
   client asks the daemon anything meanwhile. supervisord notices the exit and restarts the
   job on later turns of its loop, which sleeps up to a second when nothing else happens; a
   client polling its status wakes it sooner (10 ms was seen that way), which is why it is
   not polled here.
5. `jobs_writer` writes 70-byte lines through a 64 KiB stdio buffer; timed from the writer's
   own start (it stamps the time) until one polling process sees the last line in the log
   file. Each log is checked to hold every line. backend-server prefixes every line with its
   time and keeps the last lines in memory for READ; supervisord copies the pipe's bytes to
   its file; PM2 passes each chunk through node streams and its log bus.
6. 100 `jobs_writer`s, one line every millisecond on an absolute clock, for 30 s, logged.
   CPU = utime+stime of the daemon's own processes over the window (START until the last
   writer exited) divided by the window. Lines are counted in the log files once their sizes
   stopped changing for a second; a line is lost when its sequence number is missing.
7. Sum of VmRSS of the daemon's own processes (backend-server: master, listener, supervisor;
   supervisord: one python process; PM2: its God daemon), jobs excluded, a second after the
   daemon answered (idle, no job) and a second after the 1,000 jobs of scenario 3 are up.
   RSS counts the pages of shared libraries and shared memory once per process that touched
   them; PSS divides them among those processes, and is shown beside it.
8. A job that prints `ready` and sleeps: time from the start request until the line is read
   back through the API: backend-server `READ` with `since` after `START`; supervisord
   `readProcessStdoutLog` from the log's end after `startProcess(name, false)`; PM2 the line
   arriving on `pm2.launchBus()` after `pm2.start(app)`.

9. 10,000 jobs (`/bin/sleep`): backend-server's added by 10,000 `ADD`s over 8 connections
   (`job_capacity` 10,000, the default ring size), then started by 10,000 `START`s over 8
   connections; supervisord's from its config, PM2's created as they start; the peers started
   1,000 at a time, each thousand until it is up, for at most 5 minutes: the count each
   reached is its row. At that count, `STATUSALL` / `getAllProcessInfo()` / `pm2.list()` from
   one client for the load point's seconds, and the memory as in 7. Every daemon runs with
   the descriptor limit the package's unit gives backend-server (65,536) when the run may
   raise it.

Equivalent settings: supervisord `startsecs=0` (RUNNING once spawned, as the others report
a job up), `redirect_stderr`, one log file per job without rotation; backend-server's
guarder `backoff_reset=1`, PM2's default `min_uptime` of 1 s (a run that lasted a second is
not a crash loop; scenario 4 kills after 1.2 s).
"""


def write(path, results, sizes, args, machine):
    with open(path, "w") as f:
        w = lambda s="": print(s, file=f)
        w("# backend-server beside supervisord and PM2")
        w()
        if args.smoke:
            w("**Smoke run** (tiny sizes, one round): the numbers mean nothing.")
            w()
        w(f"Generated by `tests/bench/compare/run` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
          f"{args.rounds} rounds, the three daemons taken in turn within each (the order rotating), "
          f"{num(args.seconds, 1)} s per load point. Per daemon the median of the rounds (min..max), or for "
          f"scenarios 4 and 8 the percentile of all samples pooled. The ratio is how many times better "
          f"backend-server did than the better of the two peers (higher throughput, or lower time, CPU "
          f"or memory). Scenario 9 runs once, after the rounds.")
        w()
        w(machine.rstrip())
        w()
        w("## Results")
        w()
        w("| scenario | backend-server | supervisord | PM2 | floor or ceiling | vs better peer | ÷ floor | target "
          "| verdict |")
        w("|---|---:|---:|---:|---:|---:|---:|---|---|")
        for row in rows(results, sizes):
            w(row.line())
        w()
        lost = results.get("6", {}).get(US, [])
        w(f"Scenario 6 target: no line lost. backend-server lost {sum(x['lost'] for x in lost)} and duplicated "
          f"{sum(x['duplicated'] for x in lost)} of {sum(x['expected'] for x in lost):,} lines over the rounds; "
          + "; ".join(f"{d} lost {sum(x['lost'] for x in s)}" for d, s in results.get("6", {}).items() if d != US)
          + ".")
        w()
        w(FLOORS_HOW)
        w()
        w(floor_note(results))
        w()
        w(ceiling_note(results))
        w()
        w(f"Sizes: {sizes.many} jobs in 2, 3 and 7; {sizes.crashes} kills in 4; "
          f"{sizes.bulk_lines * 70 / 1e6:.0f} MB in 5; {sizes.trickle_jobs} jobs x {sizes.trickle_s} s in 6; "
          f"{sizes.first_lines} starts per round in 8; {sizes.huge} jobs in 9, the peers {sizes.huge_batch} at a "
          f"time for at most {sizes.huge_budget} s.")
        stopped = [f"{d}: {v[0]['stopped_by']}" for d, v in results.get("9", {}).items() if "stopped_by" in v[0]]
        stopped += [f"{d}: {v[0]['capped_by']}" for d, v in results.get("9", {}).items() if "capped_by" in v[0]]
        stopped += [f"the posix_spawn loop, uncapped, started {sizes.huge:,} in {v[0]['seconds_all']:.2f} s"
                    for d, v in results.get("9", {}).items() if "seconds_all" in v[0]]
        if stopped:
            w()
            w("In 9, what stopped a daemon short of all the jobs: " + "; ".join(stopped) + ".")
        w()
        w(HOW.rstrip())
        if args.analysis:
            with open(args.analysis) as a:
                w()
                w(a.read().rstrip())


# ---------------------------------------------------------------- A/B: two builds

TOLERANCE = 0.05  # the new build may be this much worse than the old
PCT = f"{100 * TOLERANCE:g} %"


class AbRow:
    """One quantity of the A/B mode: per build the median of the rounds and
    their min..max; new/old of the medians, and of each round's pair (the
    two builds ran one after the other in it, so the pair shares the
    machine's mood); met when new/old is at least 0.95 for a throughput, at
    most 1.05 for a time."""

    def __init__(self, label, samples, key, higher, digits, scale=1):
        self.label, self.higher, self.digits = label, higher, digits
        self.v = {b: [(x[key] if key else x) * scale for x in samples.get(b, [])] for b in ("old", "new")}

    def measured(self):
        return all(self.v.values())

    def median(self, b):
        return statistics.median(self.v[b])

    def cell(self, b):
        if not self.v[b]:
            return "-"
        return f"{num(self.median(b), self.digits)} ({num(min(self.v[b]), self.digits)}..{num(max(self.v[b]), self.digits)})"

    def ratio(self):
        return self.median("new") / self.median("old") if self.measured() and self.median("old") else None

    def pairs(self):
        return [n / o for o, n in zip(self.v["old"], self.v["new"]) if o]

    def paired(self):
        pairs = self.pairs()
        return f"{min(pairs):.3f}..{max(pairs):.3f}" if pairs else "-"

    def noise(self):
        """The larger relative spread (max - min over median) of the two
        builds; none from a single round."""
        spreads = [(max(v) - min(v)) / statistics.median(v) for v in self.v.values()
                   if len(v) > 1 and statistics.median(v)]
        return f"{100 * max(spreads):.0f} %" if spreads else "-"

    def passes(self, r):
        return r >= 1 - TOLERANCE if self.higher else r <= 1 + TOLERANCE

    def met(self):
        r = self.ratio()
        return None if r is None else self.passes(r)

    def line(self):
        r, met, pairs = self.ratio(), self.met(), self.pairs()
        verdict = "not measured" if met is None else "**met**" if met else "**missed**"
        if met is not None and len(pairs) > 1:
            verdict += f" (met in {sum(map(self.passes, pairs))} of {len(pairs)} rounds)"
        return (f"| {self.label} | {'higher' if self.higher else 'lower'} | {self.cell('old')} | {self.cell('new')} | "
                f"{'-' if r is None else f'**{r:.3f}**'} | {self.paired()} | {self.noise()} | {verdict} |")


def ab_rows(results, sizes):
    r = results
    return [AbRow("1. status of one job, 1 client: requests/s", r.get("1-1", {}), "req_per_s", True, 0),
            AbRow("1. status of one job, 32 clients: requests/s", r.get("1-32", {}), "req_per_s", True, 0),
            AbRow(f"3. start {sizes.many:,} jobs: seconds until all up", r.get("3", {}), None, False, 3),
            AbRow("4. crash to running again: p50 ms", r.get("4-p50", {}), None, False, 2, 1e3),
            AbRow(f"5. output capture, {sizes.bulk_lines * 70 / 1e6:.0f} MB: MB/s", r.get("5", {}), "mb_per_s",
                  True, 0),
            AbRow("5. same, daemon CPU seconds", r.get("5", {}), "cpu_s", False, 2),
            AbRow("7. memory, idle: PSS MiB", r.get("7-idle", {}), "pss_kib", False, 1, 1 / 1024),
            AbRow(f"7. memory, {sizes.many:,} jobs running: PSS MiB", r.get("7-many", {}), "pss_kib", False, 1,
                  1 / 1024)]


AB_HOW = """## How

The scenarios are those of the side-by-side benchmark (`tests/bench/compare/run`, method in
[compare.md](compare.md)), with two builds of backend-server as the contestants instead of
supervisord and PM2, each run from its own binary with the same settings, jobs and load
generator:

1. `STATUS {{"jobname":"j0"}}` in a closed loop over keep-alive connections from
   `bench_statusall_load`, 1 client, then 32; both servers are up together, each with its
   own port, data folder and shared memory, and take the load in turn.
3. {many:,} jobs (`/bin/sleep`) configured, then started by {many:,} `START`s over 8
   connections, until `STATUSALL` shows them all up.
4. The guarded job `job_stamp` SIGKILLed after 1.2 s up, timed until the new process stamps
   its start; the kills of a round alternate between the two servers. The value of a round
   is the median of its kills.
5. `jobs_writer` writes 70-byte lines as fast as it can to a logged job; MB/s from the
   writer's start until the log holds the last line, and the CPU seconds of the server's
   own processes meanwhile. Every line must be in the log.
7. The PSS of the server's three processes (`/proc/PID/smaps_rollup`): idle, a second
   after it answered, and with the {many:,} jobs of 3 running.

The order of the two builds alternates from round to round (old first, then new first).
Within a round the two builds' runs of a scenario follow each other directly, so a
round's new/old shares the machine's load of the moment. The spread of those per-round
ratios, and the noise column (the larger of the two builds' max - min over median), say how
large a difference this run can tell from noise: a verdict on a smaller difference than
that is a coin toss, and wants more rounds (BENCH_ROUNDS) on a quieter machine.
"""


def write_ab(path, results, sizes, args, machine, others):
    rows = ab_rows(results, sizes)
    with open(path, "w") as f:
        w = lambda s="": print(s, file=f)
        w("# Two builds of backend-server: is the new one slower?")
        w()
        if args.smoke:
            w("**Smoke run** (tiny sizes, one round): the numbers mean nothing.")
            w()
        w(f"Generated by `{args.command or 'tests/bench/compare/run --old OLD --new NEW'}` on "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.rounds} round"
          f"{'s' if args.rounds > 1 else ''}, the two builds taken in turn within each (the order "
          f"alternating), {num(args.seconds, 1)} s per load point. Per build the median of the rounds "
          f"(min..max). new/old is the ratio of the medians; per round, the min..max of each round's "
          f"ratio. The new build meets the bar when it is within {PCT} of the old or better: new/old at "
          f"least {1 - TOLERANCE:.2f} where higher is better, at most {1 + TOLERANCE:.2f} where lower is "
          f"better; beside the verdict, in how many rounds that round's ratio met it (a verdict the "
          f"rounds split on is noise more than a difference).")
        w()
        w(machine.rstrip())
        w()
        w(f"Other load meanwhile: the rest of the machine took about {num(others.other)} CPU seconds over the "
          f"run's {num(others.seconds)} s, {100 * others.share:.0f} % of its {os.cpu_count()} CPUs (the busy time in "
          f"`/proc/stat`, hypervisor steal included, less this benchmark's own processes). Near 0 % the "
          f"numbers below are the builds'; well above it, other work shared the CPUs and the noise column "
          f"says how much that blurred them.")
        w()
        w("## Results")
        w()
        w(f"| scenario | better | old | new | new/old | per round | noise | within {PCT} |")
        w("|---|---|---:|---:|---:|---:|---:|---|")
        for row in rows:
            w(row.line())
        w()
        met = [row.met() for row in rows]
        missed = [row.label for row, m in zip(rows, met) if m is False]
        w(f"The new build is within {PCT} of the old or better in {met.count(True)} of {len(rows)} rows"
          + (f"; missed: {'; '.join(missed)}." if missed else ".")
          + (f" Not measured: {met.count(None)}." if None in met else ""))
        lost = {b: sum(x["lost"] for x in results.get("5", {}).get(b, [])) for b in ("old", "new")}
        errors = {b: sum(x["errors"] for k in ("1-1", "1-32") for x in results.get(k, {}).get(b, []))
                  for b in ("old", "new")}
        w(f"Lines lost in 5: old {lost['old']}, new {lost['new']}; failed requests in 1: old {errors['old']}, "
          f"new {errors['new']} (the run fails on any).")
        w()
        w(f"Sizes: {sizes.many} jobs in 3; {sizes.crashes} kills in 4 ({sizes.crashes_per_round(args.rounds)} "
          f"per build and round); {sizes.bulk_lines * 70 / 1e6:.0f} MB in 5.")
        w()
        w(AB_HOW.format(many=sizes.many).rstrip())
