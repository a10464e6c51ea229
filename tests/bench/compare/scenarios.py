"""The eight scenarios, each a function of the daemons under test that adds
its samples to `results` (scenario -> daemon -> list of samples). Daemons
are taken in turn within a round; a round's order rotates, so that none is
always first after a quiet machine. one_job, many_jobs and bulk measure
several scenarios each; `want` names those to measure (None: all of them,
with the peers' floor and ceiling)."""
import glob
import math
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import time

import procs
from daemons import BackendServer, Job, free_port, json_line, wait_until

HELLO = "#!/bin/sh\necho ready\nexec sleep 100000\n"
NEEDLE = "ready"


def sample(results, scenario, daemon, value):
    results.setdefault(scenario, {}).setdefault(daemon.name, []).append(value)


def started(cls, env, workdir, jobs):
    """A daemon up with its jobs; one that failed on the way is stopped."""
    d = cls(env, workdir)
    try:
        d.start(jobs)
    except Exception as e:
        try:
            d.stop()
        except Exception:
            pass
        raise RuntimeError(f"{cls.name} in {workdir}: {type(e).__name__}: {e}") from e
    return d


def idle_memory(env, classes, workdir, results):
    """7a: the daemon alone, no job, a second after it answered."""
    for cls in classes:
        d = started(cls, env, os.path.join(workdir, cls.name), [])
        time.sleep(1)
        sample(results, "7-idle", d, d.memory())
        d.stop()


# What the A/B mode (compare.py --old/--new) measures of two builds.
REFACTOR = {"1", "3", "4", "5", "7"}


def wanted(want, scenario):
    return want is None or scenario in want


def one_job(env, classes, workdir, results, sizes, crashes, want=None):
    """1, 8 and 4 with the daemons up together, each holding j0 (up),
    g0 (up, guarded) and hello (a script that prints "ready" and sleeps)."""
    hello = os.path.join(workdir, "hello.sh")
    os.makedirs(workdir, exist_ok=True)
    with open(hello, "w") as f:
        f.write(HELLO)
    os.chmod(hello, 0o755)
    daemons = []
    for cls in classes:
        wd = os.path.join(workdir, cls.name)
        daemons.append(started(cls, env, wd, [
            Job("j0", ["/bin/sleep", "100000"], up=True),
            Job("g0", [env.stamper, os.path.join(wd, "g0.stamps")], guard=True, log=True, up=True),
            Job("hello", [hello], log=True)]))
    try:
        for clients in (1, 32) if wanted(want, "1") else ():
            for d in daemons:
                sample(results, f"1-{clients}", d, d.load("j0", clients, sizes.seconds))
        for _ in range(sizes.first_lines if wanted(want, "8") else 0):
            for d in daemons:
                sample(results, "8", d, d.first_line("hello", NEEDLE))
        if wanted(want, "4"):
            # Beside the peers, the floor is one more contestant of the rounds.
            if want is None:
                daemons.append(Floor(env, workdir))
            crash_rounds(daemons, results, crashes)
        if want is None:
            echo_floor(env, workdir, results, next(d for d in daemons if isinstance(d, BackendServer)),
                       sizes.seconds)
    finally:
        for d in daemons:
            d.stop()


def crash_rounds(daemons, results, rounds):
    """4: SIGKILL g0 and time until its new process runs: g0 is job_stamp,
    which writes the time it began to a file, so nobody asks the daemon
    anything meanwhile (a client polling its API would take CPU from it).
    Each kill comes after the job ran 1.2 s, past every daemon's crash-loop
    threshold (see daemons.py), so that no back-off is measured. Besides
    every kill, "4-p50" gets each daemon's median of this call's kills."""
    this = {d.name: [] for d in daemons}
    for i in range(rounds):
        time.sleep(1.2)
        # Each takes every place in turn: the first kill after the pause
        # finds the machine idle, the next ones find it busy with the
        # restart before.
        for d in daemons[i % len(daemons):] + daemons[:i % len(daemons)]:
            this[d.name].append(crash(d, "g0", os.path.join(d.dir, "g0.stamps")))
            sample(results, "4", d, this[d.name][-1])
    for d in daemons:
        sample(results, "4-p50", d, statistics.median(this[d.name]))


