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
    or a percentile of pooled samples) with its spread, and the ratio of
    backend-server to the better peer, "times better" either way."""

    def __init__(self, label, values, higher_better, target, digits=0, spread=None):
        self.label, self.values, self.higher = label, values, higher_better
        self.target, self.digits, self.spread = target, digits, spread or {}

    def ratio(self):
        peers = [self.values[p] for p in PEERS if p in self.values]
        if US not in self.values or not peers or not self.values[US]:
            return None
        return self.values[US] / max(peers) if self.higher else min(peers) / self.values[US]

    def cell(self, daemon):
        if daemon not in self.values:
            return "-"
        text = num(self.values[daemon], self.digits)
        if daemon in self.spread:
            lo, hi = self.spread[daemon]
            text += f" ({num(lo, self.digits)}..{num(hi, self.digits)})"
        return text

    def verdict(self):
        r = self.ratio()
        if r is None or self.target is None:
            return "-"
        return "**met**" if r >= self.target else "**missed**"

    def line(self):
        r = self.ratio()
        target = "-" if self.target is None else f">= {self.target:g}x"
        return (f"| {self.label} | {self.cell(US)} | {self.cell('supervisord')} | {self.cell('pm2')} | "
                f"{'-' if r is None else f'**{r:.1f}x**'} | {target} | {self.verdict()} |")


def median_row(label, samples, key, higher, target, digits=0, scale=1):
    values, spread = {}, {}
    for d, s in samples.items():
        v = [(x[key] if key else x) * scale for x in s]
        values[d], spread[d] = statistics.median(v), (min(v), max(v))
    return Row(label, values, higher, target, digits, spread)


def pooled_row(label, samples, p, target, scale=1e3, digits=2):
    return Row(label, {d: pct(s, p) * scale for d, s in samples.items()}, False, target, digits)


def rows(results, sizes):
    r, many = results, f"{sizes.many:,}"
    out = []
    for c in (1, 32):
        s = r.get(f"1-{c}", {})
        out.append(median_row(f"1. status of one job, {c} client{'s' if c > 1 else ''}: requests/s", s,
                              "req_per_s", True, 10))
        out.append(median_row("1. same, p99 µs", s, "p99_us", False, None))
    s = r.get("2", {})
    out.append(median_row(f"2. status of all jobs, {many} jobs: p50 µs", s, "p50_us", False, 10))
    out.append(median_row("2. same, p99 µs", s, "p99_us", False, 10))
    out.append(median_row(f"3. start {many} jobs: seconds until all up", r.get("3", {}), None, False, 2, 3))
    s = r.get("4", {})
    out.append(pooled_row("4. crash to running again: p50 ms", s, 0.5, 10))
    out.append(pooled_row("4. same, p99 ms", s, 0.99, 10))
    s = {d: v for d, v in r.get("5", {}).items()}
    out.append(median_row(f"5. output capture, {sizes.bulk_lines * 70 / 1e6:.0f} MB: MB/s", s, "mb_per_s", True, 2))
    out.append(median_row("5. same, daemon CPU seconds", s, "cpu_s", False, None, 2))
    out.append(median_row("5. same, lines lost (a daemon that lost the last one has no rate)", s, "lost", False,
                          None))
    s = r.get("6", {})
    out.append(median_row(f"6. {sizes.trickle_jobs} chatty jobs: daemon CPU, % of a core", s, "cpu_pct", False, 1, 1))
    out.append(median_row("6. same, lines lost", s, "lost", False, None))
    out.append(median_row("7. daemon memory, idle: RSS MiB", r.get("7-idle", {}), "rss_kib", False, 10, 1,
                          1 / 1024))
    out.append(median_row("7. same, PSS MiB", r.get("7-idle", {}), "pss_kib", False, None, 1, 1 / 1024))
    out.append(median_row(f"7. daemon memory, {many} jobs running: RSS MiB", r.get("7-many", {}), "rss_kib", False,
                          10, 1, 1 / 1024))
    out.append(median_row("7. same, PSS MiB", r.get("7-many", {}), "pss_kib", False, None, 1, 1 / 1024))
    s = r.get("8", {})
    out.append(pooled_row("8. START to the first line read through the API: p50 ms", s, 0.5, 1))
    out.append(pooled_row("8. same, p99 ms", s, 0.99, None))
    return out


def ceiling_note(results):
    c = results.get("5", {}).get("writer | cat > file")
    if not c:
        return ""
    return (f"The writer piped into `cat > file`, no supervisor at all, reached "
            f"{num(statistics.median(x['mb_per_s'] for x in c))} MB/s (median): the ceiling of scenario 5 here.")


def floor_note(results):
    f = results.get("4", {}).get("minimal C supervisor")
    if not f:
        return ""
    return (f"A minimal C supervisor (`tests/bench/restart_floor.c`: signalfd, waitpid, posix_spawn, nothing "
            f"else), timed the same way beside the idle daemons, restarted the job in p50 {pct(f, 0.5) * 1e3:.2f} ms, "
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
          f"or memory).")
        w()
        w(machine.rstrip())
        w()
        w("## Results")
        w()
        w("| scenario | backend-server | supervisord | PM2 | vs better peer | target | verdict |")
        w("|---|---:|---:|---:|---:|---:|---|")
        for row in rows(results, sizes):
            w(row.line())
        w()
        lost = results.get("6", {}).get(US, [])
        w(f"Scenario 6 target: no line lost. backend-server lost {sum(x['lost'] for x in lost)} and duplicated "
          f"{sum(x['duplicated'] for x in lost)} of {sum(x['expected'] for x in lost):,} lines over the rounds; "
          + "; ".join(f"{d} lost {sum(x['lost'] for x in s)}" for d, s in results.get("6", {}).items() if d != US)
          + ".")
        w()
        w(floor_note(results))
        w()
        w(ceiling_note(results))
        w()
        w(f"Sizes: {sizes.many} jobs in 2, 3 and 7; {sizes.crashes} kills in 4; "
          f"{sizes.bulk_lines * 70 / 1e6:.0f} MB in 5; {sizes.trickle_jobs} jobs x {sizes.trickle_s} s in 6; "
          f"{sizes.first_lines} starts per round in 8.")
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
            AbRow("5. same, daemon CPU seconds", r.get("5", {}), "cpu_s", False, 2)]


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
