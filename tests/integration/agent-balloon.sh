#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# selfballoond on this machine with the userspace driver, bounded by
# min_memory so the balloon stays at 3 GiB: it inflates toward its goal; a
# workload that grows by 2 GiB beyond MemAvailable completes with no OOM kill
# (vmstat oom_kill unchanged) because the agent deflates first; afterwards the
# balloon inflates again; SIGTERM releases it. Memory settings of the machine
# are never written (hotplug onlining is off); everything started here is
# stopped by the cleanup trap, by pid.
. "${top_srcdir:-.}/tests/integration/lib.sh"
WAIT_STEP_MS=100   # these waits read /proc or a daemon's files: 10 polls a second are enough

need_root
B=${top_builddir:-.}
D=$B/agent/selfballoond
H=$B/tests/integration/sb-memhog
[ -x "$D" ] && [ -x "$H" ] || skip_all "build first (agent/selfballoond, tests/integration/sb-memhog)"
grep -q '^MemAvailable:' /proc/meminfo || skip_all "no MemAvailable in /proc/meminfo"
grep -q '^oom_kill ' /proc/vmstat || skip_all "no oom_kill in /proc/vmstat"

kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
oom_kills() { awk '$1 == "oom_kill" { print $2 }' /proc/vmstat; }
GiB=1048576
BALLOON_KB=$((3 * GiB))
mt=$(kb MemTotal)
avail=$(kb MemAvailable)
[ "$avail" -ge $((BALLOON_KB + 4 * GiB)) ] || skip_all "needs MemAvailable >= 7 GiB (has $((avail / 1024)) MiB)"

tmp=$(mktemp -d /tmp/sb-agent-it.XXXXXX)
dpid=
hpid=
cleanup() {
	if [ -n "$hpid" ] && kill -0 "$hpid" 2>/dev/null; then
		kill -KILL "$hpid" 2>/dev/null
		wait "$hpid" 2>/dev/null
	fi
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		kill -TERM "$dpid" 2>/dev/null
		i=0
		while kill -0 "$dpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	fi
	# The balloon child dies with the daemon (PR_SET_PDEATHSIG); make sure.
	[ -n "${cpid:-}" ] && kill -KILL "$cpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

balloon_kb() { awk '$1 == "selfballoond_balloon_bytes" { print int($2 / 1024) }' "$tmp/metrics.prom" 2>/dev/null; }
balloon_at_least() { b=$(balloon_kb); [ "${b:-0}" -ge "$1" ]; }
full_balloon() { balloon_at_least $((BALLOON_KB - 65536)); }

cat >"$tmp/selfballoond.conf" <<CONF
[balloon]
driver = userspace
mode = adaptive
interval = 1s
min_memory = $((mt - BALLOON_KB))K
[pressure]
cooldown = 3s
[hotplug]
online = off
[metrics]
textfile = $tmp/metrics.prom
CONF

check "configuration accepted" "$D" --check-config -c "$tmp/selfballoond.conf"

oom0=$(oom_kills)
"$D" -f -c "$tmp/selfballoond.conf" 2>"$tmp/agent.log" &
dpid=$!

# 1. The balloon inflates toward its goal (here: down to min_memory).
if wait_until 120000 full_balloon; then
	ok "balloon inflated to $(($(balloon_kb) / 1024)) MiB"
else
	not_ok "balloon did not inflate to 3 GiB (at $(($(balloon_kb) / 1024)) MiB)"
fi
cpid=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$dpid" '$4 == p && $2 == "(sb-balloon)" { print $1 }' | head -1)
locked=$(kb Mlocked)
if [ "$locked" -ge $((BALLOON_KB - 65536)) ]; then
	ok "balloon memory is real and locked (Mlocked $((locked / 1024)) MiB, child ${cpid:-?})"
else
	not_ok "Mlocked is only $((locked / 1024)) MiB"
fi
if grep -q 'reason=floor' "$tmp/agent.log"; then ok "inflation stopped at the floor (reason=floor logged)"
else not_ok "no reason=floor decision logged"; fi

# 2. A workload grows 2 GiB beyond MemAvailable: MemAvailable - 1 GiB at once,
#    then +2 GiB over 2 s (page faults may make this slower on some VMs).
avail=$(kb MemAvailable)
base=$((avail / 1024 - 1024))
"$H" "$base" 2048 2000 1000 >"$tmp/memhog.log" 2>&1 &
hpid=$!
wait "$hpid"
rc=$?
hpid=
if [ "$rc" -eq 0 ]; then ok "workload of $((base + 2048)) MiB (MemAvailable was $((avail / 1024)) MiB) completed"
else not_ok "workload failed (exit $rc): $(tr '\n' ' ' <"$tmp/memhog.log")"; fi
oom1=$(oom_kills)
if [ "$oom1" -eq "$oom0" ]; then ok "no OOM kill (vmstat oom_kill stayed $oom0)"
else not_ok "OOM killer ran $((oom1 - oom0)) time(s)"; fi
if awk '/decision:/ { for (i = 1; i <= NF; i++) if ($i ~ /^balloon_kb=/) { split($i, a, "="); if (a[2] + 0 < min || min == "") min = a[2] + 0 } }
	END { exit !(min != "" && min <= 2 * 1048576) }' "$tmp/agent.log"; then
	ok "the agent deflated the balloon during the workload"
else
	not_ok "no deflation below 2 GiB seen in the log"
fi
if grep -q 'OOM-killed' "$tmp/agent.log"; then not_ok "the balloon itself was OOM-killed"
else ok "the balloon was never OOM-killed"; fi

# 3. When the workload is gone the balloon inflates again (after the cool-down).
if wait_until 120000 full_balloon; then ok "balloon inflated again to $(($(balloon_kb) / 1024)) MiB"
else not_ok "balloon did not inflate again (at $(($(balloon_kb) / 1024)) MiB)"; fi

# 4. SIGTERM releases the balloon and stops the agent.
kill -TERM "$dpid"
i=0
while kill -0 "$dpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$dpid" 2>/dev/null; then
	not_ok "agent still running 10 s after SIGTERM"
else
	wait "$dpid"; rc=$?
	dpid=
	if [ "$rc" -eq 0 ]; then ok "agent exited cleanly on SIGTERM"; else not_ok "agent exit status $rc"; fi
fi
released() { [ -z "$cpid" ] || ! kill -0 "$cpid" 2>/dev/null; }
if wait_until 10000 released; then ok "balloon child is gone"; else not_ok "balloon child $cpid survived"; fi

echo "# agent log (decisions):"
grep -E 'decision|OOM|warning|error' "$tmp/agent.log" | tail -40 | sed 's/^/# /'
done_testing