class Floor:
    """4's floor: tests/bench/restart_floor.c restarts g0's program with
    nothing but signalfd, waitpid and posix_spawn. It takes its turn in
    crash_rounds as the daemons do, killed and timed by the same crash(), so
    that the killer's polling and the pause between kills are the same for
    all (it once timed itself, with a killer that slept until the spawn and
    kills 0.2 s apart, which made it lower than what it stands for)."""
    name = "minimal C supervisor"

    def __init__(self, env, workdir):
        self.dir = os.path.join(workdir, "floor")
        os.makedirs(self.dir, exist_ok=True)
        stamp_file = os.path.join(self.dir, "g0.stamps")
        self.proc = subprocess.Popen([env.floor, env.stamper, stamp_file])
        wait_until(lambda: self.pid("g0") and os.path.exists(stamp_file) and stamps(stamp_file), 10,
                   "the minimal C supervisor to start its job")

    def pid(self, job):
        """Its job is its one child."""
        p = self.proc.pid
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = f.read().split()
        except OSError:
            return None
        return int(kids[0]) if len(kids) == 1 else None

    def stop(self):
        job = self.pid("g0")
        self.proc.kill()
        self.proc.wait()
        if job:
            try:
                os.kill(job, signal.SIGKILL)
            except ProcessLookupError:
                pass


class EchoFloor:
    name = "minimal C server"


def echo_floor(env, workdir, results, server, seconds):
    """1's floor: tests/bench/echo_floor.c answers every frame with the bytes
    backend-server answered STATUS j0 with, and nothing else, loaded by the
    same generator in the same way, while the daemons sit idle beside it."""
    reply = os.path.join(workdir, "status-reply.json")
    with open(reply, "wb") as f:
        f.write(server.raw("STATUS", {"jobname": "j0"}))
    for _ in range(5):
        port = free_port()
        floor = subprocess.Popen([env.echo_floor, str(port), reply], stdout=subprocess.PIPE, text=True)
        if floor.stdout.readline().strip() == "ready":
            break
        floor.wait()
    else:
        raise RuntimeError("echo_floor could not listen, five times")
    try:
        for clients in (1, 32):
            r = json_line([env.loadgen, "--port", str(port), "--clients", str(clients), "--threads",
                           str(min(clients, 2)), "--seconds", str(seconds), "--request", 'STATUS {"jobname":"j0"}'])
            sample(results, f"1-{clients}", EchoFloor,
                   {"req_per_s": r["rps"], "p50_us": r["p50_us"], "p99_us": r["p99_us"], "errors": r["errors"]})
    finally:
        floor.kill()
        floor.wait()


def stamps(path):
    with open(path) as f:
        return f.read().split()


def crash(daemon, job, stamp_file):
    pid, before = daemon.pid(job), len(stamps(stamp_file))
    if not pid:
        raise RuntimeError(f"{daemon.name}: {job} is not running")
    t0 = time.time()
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: len(stamps(stamp_file)) > before, 10, f"{daemon.name} to start {job} again", 0.0005)
    return float(stamps(stamp_file)[before]) - t0


def many_jobs(env, classes, workdir, results, sizes, want=None):
    """3, 2 and 7b: N jobs configured, started together, then the status of
    all of them and the daemon's memory with all of them running. The jobs
    are /bin/sleep, copied per daemon, so that the wait for them to be gone
    counts no sleep of anything else on the machine (the chaos and
    integration tests run /bin/sleep)."""
    names = [f"s{i}" for i in range(sizes.many)]
    for cls in classes:
        wd = os.path.join(workdir, cls.name)
        sleep = own_copy("/bin/sleep", wd)
        d = started(cls, env, wd, [Job(n, [sleep, "100000"]) for n in names])
        try:
            sample(results, "3", d, d.start_jobs(names))
            if wanted(want, "7"):
                time.sleep(1)
                sample(results, "7-many", d, d.memory())
            if wanted(want, "2"):
                sample(results, "2", d, d.load("status_all", 1, sizes.seconds))
        finally:
            d.stop()
        wait_gone(sleep, d.name)
    if want is None:
        sleep = own_copy("/bin/sleep", os.path.join(workdir, "floor"))
        sample(results, "3", SpawnFloor, spawn_loop(env, sizes.many, sleep))


class SpawnFloor:
    name = "posix_spawn loop"


def wait_gone(program, who, timeout=30):
    wait_until(lambda: not procs.running(program), timeout, f"{who}'s jobs ({program}) to be gone", 0.05)


def count_lines(files, pattern):
    """{id: sequence numbers, in file order} of the writer lines in files."""
    seqs = {}
    rx = re.compile(pattern)
    for path in files:
        with open(path, "rb") as f:
            for m in rx.finditer(f.read()):
                seqs.setdefault(m.group(1).decode(), []).append(int(m.group(2)))
    return seqs


def own_copy(program, workdir):
    """A copy of program per daemon, so that its jobs are found by path."""
    path = os.path.join(workdir, os.path.basename(program))
    os.makedirs(workdir, exist_ok=True)
    shutil.copy(program, path)
    return path


def own_writer(env, workdir):
    return own_copy(env.writer, workdir)


