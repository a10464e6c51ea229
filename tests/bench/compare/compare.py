#!/usr/bin/env python3
"""compare.py: the rounds of tests/bench/compare/run (which builds, installs
the peers and calls this). Each round runs every scenario against
backend-server, supervisord and PM2 in turn; scenario 4's kills are spread
over the rounds. Writes the results file (report.py)."""
import argparse
import os
import sys
import tempfile
import time

import daemons
import report
import scenarios


class Env:
    def __init__(self, a):
        self.here = os.path.dirname(os.path.abspath(__file__))
        self.server_bin, self.loadgen, self.writer, self.stamper = a.server_bin, a.loadgen, a.writer, a.stamper
        self.floor = a.floor
        self.pm2_module, self.wait_log = a.pm2_module, a.wait_log


def parse():
    p = argparse.ArgumentParser(description=__doc__)
    for name in ("server-bin", "loadgen", "writer", "stamper", "floor", "pm2-module", "wait-log", "machine", "out"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--analysis", help="markdown appended to the results: where the time goes in missed targets")
    return p.parse_args()


def log(msg):
    print(f"compare: {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def main():
    a = parse()
    env, sizes = Env(a), scenarios.Sizes(a.smoke, a.seconds)
    results = {}
    with tempfile.TemporaryDirectory(prefix="compare.") as tmp:
        for r in range(a.rounds):
            order = daemons.DAEMONS[r % 3:] + daemons.DAEMONS[:r % 3]
            wd = lambda phase: os.path.join(tmp, f"round{r}", phase)
            log(f"round {r + 1}/{a.rounds}: idle memory")
            scenarios.idle_memory(env, order, wd("idle"), results)
            log(f"round {r + 1}: one job (status of one job, first line, crash to running)")
            scenarios.one_job(env, order, wd("one"), results, sizes, sizes.crashes_per_round(a.rounds))
            log(f"round {r + 1}: {sizes.many} jobs (start, status of all, memory)")
            scenarios.many_jobs(env, order, wd("many"), results, sizes)
            log(f"round {r + 1}: output capture")
            scenarios.bulk(env, order, wd("bulk"), results, sizes)
            log(f"round {r + 1}: {sizes.trickle_jobs} chatty jobs for {sizes.trickle_s} s")
            scenarios.trickle(env, order, wd("trickle"), results, sizes)
    with open(a.machine) as f:
        machine = f.read()
    report.write(a.out, results, sizes, a, machine)
    log(f"results in {a.out}")
    lost = [x for key in ("5", "6") for x in results.get(key, {}).get(daemons.BackendServer.name, []) if x["lost"]]
    if lost:
        log(f"backend-server lost output lines: {lost}")
        sys.exit(1)


if __name__ == "__main__":
    main()
