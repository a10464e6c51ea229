"""What /proc tells about a daemon's processes (memory, CPU, children) and
about the rest of the machine while a benchmark runs."""
import os
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def rss_kib(pids):
    """Sum of VmRSS: every page each process has mapped, shared ones once per process."""
    return sum(_status_kib(p, "VmRSS") for p in pids)


def pss_kib(pids):
    """Sum of Pss: shared pages divided among the processes sharing them."""
    total = 0
    for p in pids:
        with open(f"/proc/{p}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
    return total


def cpu_seconds(pids):
    """utime + stime of the processes (their own, not their children's)."""
    total = 0
    for p in pids:
        with open(f"/proc/{p}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def run_seconds(pid):
    """CPU time of every live thread of a process from the scheduler's own
    count (/proc/PID/task/*/schedstat, nanoseconds): for costs of a few ms,
    which utime and stime (clock ticks of 10 ms) round to 0 or 10."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:  # a thread that ended meanwhile
            pass
    return total / 1e9


def _each(read):
    """(pid, read(pid)) for every process that still exists when read."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                yield int(entry), read(entry)
            except (OSError, IndexError, ValueError):
                pass


def _parent(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def _program(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0", 1)[0]


def children(pid):
    """Pids whose parent is pid."""
    return [p for p, parent in _each(_parent) if parent == pid]


def running(program):
    """Pids of processes whose first argument is program."""
    return [p for p, prog in _each(_program) if prog == program.encode()]


def machine_cpu_seconds():
    """CPU seconds every CPU spent busy since boot, or taken by the
    hypervisor (/proc/stat: all but idle and iowait, steal included)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def own_cpu_seconds():
    """CPU seconds of this process and of the descendants it waited for (the
    daemons, which wait for their workers and jobs, and the load generators)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OtherLoad:
    """What the rest of the machine took while a benchmark ran: the busy CPU
    seconds of the machine less the benchmark's own (approximate: a job a
    daemon left to init is counted as someone else's)."""

    def __init__(self):
        self.t0, self.busy0, self.own0 = time.monotonic(), machine_cpu_seconds(), own_cpu_seconds()

    def stop(self):
        self.seconds = time.monotonic() - self.t0
        self.other = max(0.0, machine_cpu_seconds() - self.busy0 - (own_cpu_seconds() - self.own0))
        self.share = self.other / (self.seconds * os.cpu_count())
        return self
