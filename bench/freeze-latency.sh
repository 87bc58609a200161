#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/freeze-latency.sh: vssd against qemu-ga (QEMU guest agent), same filesystems, same run.
#
#   sudo bench/freeze-latency.sh [--trials N] [--fs N] [--json FILE] [--no-strace] [--no-perf]
#                                [--cycles N] [--dirty-trials N [--dirty-mib M]]
#
# Measures (client-side round trips, median / p90 / max, warm-up discarded, method order
# rotated every trial): guest-fsfreeze-freeze-list and guest-fsfreeze-thaw for N = 1 (one
# each of ext4, xfs, btrfs), 8 and 32 clean loop filesystems, the full cycle, guest-ping;
# the CPU each daemon spends per command and its memory (VmRSS, VmHWM). A bare in-process
# FIFREEZE/FITHAW loop is timed on the same filesystems as the lower bound ("ioctl").
# --cycles N: N freeze/thaw cycles of N=8 per daemon first, then a memory snapshot (Pss of
# vssd, its watchdog and qemu-ga). --dirty-trials N: N trials on 8 filesystems with M MiB
# (default 64) written to each just before the freeze, while bench/stall-writer appends a
# byte every millisecond to each: the round trips and the longest writer stall.
#
# Safety (the machine is shared):
#  * every filesystem is a sparse image in a `mktemp -d` directory ($T), on a loop device
#    attached here (recorded in $T/loops), mounted under $T/mnt;
#  * everything runs inside `unshare --mount --propagation private`; inside it, before the
#    daemons start, every block-backed mount other than "/" is lazily detached (in this
#    namespace only), so qemu-ga's thaw, which thaws every block mount it can see, can only
#    reach "/" (never frozen) and our filesystems;
#  * qemu-ga runs with -b guest-fsfreeze-freeze and its own statedir/pidfile/socket; vssd
#    with include = $T/*, skip_loop = no, an empty hooks_dir, state and socket under $T;
#    each daemon's state directory is a small tmpfs of its own (as /run is, their default);
#  * the client (qga_client.py) only sends freeze-lists of our own mountpoints, never
#    guest-fsfreeze-freeze nor an empty list, and stops if a thaw count is not ours;
#  * the whole run is under `timeout`; the namespace's EXIT trap stops vssd (SIGTERM thaws),
#    runs fsfreeze -u on each of our mountpoints, stops qemu-ga (by pid), unmounts and
#    detaches our loop devices; the outer shell then checks that none of our loop devices
#    is still attached (recovering one if needed) and removes $T.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
VSSD=${VSSD:-$TOP/vss/vssd}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
NFS=32
TRIALS=50
JSON=
STRACE=1
NOPERF=
CYCLES=0
DIRTY_TRIALS=0
DIRTY_MIB=64
RUN_TIMEOUT=${RUN_TIMEOUT:-420}

while [ $# -gt 0 ]; do
	case $1 in
	--trials) TRIALS=$2; shift 2 ;;
	--fs) NFS=$2; shift 2 ;;
	--json) JSON=$2; shift 2 ;;
	--no-strace) STRACE=; shift ;;
	--no-perf) NOPERF=1; shift ;;
	--cycles) CYCLES=$2; shift 2 ;;
	--dirty-trials) DIRTY_TRIALS=$2; shift 2 ;;
	--dirty-mib) DIRTY_MIB=$2; shift 2 ;;
	-h | --help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done

die() { echo "freeze-latency: $*" >&2; exit 1; }

# ------------------------------------------------------------------ inside the namespace

