#!/usr/bin/env python3
"""chaos.py: backend-server under load while its workers are killed.

  chaos.py --server BIN --writer JOBS_WRITER [--seconds 300] [--clients 32]

One server on a free port, its own data folder and shared-memory name. Set-up:
4 chatty jobs (jobs_writer, a numbered line every 10 ms, logged) and 8
schedules that never come due. Then, for SECONDS, 32 clients send a mix of
every core command plus SCHEDULER.GETALL, each on jobs of its own (ADD,
UPDATE, DELETE, START, STOP, RESTART of `sleep` jobs, and every query),
while a killer SIGKILLs the listener or the supervisor at random every 1 to
3 s. A sampler looks every 0.2 s for two processes of one job.

Afterwards, with the server left to settle:
- every request got a well-formed reply or a clean connection error;
- every job a client knows to exist (an OK it was told) is there with the
  settings it last set, and every job it knows it deleted is gone; a
  request whose fate is unknown (the connection broke, or the supervisor
  died while handling it and said so) makes that job's state unknown;
- no job ever ran twice at once, and each job's process matches its state;
- the schedules are as they were set;
- every chatty job's log holds each line once, with no gap;
- no zombie is left, and the master, listener and supervisor hold the
  same fds as before (from /proc/PID/fd, in the same state: no job running);
- the server stops within a minute of SIGTERM, no job outlives it, and a
  sanitizer build reported nothing into the server's output.
Prints the figures as JSON on the last line; exits 1 on any violation.
"""
import argparse
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
import jobs_client  # noqa: E402  (tests/bench: backend-server's framing)

CODES = {"OK", "FAILED", "DENIED", "UNKNOWN"}
SUPERVISOR_LOST = "the supervisor stopped while handling this request"
JOBS_PER_CLIENT = 4
CHATTY = 4
CHATTY_INTERVAL_US = 10000


def log(msg):
    print(f"chaos: {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


class Violations:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, what):
        with self.lock:
            if len(self.items) < 200:
                self.items.append(what)


class Conn:
    """One keep-alive connection; reconnects after a failure."""

    def __init__(self, port, timeout):
        self.port, self.timeout, self.s = port, timeout, None

    def close(self):
        if self.s:
            self.s.close()
            self.s = None

    def call(self, command, params=None):
        """The reply as a dict; raises OSError on a connection error and
        socket.timeout (an OSError too) when no reply comes in time."""
        payload = command if params is None else command + " " + json.dumps(params)
        try:
            if not self.s:
                self.s = jobs_client.connect(self.port)
                self.s.settimeout(self.timeout)
            raw = jobs_client.call(self.s, payload)
        except EOFError as e:
            self.close()
            raise ConnectionResetError("closed by the server") from e
        except OSError:
            self.close()
            raise
        return json.loads(raw)


# ------------------------------------------------------------------ server

class Server:
    def __init__(self, binary, workdir):
        self.binary, self.dir = binary, workdir
        self.data = os.path.join(workdir, "data")
        self.port = free_port()
        self.shm = f"chaos-{os.getpid()}-{self.port}"
        self.conf = os.path.join(workdir, "backend-server.conf")
        with open(self.conf, "w") as f:
            json.dump({"listen": f"127.0.0.1:{self.port}", "http_listen": "", "data_dir": self.data,
                       "shm_name": self.shm}, f)
        self.out = open(os.path.join(workdir, "server.out"), "w")
        self.proc = subprocess.Popen([binary, "-c", self.conf], stdout=self.out, stderr=subprocess.STDOUT)
        self.c = Conn(self.port, 30)
        deadline = time.time() + 20
        while True:
            try:
                if self.c.call("STATUSALL")["code"] == "OK":
                    break
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)

    def ok(self, command, params=None):
        r = self.c.call(command, params)
        if r.get("code") != "OK":
            raise RuntimeError(f"{command} {params}: {r}")
        return r.get("data")

    def worker(self, comm):
        for pid in children(self.proc.pid):
            if read(f"/proc/{pid}/comm").strip() == comm:
                return pid
        return None

    def workers(self):
        return {"master": self.proc.pid, "listener": self.worker("backend-listen"),
                "supervisor": self.worker("backend-superv")}

    def stop(self):
        """False when it did not stop within a minute (it is killed then)."""
        self.c.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
            return True
        except subprocess.TimeoutExpired:
            for pid in [p for p in self.workers().values() if p]:
                os.kill(pid, signal.SIGKILL)
            self.proc.wait()
            return False
        finally:
            self.out.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def children(pid):
    out = []
    for task in glob.glob(f"/proc/{pid}/task/*/children"):
        out += [int(p) for p in read(task).split()]
    return out


