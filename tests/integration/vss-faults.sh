#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vssd's fault matrix on real loop filesystems: the state_dir full or read-only,
# a freeze hook that crashes or floods its output, vssd SIGKILLed while a freeze
# hook runs, a client that disconnects in the middle of its freeze request. Each
# case ends with the two things an operator needs: nothing vssd froze is frozen
# (a writer on each filesystem completes), and a new freeze and thaw work.
# (FIFREEZE/FITHAW/syncfs failing at each position: tests/unit/test_vss_freeze.c;
# the watchdog's timeout and SIGKILL/SIGSTOP of vssd or of its watchdog:
# vss-watchdog.sh; failing and hanging hooks: vss-hooks.sh.)
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs.sh"
fs_require mkfs.xfs
vss_require
fs_enter "$0"

must "setup: ext4" fs_make ext4 ext4
must "setup: xfs" fs_make xfs xfs
# state_dir on a small tmpfs of the test's own, so it can be filled and made read-only
mkdir -p "$T/state"
must "setup: a 1 MiB tmpfs for state_dir" mount -t tmpfs -o size=1m,mode=0700 sbstate "$T/state"
echo "$T/state" >>"$T/mnts"
VSS_HOOK_TIMEOUT=2s
vss_conf
sed -i "s|^state_dir = .*|state_dir = $T/state|" "$T/vssd.conf"
W=0
both_thawed() { fs_thawed "$T/ext4" && fs_thawed "$T/xfs"; }

# sound: both filesystems thawed, each writer completes, and a new freeze + thaw of both work
sound() { # DESC
	W=$((W + 1))
	check "$1: ext4 thawed" fs_thawed "$T/ext4"
	check "$1: xfs thawed" fs_thawed "$T/xfs"
	fs_writer "e$W" "$T/ext4/w$W" "w$W"
	fs_writer "x$W" "$T/xfs/w$W" "w$W"
	check "$1: a write on ext4 completes" fs_writer_done "e$W"
	check "$1: a write on xfs completes" fs_writer_done "x$W"
	expect "$1: a new freeze of both works" '"return": *2[^0-9]' \
		"$(qga -t 15 "$(freeze_list_json "$T/ext4" "$T/xfs")")"
	expect "$1: ... and its thaw" '"return": *2[^0-9]' "$(qga -t 15 "$THAW")"
	check "$1: ... nothing frozen after it" both_thawed
}

must "vssd starts (state_dir on its own tmpfs)" vss_start
sound "at start"

