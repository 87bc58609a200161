#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/compare.sh: selfballoon against the tools it replaces, side by side in one invocation.
#
#   sudo flock /work/heavy.lock bench/compare.sh [--out FILE] [--window S] [--runs N]
#        [--dist-mib D] [--trials N] [--dirty-trials N] [--no-agent] [--no-vss] [--no-react]
#
# 1. idle: selfballoond (driver none) and earlyoom (--dryrun) run together for --window s
#    (default 60): CPU us/s, wakeups/s, Pss (bench/compare.py idle);
# 2. vssd and qemu-ga on the same loop filesystems (bench/freeze-latency.sh, in a private
#    mount namespace): Pss of vssd + its watchdog and of qemu-ga idle and after 100
#    freeze/thaw cycles; freeze-list/thaw round trips on N = 1 (ext4, xfs, btrfs), 8 and
#    32 clean filesystems (--trials, default 30); N = 8 with 64 MiB dirty per filesystem
#    (--dirty-trials, default 10) with the longest stall of a writer per filesystem;
# 3. the agent's reaction to a burst (bench/compare.py react, --runs, default 20).
# Then the summary table (figure, peer, ratio, target) and every detail table, to stdout
# and to --out FILE. It waits (up to LOAD_WAIT s, default 600) for the 1-minute load
# average to fall below 0.5 and records the load at the start and the end.
# The machine must not be filling memory or running QEMU meanwhile: hold /work/heavy.lock.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
AGENT=${AGENT:-$TOP/agent/selfballoond}
VSSD=${VSSD:-$TOP/vss/vssd}
OUT=
WINDOW=60
RUNS=20
DIST=512
TRIALS=30
DIRTY=10
DO_AGENT=1 DO_VSS=1 DO_REACT=1
ARGS="$*"

while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--window) WINDOW=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--dist-mib) DIST=$2; shift 2 ;;
	--trials) TRIALS=$2; shift 2 ;;
	--dirty-trials) DIRTY=$2; shift 2 ;;
	--no-agent) DO_AGENT=; shift ;;
	--no-vss) DO_VSS=; shift ;;
	--no-react) DO_REACT=; shift ;;
	-h | --help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done

die() { echo "compare: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (loop devices, FIFREEZE, mlockall)"
[ -x "$AGENT" ] && [ -x "$VSSD" ] || die "build first (make): $AGENT, $VSSD"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || die "python3 missing"
need=
command -v earlyoom >/dev/null || need="$need earlyoom"
command -v qemu-ga >/dev/null || need="$need qemu-guest-agent"
command -v mkfs.xfs >/dev/null || need="$need xfsprogs"
command -v mkfs.btrfs >/dev/null || need="$need btrfs-progs"
if [ -n "$need" ]; then
	export DEBIAN_FRONTEND=noninteractive
	timeout 600 apt-get install -y $need >/dev/null ||
		{ timeout 600 apt-get update >/dev/null && timeout 600 apt-get install -y $need >/dev/null; } ||
		die "cannot install$need"
fi

T=$(mktemp -d /tmp/sbcompare.XXXXXX) || die mktemp
trap 'rm -rf --one-file-system "$T"' EXIT
: >"$T/empty.conf"
${CC:-cc} -O2 -Wall -o "$T/burst" "$HERE/burst.c" || die "cannot build bench/burst"

waited=0
LOAD_WAIT=${LOAD_WAIT:-600}
while [ "$waited" -lt "$LOAD_WAIT" ] && ! awk '{ exit !($1 < 0.5) }' /proc/loadavg; do
	sleep 10
	waited=$((waited + 10))
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)

{
	echo "## selfballoon vs earlyoom and qemu-ga, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), $(free -g | awk '/^Mem:/ {print $2 " GiB, " $7 " GiB available"}')"
	echo "- load average at start: $load0 (waited ${waited} s for the 1-minute figure to fall below 0.5$([ "$waited" -ge "$LOAD_WAIT" ] && echo "; it did not: shared machine"))"
	tree() { git -C "$(dirname "$1")" log -1 --format='%h %s' 2>/dev/null | cut -c1-72 || echo '?'; }
	echo "- $("$AGENT" --version): $AGENT (commit $(tree "$AGENT"))"
	echo "- $("$VSSD" --version): $VSSD (commit $(tree "$VSSD"))"
	echo "- earlyoom $(dpkg-query -W -f '${Version}' earlyoom 2>/dev/null), qemu-guest-agent $(dpkg-query -W -f '${Version}' qemu-guest-agent 2>/dev/null) ($(qemu-ga --version | head -1))"
	echo "- command: $0 $ARGS"
	echo
} >"$T/head.md"
cat "$T/head.md" >&2

if [ -n "$DO_AGENT" ]; then
	echo "# idle: selfballoond and earlyoom, ${WINDOW} s" >&2
	"$PY" "$HERE/compare.py" idle --agent "$AGENT" --conf "$T/empty.conf" --window "$WINDOW" \
		--out "$T/idle.json" || die "idle measurement failed"
fi
if [ -n "$DO_VSS" ]; then
	echo "# vssd and qemu-ga (bench/freeze-latency.sh)" >&2
	VSSD=$VSSD RUN_TIMEOUT=${RUN_TIMEOUT:-900} bash "$HERE/freeze-latency.sh" --trials "$TRIALS" --fs 32 \
		--no-strace --no-perf --cycles 100 --dirty-trials "$DIRTY" --json "$T/vss.json" >"$T/vss.md" ||
		die "freeze-latency.sh failed"
fi
if [ -n "$DO_REACT" ]; then
	echo "# reaction: $RUNS bursts" >&2
	"$PY" "$HERE/compare.py" react --agent "$AGENT" --conf "$T/empty.conf" --burst "$T/burst" \
		--runs "$RUNS" --dist-mib "$DIST" --thp --out "$T/react.json" || die "reaction measurement failed"
fi

{
	cat "$T/head.md"
	echo "### Summary (ratio = selfballoon / peer, same run)"
	echo
	"$PY" "$HERE/compare.py" summary ${DO_AGENT:+--idle "$T/idle.json"} ${DO_VSS:+--vss "$T/vss.json"} \
		${DO_REACT:+--react "$T/react.json"}
	echo
	if [ -n "$DO_AGENT" ]; then
		echo "Idle commands: \`$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))["commands"]; print("`, `".join(c.values()))' "$T/idle.json")\`."
		echo
	fi
	if [ -n "$DO_REACT" ]; then
		"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("Reaction: `%s`, avail_floor %d kB (MemAvailable at start - %d MiB), bursts `%s`; per run (start above the floor MiB, burst ms, crossing ms, decision ms, signals):" % (r["command"], r["floor_kb"], r["dist_mib"], r["burst"])); print("; ".join("%.0f/%.0f/%s/%s/%s" % (x["dist_start_mib"], x["burst_ms"], x["cross_ms"] - x["t0_ms"] if x["cross_ms"] else "-", x.get("latency_ms", "-"), x["signals"]) for x in r["runs"]))' "$T/react.json"
		echo
	fi
	[ -n "$DO_VSS" ] && sed -n '/^### /,$p' "$T/vss.md" | grep -v '^- load average at end'
	[ -n "$DO_VSS" ] && sed -n 's/^- load average at end/- load average at the end of the vssd part/p' "$T/vss.md"
	echo
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$T/result.md"
cat "$T/result.md"
[ -n "$OUT" ] && cp "$T/result.md" "$OUT"
exit 0