def open_fds(pid):
    """{kind: count} of a process's fds: sockets, pipes, anon inodes, memfds
    and files by path. Log files are left out: the log writers keep a file
    open for a while after its last line, by design. A process's own /proc
    files count as one kind whatever its pid: the spawner keeps its stat
    file open, and a killed supervisor's successor has another pid."""
    kinds = {}
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.endswith(".log"):
            continue
        kind = re.sub(r"^/proc/\d+/", "/proc/PID/", re.sub(r"[:\[]\d+\]?$|\[\d+\]$", "", target))
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def zombies_under(pids):
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        fields = read(stat).rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[0] == "Z" and int(fields[1]) in pids:
            found.append(int(stat.split("/")[2]))
    return found


def processes_by_arg(prefix):
    """{argument: [pids]} of live `sleep` processes whose argument starts with prefix."""
    out = {}
    for cmd in glob.glob("/proc/[0-9]*/cmdline"):
        argv = read(cmd).split("\0")
        if len(argv) >= 2 and argv[0].endswith("sleep") and argv[1].startswith(prefix):
            out.setdefault(argv[1], []).append(int(cmd.split("/")[2]))
    return out


# ------------------------------------------------------------------ clients

class Job:
    """What a client knows of one of its jobs: None where it cannot know."""

    def __init__(self, name, arg):
        self.name, self.arg = name, arg
        self.exists = False
        self.buffersize = None


class Client(threading.Thread):
    def __init__(self, index, port, deadline, violations, stats, tag):
        super().__init__(daemon=True)
        self.i, self.deadline, self.v, self.stats = index, deadline, violations, stats
        self.conn = Conn(port, 30)
        self.rng = random.Random(index)
        self.jobs = [Job(f"c{index}_{k}", f"{tag}{index:03d}{k}") for k in range(JOBS_PER_CLIENT)]
        self.counts = {"requests": 0, "replies": 0, "connection_errors": 0, "unknown_outcomes": 0}
        self.codes = {}

    def run(self):
        while time.time() < self.deadline:
            self.step()
        self.conn.close()
        with self.stats["lock"]:
            for k, n in self.counts.items():
                self.stats[k] = self.stats.get(k, 0) + n
            for k, n in self.codes.items():
                self.stats["codes"][k] = self.stats["codes"].get(k, 0) + n

    def step(self):
        job = self.rng.choice(self.jobs)
        roll = self.rng.random()
        if roll < 0.45:
            self.query(job)
        elif roll < 0.55:
            self.send("ADD", {"jobname": job.name, "command": "/bin/sleep", "params": job.arg,
                              "buffersize": 20}, job, on_ok=lambda: self.added(job))
        elif roll < 0.70:
            size = self.rng.randint(1, 10000)
            self.send("UPDATE", {"jobname": job.name, "buffersize": size}, job,
                      on_ok=lambda: setattr(job, "buffersize", size))
        elif roll < 0.77:
            self.send("DELETE", {"jobname": job.name}, job, on_ok=lambda: setattr(job, "exists", False))
        else:
            self.send(self.rng.choice(["START", "STOP", "RESTART"]), {"jobname": job.name}, job)

    def added(self, job):
        job.exists, job.buffersize = True, 20

    def query(self, job):
        command = self.rng.choice(["STATUS", "GET", "READ", "MEM", "STATUSALL", "GETALL", "MEMALL",
                                   "SERVERREAD", "SERVERMEM", "SCHEDULER.GETALL"])
        params = {"jobname": job.name} if command in ("STATUS", "GET", "READ", "MEM") else None
        self.send(command, params, None)

    def send(self, command, params, job, on_ok=None):
        """One request. A write whose fate is unknown makes its job unknown."""
        self.counts["requests"] += 1
        try:
            r = self.conn.call(command, params)
        except socket.timeout:
            self.v.add(f"client {self.i}: no reply to {command} {params} within 30 s")
            self.unknown(job)
            return
        except OSError:
            self.counts["connection_errors"] += 1
            self.unknown(job)
            time.sleep(0.01)
            return
        except ValueError as e:
            self.v.add(f"client {self.i}: {command}: reply is not JSON: {e}")
            return
        self.counts["replies"] += 1
        code = r.get("code") if isinstance(r, dict) else None
        self.codes[code] = self.codes.get(code, 0) + 1
        if code not in CODES:
            self.v.add(f"client {self.i}: {command}: reply without a known code: {r}")
        elif code != "OK" and not isinstance(r.get("error"), str):
            self.v.add(f"client {self.i}: {command}: {code} without an error sentence: {r}")
        elif code == "OK" and on_ok:
            on_ok()
        elif code != "OK" and SUPERVISOR_LOST in r.get("error", ""):
            self.unknown(job)

    def unknown(self, job):
        if job is not None:
            self.counts["unknown_outcomes"] += 1
            job.exists, job.buffersize = None, None


