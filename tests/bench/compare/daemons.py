"""The three daemons of the comparison, each behind the same small interface
and each driven through its own fastest documented interface:

  backend-server  its TCP protocol (keep-alive); load from the C++ generator
                  bench_statusall_load
  supervisord     XML-RPC over HTTP ([inet_http_server]); load from sv_load.py
  PM2             its programmatic API, from pm2_agent.js (node)

A Job is configured the same way everywhere: the same program and
arguments, stdout (and stderr) to a log file when `log`, restarted after an
unexpected exit when `guard`, running from the daemon's start when `up`.
Equivalences chosen: supervisord `startsecs=0` (RUNNING once spawned, as
the others report a job up); backend-server's guarder `backoff_reset=1`,
matching PM2's default `min_uptime` of 1 s (a run that lasted a second is
not counted as a crash loop; supervisord has no such count).
"""
import http.client
import json
import os
import select
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import xmlrpc.client
from dataclasses import dataclass

import procs

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import jobs_client  # noqa: E402  (tests/bench: backend-server's framing)


@dataclass
class Job:
    name: str
    argv: list
    guard: bool = False
    log: bool = False
    up: bool = False


_http_face = {}


def has_http_face(binary):
    if binary not in _http_face:
        usage = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
        _http_face[binary] = "--http-listen" in usage
    return _http_face[binary]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid):
    """Whether pid is a process that has not been reaped, nor is a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(check, timeout, what, interval=0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


def json_line(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


class Daemon:
    """A daemon under test; subclasses implement the scenarios' verbs."""
    name = "?"
    capacity = None       # jobs it must be able to hold, when more than its default
    start_timeout = 300   # seconds start_jobs waits for its jobs to be up

    def __init__(self, env, workdir):
        self.env, self.dir = env, workdir
        os.makedirs(os.path.join(workdir, "logs"), exist_ok=True)

    def log_path(self, job):
        return os.path.join(self.dir, "logs", job + ".log")

    def memory(self):
        pids = self.pids()
        return {"rss_kib": procs.rss_kib(pids), "pss_kib": procs.pss_kib(pids), "processes": len(pids)}

    def cpu(self):
        return procs.cpu_seconds(self.pids())


# ---------------------------------------------------------------- backend-server

class Protocol:
    """One keep-alive connection speaking backend-server's framing."""

    # The server closes a connection idle for its idle_timeout (60 s): one
    # left waiting through a long scenario is opened again before use.
    IDLE_S = 50

    def __init__(self, port):
        self.port = port
        self.sock = jobs_client.connect(port)
        self.used = time.monotonic()

    def raw(self, command, params=None):
        """The reply's JSON text as it came."""
        if time.monotonic() - self.used > self.IDLE_S:
            self.sock.close()
            self.sock = jobs_client.connect(self.port)
        reply = jobs_client.call(self.sock, command + (" " + json.dumps(params) if params is not None else ""))
        self.used = time.monotonic()
        return reply

    def call(self, command, params=None):
        return json.loads(self.raw(command, params))

    def ok(self, command, params=None):
        reply = self.call(command, params)
        if reply.get("code") != "OK":
            raise RuntimeError(f"backend-server: {command} {params}: {reply}")
        return reply.get("data")


