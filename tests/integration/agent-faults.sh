#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The agent's fault matrix (issue 13): selfballoond as a daemon on a fake /proc and
# /sys tree under --root, the guest under memory pressure (MemAvailable 10 MB, under
# the floor), then one fault at a time:
#   - the balloon target's write() failing with EIO, ENOSPC, EACCES, EINVAL, EAGAIN,
#     or returning 0 (an LD_PRELOAD shim, tests/integration/fault-shim.c);
#   - /proc/meminfo missing, truncated, garbage, or flapping between good and garbage;
#   - the driver's current-size file missing; a driver that never reaches its target;
#   - the PSI file vanishing;
#   - a SIGHUP storm with broken configurations;
#   - (root) the userspace balloon's child SIGKILLed (as the OOM killer does: no new
#     balloon within the cool-down), or stopped while pressure asks for the memory back.
# Each case asserts: the agent keeps deciding (its decision counters go on), never
# lowers the guest's memory while the pressure lasts (the target never goes below
# the guest's size), logs a repeated error once rather than per tick, and exits 0
# on SIGTERM within 5 s. Needs no root but for the userspace cases; touches nothing
# of this machine (the userspace balloon is bounded to 32 MiB).
. "${top_srcdir:-.}/tests/integration/lib.sh"
WAIT_STEP_MS=100

B=${top_builddir:-.}
S=${top_srcdir:-.}
D=$B/agent/selfballoond
F=${FIXTURES:-$S/tests/fixtures}/agent/linux-5.10
[ -z "${SELFBALLOON_UNIT_TESTS_ONLY:-}" ] ||
	skip_all "SELFBALLOON_UNIT_TESTS_ONLY is set (package builds and make distcheck run unit tests only)"
[ -x "$D" ] || skip_all "build first (agent/selfballoond)"
[ "$(getconf PAGESIZE)" -eq 4096 ] || skip_all "expected values assume 4 KiB pages"

