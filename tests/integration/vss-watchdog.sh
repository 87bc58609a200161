#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Nothing stays frozen: the watchdog thaws after the freeze timeout and when vssd
# dies (even SIGKILL: writes proceed within 1 s); a vssd restarted after both it
# and its watchdog were killed finds the freeze record and thaws; vssd --thaw-record
# does the same; a foreign freeze is never thawed by any of these.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs.sh"
fs_require mkfs.ext4 mkfs.xfs
vss_require
fs_enter "$0"

must "setup: ext4 and xfs" eval 'fs_make ext4 ext4 && fs_make xfs xfs'
none_frozen() { fs_thawed "$T/ext4" && fs_thawed "$T/xfs"; }

# ---- timeout from the config
VSS_TIMEOUT=2s; vss_conf; VSS_TIMEOUT=
must "vssd starts (timeout = 2s)" vss_start
t0=$(fs_now_ms)
r=$(qga "$(freeze_list_json "$T/xfs")")
expect "freeze-list [xfs] returns 1" '"return": *1[^0-9]' "$r"
fs_writer a "$T/xfs/a" "data-a"
check "write on xfs blocks" fs_writer_blocked a
dl=$(qga '{"execute":"vssd-status"}' | sed -n 's/.*"watchdog_deadline_ms": *\([0-9]*\).*/\1/p')
check "vssd-status shows a watchdog deadline in (0, 2000] ms (got '$dl')" sh -c '[ -n "$1" ] && [ "$1" -gt 0 ] && [ "$1" -le 2000 ]' sh "$dl"
if fs_writer_done a 5000; then
	el=$(($(fs_now_ms) - t0))
	ok "watchdog thawed xfs after the 2 s timeout (writer done after ${el} ms)"
	check "  ... not before the timeout (${el} ms >= 1800)" [ "$el" -ge 1800 ]
	check "  ... within 1 s after it (${el} ms <= 3000)" [ "$el" -le 3000 ]
else
	not_ok "watchdog thawed xfs after the 2 s timeout (writer still blocked 5 s later)"
fi
check "  ... data intact" fs_content "$T/xfs/a" data-a
check "xfs thawed (probe)" none_frozen
expect "vssd reports thawed after the watchdog fired" '"return": *"thawed"' "$(qga "$STATUS")"
check "vssd still answers" vss_ping

# ---- timeout from the request (extension: arguments.timeout in ms)
t0=$(fs_now_ms)
r=$(qga '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["'"$T"'/ext4"],"timeout":1000}}')
expect "freeze-list [ext4] with timeout 1000 ms returns 1" '"return": *1[^0-9]' "$r"
fs_writer b "$T/ext4/b" "data-b"
check "write on ext4 blocks" fs_writer_blocked b
if fs_writer_done b 4000; then
	el=$(($(fs_now_ms) - t0))
	check "watchdog thawed ext4 after the 1 s request timeout (${el} ms, expected 800..2500)" \
		sh -c '[ "$1" -ge 800 ] && [ "$1" -le 2500 ]' sh "$el"
else
	not_ok "watchdog thawed ext4 after the 1 s request timeout (writer still blocked 4 s later)"
fi
check "nothing frozen" none_frozen
check "vssd stops" vss_stop

# ---- SIGKILL of vssd while frozen: writes proceed within 1 s
vss_conf
must "vssd starts (timeout = 60s)" vss_start
r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "freeze-list [ext4, xfs] returns 2" '"return": *2[^0-9]' "$r"
fs_writer c "$T/ext4/c" "data-c"
fs_writer d "$T/xfs/d" "data-d"
check "write on ext4 blocks" fs_writer_blocked c
check "write on xfs blocks" fs_writer_blocked d
kids=$(fs_children "$VSSD_PID")
check "vssd has a watchdog child process while frozen" [ -n "$kids" ]
for k in $kids; do fs_track_pid "$k"; done
t0=$(fs_now_ms)
kill -KILL "$VSSD_PID"
if fs_writer_done c 1500 && fs_writer_done d 1500; then
	el=$(($(fs_now_ms) - t0))
	check "writes proceed within 1 s of SIGKILL of vssd (${el} ms)" [ "$el" -le 1000 ]
else
	not_ok "writes proceed within 1 s of SIGKILL of vssd (still blocked after 1.5 s)"