def bulk(env, classes, workdir, results, sizes, want=None):
    """5: one job writing sizes.bulk_lines 70-byte lines as fast as it can,
    logged: MB/s from the writer's start (its stamp file) until the log holds
    the last line, and the daemon's CPU seconds meanwhile. A daemon whose log
    never gets the last line (PM2 drops lines) is reported with the lines it
    kept and no rate; compare.py fails the run only when backend-server does.
    Each daemon's log is deleted once counted: left on disk, it made
    whichever daemon came next slower and busier (over 12 alternating
    old/new rounds of the A/B mode, the second of the round spent more CPU
    than the first in 11, 1.6 to 6 times as much, whichever build it was;
    with the log deleted, in 3 of 10)."""
    lines = sizes.bulk_lines
    for cls in classes:
        wd = os.path.join(workdir, cls.name)
        stamp = os.path.join(wd, "stamp")
        d = started(cls, env, wd, [Job("bulk", [own_writer(env, wd), "b", str(lines), "0", stamp], log=True)])
        try:
            watch = subprocess.Popen(["python3", env.wait_log, d.log_path("bulk"), f"w b {lines - 1} ",
                                      str(sizes.bulk_timeout)],
                                     stdout=subprocess.PIPE, text=True)
            time.sleep(0.3)
            c0 = d.cpu()
            d.start_jobs(["bulk"], wait=False)
            seen = watch.communicate()[0].strip()
            cpu = d.cpu() - c0
            files = settled_logs(d, ["bulk"]) if watch.returncode else glob.glob(d.log_path("bulk"))
            got = sum(len(v) for v in count_lines(files, rb"w (b) (\d+) x").values())
            rate = 0.0
            if watch.returncode == 0:
                with open(stamp) as f:
                    rate = lines * 70 / 1e6 / (float(seen) - float(f.read()))
            sample(results, "5", d, {"mb_per_s": rate, "cpu_s": cpu, "lines": got, "lost": lines - got})
        finally:
            d.stop()
        for f in glob.glob(d.log_path("bulk")):
            os.unlink(f)
    if want is None:
        sample(results, "5", Ceiling, ceiling(env, workdir, lines))


class Ceiling:
    name = "writer | cat > file"


def ceiling(env, workdir, lines):
    """The same writer piped into cat writing a file: no supervisor at all."""
    stamp, out = os.path.join(workdir, "cat.stamp"), os.path.join(workdir, "cat.log")
    with open(out, "wb") as f:
        writer = subprocess.Popen([env.writer, "b", str(lines), "0", stamp], stdout=subprocess.PIPE)
        subprocess.run(["cat"], stdin=writer.stdout, stdout=f, check=True)
        writer.wait()
    t1 = time.time()
    with open(stamp) as f:
        seconds = t1 - float(f.read())
    os.unlink(out)
    return {"mb_per_s": lines * 70 / 1e6 / seconds, "cpu_s": 0, "lines": lines, "lost": 0}


def trickle(env, classes, workdir, results, sizes):
    """6: sizes.trickle_jobs jobs each writing a line every millisecond for
    sizes.trickle_s seconds, logged: the daemon's CPU share over the window
    (START until the last writer exited) and every line checked in the logs."""
    count = sizes.trickle_s * 1000
    for cls in classes:
        wd = os.path.join(workdir, cls.name)
        writer = own_writer(env, wd)
        names = [f"t{i}" for i in range(sizes.trickle_jobs)]
        d = started(cls, env, wd, [Job(n, [writer, n[1:], str(count), "1000"], log=True) for n in names])
        try:
            c0, t0 = d.cpu(), time.monotonic()
            d.start_jobs(names, wait=False)
            wait_gone(writer, d.name, timeout=sizes.trickle_s * 10 + 30)
            window, cpu = time.monotonic() - t0, d.cpu() - c0
            files = settled_logs(d, names)
            sample(results, "6", d, {"cpu_pct": 100 * cpu / window, "window_s": window,
                                     **check_trickle(count_lines(files, rb"w (\d+) (\d+) x"), names, count)})
        finally:
            d.stop()


def settled_logs(daemon, names, quiet=1.0, timeout=60):
    """The jobs' log files once their sizes stayed the same for `quiet`
    seconds: a daemon still writing what it read is not counted as losing."""
    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        files = sorted(f for n in names for f in glob.glob(daemon.log_path(n)))
        sizes = [os.path.getsize(f) for f in files]
        if sizes != last:
            last, since = sizes, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.1)
    return files


def check_trickle(seqs, names, count):
    expected = len(names) * count
    lost = dup = 0
    for n in names:
        got = seqs.get(n[1:], [])
        distinct = set(got)
        lost += count - len(distinct & set(range(count)))
        dup += len(got) - len(distinct)
    return {"expected": expected, "lost": lost, "duplicated": dup}


