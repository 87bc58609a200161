#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One burst scenario for selfballoond on this machine (root): a userspace
# balloon of BALLOON_GIB (default 3) GiB, then a workload that takes
# MemAvailable - 1 GiB at once and grows by 2 GiB over 2 s. Prints one
# result line: OOM kills, whether the balloon was OOM-killed, the lowest
# MemAvailable seen (50 ms sampler), the first pressure decision after the
# growth started, PSI "some" stall during the run, and durations.
# With NORESERVE=1 the growth is MAP_NORESERVE (not in Committed_AS);
# GROW_MIB (default 2048) sets the growth.
#   bench/agent-scenario.sh LABEL [SECTION.KEY=VALUE ...]
# e.g. bench/agent-scenario.sh xen-5s balloon.mode=xen
set -u
cd "$(dirname "$0")/.."
label=$1; shift
D=./agent/selfballoond
H=./tests/integration/sb-memhog
gib=${BALLOON_GIB:-3}
kb() { local k v u; while read -r k v u; do [ "$k" = "$1:" ] && { echo "$v"; return; }; done </proc/meminfo; }
vm() { local k v; while read -r k v; do [ "$k" = "$1" ] && { echo "$v"; return; }; done </proc/vmstat; }
psi_some() { local a b c d e; read -r a b c d e </proc/pressure/memory; echo "${e#total=}"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

tmp=$(mktemp -d /tmp/sb-bench.XXXXXX)
dpid= hpid= spid=
cleanup() {
	for p in $hpid $spid; do kill -KILL "$p" 2>/dev/null; done
	[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null
	for _ in $(seq 50); do [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mt=$(kb MemTotal)
sets=()
for s in "$@"; do sets+=(-o "$s"); done
"$D" -f -o balloon.driver=userspace -o balloon.min_memory=$((mt - gib * 1048576))K -o hotplug.online=off \
	-o metrics.textfile="$tmp/m.prom" "${sets[@]}" 2>"$tmp/agent.log" &
dpid=$!
full() { local b; b=$(awk '$1 == "selfballoond_balloon_bytes" { print int($2 / 1024) }' "$tmp/m.prom" 2>/dev/null); [ "${b:-0}" -ge $((gib * 1048576 - 65536)) ]; }
t=$(ms)
for _ in $(seq 1200); do full && break; sleep 0.1; done
full || { echo "$label: balloon never reached $gib GiB"; exit 1; }
inflate_ms=$(( $(ms) - t ))

# 50 ms MemAvailable sampler (shell builtins only)
( min=999999999; while :; do a=$(kb MemAvailable); [ "$a" -lt "$min" ] && { min=$a; echo "$min" >"$tmp/minavail"; }; sleep 0.05; done ) &
spid=$!
oom0=$(vm oom_kill); psi0=$(psi_some)
avail=$(kb MemAvailable)
base=$((avail / 1024 - 1024))
SB_MEMHOG_NORESERVE=${NORESERVE:-0} "$H" "$base" "${GROW_MIB:-2048}" 2000 0 >"$tmp/memhog.log" 2>&1 &
hpid=$!
# growth starts when the base is in: the memhog prints its first line then
while ! grep -q 'base' "$tmp/memhog.log" 2>/dev/null && kill -0 "$hpid" 2>/dev/null; do sleep 0.02; done
grow_t=$(ms)
grow_mono=$(awk '{ print int($1 * 1000) }' /proc/uptime)
wait "$hpid"; rc=$?; hpid=
end_t=$(ms)
kill -KILL "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; spid=
oom1=$(vm oom_kill); psi1=$(psi_some)
# first decision with pressure after the growth began (t_ms is CLOCK_MONOTONIC ~ uptime)
first=$(awk -v g="$grow_mono" '/decision:/ && !/pressure=none/ { for (i = 1; i <= NF; i++) if ($i ~ /^t_ms=/) { split($i, a, "="); if (a[2] >= g) { print a[2] - g, $0; exit } } }' "$tmp/agent.log")
signals=$(grep -o 'pressure=[a-z,-]*' "$tmp/agent.log" | grep -v none | sort | uniq -c | tr -s ' ' | tr '\n' ';')
echo "$label: memhog_rc=$rc oom_kills=$((oom1 - oom0)) balloon_oom_killed=$(grep -c 'OOM-killed' "$tmp/agent.log") min_avail_mib=$(( $(cat "$tmp/minavail") / 1024 )) first_pressure_after_grow_ms=${first%% *} psi_some_stall_ms=$(( (psi1 - psi0) / 1000 )) grow_phase_ms=$((end_t - grow_t)) inflate_${gib}g_ms=$inflate_ms signals=[${signals}]"
grep -E 'OOM|PSI|decision' "$tmp/agent.log" | grep -v 'pressure=none' | head -5 | sed 's/^/#   /'
