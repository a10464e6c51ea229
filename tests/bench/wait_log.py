#!/usr/bin/env python3
"""wait_log.py GLOB NEEDLE TIMEOUT_S

Waits until a file matching GLOB ends with a line holding NEEDLE (checked in
its last 200 bytes every 2 ms), then prints the wall-clock time it saw it
(seconds since the epoch). Exit status 1 on timeout. One process polling,
started before the job, instead of a shell starting tail and grep every few
ms, so that the measurement costs the measured machine next to nothing."""
import glob
import os
import sys
import time


def tail_holds(path, needle):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 200))
            return needle in f.read()
    except OSError:
        return False


def main():
    pattern, needle, timeout = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3])
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(tail_holds(p, needle) for p in glob.glob(pattern)):
            print("%.6f" % time.time())
            return 0
        time.sleep(0.002)
    return 1


if __name__ == "__main__":
    sys.exit(main())
