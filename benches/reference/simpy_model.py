#!/usr/bin/env python3
"""The default drainsim scenario (scenarios/default.toml, DNS load balancing) in idiomatic SimPy.

The reference for drainsim's speed target (the README's Performance target: at least 100x an idiomatic SimPy model of
the same scenario) and a cross-check of its means. Written the way a SimPy user would write it:
one process per feature's arrival stream, one process per session, an operator process for the
plan, and `Interrupt` to cut the sessions of a restarting server.

Same workload as drainsim's DNS run:
- 8 Front Ends; 11 features with default.toml's rates and holding-time laws; Mediation
  (`pstn_call`) capped at 150 calls per Front End;
- DNS load balancing (R4): the client tries the servers in a fresh random order; a paused server
  refuses after `retry_delay` (1 s), a down one times out after `connect_timeout` (5 s), a full
  one refuses after `retry_delay`; the session reaches its server after those delays, and if the
  server cannot take it by then the client tries again from then (at most 4 more passes, then it
  is blocked, as in drainsim); if every server refuses, it is blocked;
- FE 1 paused at 2 h, a 30 min wait, then a restart with 10 min downtime (every session on it
  ends: `dropped` features are cut, `im` is disrupted); horizon 3 h.

Not modelled, because this scenario never reaches them: pool quorum (one server down out of 8
keeps quorum), per-service pauses (the pause covers every service), hardware load balancing.

Usage: simpy_model.py [--replications N] [--seed S] [--csv FILE]
Writes one row per (replication, feature) with the counts, like drainsim's replications.csv.
Needs `pip install simpy` (not needed by .ci/run).
"""

import argparse
import csv
import math
import random
import sys
import time

import simpy

SERVERS = 8
HORIZON = 3 * 3600.0
PAUSE_AT = 2 * 3600.0
WAIT = 30 * 60.0
DOWNTIME = 10 * 60.0
RETRY_DELAY = 1.0
CONNECT_TIMEOUT = 5.0

RUNNING, PAUSED, DOWN = "running", "paused", "down"


def lognormal_median(median, sigma):
    return lambda rng: rng.lognormvariate(math.log(median), sigma)


def lognormal_mean_cv(mean, cv):
    s2 = math.log(1.0 + cv * cv)
    return lambda rng: rng.lognormvariate(math.log(mean) - s2 / 2.0, math.sqrt(s2))


def exponential(mean):
    return lambda rng: rng.expovariate(1.0 / mean)


def uniform(a, b):
    return lambda rng: rng.uniform(a, b)


# name, arrivals per hour, holding time (s), per-server cap, what a server loss does
FEATURES = [
    ("im", 21000, exponential(180.0), None, "recovers"),
    ("av_conference", 224, lognormal_median(1800.0, 0.8), None, "dropped"),
    ("web_conference", 112, lognormal_median(1800.0, 0.8), None, "dropped"),
    ("app_sharing", 67, lognormal_median(1800.0, 0.8), None, "dropped"),
    ("im_conference", 45, lognormal_median(1800.0, 0.8), None, "dropped"),
    ("pstn_call", 14112, exponential(180.0), 150, "dropped"),
    ("conferencing_attendant", 305, lognormal_mean_cv(200.0, 1.0), None, "dropped"),
    ("conferencing_announcement", 305, uniform(5.0, 15.0), None, "dropped"),
    ("response_group", 420, lognormal_median(120.0, 0.9), None, "dropped"),
    ("announcement", 60, uniform(10.0, 30.0), None, "dropped"),
    ("call_park", 403, uniform(10.0, 90.0), None, "dropped"),
]

# Further passes over the pool after a server could not take the session it chose (drainsim's
# MAX_REROUTES).
MAX_REROUTES = 4
COUNTS = ("arrivals", "accepted", "blocked", "failed", "cut", "disrupted", "completed")


class Pool:
    """The Front Ends: state, active sessions per feature, and the session processes on each."""

    def __init__(self, env, rng):
        self.env = env
        self.rng = rng
        self.state = [RUNNING] * SERVERS
        self.active = [[0] * len(FEATURES) for _ in range(SERVERS)]
        self.sessions = [set() for _ in range(SERVERS)]
        self.counts = [dict.fromkeys(COUNTS, 0) for _ in FEATURES]

    def has_room(self, s, f):
        cap = FEATURES[f][3]
        return cap is None or self.active[s][f] < cap

    def route(self, f):
        """DNS load balancing: (server or None, setup delay)."""
        delay = 0.0
        for s in self.rng.sample(range(SERVERS), SERVERS):
            if self.state[s] == DOWN:
                delay += CONNECT_TIMEOUT
            elif self.state[s] == PAUSED or not self.has_room(s, f):
                delay += RETRY_DELAY
            else:
                return s, delay
        return None, delay

    def session(self, f, hold):
        c = self.counts[f]
        c["arrivals"] += 1
        for _ in range(1 + MAX_REROUTES):
            s, delay = self.route(f)
            if s is None:
                c["blocked"] += 1
                return
            if delay == 0:
                break
            yield self.env.timeout(delay)
            if self.state[s] == RUNNING and self.has_room(s, f):
                break
            # The server was paused or filled up meanwhile: the client carries on from now.
        else:
            c["blocked"] += 1
            return
        c["accepted"] += 1
        self.active[s][f] += 1
        me = (self.env.active_process, f)
        self.sessions[s].add(me)
        try:
            yield self.env.timeout(hold)
            self.active[s][f] -= 1
            self.sessions[s].discard(me)
            c["completed"] += 1
        except simpy.Interrupt:
            pass  # the restart counted it

    def arrivals(self, f):
        rate = FEATURES[f][1] / 3600.0
        hold_law = FEATURES[f][2]
        while True:
            yield self.env.timeout(self.rng.expovariate(rate))
            self.env.process(self.session(f, hold_law(self.rng)))

    def restart(self, s):
        self.state[s] = DOWN
        for proc, f in list(self.sessions[s]):
            proc.interrupt("restart")
            key = "disrupted" if FEATURES[f][4] == "recovers" else "cut"
            self.counts[f][key] += 1
            self.active[s][f] -= 1
        self.sessions[s].clear()

    def operator(self):
        yield self.env.timeout(PAUSE_AT)
        self.state[0] = PAUSED
        yield self.env.timeout(WAIT)
        self.restart(0)
        yield self.env.timeout(DOWNTIME)
        self.state[0] = RUNNING  # Automatic startup: running again, even though it was paused


def replicate(seed):
    env = simpy.Environment()
    pool = Pool(env, random.Random(seed))
    for f in range(len(FEATURES)):
        env.process(pool.arrivals(f))
    env.process(pool.operator())
    env.run(until=HORIZON)
    return pool.counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20131)
    ap.add_argument("--csv", default="-", help="output file (default stdout)")
    a = ap.parse_args()
    out = sys.stdout if a.csv == "-" else open(a.csv, "w", newline="")
    w = csv.writer(out)
    w.writerow(["replication", "feature", *COUNTS])
    start = time.perf_counter()
    sessions = 0
    for r in range(a.replications):
        counts = replicate(a.seed * 1_000_003 + r)
        for f, c in enumerate(counts):
            w.writerow([r, FEATURES[f][0], *(c[k] for k in COUNTS)])
            sessions += c["arrivals"]
    wall = time.perf_counter() - start
    print(
        f"simpy: {a.replications} replications, {sessions} sessions in {wall:.1f} s "
        f"({sessions / wall:,.0f} sessions/s)",
        file=sys.stderr,
    )
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