tmp=$(mktemp -d /tmp/sb-faults.XXXXXX)
dpid= bgpid=
cleanup() {
	for p in $bgpid $dpid; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

SIZE=4028428 # MemTotal of the fixture, kB: the guest's size
shim=
if command -v "${CC:-cc}" >/dev/null 2>&1 &&
	"${CC:-cc}" -shared -fPIC -o "$tmp/shim.so" "$S/tests/integration/fault-shim.c" -ldl 2>"$tmp/cc.log"; then
	shim=$tmp/shim.so
fi

# a fresh fake guest in $R, under pressure; the agent's configuration in $C
fresh() {
	R=$tmp/root.$1 C=$tmp/$1.conf L=$tmp/$1.log M=$tmp/$1.prom
	mkdir -p "$R/proc/pressure" "$R/sys/fake"
	cp "$F/meminfo" "$F/vmstat" "$F/zoneinfo" "$R/proc/"
	cp "$F/pressure_memory" "$R/proc/pressure/memory"
	echo "$SIZE" >"$R/sys/fake/target"
	echo "$SIZE" >"$R/sys/fake/cur"
	sed -i 's/^MemAvailable:.*/MemAvailable:      10000 kB/' "$R/proc/meminfo"
	cp "$R/proc/meminfo" "$tmp/meminfo.good"
	printf '[%s]\n%s\n' balloon "driver = ${2:-sysfs}" >"$C"
	printf '%s\n' "sysfs_target = /sys/fake/target" "sysfs_current = /sys/fake/cur" "min_memory = 3G" \
		"interval = 200ms" "[hotplug]" "online = off" "[metrics]" "textfile = $M" "[daemon]" \
		"oom_score_adj = 0" >>"$C"
}
decisions() {
	_n=$(awk '/^selfballoond_decisions_total/ { s += $2 } END { print s + 0 }' "$M" 2>/dev/null)
	echo "${_n:-0}"
}
more_decisions() { [ "$(decisions)" -gt "$1" ]; }
started() { [ "$(decisions)" -gt 0 ]; }
start() { # [ENV=VALUE...]: the agent on $R with $C, logging to $L
	env "$@" "$D" -f -v --root "$R" -c "$C" 2>"$L" &
	dpid=$!
	wait_until 10000 started
}
# over SECONDS: the target never below the guest's size (0 when it never was)
never_lowered() {
	_i=0
	while [ $_i -lt $(($1 * 10)) ]; do
		_t=$(cat "$R/sys/fake/target" 2>/dev/null)
		[ -z "$_t" ] || [ "$_t" -ge "$SIZE" ] || { echo "target $_t"; return 1; }
		sleep 0.1; _i=$((_i + 1))
	done
}
stop() { # SIGTERM: exit 0 within 5 s
	kill -TERM "$dpid" 2>/dev/null
	_i=0; while kill -0 "$dpid" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	if kill -0 "$dpid" 2>/dev/null; then kill -KILL "$dpid"; wait "$dpid" 2>/dev/null; dpid=; return 1; fi
	wait "$dpid"; _rc=$?; dpid=
	[ "$_rc" -eq 0 ]
}
# case NAME: the three assertions around the fault, which the caller applied
assert_case() {
	_d0=$(decisions)
	if _why=$(never_lowered 3); then ok "$1: the target never went below the guest's size under pressure"
	else not_ok "$1: memory lowered under pressure ($_why)"; fi
	if wait_until 5000 more_decisions "$_d0"; then ok "$1: keeps deciding ($_d0 -> $(decisions) decisions)"
	else not_ok "$1: no decision since the fault ($(decisions)); log: $(tail -3 "$L" | tr '\n' '|')"; fi
}
assert_stop() {
	if stop; then ok "$1: SIGTERM: exit 0"; else not_ok "$1: no clean exit on SIGTERM"; fi
}
# at most N lines of the log match PATTERN (an error logged once, not per tick)
logged_at_most() {
	_n=$(grep -c -- "$2" "$L")
	if [ "$_n" -le "$1" ]; then ok "$3: logged $_n time(s), not per tick"
	else not_ok "$3: logged $_n times: $(grep -- "$2" "$L" | head -2 | tr '\n' '|')"; fi
}

# --- a driver that never reaches its target (the current file never moves) ---
fresh stuck
start && ok "stuck driver: started" || not_ok "stuck driver: did not start: $(tail -3 "$L")"
assert_case "driver never reaching its target"
assert_stop "driver never reaching its target"

# --- the target's write() failing with each errno, and returning 0 ---
if [ -z "$shim" ]; then
	skip_case "write faults need a C compiler for the LD_PRELOAD shim: $(head -1 "$tmp/cc.log" 2>/dev/null)"
else
	for e in 5:EIO 28:ENOSPC 13:EACCES 22:EINVAL 11:EAGAIN 0:returns-0; do
		n=${e%%:*} name=${e#*:}
		fresh "w$n"
		# a target below the guest's size: the agent must write to give memory back
		echo 3500000 >"$R/sys/fake/target"; echo 3500000 >"$R/sys/fake/cur"
		start LD_PRELOAD="$shim" SB_FAULT_PATH="$R/sys/fake/target" SB_FAULT_ERRNO="$n" ||
			not_ok "write $name: did not start: $(tail -3 "$L")"
		assert_case "write $name"
		logged_at_most 2 "setting target" "write $name"
		assert_stop "write $name"
	done
fi

# --- /proc/meminfo missing, truncated, garbage, flapping ---
for f in missing truncated garbage flapping; do
	fresh "mi-$f"
	start || not_ok "meminfo $f: did not start"
	case $f in
	missing) rm -f "$R/proc/meminfo" ;;
	truncated) head -c 40 "$tmp/meminfo.good" >"$R/proc/meminfo.new" && mv "$R/proc/meminfo.new" "$R/proc/meminfo" ;;
	garbage) head -c 3000 /dev/urandom >"$R/proc/meminfo.new" && mv "$R/proc/meminfo.new" "$R/proc/meminfo" ;;
	flapping)
		( while :; do
			head -c 500 /dev/urandom >"$R/proc/meminfo.g" && mv "$R/proc/meminfo.g" "$R/proc/meminfo"; sleep 0.1
			cp "$tmp/meminfo.good" "$R/proc/meminfo.g" && mv "$R/proc/meminfo.g" "$R/proc/meminfo"; sleep 0.1
		done ) &
		bgpid=$! ;;
	esac
	assert_case "meminfo $f"
	[ -z "$bgpid" ] || { kill "$bgpid"; wait "$bgpid" 2>/dev/null; bgpid=; }
	[ "$f" = flapping ] || logged_at_most 3 "meminfo" "meminfo $f"
	assert_stop "meminfo $f"
done

