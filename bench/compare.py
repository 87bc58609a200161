#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The agent's half of bench/compare.sh, and its summary table.

  compare.py idle --agent BIN --conf FILE --window S --out idle.json
      selfballoond (driver none, defaults otherwise) and earlyoom (Debian's default
      arguments "-r 3600", plus --dryrun: it never kills) side by side: CPU (us/s, from
      sum_exec_runtime in /proc/PID/task/*/schedstat and from utime+stime in
      /proc/PID/stat), wakeups/s (voluntary + involuntary context switches,
      /proc/PID/task/*/status) over the same window, and memory (smaps_rollup).
  compare.py react --agent BIN --conf FILE --burst BIN --runs N --dist-mib D --out react.json
      the agent's reaction: avail_floor is set D MiB under MemAvailable; each run waits a
      random 1 s..interval+1 s (so bursts start at any phase of the agent's schedule), then
      bench/burst faults memory as fast as it can until MemAvailable is 128 MiB under the
      floor, holds it 1 s and frees it. Latency: from the burst's start (and from
      MemAvailable crossing the floor) to the agent's first decision with
      reason=pressure (its "decision: t_ms=" log line, CLOCK_MONOTONIC like the burst's).
  compare.py summary --idle F --vss F --react F
      the headline table: each figure, the peer in the same run, the ratio and the target.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True    # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qga_client import CLK_TCK, Proc, med, pct  # noqa: E402


def die(msg):
    print("compare: " + msg, file=sys.stderr)
    sys.exit(1)


def meminfo_kb(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    die("no %s in /proc/meminfo" % key)


def snap(pid):
    """CPU ns, context switches (all threads), ticks, at one moment."""
    ns = vol = inv = 0
    base = "/proc/%d/task" % pid
    for t in os.listdir(base):
        try:
            with open("%s/%s/schedstat" % (base, t)) as f:
                ns += int(f.read().split()[0])
            with open("%s/%s/status" % (base, t)) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        inv += int(line.split()[1])
        except OSError:
            pass
    return {"t": time.monotonic(), "ns": ns, "vol": vol, "inv": inv,
            "ticks": Proc(pid).stat_ticks()[0]}


def start(cmd, log):
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"))


def stop(p):
    """SIGTERM the process we started (by its Popen), SIGKILL after 5 s."""
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def wait_log(path, pattern, timeout):
    rx = re.compile(pattern)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(path) as f:
            if any(rx.search(line) for line in f):
                return True
        time.sleep(0.05)
    return False


def agent_cmd(a, *sets):
    cmd = [a.agent, "-f", "-c", a.conf, "-o", "balloon.driver=none"]
    for s in sets:
        cmd += ["-o", s]
    return cmd


def run_idle(a):
    d = os.path.dirname(a.out)
    procs = {"selfballoond": start(agent_cmd(a), os.path.join(d, "idle-agent.log")),
             "earlyoom": start(["earlyoom", "-r", "3600", "--dryrun"], os.path.join(d, "idle-earlyoom.log"))}
    res = {"window_s": a.window, "warmup_s": a.warmup, "commands": {}}
    try:
        if not wait_log(os.path.join(d, "idle-agent.log"), r"started: driver none", 10):
            die("selfballoond did not start: " + open(os.path.join(d, "idle-agent.log")).read())
        time.sleep(a.warmup)
        for n, p in procs.items():
            if p.poll() is not None:
                die("%s exited (%s); see %s" % (n, p.returncode, d))
            res["commands"][n] = " ".join(p.args)
        s0 = {n: snap(p.pid) for n, p in procs.items()}
        time.sleep(a.window)
        s1 = {n: snap(p.pid) for n, p in procs.items()}
        for n, p in procs.items():
            dt = s1[n]["t"] - s0[n]["t"]
            res[n] = {
                "cpu_us_per_s": (s1[n]["ns"] - s0[n]["ns"]) / 1e3 / dt,
                "stat_us_per_s": (s1[n]["ticks"] - s0[n]["ticks"]) * 1e6 / CLK_TCK / dt,
                "wakeups_per_s": (s1[n]["vol"] + s1[n]["inv"] - s0[n]["vol"] - s0[n]["inv"]) / dt,
                "involuntary_per_s": (s1[n]["inv"] - s0[n]["inv"]) / dt,
                "mem": Proc(p.pid).status(),
            }
    finally:
        for p in procs.values():
            stop(p)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    for n in ("selfballoond", "earlyoom"):
        r = res[n]
        print("  idle %-12s %7.1f us/s (stat: %.0f), %.2f wakeups/s, Pss %s" % (
            n, r["cpu_us_per_s"], r["stat_us_per_s"], r["wakeups_per_s"], r["mem"].get("Pss")),
            file=sys.stderr)


DECISION = re.compile(r"decision: t_ms=(\d+) .* reason=(\S+) pressure=(\S+)")


def decisions(log):
    out = []
    with open(log) as f:
        for line in f:
            m = DECISION.search(line)
            if m:
                out.append((int(m.group(1)), m.group(2), m.group(3)))
    return out


def run_react(a):
    d = os.path.dirname(a.out)
    log = os.path.join(d, "react-agent.log")
    below_kb = 128 * 1024
    avail = meminfo_kb("MemAvailable")
    floor = avail - a.dist_mib * 1024
    if floor - below_kb < 4 * 1024 * 1024:
        die("MemAvailable %d kB: not enough to keep 4 GiB free under a floor %d MiB lower" % (avail, a.dist_mib))
    interval_s = 5.0
    p = start(agent_cmd(a, "pressure.avail_floor=%dK" % floor, "hotplug.online=off") + ["-v"], log)
    res = {"floor_kb": floor, "dist_mib": a.dist_mib, "below_kb": below_kb, "command": " ".join(p.args),
           "burst": "%s FLOOR_KB %d MAX_MIB 1000%s" % (a.burst, below_kb, " thp" if a.thp else ""),
           "runs": []}
    try:
        if not wait_log(log, r"started: driver none", 10):
            die("selfballoond did not start: " + open(log).read())
        for i in range(a.runs):
            time.sleep(random.uniform(1.0, 1.0 + interval_s))
            if p.poll() is not None:
                die("selfballoond exited: " + open(log).read()[-2000:])
            cmd = [a.burst, str(floor), str(below_kb), str(a.dist_mib + 1024), "1000"] + (["thp"] if a.thp else [])
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if out.returncode != 0:
                die("burst failed: " + out.stderr)
            t0, cross, stop_ns, avail0, avail_min, mib = (int(x) for x in out.stdout.split())
            time.sleep(0.2)     # the agent logs the decision it took during the hold
            t0_ms = t0 // 1000000
            first = next((x for x in decisions(log) if x[0] >= t0_ms and x[1] == "pressure"), None)
            run = {"t0_ms": t0_ms, "cross_ms": cross // 1000000 if cross else None,
                   "burst_ms": (stop_ns - t0) / 1e6, "dist_start_mib": (avail0 - floor) / 1024.0,
                   "avail_min_kb": avail_min, "touched_mib": mib,
                   "decision_ms": first[0] if first else None, "signals": first[2] if first else None}
            if first:
                run["latency_ms"] = first[0] - t0_ms
                if cross:
                    run["lag_ms"] = first[0] - cross // 1000000
            res["runs"].append(run)
            print("  reaction run %d: start %.0f MiB above the floor, burst %.0f ms, crossed at %s, "
                  "decision at %s (%s)" % (
                      i, run["dist_start_mib"], run["burst_ms"],
                      "+%d ms" % (run["cross_ms"] - t0_ms) if cross else "never",
                      "+%d ms" % run["latency_ms"] if first else "none", run["signals"]), file=sys.stderr)
    finally:
        stop(p)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)


def kb(s):
    return int(s.split()[0]) if s else 0


def summary(a):
    idle = json.load(open(a.idle)) if a.idle else None
    vss = json.load(open(a.vss)) if a.vss else None
    react = json.load(open(a.react)) if a.react else None
    L = ["| figure | selfballoon | peer (same run) | ratio | target | met |", "|---|---|---|---|---|---|"]

    def row(fig, ours, peer, ratio, target, met):
        L.append("| %s | %s | %s | %s | %s | %s |" % (fig, ours, peer, ratio, target,
                                                      "-" if met is None else ("yes" if met else "**no**")))
    if idle:
        s, e = idle["selfballoond"], idle["earlyoom"]
        r = s["cpu_us_per_s"] / max(e["cpu_us_per_s"], 1e-9)
        row("idle CPU, selfballoond (driver none) vs earlyoom, %d s" % idle["window_s"],
            "%.1f us/s" % s["cpu_us_per_s"], "%.1f us/s" % e["cpu_us_per_s"], "%.2fx" % r, "<= 1.0x", r <= 1.0)
        row("idle wakeups (context switches)", "%.2f /s" % s["wakeups_per_s"], "%.2f /s" % e["wakeups_per_s"],
            "%.2fx" % (s["wakeups_per_s"] / max(e["wakeups_per_s"], 1e-9)), "-", None)
        ps, pe = kb(s["mem"].get("Pss")), kb(e["mem"].get("Pss"))
        row("idle Pss, selfballoond vs earlyoom", "%d kB" % ps, "%d kB" % pe, "%.2fx" % (ps / max(pe, 1)),
            "<= 1024 kB", ps <= 1024)
    if vss:
        for point, mm in vss["mem"].items():
            if not (point.startswith("idle")):
                continue
            v = kb(mm["vssd"].get("Pss")) + kb(mm.get("vssd watchdog", {}).get("Pss"))
            q = kb(mm["qemu-ga"].get("Pss"))
            row("Pss, vssd + watchdog vs qemu-ga: %s" % point,
                "%d kB (%s + %s)" % (v, kb(mm["vssd"].get("Pss")), kb(mm.get("vssd watchdog", {}).get("Pss"))),
                "%d kB" % q, "%.2fx" % (v / max(q, 1)), "<= 1.0x", v <= q)
        for label, c in vss["cells"].items():
            dv, dq = med(c["data"]["vssd"]["freeze"]), med(c["data"]["qemu-ga"]["freeze"])
            row("freeze-list round trip, %s clean (median, n=%d)" % (label, len(c["data"]["vssd"]["freeze"])),
                "%.3f ms" % dv, "%.3f ms" % dq, "%.2fx" % (dv / dq), "<= 1.0x", dv <= dq)
        if vss.get("dirty"):
            dd = vss["dirty"]["data"]
            dv, dq = med(dd["vssd"]["freeze"]), med(dd["qemu-ga"]["freeze"])
            n = len(dd["vssd"]["freeze"])
            row("freeze-list round trip, N=8, %d MiB dirty each (median, n=%d)" % (vss["dirty"]["mib"], n),
                "%.1f ms" % dv, "%.1f ms" % dq, "%.2fx" % (dv / dq), "<= 1.0x", dv <= dq)
            sv, sq = med(dd["vssd"]["stall_ms"]), med(dd["qemu-ga"]["stall_ms"])
            row("longest writer stall, N=8, %d MiB dirty each (median of trials)" % vss["dirty"]["mib"],
                "%.1f ms" % sv, "%.1f ms" % sq, "%.2fx" % (sv / sq), "<= 0.1x", sv <= 0.1 * sq)
    if react:
        runs = react["runs"]
        lat = [r["latency_ms"] for r in runs if "latency_ms" in r]
        lag = [r["lag_ms"] for r in runs if "lag_ms" in r]
        miss = len(runs) - len(lat)
        if lat:
            row("reaction: burst start to first deflate decision, p50 / p99 (n=%d, %d missed)" % (len(runs), miss),
                "%d / %d ms" % (med(lat), pct(lat, 99)), "-", "-", "-", None)
        if lag:
            row("reaction: MemAvailable under the floor to that decision, p50 / p99",
                "%d / %d ms" % (med(lag), pct(lag, 99)), "-", "-", "<= 100 ms", pct(lag, 99) <= 100 and not miss)
    print("\n".join(L))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("idle")
    i.add_argument("--agent", required=True)
    i.add_argument("--conf", required=True)
    i.add_argument("--window", type=float, default=60)
    i.add_argument("--warmup", type=float, default=5)
    i.add_argument("--out", required=True)
    r = sub.add_parser("react")
    r.add_argument("--agent", required=True)
    r.add_argument("--conf", required=True)
    r.add_argument("--burst", required=True)
    r.add_argument("--runs", type=int, default=20)
    r.add_argument("--dist-mib", type=int, default=512)
    r.add_argument("--thp", action="store_true")
    r.add_argument("--out", required=True)
    s = sub.add_parser("summary")
    s.add_argument("--idle")
    s.add_argument("--vss")
    s.add_argument("--react")
    a = ap.parse_args()
    if a.cmd == "idle":
        run_idle(a)
    elif a.cmd == "react":
        run_react(a)
    else:
        summary(a)


if __name__ == "__main__":
    main()
