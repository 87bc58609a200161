#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs INSIDE the Debian guest of tests/integration/vss-systemd-qemu.sh, as a
# oneshot unit, with vssd installed by `make install` and its packaged unit.
# Every result is one line on the serial console: "VSSTEST ok WHAT",
# "VSSTEST not ok WHAT", "VSSTEST skip WHY", "VSSTEST # NOTE", then
# "VSSTEST end" (the host turns them into TAP). Ground truth only: fsfreeze
# (EBUSY: frozen; FITHAW's EINVAL: thawed) and writers that block and complete,
# never vssd's replies. TIMEOUT is the freeze timeout of vssd.conf.
TIMEOUT=20
trap '' HUP
exec >/dev/ttyS0 2>&1
say() { echo "VSSTEST $*"; }
ok() { say "ok $*"; }
not_ok() { say "not ok $*"; }
note() { printf '%s\n' "$@" | sed 's/^/VSSTEST # /'; }
check() { # check WHAT COMMAND...
	_w=$1
	shift
	if "$@"; then ok "$_w"; else not_ok "$_w"; fi
}
# No fork in the polls (under TCG each one costs tens of ms): /proc read by the shell
now_ms() {
	read -r _up _ </proc/uptime
	echo $((${_up%.*}${_up#*.} * 10))
}
until_ok() { # until_ok SECONDS COMMAND...: polls COMMAND, 0.2 s apart, for SECONDS
	_end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}
# frozen: FIFREEZE says EBUSY. thawed: FITHAW says EINVAL (not frozen).
frozen() {
	_e=$(fsfreeze -f "$1" 2>&1) && { fsfreeze -u "$1"; return 1; }
	case $_e in *busy*) return 0 ;; esac
	return 1
}
thawed() {
	_e=$(fsfreeze -u "$1" 2>&1) && return 1
	case $_e in *"Invalid argument"*) return 0 ;; esac
	return 1
}
all_frozen() { for m; do frozen "$m" || return 1; done; }
all_thawed() { for m; do thawed "$m" || return 1; done; }
# writer FILE: a write (of a new FILE: an unlink would wait too) in the background; its pid in WPID
writer() {
	sh -c 'echo written >"$1"' sh "$1" &
	WPID=$!
}
blocked() { # the process waits in D state
	read -r _st 2>/dev/null </proc/$1/stat || return 1
	_st=${_st##*) }
	[ "${_st%% *}" = D ]
}
# stuck PID: in D state at every look for 2 s (a freeze of these filesystems
# takes well under 100 ms when nothing holds it up)
stuck() {
	_end=$(($(now_ms) + 2000))
	while [ "$(now_ms)" -lt "$_end" ]; do
		blocked "$1" || return 1
		sleep 0.2
	done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
completed() { gone "$1" && [ "$(cat "$2" 2>/dev/null)" = written ]; }
prop() { systemctl show -p "$1" --value vssd; }
mainpid() { prop MainPID; }
watchdog_of() { pgrep -P "$1" -x vssd-watchdog; }
# PID 1's journal of vssd.service (at debug level: each process it starts)
journal() { journalctl -q -u vssd -o cat; }
# how many times ExecStopPost (vssd --thaw-record) was started so far
stopposts() { journal | grep -c -- "--thaw-record"; }
# ExecStopPost was started since there were N, and exited with status 0
stoppost_ran() {
	POSTS=$1
	until_ok 5 eval '[ "$(stopposts)" -gt "$POSTS" ]' &&
		[ "$(journal | grep -c "Control process exited, code=exited, status=[1-9]")" -eq "$FAILED_POSTS" ]
}
# PID 1 logs every signal it sends but a stop's SIGTERM to the main process:
# never one to the watchdog
watchdog_untouched() { ! journal | grep -E "(Killing process|[Ss]ent signal).*vssd-watchdog"; }
freeze_thaw_works() { # freeze_thaw_works MOUNTPOINT...
	vssctl freeze "$@" >/dev/null && all_frozen "$@" && vssctl thaw >/dev/null && all_thawed "$@"
}

# Two shapes of "a loop filesystem whose backing file is on another":
# /mnt/b on a file of /mnt/a, opened through a mount lazily unmounted since (its
# path is stale; defect 2's shape) and mounted before /mnt/a is (mountinfo order
# alone would freeze /mnt/a first); /mnt/d on a file of /mnt/c reached through
# overlayfs (the file's device is the overlay's, its path is no candidate's: a
# dependency vssd cannot see, so it freezes /mnt/c first and waits in FIFREEZE).
setup() {
	mkdir -p /var/tmp/vt /mnt/x /mnt/a /mnt/b /mnt/y /mnt/o /mnt/c /mnt/d &&
		truncate -s 64M /var/tmp/vt/a.img /var/tmp/vt/c.img &&
		mkfs.ext4 -q -F /var/tmp/vt/a.img && mkfs.ext4 -q -F /var/tmp/vt/c.img &&
		mount -o loop /var/tmp/vt/a.img /mnt/x && truncate -s 32M /mnt/x/b.img &&
		mkfs.ext4 -q -F /mnt/x/b.img && mount -o loop /mnt/x/b.img /mnt/b &&
		mount --bind /mnt/x /mnt/a && umount -l /mnt/x &&
		mount -o loop /var/tmp/vt/c.img /mnt/y && mkdir /mnt/y/lower /mnt/y/upper /mnt/y/work &&
		mount -t overlay -o lowerdir=/mnt/y/lower,upperdir=/mnt/y/upper,workdir=/mnt/y/work ovl /mnt/o &&
		truncate -s 32M /mnt/o/d.img && mkfs.ext4 -q -F /mnt/o/d.img &&
		mount -o loop /mnt/o/d.img /mnt/d && mount --bind /mnt/y /mnt/c && umount -l /mnt/y
}

# The unit as installed, started by systemd
start_vssd() {
	check "systemctl start vssd: active" systemctl start vssd
	MAIN=$(mainpid)
	WD=$(watchdog_of "$MAIN")
	check "vssd ($MAIN) runs its watchdog (${WD:-none}) in the unit's cgroup" \
		grep -q vssd.service "/proc/${WD:-0}/cgroup"
}

# A freeze of /mnt/a and /mnt/b, then `systemctl stop vssd` while frozen
stop_while_frozen() {
	t0=$(now_ms)
	vssctl freeze /mnt/a /mnt/b >/tmp/freeze.out 2>&1
	rc=$?
	ms=$(($(now_ms) - t0))
	note "$(cat /tmp/freeze.out)"
	check "vssctl freeze /mnt/a /mnt/b: exit 0 in $ms ms, well within the ${TIMEOUT}s timeout (/mnt/b first)" \
		[ "$rc" -eq 0 -a "$ms" -lt $((TIMEOUT * 1000 / 2)) ]
	check "/mnt/a and /mnt/b are frozen (FIFREEZE: EBUSY)" all_frozen /mnt/a /mnt/b
	writer /mnt/b/w1
	check "a writer on /mnt/b blocks" until_ok 5 blocked "$WPID"
	posts=$(stopposts)
	t0=$(now_ms)
	timeout 150 systemctl stop vssd
	rc=$?
	ms=$(($(now_ms) - t0))
	check "systemctl stop vssd while frozen: exit 0 in $ms ms (TimeoutStopSec=$(prop TimeoutStopUSec))" \
		[ "$rc" -eq 0 -a "$ms" -lt 10000 ]
	check "the writer on /mnt/b completed" until_ok 5 completed "$WPID" /mnt/b/w1
	check "/mnt/a and /mnt/b are thawed (FITHAW: EINVAL)" all_thawed /mnt/a /mnt/b
	check "vssd and its watchdog ($WD) are gone, the unit inactive" \
		sh -c "! kill -0 $MAIN 2>/dev/null && ! kill -0 $WD 2>/dev/null && [ \"\$(systemctl is-active vssd)\" = inactive ]"
	check "systemd sent no signal to the watchdog" watchdog_untouched
	check "ExecStopPost ran (vssd --thaw-record, exit 0)" stoppost_ran "$posts"
}

# SIGKILL of vssd alone while frozen: the watchdog thaws the moment vssd is gone
crash_while_frozen() {
	check "vssctl freeze /mnt/a /mnt/b" sh -c 'vssctl freeze /mnt/a /mnt/b >/dev/null'
	check "/mnt/a and /mnt/b are frozen" all_frozen /mnt/a /mnt/b
	writer /mnt/a/w2
	check "a writer on /mnt/a blocks" until_ok 5 blocked "$WPID"
	restarts=$(prop NRestarts)
	posts=$(stopposts)
	t0=$(now_ms)
	systemctl kill --kill-who=main -s KILL vssd
	check "after systemctl kill --kill-who=main -s KILL vssd: the writer on /mnt/a completed" \
		until_ok 5 completed "$WPID" /mnt/a/w2
	note "thawed $(($(now_ms) - t0)) ms after the SIGKILL"
	check "/mnt/a and /mnt/b are thawed" all_thawed /mnt/a /mnt/b
	check "the watchdog ($WD) exited by itself" until_ok 5 gone "$WD"
	check "Restart=on-failure started vssd again" \
		until_ok 10 sh -c "[ \"\$(systemctl show -p NRestarts --value vssd)\" -gt $restarts ] && systemctl -q is-active vssd"
	check "ExecStopPost ran (vssd --thaw-record, exit 0)" stoppost_ran "$posts"
	check "systemd sent no signal to the watchdog" watchdog_untouched
	MAIN=$(mainpid)
	WD=$(watchdog_of "$MAIN")
	check "freeze and thaw work after the restart" freeze_thaw_works /mnt/a /mnt/b
}

# vssctl freeze /mnt/c /mnt/d in the background (pid FP) until vssd waits in
# FIFREEZE of /mnt/d behind its own freeze of /mnt/c (a writer on /mnt/c blocks);
# fails, saying why, when it does not
freeze_stuck() {
	T0=$(now_ms)
	vssctl freeze /mnt/c /mnt/d >/tmp/freeze.out 2>&1 &
	FP=$!
	if ! until_ok 10 stuck "$MAIN"; then
		say "skip vssd did not wait in FIFREEZE of /mnt/d (does it see through overlayfs now?)"
		wait "$FP"
		vssctl thaw >/dev/null
		return 1
	fi
	note "vssd waits in FIFREEZE ($(cat /proc/$MAIN/wchan 2>/dev/null))"
	writer /mnt/c/$1
	check "a writer on /mnt/c blocks" until_ok 5 blocked "$WPID"
}

# the writer on /mnt/c completes when the watchdog thaws, at the timeout
watchdog_thawed() {
	until_ok $((TIMEOUT + 10)) completed "$WPID" /mnt/c/$1
	ms=$(($(now_ms) - T0))
	check "the watchdog thawed /mnt/c: the writer completed $ms ms after the freeze (timeout ${TIMEOUT}s)" \
		[ "$ms" -ge $((TIMEOUT * 1000)) -a "$ms" -lt $(((TIMEOUT + 5) * 1000)) ]
}

# `systemctl stop vssd` while vssd waits in FIFREEZE of /mnt/d behind its own
# freeze of /mnt/c: only the watchdog can end that, at the timeout; the stop
# must neither kill it nor give up on vssd before (TimeoutStopSec above it)
stop_while_stuck() {
	freeze_stuck w3 || return
	posts=$(stopposts)
	timeout 150 systemctl stop vssd &
	sp=$!
	sleep 1
	check "1 s into the stop, vssd still waits in FIFREEZE and its watchdog ($WD) is alive" \
		eval 'blocked "$MAIN" && kill -0 "$WD"'
	watchdog_thawed w3
	wait "$sp"
	rc=$?
	ms=$(($(now_ms) - T0))
	check "systemctl stop vssd completed: exit 0, $ms ms after the freeze, no stop-timeout SIGKILL" \
		eval '[ "$rc" -eq 0 -a "$ms" -lt $(((TIMEOUT + 15) * 1000)) ] && ! journal | grep -q "Killing process"'
	check "/mnt/c and /mnt/d are thawed" all_thawed /mnt/c /mnt/d
	check "vssd and its watchdog are gone" eval 'gone "$MAIN" && gone "$WD"'
	check "systemd sent no signal to the watchdog" watchdog_untouched
	check "ExecStopPost ran (vssd --thaw-record, exit 0)" stoppost_ran "$posts"
	wait "$FP"
	note "vssctl freeze /mnt/c /mnt/d: exit $?: $(cat /tmp/freeze.out)"
}

# The same with a freeze timeout above TimeoutStopSec (a request may set up to
# 1 h; here the unit's 90 s scaled down by a drop-in to 1 s): systemd gives up on
# vssd (SIGKILL, which waits for FIFREEZE to return; ExecStopPost while vssd
# still holds state_dir) but never signals the watchdog, which thaws at the
# timeout; then vssd dies, and the unit starts again
stop_timeout_below_freeze() {
	mkdir -p /run/systemd/system/vssd.service.d
	printf '[Service]\nTimeoutStopSec=1s\n' >/run/systemd/system/vssd.service.d/stop.conf
	systemctl daemon-reload
	start_vssd
	freeze_stuck w4 || return
	timeout 150 systemctl stop vssd
	ms=$(($(now_ms) - T0))
	check "systemctl stop vssd (TimeoutStopSec=1s) returned $ms ms after the freeze, before its ${TIMEOUT}s timeout" \
		[ "$ms" -lt $((TIMEOUT * 1000)) ]
	check "then /mnt/c is still frozen, vssd waits in FIFREEZE, its watchdog ($WD) is alive" \
		eval 'blocked "$WPID" && blocked "$MAIN" && kill -0 "$WD"'
	watchdog_thawed w4
	check "then vssd (its SIGKILL pending) and its watchdog are gone" \
		until_ok 5 eval 'gone "$MAIN" && gone "$WD"'
	check "/mnt/c and /mnt/d are thawed" all_thawed /mnt/c /mnt/d
	check "systemd sent SIGKILL to vssd ($MAIN), no signal to the watchdog" \
		eval 'journal | grep -q "Killing process $MAIN (vssd) with signal SIGKILL" && watchdog_untouched'
	FAILED_POSTS=$(journal | grep -c "Control process exited, code=exited, status=[1-9]")
	wait "$FP"
	rm -f /run/systemd/system/vssd.service.d/stop.conf
	systemctl daemon-reload
	systemctl reset-failed vssd 2>/dev/null
}

FAILED_POSTS=0
say begin
systemd-analyze log-level debug # PID 1's log: each signal it sends, ExecStopPost's exit
note "$(systemctl --version | head -1)" "$(uname -r)"
note "vssd.service: $(systemctl show -p FragmentPath -p DropInPaths -p KillMode -p TimeoutStopUSec vssd | tr '\n' ' ')"
if setup; then
	ok "two loop filesystems on files of two others (stale path; through overlayfs)"
	start_vssd
	note "$(vssctl plan /mnt/a /mnt/b 2>&1)" "$(vssctl plan /mnt/c /mnt/d 2>&1)"
	stop_while_frozen
	start_vssd
	check "freeze and thaw work after the restart" freeze_thaw_works /mnt/a /mnt/b
	crash_while_frozen
	stop_while_stuck
	stop_timeout_below_freeze
	start_vssd
	check "freeze and thaw work after the restart" freeze_thaw_works /mnt/a /mnt/b
else
	not_ok "the test's loop filesystems could not be made"
fi
note "$(journalctl -q -u vssd -o short-monotonic --no-pager |
	grep -E "thaw-record|Control process|Killing|[Ss]ent signal|timed out|still around|Failed|Main process|thawed|frozen for")"
say end
systemctl poweroff --no-block
