#!/usr/bin/env python3
"""compare.py: the rounds of tests/bench/compare/run (which builds, installs
the peers and calls this). Each round runs every scenario against
backend-server, supervisord and PM2 in turn; scenario 4's kills are spread
over the rounds. Writes the results file (report.py).

With --old and --new instead of --server-bin, the contestants are two builds
of backend-server (the A/B mode, for a change that must not be slower): each
round runs scenarios 1, 3, 4, 5 and 7 (scenarios.REFACTOR) against the one and
the other in turn, the order alternating, and report.write_ab says whether
the new build is within 5 % of the old or better."""
import argparse
import os
import shutil
import sys
import tempfile
import time

import daemons
import procs
import report
import scenarios


class Env:
    def __init__(self, a):
        self.here = os.path.dirname(os.path.abspath(__file__))
        self.server_bin, self.loadgen, self.writer, self.stamper = a.server_bin, a.loadgen, a.writer, a.stamper
        self.floor, self.echo_floor, self.spawn_floor = a.floor, a.echo_floor, a.spawn_floor
        self.pm2_module, self.wait_log = a.pm2_module, a.wait_log


def parse():
    p = argparse.ArgumentParser(description=__doc__)
    for name in ("loadgen", "writer", "stamper", "wait-log", "machine", "out"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--server-bin", help="backend-server beside the peers")
    p.add_argument("--floor", help="restart_floor (scenario 4's floor, beside the peers)")
    p.add_argument("--echo-floor", help="echo_floor (scenario 1's floor)")
    p.add_argument("--spawn-floor", help="spawn_floor (scenario 3's floor)")
    p.add_argument("--pm2-module", help="the pm2 package's folder")
    p.add_argument("--old", metavar="BIN", help="A/B mode: the old build's backend-server")
    p.add_argument("--new", metavar="BIN", help="A/B mode: the new build's backend-server")
    p.add_argument("--command", help="A/B mode: the command line, for the results file")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--analysis", help="markdown appended to the results: where the time goes in missed targets")
    a = p.parse_args()
    if bool(a.old) != bool(a.new):
        p.error("--old and --new go together")
    if not a.old and not (a.server_bin and a.floor and a.echo_floor and a.spawn_floor and a.pm2_module):
        p.error("--server-bin, --floor, --echo-floor, --spawn-floor and --pm2-module, or --old and --new")
    return a


def log(msg):
    print(f"compare: {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def peers(a, env, sizes, tmp, results):
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
    # One round only: a peer may take its whole budget (minutes) to get there.
    log(f"{sizes.huge:,} jobs, the peers for at most {sizes.huge_budget} s each")
    scenarios.huge(env, daemons.DAEMONS, os.path.join(tmp, "huge"), results, sizes)
    return [daemons.BackendServer.name]


def builds(a, env, sizes, tmp, results):
    want, both = scenarios.REFACTOR, [daemons.build("old", a.old), daemons.build("new", a.new)]
    for r in range(a.rounds):
        order = both[r % 2:] + both[:r % 2]
        wd = lambda phase: os.path.join(tmp, f"round{r}", phase)
        log(f"round {r + 1}/{a.rounds}, {' then '.join(c.name for c in order)}: idle memory")
        scenarios.idle_memory(env, order, wd("idle"), results)
        log(f"round {r + 1}: one job (status of one job, crash to running)")
        scenarios.one_job(env, order, wd("one"), results, sizes, sizes.crashes_per_round(a.rounds), want)
        log(f"round {r + 1}: start {sizes.many} jobs, memory")
        scenarios.many_jobs(env, order, wd("many"), results, sizes, want)
        log(f"round {r + 1}: output capture")
        scenarios.bulk(env, order, wd("bulk"), results, sizes, want)
    return [c.name for c in both]


def main():
    a = parse()
    env, sizes = Env(a), scenarios.Sizes(a.smoke, a.seconds)
    results, others = {}, procs.OtherLoad()
    tmp = tempfile.mkdtemp(prefix="compare.")
    try:
        checked = (builds if a.old else peers)(a, env, sizes, tmp, results)
    except BaseException:
        log(f"failed: the daemons' folders (configuration, output, data) are kept in {tmp}")
        raise
    shutil.rmtree(tmp)
    others.stop()
    with open(a.machine) as f:
        machine = f.read()
    if a.old:
        report.write_ab(a.out, results, sizes, a, machine, others)
    else:
        report.write(a.out, results, sizes, a, machine)
    log(f"results in {a.out}")
    failed = False
    for name in checked:
        lost = [x for key in ("5", "6") for x in results.get(key, {}).get(name, []) if x["lost"]]
        if lost:
            log(f"{name} lost output lines: {lost}")
            failed = True
        errors = [x for key in ("1-1", "1-32") for x in results.get(key, {}).get(name, []) if x["errors"]]
        if a.old and errors:
            log(f"{name}: requests failed: {errors}")
            failed = True
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
