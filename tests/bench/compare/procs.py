"""What /proc tells about a daemon's processes: memory, CPU, children."""
import os

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