class BackendServer(Daemon):
    name = "backend-server"
    server_bin = None  # a build of its own (build()), else env.server_bin
    http = False       # serve the HTTP face too, on self.http_port (run-http.sh)

    def start(self, jobs):
        # A port free_port() saw free can be taken before the server binds it
        # (other tests run on this machine): the server then exits saying so,
        # and is started again on another port.
        for _ in range(5):
            if self._launch():
                break
        else:
            raise RuntimeError("backend-server: the port was taken before it could listen, five times")
        self.c = Protocol(self.port)
        for j in jobs:
            self.add(j)
        for j in jobs:
            if j.up:
                self.c.ok("START", {"jobname": j.name})

    def _launch(self):
        self.port = free_port()
        data = os.path.join(self.dir, "data")
        self.pidfile = os.path.join(data, "backend-server.pid")
        conf = os.path.join(self.dir, "backend-server.conf")
        self.settings = {"listen": f"127.0.0.1:{self.port}", "data_dir": data, "pidfile": self.pidfile,
                         "shm_name": f"compare-{os.getpid()}-{self.port}",
                         "plugin_settings": {"guarder": {"backoff_reset": 1}}}
        if self.capacity:
            self.settings["job_capacity"] = self.capacity
        self.conf = conf
        with open(conf, "w") as f:
            json.dump(self.settings, f)
        out = os.path.join(self.dir, "server.out")
        self.out = open(out, "w")
        binary = self.server_bin or self.env.server_bin
        # A build with an HTTP face would serve it on the default port, which
        # the other contestant (or a parallel run) also wants; an older build
        # has none and knows no such option.
        has_face = has_http_face(binary)
        self.http_port = free_port() if self.http and has_face else None
        http = ["--http-listen", f"127.0.0.1:{self.http_port}" if self.http_port else ""]
        argv = [binary, "-c", conf] + (http if has_face else [])
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT)
        try:
            wait_until(self._answers, 10, "backend-server to answer")
            return True
        except RuntimeError:
            self.out.close()
            with open(out) as f:
                if self.proc.poll() is None or "cannot listen" not in f.read():
                    raise
            return False

    def _answers(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"backend-server exited with {self.proc.returncode}")
        # The server writes its pidfile once it holds the port: until then
        # whatever answers on the port is someone else's.
        try:
            with open(self.pidfile) as f:
                if f.read().strip() != str(self.proc.pid):
                    return False
            Protocol(self.port).ok("STATUSALL")
            return True
        except OSError:
            return False

    def raw(self, command, params=None):
        return self.c.raw(command, params)

    def add_all(self, jobs):
        """ADDs of jobs alike but for their names' numbers (h0, h1, ...) over
        8 connections: seconds until all are stored."""
        prefix = os.path.commonprefix([j.name for j in jobs]).rstrip("0123456789")
        j = jobs[0]
        request = "ADD " + json.dumps({"jobname": prefix + "{n}", "command": j.argv[0],
                                       "params": shlex.join(j.argv[1:]), "writelog": j.log, "guard": j.guard})
        t0 = time.perf_counter()
        r = self._loadgen("--clients", "8", "--each", str(len(jobs)), "--request", request)
        if r["errors"]:
            raise RuntimeError(f"backend-server: ADD failed: {r}")
        return time.perf_counter() - t0

    def add(self, job):
        self.c.ok("ADD", {"jobname": job.name, "command": job.argv[0], "params": shlex.join(job.argv[1:]),
                          "writelog": job.log, "guard": job.guard})

    def log_path(self, job):
        return os.path.join(self.dir, "data", "log", "jobs", job, "*", "*.log")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.out.close()

    def pids(self):
        return [self.proc.pid] + [p for p in procs.children(self.proc.pid) if self._is_worker(p)]

    @staticmethod
    def _is_worker(pid):
        return _comm(pid).startswith("backend-")

    def _loadgen(self, *args):
        return json_line([self.env.loadgen, "--port", str(self.port), *args])

    def start_jobs(self, names, wait=True):
        t0 = time.perf_counter()
        if len(names) == 1:
            self.c.ok("START", {"jobname": names[0]})
        else:
            prefix = os.path.commonprefix(names).rstrip("0123456789")
            r = self._loadgen("--clients", "8", "--each", str(len(names)),
                              "--request", 'START {"jobname":"%s{n}"}' % prefix)
            if r["errors"]:
                raise RuntimeError(f"backend-server: START failed: {r}")
        want = set(names) if wait else set()
        # Polled often enough to time a start to a few ms, and seldom enough
        # that reading the status of 10,000 jobs does not take the CPU the
        # starts need.
        while sum(1 for n, s in self.c.ok("STATUSALL").items() if n in want and s == "UP") < len(want):
            time.sleep(max(0.005, len(want) / 100000))
        return time.perf_counter() - t0

    def load(self, what, clients, seconds):
        args = ["--clients", str(clients), "--threads", str(min(clients, 2)), "--seconds", str(seconds)]
        if what != "status_all":
            args += ["--request", 'STATUS {"jobname":"%s"}' % what]
        r = self._loadgen(*args)
        return {"req_per_s": r["rps"], "p50_us": r["p50_us"], "p99_us": r["p99_us"], "errors": r["errors"]}

    def reload(self, plugin, settings):
        """Changes one plugin's settings in the configuration file and has the
        server take them in (SIGHUP), as an operator would."""
        self.settings["plugin_settings"].setdefault(plugin, {}).update(settings)
        with open(self.conf, "w") as f:
            json.dump(self.settings, f)
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(1)

    def supervisor_pid(self):
        return next(p for p in self.pids() if p != self.proc.pid and _comm(p) == "backend-superv")

    def costs_at_scale(self, names, seconds):
        """9, backend-server alone: at the count of jobs reached, what grows
        with it. MEMALL, GETALL and USAGEALL (the dashboard's 30 points, and
        a day's) from 1 client, and STATUS of one job while another client
        asks MEMALL or a day's USAGEALL; a scrape of /metrics, and STATUS while
        they follow each other (with the HTTP face on); one more ADD at a
        time (the
        settings file is saved with every job in it); a schedule for every
        job (never due before next January), then one more at a time (the
        scheduler arms its timer over all of them); SCHEDULER.GETALL; the
        guarder's sweep over every job: the supervisor's CPU with the sweep
        every second, less its CPU with the default minute, per sweep."""
        out = {}

        def load(*args):
            r = self._loadgen("--clients", "1", *args)
            if r["errors"]:
                raise RuntimeError(f"backend-server: {args[-1]} failed: {r}")
            return r

        day = 'USAGEALL {"points":1440}'
        for key, request in (("mem_all", "MEMALL"), ("get_all", "GETALL"), ("usage_all", "USAGEALL"),
                             ("usage_all_day", day)):
            r = load("--seconds", str(seconds), "--request", request)
            out[f"{key}_p50_us"], out[f"{key}_p99_us"] = r["p50_us"], r["p99_us"]
        # What such a request costs the others: STATUS of one job on a
        # second connection while the first asks it without a pause.
        for key, request in (("mem_all", "MEMALL"), ("usage_all_day", day)):
            other = subprocess.Popen([self.env.loadgen, "--port", str(self.port), "--clients", "1",
                                      "--seconds", str(seconds), "--request", request],
                                     stdout=subprocess.DEVNULL)
            try:
                r = load("--seconds", str(seconds), "--request", 'STATUS {"jobname":"%s"}' % names[0])
            finally:
                other.wait()
            out[f"status_beside_{key}_p50_us"], out[f"status_beside_{key}_p99_us"] = r["p50_us"], r["p99_us"]
            out[f"status_beside_{key}_rps"] = r["rps"]
        if self.http_port:
            out.update(self._scrapes(names[0], seconds))
        r = load("--each", "50", "--request",
                 'ADD {"jobname":"more{n}","command":"/bin/sleep","params":"1"}')
        out["add_one_p50_us"], out["add_one_p99_us"] = r["p50_us"], r["p99_us"]
        prefix = os.path.commonprefix(names).rstrip("0123456789")
        schedule = 'SCHEDULER.ADD {"jobname":"%s{n}","enable":true,"condition":{"m":"%s","d":"01","H":"00","i":"00"}}'
        t0 = time.perf_counter()
        r = self._loadgen("--clients", "8", "--each", str(len(names)), "--request", schedule % (prefix, "01"))
        if r["errors"]:
            raise RuntimeError(f"backend-server: SCHEDULER.ADD failed: {r}")
        out["schedules_added_s"] = time.perf_counter() - t0
        r = load("--each", "50", "--request", schedule % (prefix, "02"))
        out["schedule_one_p50_us"], out["schedule_one_p99_us"] = r["p50_us"], r["p99_us"]
        r = load("--seconds", str(seconds), "--request", "SCHEDULER.GETALL")
        out["schedules_all_p50_us"], out["schedules_all_p99_us"] = r["p50_us"], r["p99_us"]
        sup = self.supervisor_pid()
        window = 2 * seconds
        c0 = procs.run_seconds(sup)
        time.sleep(window)
        idle = procs.run_seconds(sup) - c0
        self.reload("guarder", {"check_interval": 1})
        c0 = procs.run_seconds(sup)
        time.sleep(window)
        sweeping = procs.run_seconds(sup) - c0
        self.reload("guarder", {"check_interval": 60})
        out["sweep_ms"] = max(0.0, sweeping - idle) / window * 1000
        return out

    def _scrapes(self, name, seconds):
        """GET /metrics at this count: a scrape's time alone (the median of
        ten), and STATUS of one job on a socket connection while scrapes
        follow each other without a pause."""
        def scrape(conn):
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200 or not body:
                raise RuntimeError(f"backend-server: /metrics answered {resp.status}")

        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=60)
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            scrape(conn)
            times.append(time.perf_counter() - t0)
        out = {"scrape_p50_ms": sorted(times)[len(times) // 2] * 1000}
        stop = threading.Event()

        def scrape_on():
            while not stop.is_set():
                scrape(conn)

        scraper = threading.Thread(target=scrape_on)
        scraper.start()
        try:
            r = self._loadgen("--clients", "1", "--seconds", str(seconds), "--request",
                              'STATUS {"jobname":"%s"}' % name)
        finally:
            stop.set()
            scraper.join()
            conn.close()
        out["status_beside_scrapes_p50_us"], out["status_beside_scrapes_p99_us"] = r["p50_us"], r["p99_us"]
        return out

    def pid(self, name):
        d = self.c.ok("STATUS", {"jobname": name, "detail": True})
        return d["pid"] if d["state"] == "UP" else 0

    def first_line(self, name, needle):
        since = self.c.ok("READ", {"jobname": name, "since": 0})["next"]
        t0 = time.perf_counter()
        self.c.ok("START", {"jobname": name})
        while True:
            d = self.c.ok("READ", {"jobname": name, "since": since})
            if any(needle in line for line in d["lines"]):
                break
            since = d["next"]
        t = time.perf_counter() - t0
        self.c.ok("STOP", {"jobname": name})
        return t


# ---------------------------------------------------------------- supervisord

class Supervisord(Daemon):
    name = "supervisord"

    def start(self, jobs):
        self.port = free_port()
        conf = os.path.join(self.dir, "supervisord.conf")
        with open(conf, "w") as f:
            f.write(f"""[inet_http_server]
port=127.0.0.1:{self.port}
[supervisord]
logfile={self.dir}/supervisord.log
pidfile={self.dir}/supervisord.pid
childlogdir={self.dir}
nodaemon=true
minfds=16384
minprocs=4096
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
""")
            for j in jobs:
                f.write(f"""[program:{j.name}]
command={shlex.join(j.argv)}
autostart={str(j.up).lower()}
autorestart={str(j.guard).lower()}
startsecs=0
redirect_stderr=true
stdout_logfile={self.log_path(j.name) if j.log else 'NONE'}
stdout_logfile_maxbytes=0
""")
        self.out = open(os.path.join(self.dir, "supervisord.out"), "w")
        self.proc = subprocess.Popen(["supervisord", "-c", conf], stdout=self.out, stderr=subprocess.STDOUT)
        self.rpc = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}/RPC2")
        wait_until(self._answers, 120, "supervisord to answer")
        up = {j.name for j in jobs if j.up}
        wait_until(lambda: up <= self._running(), 30, "supervisord's autostart jobs")

    def _answers(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"supervisord exited with {self.proc.returncode}")
        try:
            return self.rpc.supervisor.getState()["statename"] == "RUNNING"
        except OSError:
            return False

    def _running(self):
        return {p["name"] for p in self.rpc.supervisor.getAllProcessInfo() if p["statename"] == "RUNNING"}

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        self.out.close()

    def pids(self):
        return [self.proc.pid]

    def start_jobs(self, names, wait=True):
        t0 = time.perf_counter()
        calls = [{"methodName": "supervisor.startProcess", "params": [n, False]} for n in names]
        for r in self.rpc.system.multicall(calls):
            if r is not True:
                raise RuntimeError(f"supervisord: startProcess: {r}")
        want = set(names) if wait else set()
        deadline = t0 + self.start_timeout
        while not want <= self._running():
            if time.perf_counter() > deadline:
                raise RuntimeError(f"supervisord: {len(want - self._running())} of {len(want)} not running after "
                                   f"{self.start_timeout} s")
            time.sleep(max(0.005, len(want) / 100000))  # as backend-server's
        return time.perf_counter() - t0

    def load(self, what, clients, seconds):
        method, arg = ("supervisor.getAllProcessInfo", "-") if what == "status_all" else \
            ("supervisor.getProcessInfo", what)
        return json_line(["python3", os.path.join(self.env.here, "sv_load.py"), str(self.port), method, arg,
                          str(clients), str(seconds)])

    def pid(self, name):
        p = self.rpc.supervisor.getProcessInfo(name)
        return p["pid"] if p["statename"] == "RUNNING" else 0

    def first_line(self, name, needle):
        offset = self.rpc.supervisor.tailProcessStdoutLog(name, 0, 0)[1]
        t0 = time.perf_counter()
        self.rpc.supervisor.startProcess(name, False)
        text = ""
        while needle not in text:
            text += self.rpc.supervisor.readProcessStdoutLog(name, offset + len(text.encode()), 65536)
        t = time.perf_counter() - t0
        self.rpc.supervisor.stopProcess(name, True)
        return t


# ---------------------------------------------------------------- PM2

class Pm2(Daemon):
    name = "pm2"

    def start(self, jobs):
        os.environ["PM2_HOME"] = os.path.join(self.dir, "pm2")
        self.agent = subprocess.Popen(["node", os.path.join(self.env.here, "pm2_agent.js"), self.env.pm2_module],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = json.loads(self.agent.stdout.readline() or '{"error": "pm2_agent.js died"}')
        if "error" in hello:
            raise RuntimeError(f"pm2: {hello['error']}")
        self.daemon_pid = self._ask(op="daemon_pid")["pid"]
        self.jobs = {j.name: j for j in jobs}
        # PM2 has no configured-but-stopped job: the others are created when
        # they are started.
        if any(j.up for j in jobs):
            self._ask(op="start", apps=[self._app(j) for j in jobs if j.up])

    def _app(self, job):
        return {"name": job.name, "script": job.argv[0], "args": job.argv[1:], "interpreter": "none",
                "autorestart": job.guard, "out_file": self.log_path(job.name) if job.log else "/dev/null",
                "error_file": self.log_path(job.name) if job.log else "/dev/null"}

    def _ask(self, **req):
        self.agent.stdin.write(json.dumps(req) + "\n")
        self.agent.stdin.flush()
        # The agent waits on PM2's daemon, which may die under load (it did
        # at about 4,000 jobs): that is an answer too, not a reason to wait
        # for ever. One request, one line: nothing is left buffered between.
        deadline = time.monotonic() + max(self.start_timeout, req.get("seconds", 0)) + 120
        while not select.select([self.agent.stdout], [], [], 1.0)[0]:
            if getattr(self, "daemon_pid", None) and not pid_alive(self.daemon_pid):
                raise RuntimeError(f"pm2 {req.get('op')}: PM2's daemon (pid {self.daemon_pid}) died")
            if time.monotonic() > deadline:
                raise RuntimeError(f"pm2 {req.get('op')}: no answer from pm2_agent.js")
        reply = json.loads(self.agent.stdout.readline() or '{"error": "pm2_agent.js died"}')
        if "error" in reply:
            raise RuntimeError(f"pm2 {req.get('op')}: {reply['error']}")
        return reply

    def stop(self):
        try:
            self._ask(op="kill")
            self.agent.stdin.close()
            self.agent.wait(timeout=30)
        finally:
            if self.agent.poll() is None:
                self.agent.kill()
                self.agent.wait()

    def pids(self):
        return [self.daemon_pid]

    def start_jobs(self, names, wait=True):
        return self._ask(op="start", apps=[self._app(self.jobs[n]) for n in names], wait=wait,
                         timeout=self.start_timeout)["seconds"]

    def load(self, what, clients, seconds):
        if what == "status_all":
            return self._ask(op="load", method="list", name="", clients=clients, seconds=seconds)
        return self._ask(op="load", method="describe", name=what, clients=clients, seconds=seconds)

    def pid(self, name):
        return self._ask(op="pid", name=name)["pid"]

    def first_line(self, name, needle):
        return self._ask(op="first_line", app=self._app(self.jobs[name]), needle=needle)["seconds"]


DAEMONS = [BackendServer, Supervisord, Pm2]


def build(name, server_bin):
    """backend-server run from a binary of its own, under its own name: the
    contestants of the A/B mode, two builds of it (say "old" and "new")."""
    return type(f"BackendServer_{name}", (BackendServer,), {"name": name, "server_bin": server_bin})