# ---- state_dir full: the record cannot be written, so nothing may be frozen
dd if=/dev/zero of="$T/state/fill" bs=4k 2>/dev/null
r=$(qga -t 15 "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "state_dir full: the freeze fails with an error" '"error"' "$r"
expect "state_dir full: ... that says the space ran out" 'No space|ENOSPC|space' "$r"
check "state_dir full: vssd still serves" vss_ping
rm -f "$T/state/fill"
sound "state_dir full, then space again"

# ---- state_dir read-only
must "state_dir remounted read-only" mount -o remount,ro "$T/state"
r=$(qga -t 15 "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "state_dir read-only: the freeze fails with an error" '"error"' "$r"
check "state_dir read-only: vssd still serves" vss_ping
must "state_dir remounted read-write" mount -o remount,rw "$T/state"
sound "state_dir read-only, then writable again"

# ---- a freeze hook that crashes (SIGSEGV): the freeze fails, the hooks before it get their thaw
printf '#!/bin/sh\necho "10-ok $1" >>"%s/hooks.log"\n' "$T" >"$T/hooks/10-ok"
printf '#!/bin/sh\n[ "$1" = freeze ] && kill -SEGV $$\nexit 0\n' >"$T/hooks/20-crash"
chmod 755 "$T/hooks/10-ok" "$T/hooks/20-crash"
r=$(qga -t 15 "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "a crashing freeze hook: the freeze fails, naming the hook" '"error".*20-crash' "$r"
check "a crashing freeze hook: the hook before it got its thaw" grep -qx "10-ok thaw" "$T/hooks.log"
rm -f "$T/hooks/20-crash" "$T/hooks.log"
sound "a crashing freeze hook"

# ---- a freeze hook that floods its output (64 MiB): bounded capture, no stall past hook_timeout
printf '#!/bin/sh\nhead -c 67108864 /dev/zero | tr "\\\\0" x\nexit 0\n' >"$T/hooks/20-flood"
chmod 755 "$T/hooks/20-flood"
t0=$(fs_now_ms)
r=$(qga -t 20 "$(freeze_list_json "$T/ext4" "$T/xfs")")
el=$(($(fs_now_ms) - t0))
expect "a flooding freeze hook: the freeze answers (success or error)" '"return"|"error"' "$r"
check "a flooding freeze hook: ... within hook_timeout + 3 s (${el} ms)" [ "$el" -le 5000 ]
rss=$(awk '/^VmRSS:/ { print $2 }' /proc/"$VSSD_PID"/status 2>/dev/null)
check "a flooding freeze hook: vssd's RSS stays bounded (${rss:-?} kB < 32768 kB)" [ "${rss:-999999}" -lt 32768 ]
qga -t 15 "$THAW" >/dev/null
rm -f "$T/hooks/20-flood"
sound "a flooding freeze hook"

# ---- a client that disconnects right after sending its freeze request
printf '%s\n' "$(freeze_list_json "$T/ext4" "$T/xfs")" >"$T/req"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1]); s.sendall(open(sys.argv[2], "rb").read()); s.close()' "$SOCK" "$T/req"
check "a client gone mid-request: vssd still serves" wait_until 5000 vss_ping
# whatever vssd decided for the orphaned freeze (kept until a thaw or the timeout, or undone),
# a thaw from the local socket ends it
qga -t 15 "$THAW" >/dev/null
sound "a client gone mid-request"

# ---- SIGKILL of vssd while a freeze hook runs: nothing was frozen yet; a restart is sound
printf '#!/bin/sh\n[ "$1" = freeze ] && { echo $$ >"%s/hook.pid"; exec sleep 60; }\nexit 0\n' "$T" \
	>"$T/hooks/20-slow"
chmod 755 "$T/hooks/20-slow"
rm -f "$T/hook.pid"
VSS_HOOK_TIMEOUT=30s
vss_conf
sed -i "s|^state_dir = .*|state_dir = $T/state|" "$T/vssd.conf"
check "vssd stops" vss_stop
must "vssd restarts with hook_timeout = 30s" vss_start
qga -t 40 "$(freeze_list_json "$T/ext4" "$T/xfs")" >"$T/r.out" &
q=$!
fs_track_pid "$q"
if wait_until 5000 test -s "$T/hook.pid"; then
	hp=$(cat "$T/hook.pid")
	fs_track_pid "$hp"
	ok "the slow freeze hook runs"
else
	hp=
	not_ok "the slow freeze hook runs"
fi
kill -KILL "$VSSD_PID"
check "SIGKILL during a freeze hook: vssd is gone" wait_until 3000 fs_pid_gone "$VSSD_PID"
wait "$VSSD_PID" 2>/dev/null
VSSD_PID=
[ -n "$hp" ] && kill -KILL "$hp" 2>/dev/null
wait_until 5000 fs_pid_gone "$q"
check "SIGKILL during a freeze hook: nothing frozen" both_thawed
check "SIGKILL during a freeze hook: vssd --thaw-record exits 0" "$VSSD" --thaw-record -c "$T/vssd.conf"
rm -f "$T/hooks/20-slow"
must "vssd restarts" vss_start
sound "SIGKILL during a freeze hook"

check "vssd stops" vss_stop
umount "$T/state" 2>/dev/null
end_test
