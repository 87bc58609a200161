#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""QEMU guest agent protocol client and benchmark driver for bench/freeze-latency.sh.

Measures vssd against qemu-ga (and a bare in-process ioctl reference) on the same loop
filesystems, in one invocation. Run only by freeze-latency.sh, inside its private mount
namespace; it never runs on its own against real filesystems.

Safety (enforced here, independently of the shell script):
  * guest-fsfreeze-freeze (freeze everything) is never sent; neither is a freeze-list
    without "mountpoints" or with an empty list;
  * every path in a freeze-list must be one of the bench's own mountpoints: listed in
    --mounts, under --root, a mountinfo mountpoint whose source is one of the loop
    devices in --loops, and on a different device from "/";
  * qemu-ga's thaw count is checked on every trial: anything other than the number of
    filesystems just frozen stops the run (its thaw thaws every block mount it sees).
"""
import argparse
import ctypes
import fcntl
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

FIFREEZE = 0xC0045877   # _IOWR('X', 119, int)
FITHAW = 0xC0045878     # _IOWR('X', 120, int)
CLK_TCK = os.sysconf("SC_CLK_TCK")
libc = ctypes.CDLL(None, use_errno=True)


def die(msg):
    print("qga_client: " + msg, file=sys.stderr)
    sys.exit(1)


# ------------------------------------------------------------------ safety

def unescape_mountinfo(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 3 < len(s) and s[i + 1:i + 4].isdigit():
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def mountinfo():
    """[(major, minor, mountpoint, fstype, source)] from /proc/self/mountinfo."""
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.rstrip("\n").split(" - ", 1)
            a = pre.split(" ")
            b = post.split(" ")
            ma, mi = (int(x) for x in a[2].split(":"))
            res.append((ma, mi, unescape_mountinfo(a[4]), b[0], unescape_mountinfo(b[1])))
    return res


class Guard:
    """Knows which mountpoints are ours; refuses everything else."""

    def __init__(self, root, mounts, loops):
        self.root = os.path.realpath(root)
        if self.root in ("/", "") or not self.root.startswith("/tmp/"):
            die("refusing root %r (must be a directory under /tmp)" % root)
        self.loops = set(loops)
        self.mounts = list(mounts)
        self.rootdev = os.stat("/").st_dev
        for m in self.mounts:
            self.check_one(m)

    def check_one(self, m):
        if os.path.realpath(m) != m or not m.startswith(self.root + "/"):
            die("refusing %r: not a canonical path under %s" % (m, self.root))
        mi = {e[2]: e for e in mountinfo()}
        if m not in mi:
            die("refusing %r: not a mountpoint" % m)
        if mi[m][4] not in self.loops:
            die("refusing %r: its source %s is not one of our loop devices" % (m, mi[m][4]))
        if os.stat(m).st_dev == self.rootdev:
            die("refusing %r: same device as /" % m)

    def check_list(self, paths):
        if not paths:
            die("refusing an empty freeze-list")
        for p in paths:
            if p not in self.mounts:
                die("refusing %r: not one of the bench mountpoints" % p)
            self.check_one(p)


# ------------------------------------------------------------------ protocol client

class QGA:
    def __init__(self, name, path, guard, timeout=30.0):
        self.name = name
        self.guard = guard
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        sid = random.randint(1, 2**31 - 1)
        self.s.sendall(json.dumps({"execute": "guest-sync", "arguments": {"id": sid}}).encode() + b"\n")
        for _ in range(100):
            line = self.f.readline()
            if not line:
                die("%s: EOF during guest-sync" % name)
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("return") == sid:
                break
        else:
            die("%s: guest-sync failed" % name)

    def _check(self, req):
        ex = req.get("execute")
        if ex == "guest-fsfreeze-freeze":
            die("refusing to send guest-fsfreeze-freeze (freezes everything)")
        if ex == "guest-fsfreeze-freeze-list":
            args = req.get("arguments") or {}
            if "mountpoints" not in args:
                die("refusing freeze-list without mountpoints")
            self.guard.check_list(args["mountpoints"])

    def encode(self, req):
        self._check(req)
        return json.dumps(req).encode() + b"\n"

    def rt(self, data):
        """Send pre-encoded request; return (reply, ns from send to full reply line)."""
        t0 = time.perf_counter_ns()
        self.s.sendall(data)
        line = self.f.readline()
        t1 = time.perf_counter_ns()
        if not line:
            die("%s: connection closed" % self.name)
        return json.loads(line), t1 - t0

    def cmd(self, req):
        return self.rt(self.encode(req))[0]


# ------------------------------------------------------------------ /proc readers

class Proc:
    """CPU and memory of one daemon (pid) via /proc."""

    def __init__(self, pid):
        self.pid = pid

    def sched_ns(self):
        """sum_exec_runtime (ns) over all threads (/proc/PID/task/*/schedstat)."""
        tot = 0
        base = "/proc/%d/task" % self.pid
        for t in os.listdir(base):
            try:
                with open("%s/%s/schedstat" % (base, t)) as f:
                    tot += int(f.read().split()[0])
            except OSError:
                pass
        return tot

    def stat_ticks(self):
        """(utime+stime, cutime+cstime) in clock ticks from /proc/PID/stat."""
        with open("/proc/%d/stat" % self.pid) as f:
            s = f.read()
        fl = s[s.rindex(")") + 2:].split()
        # fields after comm: state(3) ... utime(14) stime(15) cutime(16) cstime(17)
        return int(fl[11]) + int(fl[12]), int(fl[13]) + int(fl[14])

    def status(self):
        d = {}
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "VmLck", "VmSize", "Threads", "RssAnon", "RssFile"):
                    d[k] = v.strip()
        try:
            with open("/proc/%d/smaps_rollup" % self.pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        d["Pss"] = line.split(":")[1].strip()
        except OSError:
            pass
        return d


# ------------------------------------------------------------------ statistics

def pct(xs, p):
    """nearest-rank percentile"""
    s = sorted(xs)
    if not s:
        return float("nan")
    k = max(1, -(-len(s) * p // 100))
    return s[int(k) - 1]


def med(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def fmt3(xs):
    return "%.3f / %.3f / %.3f" % (med(xs), pct(xs, 90), max(xs))


# ------------------------------------------------------------------ benchmark

class Bench:
    def __init__(self, a):
        self.a = a
        self.mounts = [l.split()[0] for l in open(a.mounts).read().split("\n") if l.strip()]
        self.types = {l.split()[0]: l.split()[1] for l in open(a.mounts).read().split("\n") if l.strip()}
        self.loops = [l.strip() for l in open(a.loops) if l.strip()]
        self.guard = Guard(a.root, self.mounts, self.loops)
        self.pids = {"vssd": a.vssd_pid, "qemu-ga": a.qga_pid}
        self.proc = {k: Proc(v) for k, v in self.pids.items()}
        self.mem = {}
        self.raw = {"meta": {}, "cells": {}, "ping": {}, "cpu": {}, "anomalies": []}
        self.dirfds = {}

    def watchdog_pid(self):
        """vssd's watchdog: its child process (none while it is being replaced)."""
        try:
            with open("/proc/%d/task/%d/children" % (self.a.vssd_pid, self.a.vssd_pid)) as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            return None
        return kids[0] if len(kids) == 1 else None

    def snap_mem(self, label):
        self.mem[label] = {k: p.status() for k, p in self.proc.items()}
        wd = self.watchdog_pid()
        if wd:
            self.mem[label]["vssd watchdog"] = Proc(wd).status()

    def run_cycles(self, mps, n):
        """N freeze-list+thaw cycles per daemon, back to back (for memory after use)."""
        self.guard.check_list(mps)
        keys = ["freeze", "thaw", "cycle", "cpu_freeze", "cpu_thaw", "v_sync", "v_ioctl_freeze", "v_ioctl_thaw"]
        for name in ("vssd", "qemu-ga"):
            req_f = self.conn[name].encode({"execute": "guest-fsfreeze-freeze-list",
                                            "arguments": {"mountpoints": mps}})
            req_t = self.conn[name].encode({"execute": "guest-fsfreeze-thaw"})
            rec = {k: [] for k in keys}
            for _ in range(n):
                self.cycle_agent(name, mps, req_f, req_t, rec, status=False)
            self.raw.setdefault("cycles", {})[name] = {"n": n, "freeze_med": med(rec["freeze"])}

    def writer_cmd(self, w, cmd):
        w.stdin.write(cmd + "\n")
        w.stdin.flush()
        line = w.stdout.readline()
        if not line:
            die("stall-writer exited")
        return line.split()

    def dirty(self, mps, mib):
        """Delete last trial's files, syncfs, then MIB MiB of buffered writes per filesystem."""
        buf = b"\xa5" * (1 << 20)
        for m in mps:
            try:
                os.unlink(os.path.join(m, "dirty.bin"))
            except FileNotFoundError:
                pass
        self.syncfs(mps)
        for m in mps:
            fd = os.open(os.path.join(m, "dirty.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                for _ in range(mib):
                    os.write(fd, buf)
            finally:
                os.close(fd)
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("Dirty:"):
                    return int(line.split()[1])
        return -1

    def run_dirty(self, mps, trials, warmup, mib, writer_bin):
        """Freeze right after MIB MiB of dirty data per filesystem, with a writer appending a
        byte every millisecond to each filesystem: the round trips and the longest stall."""
        self.guard.check_list(mps)
        methods = ["vssd", "qemu-ga", "ioctl"]
        keys = ["freeze", "thaw", "cycle", "cpu_freeze", "cpu_thaw", "v_sync", "v_ioctl_freeze",
                "v_ioctl_thaw", "stall_ms", "dirty_kb"]
        recs = {m: {k: [] for k in keys} for m in methods}
        freeze = {"execute": "guest-fsfreeze-freeze-list", "arguments": {"mountpoints": mps}}
        thaw = {"execute": "guest-fsfreeze-thaw"}
        reqs = {m: (self.conn[m].encode(freeze), self.conn[m].encode(thaw)) for m in ("vssd", "qemu-ga")}
        w = subprocess.Popen([writer_bin] + [os.path.join(m, "stall.log") for m in mps],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        with open(os.path.join(self.a.root, "writer.pid"), "w") as f:
            f.write("%d\n" % w.pid)
        try:
            for i in range(warmup + trials):
                order = methods[i % 3:] + methods[:i % 3]
                for m in order:
                    rec = recs[m] if i >= warmup else {k: [] for k in keys}
                    rec["dirty_kb"].append(self.dirty(mps, mib))
                    self.writer_cmd(w, "reset")
                    if m == "ioctl":
                        self.cycle_ioctl(mps, rec)
                    else:
                        self.cycle_agent(m, mps, reqs[m][0], reqs[m][1], rec)
                    t_thaw = time.monotonic_ns()
                    for _ in range(400):    # every writer has written once since the thaw
                        r = self.writer_cmd(w, "report")
                        if int(r[1]) > t_thaw:
                            break
                        time.sleep(0.005)
                    else:
                        die("a stall-writer did not resume within 2 s of the thaw")
                    rec["stall_ms"].append(int(r[0]) / 1000.0)
                print("  dirty trial %d: stall vssd %s qemu-ga %s ioctl %s ms" % (
                    i, *(("%.1f" % recs[m]["stall_ms"][-1]) if recs[m]["stall_ms"] and i >= warmup else "-"
                         for m in methods)), file=sys.stderr)
        finally:
            w.stdin.close()
            try:
                w.wait(10)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait(10)
        for m in mps:
            try:
                os.unlink(os.path.join(m, "dirty.bin"))
            except FileNotFoundError:
                pass
        self.raw["dirty"] = {"mounts": mps, "mib": mib, "data": recs}

    def syncfs(self, mps):
        for m in mps:
            fd = self.dirfds.get(m)
            if fd is None:
                fd = self.dirfds[m] = os.open(m, os.O_RDONLY | os.O_DIRECTORY)
            if libc.syncfs(fd) != 0:
                die("syncfs %s failed: errno %d" % (m, ctypes.get_errno()))

    # -- one cycle per method

    def cycle_agent(self, name, mps, freeze_req, thaw_req, rec, status=True):
        c = self.conn[name]
        p = self.proc[name]
        n = len(mps)
        cpu0 = p.sched_ns()
        r, tf = c.rt(freeze_req)
        cpu1 = p.sched_ns()
        r2, tt = c.rt(thaw_req)
        t_end = time.perf_counter_ns()
        cpu2 = p.sched_ns()
        if r.get("return") != n:
            self.raw["anomalies"].append({"method": name, "freeze": r, "n": n})
            die("%s freeze-list of %d returned %r" % (name, n, r))
        if r2.get("return") != n:
            self.raw["anomalies"].append({"method": name, "thaw": r2, "n": n})
            die("%s thaw after freezing %d returned %r (stopping: a thaw count that differs "
                "means it touched a filesystem that is not ours)" % (name, n, r2))
        rec["freeze"].append(tf / 1e6)
        rec["thaw"].append(tt / 1e6)
        rec["cycle"].append((tf + tt) / 1e6)
        rec["cpu_freeze"].append((cpu1 - cpu0) / 1e6)
        rec["cpu_thaw"].append((cpu2 - cpu1) / 1e6)
        if name == "vssd" and status:
            st = c.cmd({"execute": "vssd-status"})["return"]
            rec.setdefault("v_status_cpu", []).append((p.sched_ns() - cpu2) / 1e6)
            fs = [f for f in st["filesystems"] if f["mountpoint"] in mps]
            rec["v_sync"].append(sum(f["sync_ms"] for f in fs))
            rec["v_ioctl_freeze"].append(sum(f["freeze_ms"] for f in fs))
            rec["v_ioctl_thaw"].append(sum(f["thaw_ms"] for f in fs))
            bad = [f for f in fs if f["state"] != "thawed"]
            if bad or len(fs) != n:
                die("vssd-status after thaw: %r" % fs)

    def cycle_ioctl(self, mps, rec):
        fds = [self.dirfds[m] for m in mps]     # opened by syncfs() on guarded paths
        done = []
        try:
            t0 = time.perf_counter_ns()
            for fd in fds:
                fcntl.ioctl(fd, FIFREEZE, 0)
                done.append(fd)
            t1 = time.perf_counter_ns()
        finally:
            for fd in reversed(done):
                fcntl.ioctl(fd, FITHAW, 0)
            t2 = time.perf_counter_ns()
        rec["freeze"].append((t1 - t0) / 1e6)
        rec["thaw"].append((t2 - t1) / 1e6)
        rec["cycle"].append((t2 - t0) / 1e6)

    def run_cell(self, label, mps, trials, warmup, gap):
        self.guard.check_list(mps)
        methods = ["vssd", "qemu-ga", "ioctl"]
        freeze = {"execute": "guest-fsfreeze-freeze-list", "arguments": {"mountpoints": mps}}
        thaw = {"execute": "guest-fsfreeze-thaw"}
        reqs = {m: (self.conn[m].encode(freeze), self.conn[m].encode(thaw)) for m in ("vssd", "qemu-ga")}
        keys = ["freeze", "thaw", "cycle", "cpu_freeze", "cpu_thaw", "v_sync", "v_ioctl_freeze", "v_ioctl_thaw"]
        recs = {m: {k: [] for k in keys} for m in methods}
        ticks0 = {m: self.proc[m].stat_ticks() for m in ("vssd", "qemu-ga")}
        self.syncfs(mps)
        for i in range(warmup + trials):
            order = methods[i % 3:] + methods[:i % 3]
            for m in order:
                self.syncfs(mps)           # clean: nothing dirty before each freeze
                time.sleep(gap)
                rec = recs[m] if i >= warmup else {k: [] for k in keys}
                if m == "ioctl":
                    self.cycle_ioctl(mps, rec)
                else:
                    self.cycle_agent(m, mps, reqs[m][0], reqs[m][1], rec)
            if i == warmup - 1:
                ticks0 = {m: self.proc[m].stat_ticks() for m in ("vssd", "qemu-ga")}
        ticks1 = {m: self.proc[m].stat_ticks() for m in ("vssd", "qemu-ga")}
        for m in ("vssd", "qemu-ga"):
            recs[m]["ticks_self"] = ticks1[m][0] - ticks0[m][0]
            recs[m]["ticks_children"] = ticks1[m][1] - ticks0[m][1]
            recs[m]["cycles"] = trials
        self.raw["cells"][label] = {"mounts": mps, "types": [self.types[m] for m in mps], "data": recs}
        print("  %-10s n=%d  freeze med vssd %.3f qga %.3f ioctl %.3f ms" % (
            label, trials, med(recs["vssd"]["freeze"]), med(recs["qemu-ga"]["freeze"]),
            med(recs["ioctl"]["freeze"])), file=sys.stderr)

    def run_ping(self, n, warmup):
        req = {m: self.conn[m].encode({"execute": "guest-ping"}) for m in ("vssd", "qemu-ga")}
        res = {m: [] for m in req}
        cpu = {m: [] for m in req}
        ms = list(req)
        for i in range(warmup + n):
            order = ms[i % 2:] + ms[:i % 2]
            for m in order:
                c0 = self.proc[m].sched_ns()
                r, t = self.conn[m].rt(req[m])
                c1 = self.proc[m].sched_ns()
                if r.get("return") != {}:
                    die("%s ping: %r" % (m, r))
                if i >= warmup:
                    res[m].append(t / 1e6)
                    cpu[m].append((c1 - c0) / 1e6)
        self.raw["ping"] = {"rtt": res, "cpu": cpu}

    def strace_cycle(self, name, mps, out):
        """strace -f -c -w one freeze+thaw of NAME (attribution only; not in the table)."""
        pid = self.pids[name]
        sp = subprocess.Popen(["strace", "-f", "-c", "-w", "-o", out, "-p", str(pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):        # wait (bounded) until attached
                with open("/proc/%d/status" % pid) as f:
                    if any(l.startswith("TracerPid:") and l.split()[1] != "0" for l in f):
                        break
                time.sleep(0.02)
            else:
                die("strace did not attach to %s" % name)
            time.sleep(0.1)
            self.syncfs(mps)
            rec = {k: [] for k in ["freeze", "thaw", "cycle", "cpu_freeze", "cpu_thaw",
                                   "v_sync", "v_ioctl_freeze", "v_ioctl_thaw"]}
            req_f = self.conn[name].encode({"execute": "guest-fsfreeze-freeze-list",
                                            "arguments": {"mountpoints": mps}})
            req_t = self.conn[name].encode({"execute": "guest-fsfreeze-thaw"})
            self.cycle_agent(name, mps, req_f, req_t, rec)
            time.sleep(0.2)
        finally:
            sp.send_signal(signal.SIGINT)
            try:
                sp.wait(10)
            except subprocess.TimeoutExpired:
                sp.kill()
                sp.wait(5)
        return rec

    def perf_cycles(self, name, mps, cycles, out):
        """perf stat -p PID (counters inherited by the children it forks: vssd's watchdog)
        over CYCLES freeze-list+thaw cycles; returns {event: value per cycle}."""
        pid = self.pids[name]
        ev = "task-clock,page-faults,context-switches,cpu-migrations"
        sp = subprocess.Popen(["perf", "stat", "-x", ",", "-e", ev, "-p", str(pid), "-o", out],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            keys = ["freeze", "thaw", "cycle", "cpu_freeze", "cpu_thaw", "v_sync", "v_ioctl_freeze", "v_ioctl_thaw"]
            rec = {k: [] for k in keys}
            req_f = self.conn[name].encode({"execute": "guest-fsfreeze-freeze-list",
                                            "arguments": {"mountpoints": mps}})
            req_t = self.conn[name].encode({"execute": "guest-fsfreeze-thaw"})
            for _ in range(cycles):
                self.syncfs(mps)
                time.sleep(0.005)
                self.cycle_agent(name, mps, req_f, req_t, rec, status=False)
        finally:
            sp.send_signal(signal.SIGINT)
            try:
                sp.wait(10)
            except subprocess.TimeoutExpired:
                sp.kill()
                sp.wait(5)
        res = {}
        for line in open(out):
            f = line.strip().split(",")
            if len(f) >= 3 and f[2] and not line.startswith("#"):
                try:
                    res[f[2]] = float(f[0]) / cycles
                except ValueError:
                    pass
        res["cycles"] = cycles
        return res

    def main(self):
        a = self.a
        self.snap_mem("idle (started, no client yet)")
        for k, p in self.proc.items():
            self.raw["cpu"]["start_ticks_" + k] = p.stat_ticks()
        self.conn = {"vssd": QGA("vssd", a.vssd_sock, self.guard),
                     "qemu-ga": QGA("qemu-ga", a.qga_sock, self.guard)}
        self.snap_mem("after connect + guest-sync")
        # refuse to run if qemu-ga is blocked from freeze-all as required
        info = self.conn["qemu-ga"].cmd({"execute": "guest-info"})["return"]
        en = {c["name"]: c["enabled"] for c in info["supported_commands"]}
        if en.get("guest-fsfreeze-freeze", True):
            die("qemu-ga was not started with -b guest-fsfreeze-freeze")
        self.raw["meta"]["qga_version"] = info["version"]
        self.raw["meta"]["vssd_version"] = self.conn["vssd"].cmd({"execute": "guest-info"})["return"]["version"]
        for name in ("vssd", "qemu-ga"):
            st = self.conn[name].cmd({"execute": "guest-fsfreeze-status"})
            if st.get("return") != "thawed":
                die("%s status is %r before the run" % (name, st))

        if a.cycles:
            print("memory: %d freeze/thaw cycles of N=8 per daemon" % a.cycles, file=sys.stderr)
            self.run_cycles(self.mounts[:8], a.cycles)
            time.sleep(1.0)
            self.snap_mem("idle after %d freeze/thaw cycles (N=8) + 1 s" % a.cycles)
        by_type = {}
        for m in self.mounts:
            by_type.setdefault(self.types[m], []).append(m)
        cells = []
        for t in ("ext4", "xfs", "btrfs"):
            if by_type.get(t):
                cells.append(("N=1 " + t, [by_type[t][0]]))
        for n in sorted(set(a.sizes)):
            if n > 1 and n <= len(self.mounts):
                cells.append(("N=%d" % n, self.mounts[:n]))
        print("ping: %d round trips per daemon" % a.pings, file=sys.stderr)
        self.run_ping(a.pings, 20)
        for label, mps in cells:
            self.run_cell(label, mps, a.trials, a.warmup, a.gap / 1000.0)
        if a.dirty_trials:
            print("dirty: %d trials, N=8, %d MiB per filesystem" % (a.dirty_trials, a.dirty_mib), file=sys.stderr)
            self.run_dirty(self.mounts[:8], a.dirty_trials, 1, a.dirty_mib, a.stall_writer)
        self.snap_mem("after the run")
        time.sleep(1.0)
        self.snap_mem("after the run + 1 s idle")
        for k, p in self.proc.items():
            self.raw["cpu"]["end_ticks_" + k] = p.stat_ticks()
        if a.strace_dir:
            n8 = self.mounts[:min(8, len(self.mounts))]
            self.raw["strace"] = {}
            for name in ("vssd", "qemu-ga"):
                out = os.path.join(a.strace_dir, "strace-%s.txt" % name)
                rec = self.strace_cycle(name, n8, out)
                self.raw["strace"][name] = {"file": out, "freeze_ms_traced": rec["freeze"][0],
                                            "thaw_ms_traced": rec["thaw"][0]}
        if a.perf:
            self.raw["perf"] = {}
            btr = [m for m in self.mounts if self.types[m] == "btrfs"][:1] or self.mounts[:1]
            for label, mps in (("N=1 " + self.types[btr[0]], btr), ("N=8", self.mounts[:8])):
                self.raw["perf"][label] = {}
                for name in ("vssd", "qemu-ga"):
                    out = os.path.join(a.perf_dir, "perf-%s.txt" % name)
                    self.raw["perf"][label][name] = self.perf_cycles(name, mps, 30, out)
        self.raw["mem"] = self.mem
        with open(a.out, "w") as f:
            json.dump(self.raw, f, indent=1)
        print(report(self.raw))


def report(raw):
    L = []
    cells = raw["cells"]
    L.append("### Latency, client-side round trip (ms): median / p90 / max; ratio = vssd / qemu-ga")
    L.append("")
    L.append("| filesystems | op | vssd | qemu-ga | ratio med | ratio p90 | ioctl ref. (med) | n |")
    L.append("|---|---|---|---|---|---|---|---|")
    for label, c in cells.items():
        d = c["data"]
        for op in ("freeze", "thaw", "cycle"):
            v, q, io = d["vssd"][op], d["qemu-ga"][op], d["ioctl"][op]
            L.append("| %s | %s | %s | %s | %.2f | %.2f | %.3f | %d |" % (
                label if op == "freeze" else "", op if op != "cycle" else "cycle (freeze+thaw)",
                fmt3(v), fmt3(q), med(v) / med(q), pct(v, 90) / pct(q, 90), med(io), len(v)))
    p = raw["ping"]["rtt"]
    L.append("| - | guest-ping | %s | %s | %.2f | %.2f | - | %d |" % (
        fmt3(p["vssd"]), fmt3(p["qemu-ga"]), med(p["vssd"]) / med(p["qemu-ga"]),
        pct(p["vssd"], 90) / pct(p["qemu-ga"], 90), len(p["vssd"])))
    if raw.get("dirty"):
        dd = raw["dirty"]["data"]
        L.append("")
        L.append("### N=8 with %d MiB dirty per filesystem (written just before each freeze), a writer per "
                 "filesystem appending a byte every ms (ms: median / p90 / max)" % raw["dirty"]["mib"])
        L.append("")
        L.append("| method | freeze round trip | thaw round trip | longest writer stall | Dirty kB before (med) | n |")
        L.append("|---|---|---|---|---|---|")
        for m in ("vssd", "qemu-ga", "ioctl"):
            r = dd[m]
            L.append("| %s | %s | %s | %s | %d | %d |" % (m, fmt3(r["freeze"]), fmt3(r["thaw"]),
                                                          fmt3(r["stall_ms"]), med(r["dirty_kb"]), len(r["freeze"])))
        v, q = dd["vssd"], dd["qemu-ga"]
        L.append("| ratio vssd / qemu-ga (median) | %.2f | %.2f | %.2f | | |" % (
            med(v["freeze"]) / med(q["freeze"]), med(v["thaw"]) / med(q["thaw"]),
            med(v["stall_ms"]) / med(q["stall_ms"])))
    L.append("")
    L.append("### Where vssd's freeze time goes (medians, ms; from vssd-status after each cycle)")
    L.append("")
    L.append("| filesystems | vssd freeze RTT | syncfs (sum) | FIFREEZE (sum) | rest (request, mountinfo, hooks dir, record, watchdog arming, reply) | ioctl ref. freeze | qemu-ga freeze RTT |")
    L.append("|---|---|---|---|---|---|---|")
    for label, c in cells.items():
        d = c["data"]["vssd"]
        rest = [f - s - z for f, s, z in zip(d["freeze"], d["v_sync"], d["v_ioctl_freeze"])]
        L.append("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |" % (
            label, med(d["freeze"]), med(d["v_sync"]), med(d["v_ioctl_freeze"]), med(rest),
            med(c["data"]["ioctl"]["freeze"]), med(c["data"]["qemu-ga"]["freeze"])))
    L.append("")
    L.append("### CPU per command (ms)")
    L.append("")
    L.append("sched = daemon's own threads, sum_exec_runtime delta around each request (/proc/PID/task/*/schedstat), median.")
    L.append("ticks = utime+stime (own) and cutime+cstime (reaped children: vssd's watchdog) from /proc/PID/stat over the cell, divided by cycles (tick = %d ms)." % (1000 // CLK_TCK))
    L.append("")
    L.append("| filesystems | command | vssd sched | qemu-ga sched | ratio | vssd ticks own+children per cycle | qemu-ga ticks per cycle |")
    L.append("|---|---|---|---|---|---|---|")
    cp = raw["ping"]["cpu"]
    L.append("| - | guest-ping | %.4f | %.4f | %.2f | - | - |" % (
        med(cp["vssd"]), med(cp["qemu-ga"]), med(cp["vssd"]) / max(med(cp["qemu-ga"]), 1e-9)))
    for label, c in cells.items():
        d = c["data"]
        for op in ("freeze", "thaw"):
            v, q = d["vssd"]["cpu_" + op], d["qemu-ga"]["cpu_" + op]
            extra = ("", "")
            if op == "freeze":
                tk = 1000.0 / CLK_TCK
                vv, qq = d["vssd"], d["qemu-ga"]
                extra = ("%.3f + %.3f" % (vv["ticks_self"] * tk / vv["cycles"], vv["ticks_children"] * tk / vv["cycles"]),
                         "%.3f" % (qq["ticks_self"] * tk / qq["cycles"]))
            L.append("| %s | %s | %.3f | %.3f | %.2f | %s | %s |" % (
                label if op == "freeze" else "", op, med(v), med(q), med(v) / max(med(q), 1e-9), extra[0], extra[1]))
    st = [x for c in cells.values() for x in c["data"]["vssd"].get("v_status_cpu", [])]
    if st:
        L.append("")
        L.append("The vssd ticks include one vssd-status per cycle (sent after the thaw, outside the timed window; %.3f ms CPU median)." % med(st))
    L.append("")
    L.append("### Memory (kB, /proc/PID/status; Pss from smaps_rollup)")
    L.append("")
    L.append("| point | daemon | VmRSS | VmHWM | VmLck | Pss | RssAnon | RssFile | Threads |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for point, dd in raw["mem"].items():
        for name, s in dd.items():
            L.append("| %s | %s | %s |" % (point, name, " | ".join(
                s.get(k, "-").replace(" kB", "") for k in ("VmRSS", "VmHWM", "VmLck", "Pss", "RssAnon", "RssFile", "Threads"))))
    if raw.get("perf"):
        L.append("")
        L.append("### perf stat per freeze-list+thaw cycle (30 cycles, nothing else sent; counters include forked children, i.e. vssd's watchdog)")
        L.append("")
        L.append("| filesystems | daemon | task-clock ms | page-faults | context-switches | cpu-migrations |")
        L.append("|---|---|---|---|---|---|")
        for label, dd in raw["perf"].items():
            for name, r in dd.items():
                L.append("| %s | %s | %.3f | %.1f | %.1f | %.2f |" % (
                    label, name, r.get("task-clock", float("nan")), r.get("page-faults", float("nan")),
                    r.get("context-switches", float("nan")), r.get("cpu-migrations", float("nan"))))
    c = raw["cpu"]
    L.append("")
    tk = 1000.0 / CLK_TCK
    for name in ("vssd", "qemu-ga"):
        s0, s1 = c["start_ticks_" + name], c["end_ticks_" + name]
        L.append("Total CPU of %s over the whole run: %.0f ms own (utime+stime), %.0f ms reaped children (cutime+cstime)." % (
            name, (s1[0] - s0[0]) * tk, (s1[1] - s0[1]) * tk))
    return "\n".join(L)


def ratios(files):
    """Median ratio vssd/qemu-ga per cell and op, one column per run (JSON files)."""
    runs = [json.load(open(f)) for f in files]
    L = ["| filesystems | op | " + " | ".join("run %d" % (i + 1) for i in range(len(runs))) + " |",
         "|---|---|" + "---|" * len(runs)]
    for label in runs[0]["cells"]:
        for op in ("freeze", "thaw", "cycle"):
            cols = []
            for r in runs:
                d = r["cells"].get(label, {}).get("data")
                cols.append("%.2f (%.2f / %.2f)" % (med(d["vssd"][op]) / med(d["qemu-ga"][op]),
                                                     med(d["vssd"][op]), med(d["qemu-ga"][op])) if d else "-")
            L.append("| %s | %s | %s |" % (label if op == "freeze" else "", op, " | ".join(cols)))
    cols = []
    for r in runs:
        p = r["ping"]["rtt"]
        cols.append("%.2f (%.3f / %.3f)" % (med(p["vssd"]) / med(p["qemu-ga"]), med(p["vssd"]), med(p["qemu-ga"])))
    L.append("| - | guest-ping | %s |" % " | ".join(cols))
    return "\n".join(L)


def detach_foreign(keep):
    """Inside the bench's private mount namespace only: lazily unmount every block-backed
    mount (major != 0, or btrfs) that is not "/" and not under KEEP, so that qemu-ga's
    global thaw cannot reach another session's filesystems."""
    keep = os.path.realpath(keep)
    with open("/proc/self/mountinfo") as f:
        if any(" shared:" in l or " master:" in l for l in f):
            die("mount namespace is not private; refusing to unmount anything")
    for _ in range(10):
        victims = [e for e in mountinfo()
                   if (e[0] != 0 or e[3] == "btrfs") and e[2] != "/"
                   and not (e[2] == keep or e[2].startswith(keep + "/"))]
        if not victims:
            return 0
        for e in sorted(victims, key=lambda e: -len(e[2])):
            print("detach (this namespace only): %s %s %d:%d" % (e[2], e[3], e[0], e[1]), file=sys.stderr)
            subprocess.run(["umount", "-l", "--", e[2]], stderr=subprocess.DEVNULL)
    die("could not detach foreign block mounts")


def check_only_ours(keep):
    keep = os.path.realpath(keep)
    bad = [e for e in mountinfo() if (e[0] != 0 or e[3] == "btrfs") and e[2] != "/"
           and not e[2].startswith(keep + "/")]
    if bad:
        die("foreign block mounts visible: %r" % bad)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("detach-foreign")
    d.add_argument("--keep", required=True)
    c = sub.add_parser("check-only-ours")
    c.add_argument("--keep", required=True)
    r = sub.add_parser("run")
    r.add_argument("--root", required=True)
    r.add_argument("--mounts", required=True, help="file: 'mountpoint fstype' per line")
    r.add_argument("--loops", required=True, help="file: our loop devices")
    r.add_argument("--vssd-sock", required=True)
    r.add_argument("--qga-sock", required=True)
    r.add_argument("--vssd-pid", type=int, required=True)
    r.add_argument("--qga-pid", type=int, required=True)
    r.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    r.add_argument("--trials", type=int, default=40)
    r.add_argument("--warmup", type=int, default=2)
    r.add_argument("--pings", type=int, default=200)
    r.add_argument("--gap", type=float, default=10.0, help="ms between cycles")
    r.add_argument("--cycles", type=int, default=0, help="freeze/thaw cycles before the memory snapshot")
    r.add_argument("--dirty-trials", type=int, default=0)
    r.add_argument("--dirty-mib", type=int, default=64)
    r.add_argument("--stall-writer", help="bench/stall-writer binary (with --dirty-trials)")
    r.add_argument("--strace-dir")
    r.add_argument("--perf", action="store_true", help="perf stat 30 cycles per daemon")
    r.add_argument("--perf-dir", default="/tmp")
    r.add_argument("--out", required=True)
    p = sub.add_parser("report")
    p.add_argument("json")
    q = sub.add_parser("ratios", help="median ratios of several runs (JSON files)")
    q.add_argument("json", nargs="+")
    a = ap.parse_args()
    if a.cmd == "detach-foreign":
        detach_foreign(a.keep)
    elif a.cmd == "check-only-ours":
        check_only_ours(a.keep)
    elif a.cmd == "run":
        if a.trials < 30:
            die("--trials must be >= 30")
        Bench(a).main()
    elif a.cmd == "ratios":
        print(ratios(a.json))
    else:
        print(report(json.load(open(a.json))))


if __name__ == "__main__":
    main()