# ------------------------------------------------------------------ killer, sampler

class Killer(threading.Thread):
    def __init__(self, server, deadline, rng):
        super().__init__(daemon=True)
        self.server, self.deadline, self.rng = server, deadline, rng
        self.kills = {"listener": 0, "supervisor": 0}

    def run(self):
        while True:
            time.sleep(self.rng.uniform(1, 3))
            if time.time() >= self.deadline:
                return
            kind = self.rng.choice(["listener", "supervisor"])
            pid = self.server.workers()[kind]
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                    self.kills[kind] += 1
                except ProcessLookupError:
                    pass


class Sampler(threading.Thread):
    """Looks for two live processes of one job."""

    def __init__(self, deadline, violations, tag):
        super().__init__(daemon=True)
        self.deadline, self.v, self.samples, self.tag = deadline, violations, 0, tag

    def run(self):
        while time.time() < self.deadline:
            for arg, pids in processes_by_arg(self.tag).items():
                if len(pids) > 1 and len([p for p in pids if read(f"/proc/{p}/stat")]) > 1:
                    self.v.add(f"job with argument {arg} runs twice: pids {pids}")
            self.samples += 1
            time.sleep(0.2)


# ------------------------------------------------------------------ checks

# A supervisor started after a kill adopts the running jobs; one whose exit
# went to the supervisor that was killed is still UP until its own exit
# deadline (kExitDeadlineMs, 2 s, worker/supervisor/takeover.h) ends it.
ADOPTION_S = 2.5


def age_s(pid):
    """Seconds since the process started (0 when it is gone)."""
    fields = read(f"/proc/{pid}/stat").rsplit(")", 1)[-1].split()
    if len(fields) < 20:
        return 0.0
    return float(read("/proc/uptime").split()[0]) - int(fields[19]) / os.sysconf("SC_CLK_TCK")


def settle(server, timeout=60):
    """Until both workers run and answer a write (the supervisor too), and
    the supervisor has been up for longer than its adopted jobs may wait for
    their exits: a clean-clone run checked a job that the last kill left UP
    in that window, and its STOP then failed as the job was ended."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            w = server.workers()
            probe = {"jobname": "chatty0", "writelog": True}
            if (w["listener"] and w["supervisor"] and age_s(w["supervisor"]) > ADOPTION_S
                    and server.c.call("UPDATE", probe)["code"] == "OK"):
                return w
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not settle after the chaos")


def check_jobs(server, clients, v, tag):
    stored = server.ok("GETALL")
    status = server.ok("STATUSALL")
    procs = processes_by_arg(tag)
    checked = 0
    for c in clients:
        for j in c.jobs:
            there = j.name in stored
            if j.exists is True and not there:
                v.add(f"job {j.name} was added (OK) but is gone")
            elif j.exists is False and there:
                v.add(f"job {j.name} was deleted (OK) or never added, but exists: {stored[j.name]}")
            elif there and j.buffersize is not None and stored[j.name].get("buffersize") != j.buffersize:
                v.add(f"job {j.name}: buffersize {stored[j.name].get('buffersize')}, last set {j.buffersize}")
            running = procs.get(j.arg, [])
            if len(running) > 1:
                v.add(f"job {j.name} runs {len(running)} times: {running}")
            if there and (status.get(j.name) == "UP") != bool(running):
                v.add(f"job {j.name} is {status.get(j.name)} but has {len(running)} processes")
            if not there and running:
                v.add(f"job {j.name} does not exist but runs: {running}")
            checked += 1
    return checked


def stop_client_jobs(server, clients):
    status = server.ok("STATUSALL")
    for c in clients:
        for j in c.jobs:
            if status.get(j.name) == "UP":
                server.ok("STOP", {"jobname": j.name})


def check_logs(data_dir, v):
    """Each chatty job's lines, each once and with no gap."""
    verified = 0
    pattern = re.compile(rb"w (\d+) (\d+) x")
    for k in range(CHATTY):
        seqs = []
        for path in sorted(glob.glob(os.path.join(data_dir, "log", "jobs", f"chatty{k}", "*", "*.log"))):
            if path.endswith(".error.log"):
                continue
            with open(path, "rb") as f:
                seqs += [int(m.group(2)) for m in pattern.finditer(f.read())]
        if not seqs:
            v.add(f"chatty{k}: no line in its log")
            continue
        dups = len(seqs) - len(set(seqs))
        missing = set(range(max(seqs) + 1)) - set(seqs)
        if dups:
            v.add(f"chatty{k}: {dups} lines logged twice")
        if missing:
            v.add(f"chatty{k}: {len(missing)} lines missing, first {sorted(missing)[:5]}")
        verified += len(set(seqs))
    return verified