fi
wait "$VSSD_PID" 2>/dev/null
check "  ... data intact" eval 'fs_content "$T/ext4/c" data-c && fs_content "$T/xfs/d" data-d'
check "nothing frozen (probe)" none_frozen
gone() { for k in $kids; do fs_pid_gone "$k" || return 1; done; }
check "the watchdog exits after thawing" wait_until 3000 gone

# a new vssd after that starts cleanly (a stale record must not hurt)
check "vssd restarts after the SIGKILL" vss_start
expect "  ... and reports thawed" '"return": *"thawed"' "$(qga "$STATUS")"

# ---- the watchdog itself is killed while frozen: vssd thaws at once and starts a new one
r=$(qga "$(freeze_list_json "$T/ext4")")
expect "freeze-list [ext4] returns 1" '"return": *1[^0-9]' "$r"
fs_writer w1 "$T/ext4/w1" "data-w1"
check "write on ext4 blocks" fs_writer_blocked w1
wd=$(fs_children "$VSSD_PID")
check "one watchdog process (got '$wd')" [ "$(echo $wd | wc -w)" -eq 1 ]
kill -KILL $wd
check "SIGKILL of the watchdog: vssd thaws, the write proceeds" fs_writer_done w1 2000
expect "vssd-status names the dead watchdog" '"last_error": *"the watchdog died' "$(qga '{"execute":"vssd-status"}')"
wd2=$(fs_children "$VSSD_PID")
check "a new watchdog process runs (got '$wd2')" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' sh "$wd2" "$wd"
for k in $wd2; do fs_track_pid "$k"; done
r=$(qga "$(freeze_list_json "$T/ext4")")
expect "the next freeze works" '"return": *1[^0-9]' "$r"
expect "  ... and thaws" '"return": *1[^0-9]' "$(qga '{"execute":"guest-fsfreeze-thaw"}')"

# ---- the watchdog never thaws a foreign freeze (timeout, then SIGKILL of vssd)
check "fsfreeze -f ext4 (foreign freeze)" fsfreeze -f "$T/ext4"
r=$(qga '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["'"$T"'/ext4","'"$T"'/xfs"],"timeout":1000}}')
expect "freeze-list [foreign ext4, xfs] with timeout 1000 ms succeeds" '"return": *1[^0-9]' "$r"
fs_writer fx "$T/xfs/fx" "data-fx"
fs_writer fe "$T/ext4/fe" "data-fe"
check "write on xfs blocks" fs_writer_blocked fx
check "watchdog timeout thaws xfs" fs_writer_done fx 4000
check "  ... but not the foreign-frozen ext4" fs_writer_blocked fe
check "  ... (probe)" fs_frozen "$T/ext4"
r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "freeze-list [foreign ext4, xfs] succeeds" '"return": *1[^0-9]' "$r"
fs_writer fx2 "$T/xfs/fx2" "data-fx2"
check "write on xfs blocks" fs_writer_blocked fx2
kids=$(fs_children "$VSSD_PID")
for k in $kids; do fs_track_pid "$k"; done
kill -KILL "$VSSD_PID"
check "SIGKILL of vssd: the watchdog thaws xfs" fs_writer_done fx2 2000
wait "$VSSD_PID" 2>/dev/null
check "  ... but not the foreign-frozen ext4" fs_writer_blocked fe
check "  ... (probe)" fs_frozen "$T/ext4"
fsfreeze -u "$T/ext4"
check "ext4 writer completes once its owner thaws it" fs_writer_done fe
check "the watchdog exits" wait_until 3000 gone
must "vssd restarts" vss_start

# ---- a hung (SIGSTOPped) vssd: the watchdog still thaws at the timeout
t0=$(fs_now_ms)
r=$(qga '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["'"$T"'/xfs"],"timeout":1500}}')
expect "freeze-list [xfs] with timeout 1500 ms returns 1" '"return": *1[^0-9]' "$r"
fs_writer st "$T/xfs/st" "data-st"
check "write on xfs blocks" fs_writer_blocked st
kill -STOP "$VSSD_PID"
if fs_writer_done st 4000; then
	el=$(($(fs_now_ms) - t0))
	check "watchdog thawed xfs although vssd is stopped (${el} ms)" [ "$el" -le 3000 ]
else
	not_ok "watchdog thawed xfs although vssd is stopped (still blocked after 4 s)"