pid_start() {   # start time of PID (field 22 of /proc/PID/stat); empty if gone
	local l
	{ read -r l <"/proc/$1/stat"; } 2>/dev/null || return 1
	l=${l##*) }
	set -- $l
	echo "${20}"
}

# stop_pid PID START: SIGTERM, up to 3 s, then SIGKILL; only if PID is still that process
stop_pid() {
	local pid=$1 start=$2 i
	[ -n "$pid" ] || return 0
	[ "$(pid_start "$pid")" = "$start" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 60); do
		[ "$(pid_start "$pid")" = "$start" ] || break
		case $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) in Z | X | "") break ;; esac
		sleep 0.05
	done
	if [ "$(pid_start "$pid")" = "$start" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
		echo "# pid $pid did not exit on SIGTERM (qemu-ga ignores it while frozen); SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

inner_cleanup() {
	trap - EXIT INT TERM HUP
	set +e
	stop_pid "${VSSD_PID:-}" "${VSSD_START:-}"        # SIGTERM while frozen: vssd thaws, exits
	if [ -s "$T/mounts" ]; then
		while read -r m _; do
			timeout 10 fsfreeze -u "$m" 2>/dev/null   # not frozen: EINVAL, ignored
		done <"$T/mounts"
	fi
	if [ -s "$T/writer.pid" ]; then         # the stall writer exits on EOF once thawed
		read -r wpid <"$T/writer.pid"
		for i in $(seq 100); do
			[ "$(cat "/proc/$wpid/comm" 2>/dev/null)" = stall-writer ] || break
			[ "$i" = 60 ] && kill -KILL "$wpid" 2>/dev/null     # ours (comm checked), 3 s late
			sleep 0.05
		done
	fi
	stop_pid "${QGA_PID:-}" "${QGA_START:-}"
	if [ -s "$T/mounts" ]; then
		while read -r m _; do
			umount "$m" 2>/dev/null || { sleep 0.2; umount "$m" 2>/dev/null; } ||
				echo "# cannot unmount $m" >&2
		done <"$T/mounts"
	fi
	if [ -s "$T/loops" ]; then
		while read -r dev; do
			case $(losetup -n -O BACK-FILE "$dev" 2>/dev/null) in
			"$T"/img/*) losetup -d "$dev" || echo "# cannot detach $dev" >&2 ;;
			esac
		done <"$T/loops"
	fi
}

inner() {
	T=$BENCH_T
	case $T in /tmp/vssbench.*) ;; *) die "bad BENCH_T $T" ;; esac
	trap inner_cleanup EXIT
	trap 'echo "# interrupted" >&2; exit 130' INT TERM HUP
	if grep -Eq ' (shared|master):' /proc/self/mountinfo; then
		die "mount namespace is not private; refusing to continue"
	fi
	# lazily detach every other block-backed mount but "/" (this namespace only)
	"$PY" "$HERE/qga_client.py" detach-foreign --keep "$T" || die "detach-foreign failed"

	mkdir -p "$T/img" "$T/mnt" "$T/state-vssd" "$T/state-qga" "$T/hooks" || die mkdir
	# both daemons keep their state where their defaults put it: a tmpfs (/run), not the root fs
	for d in state-vssd state-qga; do
		mount -t tmpfs -o size=1m,mode=0700 "sb$d" "$T/$d" || die "cannot mount a tmpfs on $T/$d"
	done
	: >"$T/mounts"
	local i dev type t0
	t0=$(date +%s.%N)
	for ((i = 0; i < NFS; i++)); do
		truncate -s 512M "$T/img/$i.img" || die truncate       # sparse; xfs needs >= 300 MB
		dev=$(losetup -f --show "$T/img/$i.img") || die "losetup failed"
		echo "$dev" >>"$T/loops"
		case $((i % 3)) in 0) type=ext4 ;; 1) type=xfs ;; 2) type=btrfs ;; esac
		echo "$dev $type" >>"$T/devs"
	done
	# mkfs, two at a time
	i=0
	while read -r dev type; do
		case $type in
		ext4) mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dev" >"$T/mkfs.$i.log" 2>&1 & ;;
		xfs) mkfs.xfs -q -f "$dev" >"$T/mkfs.$i.log" 2>&1 & ;;
		btrfs) mkfs.btrfs -q -f "$dev" >"$T/mkfs.$i.log" 2>&1 & ;;
		esac
		i=$((i + 1))
		[ $((i % 2)) -eq 0 ] && { wait || true; }
	done <"$T/devs"
	wait
	i=0
	while read -r dev type; do
		mkdir -p "$T/mnt/$i"
		mount -t "$type" "$dev" "$T/mnt/$i" || die "mount $dev ($type) failed: $(cat "$T/mkfs.$i.log")"
		echo "$T/mnt/$i $type" >>"$T/mounts"
		i=$((i + 1))
	done <"$T/devs"
	sync -f "$T/mnt/0"
	echo "# $NFS filesystems ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s" >&2

	cat >"$T/vssd.conf" <<EOF
[vssd]
socket = $T/vssd.sock
state_dir = $T/state-vssd

[freeze]
include = $T/*
skip_loop = no
hooks_dir = $T/hooks
timeout = 30s
EOF
	"$VSSD" --check-config -c "$T/vssd.conf" >/dev/null || die "vssd config rejected"
	"$PY" "$HERE/qga_client.py" check-only-ours --keep "$T" || die "foreign block mounts visible"

	"$VSSD" -f -c "$T/vssd.conf" 2>"$T/vssd.log" &
	VSSD_PID=$!
	VSSD_START=$(pid_start "$VSSD_PID")
	qemu-ga -m unix-listen -p "$T/qga.sock" -t "$T/state-qga" -f "$T/qga.pid" -l "$T/qga.log" \
		-b guest-fsfreeze-freeze &
	QGA_PID=$!
	QGA_START=$(pid_start "$QGA_PID")
	for i in $(seq 100); do
		[ -S "$T/vssd.sock" ] && [ -S "$T/qga.sock" ] && break
		sleep 0.05
	done
	[ -S "$T/vssd.sock" ] || die "vssd did not start: $(cat "$T/vssd.log")"
	[ -S "$T/qga.sock" ] || die "qemu-ga did not start: $(cat "$T/qga.log")"
	sleep 1   # idle memory is read 1 s after start
	echo "# vssd pid $VSSD_PID, qemu-ga pid $QGA_PID" >&2

	"$PY" "$HERE/qga_client.py" run --root "$T" --mounts "$T/mounts" --loops "$T/loops" \
		--vssd-sock "$T/vssd.sock" --qga-sock "$T/qga.sock" \
		--vssd-pid "$VSSD_PID" --qga-pid "$QGA_PID" --sizes 1,8,"$NFS" --trials "$TRIALS" \
		--cycles "$CYCLES" --dirty-trials "$DIRTY_TRIALS" --dirty-mib "$DIRTY_MIB" \
		--stall-writer "$T/stall-writer" \
		${STRACE:+--strace-dir "$T"} ${PERF:+--perf --perf-dir "$T"} --out "$T/bench.json" || die "benchmark client failed"
	if [ -n "$STRACE" ]; then
		for d in vssd qemu-ga; do
			echo
			echo "### strace -f -c -w, one freeze-list+thaw of N=8 by $d (wall time per syscall)"
			echo '```'
			head -n 22 "$T/strace-$d.txt"
			echo '```'
		done
	fi
	[ -n "$JSON" ] && cp "$T/bench.json" "$JSON"
	grep -ci 'warn\|err' "$T/vssd.log" | sed 's/^/# vssd log warning\/error lines: /' >&2
	exit 0
}

if [ -n "${BENCH_INNER:-}" ]; then
	inner
	exit $?
fi

# ------------------------------------------------------------------ outside (host namespace)

[ "$(id -u)" = 0 ] || die "must run as root (loop devices, mount, FIFREEZE)"
[ -x "$VSSD" ] || die "$VSSD not built (run make)"
if ! command -v qemu-ga >/dev/null || ! command -v mkfs.xfs >/dev/null || ! command -v mkfs.btrfs >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	timeout 600 apt-get install -y qemu-guest-agent xfsprogs btrfs-progs ||
		{ timeout 600 apt-get update && timeout 600 apt-get install -y qemu-guest-agent xfsprogs btrfs-progs; } ||
		die "cannot install qemu-guest-agent xfsprogs btrfs-progs"
fi
PERF=
[ -n "$NOPERF" ] || { perf stat -e task-clock -- true >/dev/null 2>&1 && PERF=1; }   # optional (Debian: linux-perf)
if [ -n "$STRACE" ] && ! command -v strace >/dev/null; then
	DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y strace || STRACE=
fi
for c in qemu-ga losetup unshare mount umount fsfreeze truncate mkfs.ext4 mkfs.xfs mkfs.btrfs timeout awk; do
	command -v "$c" >/dev/null || die "missing $c"
done
[ -e /etc/qemu/qemu-ga.conf ] && echo "# note: /etc/qemu/qemu-ga.conf exists and is read by qemu-ga" >&2
[ "$NFS" -ge 8 ] || die "--fs must be >= 8"
[ "$TRIALS" -ge 30 ] || die "--trials must be >= 30 (n >= 30 per cell)"

echo "## vssd vs qemu-ga: freeze-list / thaw / ping, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
echo "- memory (free -g): $(free -g | awk '/^Mem:/ {print "total " $2 " GiB, used " $3 ", free " $4 ", available " $7}')"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(qemu-ga --version | head -1) (package $(dpkg-query -W -f '${Version}' qemu-guest-agent 2>/dev/null))"
echo "- $("$VSSD" --version); binary $VSSD built $(date -u -r "$VSSD" '+%H:%M:%S UTC'), sha256 $(sha256sum "$VSSD" | cut -c1-12); tree $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?')"
echo "- util-linux $(fsfreeze -V | awk '{print $NF}'), $(mkfs.xfs -V), $(mkfs.btrfs --version | head -1), $(perf --version 2>/dev/null || echo 'perf: not installed'), strace $(strace -V 2>/dev/null | awk 'NR==1 {print $NF}')"
NOSTRACE_ARG=
[ -n "$STRACE" ] || NOSTRACE_ARG=--no-strace
EXTRA_ARGS="--cycles $CYCLES --dirty-trials $DIRTY_TRIALS --dirty-mib $DIRTY_MIB${NOPERF:+ --no-perf}"
echo "- command: $0 --trials $TRIALS --fs $NFS${JSON:+ --json $JSON} $NOSTRACE_ARG $EXTRA_ARGS"
echo

T=$(mktemp -d /tmp/vssbench.XXXXXX) || die mktemp
: >"$T/loops"
${CC:-cc} -O2 -Wall -pthread -o "$T/stall-writer" "$HERE/stall-writer.c" || die "cannot build stall-writer"
timeout -k 15 "$RUN_TIMEOUT" unshare --mount --propagation private -- \
	env BENCH_INNER=1 BENCH_T="$T" NFS="$NFS" TRIALS="$TRIALS" JSON="$JSON" STRACE="$STRACE" PERF="$PERF" \
	bash "$0" --trials "$TRIALS" --fs "$NFS" ${JSON:+--json "$JSON"} $NOSTRACE_ARG $EXTRA_ARGS
rc=$?
echo
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# verify: nothing of ours may remain attached or mounted; recover a leaked device
leak=0
while read -r dev; do
	case $(losetup -n -O BACK-FILE "$dev" 2>/dev/null) in
	"$T"/img/*)
		leak=1
		echo "# LEAK: $dev still attached; thawing and detaching it" >&2
		mkdir -p "$T/rescue"
		timeout 30 unshare --mount --propagation private -- sh -c \
			'mount "$1" "$2" && { fsfreeze -u "$2" 2>/dev/null; umount "$2"; }' _ "$dev" "$T/rescue"
		losetup -d "$dev"
		;;
	esac
done <"$T/loops"
if grep -q " $T" /proc/mounts || losetup -a | grep -q "$T"; then
	echo "# LEAK: still mounted or attached:" >&2
	grep " $T" /proc/mounts >&2
	losetup -a | grep "$T" >&2
	leak=1
else
	echo "# cleanup verified: no mount and no loop device of $T remains" >&2
	rm -rf --one-file-system "$T"
fi
[ $leak = 0 ] || exit 1
exit $rc