def wait_fds(pid, want, timeout=10):
    deadline = time.time() + timeout
    got = open_fds(pid)
    while got != want and time.time() < deadline:
        time.sleep(0.1)
        got = open_fds(pid)
    return got


# ------------------------------------------------------------------ main

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", required=True)
    p.add_argument("--writer", required=True)
    p.add_argument("--seconds", type=float, default=300)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seed", type=int, default=int(time.time()))
    a = p.parse_args()
    v = Violations()
    workdir = tempfile.mkdtemp(prefix="chaos.")
    server = Server(a.server, workdir)
    # Each job's `sleep` takes a number of seconds unique to this run and job
    # (9, the port, the client, the job), by which its processes are found.
    tag = f"9{server.port:05d}"
    try:
        figures = run(a, server, v, tag)
    finally:
        if not server.stop():
            v.add("the server did not stop within 60 s of SIGTERM")
        for pids in processes_by_arg(tag).values():
            for pid in pids:
                v.add(f"job process {pid} outlived the server")
                os.kill(pid, signal.SIGKILL)
    # A sanitizer build reports into the server's output and dies; the
    # master would start the worker again and nothing else would tell.
    with open(os.path.join(workdir, "server.out"), errors="replace") as f:
        for line in f:
            if "ERROR: AddressSanitizer" in line or "ERROR: LeakSanitizer" in line or "runtime error:" in line:
                v.add("sanitizer: " + line.strip())
    figures["violations"] = len(v.items)
    for item in v.items:
        log("VIOLATION: " + item)
    print(json.dumps(figures))
    if v.items:
        log(f"server output and data left in {workdir}")
        sys.exit(1)
    shutil.rmtree(workdir, ignore_errors=True)


def run(a, server, v, tag):
    # The fds of the three processes with no job running, to compare with
    # those of the (new) processes in the same state afterwards.
    before = {k: open_fds(pid) for k, pid in server.workers().items()}
    lines = int((a.seconds + 120) * 1e6 / CHATTY_INTERVAL_US)
    for k in range(CHATTY):
        server.ok("ADD", {"jobname": f"chatty{k}", "command": a.writer,
                          "params": f"{k} {lines} {CHATTY_INTERVAL_US}", "writelog": True})
        server.ok("START", {"jobname": f"chatty{k}"})
    schedules = {}
    for k in range(8):
        cond = {"Y": "2099", "m": f"{k + 1:02d}", "d": "01", "H": "03", "i": "00"}
        uuid = server.ok("SCHEDULER.ADD", {"jobname": f"chatty{k % CHATTY}", "enable": k % 2 == 0,
                                           "condition": cond})
        schedules[uuid] = (f"chatty{k % CHATTY}", k % 2 == 0, cond)
    log(f"seed {a.seed}; {a.clients} clients and the killer for {a.seconds:.0f} s")

    deadline = time.time() + a.seconds
    stats = {"lock": threading.Lock(), "codes": {}}
    clients = [Client(i, server.port, deadline, v, stats, tag) for i in range(a.clients)]
    killer, sampler = Killer(server, deadline, random.Random(a.seed)), Sampler(deadline, v, tag)
    for t in clients + [killer, sampler]:
        t.start()
    for t in clients + [killer, sampler]:
        t.join(timeout=a.seconds + 120)
        if t.is_alive():
            v.add(f"{type(t).__name__} did not finish")

    w = settle(server)
    jobs_checked = check_jobs(server, clients, v, tag)
    stop_client_jobs(server, clients)
    now = server.ok("SCHEDULER.GETALL")
    for uuid, (job, enable, cond) in schedules.items():
        got = now.get(job, {}).get(uuid)
        same = got and {k: int(x) for k, x in got["condition"].items()} == {k: int(x) for k, x in cond.items()}
        if not same or bool(got.get("enable")) != enable:
            v.add(f"schedule {uuid} of {job}: {got}, set {enable} {cond}")
    for k in range(CHATTY):
        server.ok("STOP", {"jobname": f"chatty{k}"})
    after = {k: wait_fds(pid, before[k]) for k, pid in w.items()}
    if after != before:
        v.add(f"fds after the chaos, every job stopped: {after}; before, none started: {before}")
    zombies = zombies_under(set(w.values()))
    if zombies:
        v.add(f"zombies left: {zombies}")
    lines_verified = check_logs(server.data, v)
    return {"seconds": a.seconds, "clients": a.clients, "seed": a.seed,
            "requests": stats.get("requests", 0), "replies": stats.get("replies", 0),
            "codes": stats["codes"], "connection_errors": stats.get("connection_errors", 0),
            "unknown_outcomes": stats.get("unknown_outcomes", 0),
            "kills": killer.kills, "jobs_checked": jobs_checked, "duplicate_samples": sampler.samples,
            "lines_verified": lines_verified}


if __name__ == "__main__":
    main()