# --- the driver's current-size file and the PSI file vanish ---
fresh cur
start || not_ok "current file: did not start"
rm -f "$R/sys/fake/cur"
assert_case "current-size file missing"
logged_at_most 2 "reading balloon" "current-size file missing"
assert_stop "current-size file missing"

fresh psi
start || not_ok "PSI file: did not start"
rm -f "$R/proc/pressure/memory"
assert_case "PSI file vanished"
logged_at_most 3 "pressure/memory" "PSI file vanished"
assert_stop "PSI file vanished"

# --- a SIGHUP storm with broken configurations ---
fresh hup
cp "$C" "$tmp/hup.good"
start || not_ok "SIGHUP storm: did not start"
i=0
while [ $i -lt 30 ]; do
	case $((i % 3)) in
	0) printf '[balloon]\nbogus = 1\n' >"$C" ;;
	1) head -c 200 /dev/urandom >"$C" ;;
	2) rm -f "$C"; mkdir "$C" ;;
	esac
	kill -HUP "$dpid"; sleep 0.05
	[ -d "$C" ] && rmdir "$C"
	i=$((i + 1))
done
cp "$tmp/hup.good" "$C"
check "SIGHUP storm: still running after 30 broken reloads" kill -0 "$dpid"
assert_case "SIGHUP storm with broken configurations"
assert_stop "SIGHUP storm with broken configurations"

# --- the userspace balloon's child killed, or stopped (root: it mlocks real memory) ---
if [ "$(id -u)" -ne 0 ]; then
	skip_case "the userspace balloon's child: needs root (mlock of up to 32 MiB)"
else
	for sig in KILL STOP; do
		fresh "us-$sig" userspace
		# no pressure at first, a goal under the guest's size: the balloon grows to at most
		# 32 MiB (min_memory = size - 32 MiB); then pressure asks for all of it back
		cp "$F/meminfo" "$R/proc/meminfo"
		sed -i 's/^Committed_AS:.*/Committed_AS:    3000000 kB/' "$R/proc/meminfo"
		cp "$R/proc/meminfo" "$tmp/meminfo.good"
		sed -i "s/^min_memory = 3G/min_memory = $((SIZE - 32768))K\nreserved = 0%\nchunk = 4M/" "$C"
		start || not_ok "userspace $sig: did not start"
		child_up() { grep -q 'userspace balloon: child [0-9]* started' "$L"; }
		holds_all() { grep -q 'balloon_kb=32768 ' "$L"; }
		if wait_until 10000 child_up && wait_until 10000 holds_all; then
			child=$(sed -n 's/.*userspace balloon: child \([0-9]*\) started.*/\1/p' "$L" | tail -1)
			kill -"$sig" "$child"
			if [ "$sig" = KILL ]; then
				# what the OOM killer does to the balloon first (oom_score_adj 1000): with no
				# pressure at all, the balloon is not taken again within the cool-down (30 s)
				held_again() { [ "$(grep -c 'userspace balloon: child [0-9]* started' "$L")" -gt 1 ]; }
				cooling() { grep -q 'reason=cool-down' "$L"; }
				sleep 3
				if ! held_again && cooling; then ok "userspace OOM-killed (SIGKILL): no new balloon within the cool-down"
				else not_ok "userspace OOM-killed: balloon taken again: $(grep 'child .* started\|reason=' "$L" | tail -3 | tr '\n' '|')"; fi
			fi
			sed -i 's/^MemAvailable:.*/MemAvailable:      10000 kB/' "$R/proc/meminfo"
			if [ "$sig" = STOP ]; then
				child_killed() { grep -q 'gave none back.*killed so the guest gets the memory' "$L"; }
				wait_until 10000 child_killed && ok "userspace STOP: the stopped child killed so the guest gets the memory" ||
					not_ok "userspace STOP: child not escalated: $(tail -3 "$L" | tr '\n' '|')"
			fi
			kill -0 "$dpid" && ok "userspace $sig: the agent is still running" || not_ok "userspace $sig: the agent died"
			_d0=$(decisions)
			wait_until 5000 more_decisions "$_d0" && ok "userspace $sig: keeps deciding" || not_ok "userspace $sig: no decision"
		else
			not_ok "userspace $sig: no balloon child started: $(tail -3 "$L" | tr '\n' '|')"
		fi
		assert_stop "userspace $sig"
	done
fi
done_testing