fi
kill -CONT "$VSSD_PID"
check "vssd answers after SIGCONT" wait_until 3000 vss_ping
expect "  ... and reports thawed" '"return": *"thawed"' "$(qga "$STATUS")"
check "nothing frozen" none_frozen

# ---- SIGTERM while frozen: vssd thaws before it exits
r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "freeze-list [ext4, xfs] returns 2" '"return": *2[^0-9]' "$r"
fs_writer t1 "$T/ext4/t1" "data-t1"
fs_writer t2 "$T/xfs/t2" "data-t2"
check "write on ext4 blocks" fs_writer_blocked t1
check "write on xfs blocks" fs_writer_blocked t2
t0=$(fs_now_ms)
kill -TERM "$VSSD_PID"
if fs_writer_done t1 1500 && fs_writer_done t2 1500; then
	el=$(($(fs_now_ms) - t0))
	check "writes proceed within 1 s of SIGTERM of vssd (${el} ms)" [ "$el" -le 1000 ]
else
	not_ok "writes proceed within 1 s of SIGTERM of vssd (still blocked after 1.5 s)"
fi
check "vssd exits on SIGTERM while frozen" wait_until 5000 fs_pid_gone "$VSSD_PID"
wait "$VSSD_PID" 2>/dev/null
check "nothing frozen" none_frozen
must "vssd restarts" vss_start

# ---- vssd and watchdog both killed: the record survives; a restarted vssd thaws
kill_both() {
	kids=$(fs_children "$VSSD_PID")
	[ -n "$kids" ] || { echo "# no watchdog child found"; return 1; }
	for k in $kids; do fs_track_pid "$k"; done
	kill -STOP "$VSSD_PID"
	for k in $kids; do kill -STOP "$k"; done
	for k in $kids; do kill -KILL "$k"; done
	kill -KILL "$VSSD_PID"
	wait_until 3000 fs_pid_gone "$VSSD_PID" || return 1
	wait "$VSSD_PID" 2>/dev/null
	for k in $kids; do wait_until 3000 fs_pid_gone "$k" || return 1; done
}
check "fsfreeze -f ext4 (foreign freeze)" fsfreeze -f "$T/ext4"
r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "freeze-list [foreign ext4, xfs] succeeds" '"return": *[0-9]' "$r"
fs_writer e "$T/xfs/e" "data-e"
fs_writer f "$T/ext4/f" "data-f"
check "write on xfs blocks" fs_writer_blocked e
check "vssd and its watchdog are both SIGKILLed" kill_both
check "xfs stays frozen with nobody left to thaw it (precondition)" fs_writer_blocked e
check "a freeze record exists in state_dir" [ -s "$T/run/frozen" ]
sed 's/^/#   record: /' "$T/run/frozen" 2>/dev/null
check "restarted vssd answers guest-ping" vss_start
check "restarted vssd thawed xfs from its record" fs_writer_done e 3000
check "  ... data intact" fs_content "$T/xfs/e" data-e
check "  ... but left the foreign-frozen ext4 frozen" fs_writer_blocked f
check "  ... (probe)" fs_frozen "$T/ext4"
expect "restarted vssd reports thawed" '"return": *"thawed"' "$(qga "$STATUS")"
check "the record is cleared after the thaw" sh -c '[ ! -s "$1" ]' sh "$T/run/frozen"
fsfreeze -u "$T/ext4" 2>/dev/null # its owner thaws it (already thawed if the case above failed)
check "ext4 writer completes once its owner thaws it" fs_writer_done f

# ---- same, recovered by vssd --thaw-record (systemd ExecStopPost)
r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "freeze-list [ext4, xfs] returns 2" '"return": *2[^0-9]' "$r"
fs_writer g "$T/ext4/g" "data-g"
fs_writer h "$T/xfs/h" "data-h"
check "write on ext4 blocks" fs_writer_blocked g
check "vssd and its watchdog are both SIGKILLed" kill_both
check "ext4 stays frozen (precondition)" fs_writer_blocked g
check "vssd --thaw-record exits 0" "$VSSD" --thaw-record -c "$T/vssd.conf"
check "  ... ext4 writer completes" fs_writer_done g
check "  ... xfs writer completes" fs_writer_done h
check "  ... nothing frozen" none_frozen
check "vssd --thaw-record with nothing recorded exits 0" "$VSSD" --thaw-record -c "$T/vssd.conf"
check "nothing frozen at the end" none_frozen
end_test