def huge(env, classes, workdir, results, sizes):
    """9: sizes.huge jobs (/bin/sleep) configured, then started: backend-server
    all at once (its START per job over 8 connections), the peers a batch of
    sizes.huge_batch at a time, each batch until it is up, for at most
    sizes.huge_budget seconds: the largest count each reaches. At that count,
    the status of all jobs (1 client) and the daemon's memory. backend-server's
    jobs are added through ADD over 8 connections, so that saving its
    settings is measured too; the peers read theirs from their config. Then,
    backend-server alone, every other cost that grows with the number of
    jobs (BackendServer.costs_at_scale). The jobs are guarded (restarted if
    they die), so that the guarder's sweep has them all to look at."""
    for cls in classes:
        wd = os.path.join(workdir, cls.name)
        sleep = own_copy("/bin/sleep", wd)
        one_by_one = cls is not BackendServer and not issubclass(cls, BackendServer)
        # backend-server's master keeps each running job's two pipes and its
        # output stage open (so that a supervisor's death loses no line): at
        # three descriptors a job, a hard limit below that is a ceiling no
        # setting lifts. It is then run at the count that fits, and says so.
        count = sizes.huge if one_by_one else min(sizes.huge, (hard_nofile() - 512) // 3)
        names = [f"h{i}" for i in range(count)]
        jobs = [Job(n, [sleep, "100000"], guard=True) for n in names]
        d = cls(env, wd)
        d.capacity = count + 64  # room for the ADDs of costs_at_scale
        d.http = not one_by_one  # costs_at_scale scrapes /metrics
        try:
            d.start(jobs if one_by_one else [])
            row = {"jobs": 0, "seconds": 0.0}
            if not one_by_one:
                row["added_s"] = d.add_all(jobs)
                if count < sizes.huge:
                    row["capped_by"] = f"descriptor limit {hard_nofile():,}, 3 a job: {count:,} jobs"
            batch = sizes.huge_batch if one_by_one else count
            t0 = time.perf_counter()
            for i in range(0, count, batch):
                if time.perf_counter() - t0 > sizes.huge_budget:
                    break
                try:
                    d.start_jobs(names[i:i + batch])
                except Exception as e:  # a peer out of descriptors, say: the count it reached is its result
                    row["stopped_by"] = f"{type(e).__name__}: {str(e)[:200]}"
                    break
                row["jobs"], row["seconds"] = i + len(names[i:i + batch]), time.perf_counter() - t0
            time.sleep(1)
            try:
                row.update({k: v for k, v in d.memory().items()})
                status = d.load("status_all", 1, sizes.seconds)
                row["status_all_p99_us"], row["status_all_p50_us"] = status["p99_us"], status["p50_us"]
                if not one_by_one:
                    row.update(d.costs_at_scale(names, sizes.seconds))
            except Exception as e:  # it died of the count it reached: that is its result
                row.setdefault("stopped_by", f"{type(e).__name__}: {str(e)[:200]}")
            sample(results, "9", d, row)
        finally:
            try:
                d.stop()
            except Exception:
                pass
        # Stopping thousands of jobs is not what this scenario measures, and
        # a peer that leaves some behind must not spoil the next daemon's run.
        try:
            wait_gone(sleep, d.name, timeout=120)
        except RuntimeError:
            for pid in procs.running(sleep):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            wait_gone(sleep, d.name, timeout=60)
    # The floor: a bare posix_spawn loop at backend-server's count, and at
    # the full count when that was capped.
    count = min(sizes.huge, (hard_nofile() - 512) // 3)
    sleep = own_copy("/bin/sleep", os.path.join(workdir, "floor"))
    row = {"jobs": count, "seconds": spawn_loop(env, count, sleep)}
    if count < sizes.huge:
        row["seconds_all"] = spawn_loop(env, sizes.huge, sleep)
    sample(results, "9", SpawnFloor, row)


def spawn_loop(env, n, program):
    """Seconds a bare posix_spawn loop takes to start n copies of program
    (spawn_floor.c), which it kills and reaps before it returns."""
    out = subprocess.run([env.spawn_floor, str(n), program, "100000"], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def hard_nofile():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 1 << 30 if hard == resource.RLIM_INFINITY else hard


class Sizes:
    def __init__(self, smoke, seconds):
        self.seconds = seconds
        self.many = 20 if smoke else 1000
        self.first_lines = 2 if smoke else 20
        self.crashes = 2 if smoke else 100
        self.bulk_lines = (2 if smoke else 200) * 1000000 // 70
        self.trickle_jobs = 5 if smoke else 100
        self.trickle_s = 1 if smoke else 30
        self.bulk_timeout = 30 if smoke else 120
        self.huge = 50 if smoke else 10000
        self.huge_batch = 10 if smoke else 1000
        self.huge_budget = 30 if smoke else 300

    def crashes_per_round(self, rounds):
        return math.ceil(self.crashes / rounds)
