#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Freeze hooks: run in name order with "freeze" before the filesystems are
# frozen, in reverse order with "thaw" after they are thawed; a failing or
# hanging freeze hook aborts the freeze (thaw hooks run for those that ran) and
# nothing stays frozen; a hanging thaw hook does not delay the thaw itself.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs.sh"
fs_require mkfs.xfs
vss_require
fs_enter "$0"

must "setup: xfs" fs_make xfs xfs
FSFREEZE=$(command -v fsfreeze)
LOG=$T/hooks.log

# mk_hook NAME [EXTRA-SHELL]: a hook that logs "NAME ARG frozen|thawed" (xfs state
# seen by the hook, probed without blocking) to $LOG, then runs EXTRA.
mk_hook() {
	cat >"$T/hooks/$1" <<EOF
#!/bin/sh
if $FSFREEZE -f "$T/xfs" 2>/dev/null; then $FSFREEZE -u "$T/xfs"; s=thawed; else s=frozen; fi
echo "$1 \$1 \$s" >>"$LOG"
${2:-}
exit 0
EOF
	chmod 755 "$T/hooks/$1"
}
log_is() { [ "$(cat "$LOG" 2>/dev/null)" = "$1" ]; }
check_log() { # DESC EXPECTED
	if log_is "$2"; then ok "$1"; else not_ok "$1"; show_log; fi
}
show_log() { sed 's/^/#   hooks.log: /' "$LOG" 2>/dev/null; }
reset_log() { : >"$LOG"; }

VSS_HOOK_TIMEOUT=1s; vss_conf; VSS_HOOK_TIMEOUT=
mk_hook 10-first
mk_hook 20-second
printf '#!/bin/sh\necho "30-notexec $1" >>"%s"\n' "$LOG" >"$T/hooks/30-notexec"
chmod 644 "$T/hooks/30-notexec"
must "vssd starts with hooks_dir = $T/hooks" vss_start

# ---- order and arguments
reset_log
r=$(qga -t 10 "$(freeze_list_json "$T/xfs")")
expect "freeze-list [xfs] with two hooks returns 1" '"return": *1[^0-9]' "$r"
fs_writer a "$T/xfs/a" "data-a"
check "write on xfs blocks" fs_writer_blocked a
check_log "freeze hooks ran in name order, before the freeze, non-executable file ignored" "10-first freeze thawed
20-second freeze thawed"
reset_log
expect "thaw returns 1" '"return": *1[^0-9]' "$(qga -t 10 "$THAW")"
check "writer completes" fs_writer_done a
check_log "thaw hooks ran in reverse order, after the thaw" "20-second thaw thawed
10-first thaw thawed"
check "xfs thawed" fs_thawed "$T/xfs"

# ---- failing freeze hook
mk_hook 15-fail '[ "$1" = freeze ] && exit 1'
reset_log
r=$(qga -t 10 "$(freeze_list_json "$T/xfs")")
expect "a failing freeze hook makes the freeze fail (GenericError)" '"class": *"GenericError"' "$r"
expect "  ... the error names the hook" '15-fail' "$r"
check "  ... xfs not frozen" fs_thawed "$T/xfs"
fs_writer b "$T/xfs/b" "data-b"
check "  ... a write on xfs completes" fs_writer_done b
expect "  ... status thawed" '"return": *"thawed"' "$(qga "$STATUS")"
check "  ... later hooks were not run for freeze" sh -c '! grep -q "^20-second freeze" "$1"' sh "$LOG"
check "  ... the hook that ran before got its thaw" grep -q "^10-first thaw" "$LOG"
show_log
rm -f "$T/hooks/15-fail"

# ---- hanging freeze hook (hook_timeout = 1s)
hang_case() { # NAME EXTRA DESC
	mk_hook "$1" "$2"
	reset_log
	rm -f "$T/hang.pid"
	t0=$(fs_now_ms)
	qga -t 15 "$(freeze_list_json "$T/xfs")" >"$T/r.out" &
	q=$!
	fs_track_pid "$q"
	if wait_until 3000 test -s "$T/hang.pid"; then
		hp=$(cat "$T/hang.pid")
		fs_track_pid "$hp"
	else
		hp=
	fi
	wait_until 15000 fs_pid_gone "$q"
	wait "$q"
	el=$(($(fs_now_ms) - t0))
	r=$(cat "$T/r.out")
	expect "$3: the freeze fails" '"error"' "$r"
	check "  ... within hook_timeout + 3 s (${el} ms)" [ "$el" -le 4000 ]
	check "  ... xfs not frozen" fs_thawed "$T/xfs"
	fs_writer c "$T/xfs/c" "data-c"
	check "  ... a write on xfs completes" fs_writer_done c
	check "  ... the hanging hook was killed" eval '[ -n "$hp" ] && wait_until 3000 fs_pid_gone "$hp"'
	check "  ... later hooks were not run for freeze" sh -c '! grep -q "^20-second freeze" "$1"' sh "$LOG"
	check "  ... the hook that ran before got its thaw" grep -q "^10-first thaw" "$LOG"
	expect "  ... status thawed" '"return": *"thawed"' "$(qga "$STATUS")"
	show_log
	rm -f "$T/hooks/$1"
}
hang_case 15-hang '[ "$1" = freeze ] && { echo $$ >'"$T/hang.pid"'; exec sleep 300; }' \
	"a freeze hook that hangs"
hang_case 15-stubborn '[ "$1" = freeze ] && { trap "" TERM; echo $$ >'"$T/hang.pid"'; exec sleep 300; }' \
	"a freeze hook that hangs and ignores SIGTERM"

# ---- failing thaw hook: the filesystems are thawed anyway
mk_hook 15-thawfail '[ "$1" = thaw ] && exit 1'
reset_log
expect "freeze with a hook that fails on thaw succeeds" '"return": *1[^0-9]' "$(qga -t 10 "$(freeze_list_json "$T/xfs")")"
fs_writer d "$T/xfs/d" "data-d"
check "write on xfs blocks" fs_writer_blocked d
qga -t 10 "$THAW" >"$T/r.out"
check "after thaw (reply: $(cat "$T/r.out")) the writer completes" fs_writer_done d
check "xfs thawed" fs_thawed "$T/xfs"
check "all thaw hooks still ran" grep -q "^10-first thaw" "$LOG"
expect "status thawed" '"return": *"thawed"' "$(qga "$STATUS")"
rm -f "$T/hooks/15-thawfail"
check "vssd stops" vss_stop

# ---- hanging thaw hook (hook_timeout = 3s): FITHAW comes first, so writes resume at once
VSS_HOOK_TIMEOUT=3s; vss_conf; VSS_HOOK_TIMEOUT=
must "vssd restarts with hook_timeout = 3s" vss_start
mk_hook 15-thawhang '[ "$1" = thaw ] && { echo $$ >'"$T/hang.pid"'; exec sleep 300; }'
rm -f "$T/hang.pid"
expect "freeze with a hook that hangs on thaw succeeds" '"return": *1[^0-9]' "$(qga -t 10 "$(freeze_list_json "$T/xfs")")"
fs_writer e "$T/xfs/e" "data-e"
check "write on xfs blocks" fs_writer_blocked e
t0=$(fs_now_ms)
qga -t 15 "$THAW" >"$T/r.out" &
q=$!
fs_track_pid "$q"
if fs_writer_done e 2000; then
	el=$(($(fs_now_ms) - t0))
	ok "writes resume before the hanging thaw hook times out (${el} ms)"
else
	not_ok "writes resume before the hanging thaw hook times out (still blocked after 2 s)"
fi
[ -s "$T/hang.pid" ] && fs_track_pid "$(cat "$T/hang.pid")"
wait_until 15000 fs_pid_gone "$q"
wait "$q"
el=$(($(fs_now_ms) - t0))
check "thaw reply within hook_timeout + 3 s (${el} ms: $(cat "$T/r.out"))" [ "$el" -le 6000 ]
check "  ... the hanging thaw hook was killed" eval '[ -s "$T/hang.pid" ] && wait_until 3000 fs_pid_gone "$(cat "$T/hang.pid")"'
check "xfs thawed" fs_thawed "$T/xfs"
rm -f "$T/hooks/15-thawhang"

# ---- a hook that leaves a background process holding its stdout/stderr
mk_hook 15-bg '[ "$1" = freeze ] && { sleep 300 & echo $! >'"$T/bg.pid"'; }'
rm -f "$T/bg.pid"
t0=$(fs_now_ms)
r=$(qga -t 10 "$(freeze_list_json "$T/xfs")")
el=$(($(fs_now_ms) - t0))
[ -s "$T/bg.pid" ] && fs_track_pid "$(cat "$T/bg.pid")"
expect "freeze with a hook that leaves a background child succeeds" '"return": *1[^0-9]' "$r"
check "  ... without waiting for the child (${el} ms < hook_timeout 3000 ms)" [ "$el" -lt 3000 ]
expect "  ... thaw returns 1" '"return": *1[^0-9]' "$(qga -t 10 "$THAW")"
[ -s "$T/bg.pid" ] && kill "$(cat "$T/bg.pid")" 2>/dev/null
rm -f "$T/hooks/15-bg"
check "xfs thawed" fs_thawed "$T/xfs"
check "vssd stops" vss_stop

# ---- a hooks_dir that does not exist means no hooks, not an error
sed "s|^hooks_dir = .*|hooks_dir = $T/no-such-dir|" "$T/vssd.conf" >"$T/vssd-nohooks.conf"
"$VSSD" -f -c "$T/vssd-nohooks.conf" 2>>"$T/vssd.log" &
VSSD_PID=$!
fs_track_pid "$VSSD_PID"
must "vssd starts with a missing hooks_dir" wait_until 5000 vss_ping
expect "freeze-list [xfs] works without a hooks_dir" '"return": *1[^0-9]' "$(qga -t 10 "$(freeze_list_json "$T/xfs")")"
expect "thaw returns 1" '"return": *1[^0-9]' "$(qga -t 10 "$THAW")"
check "vssd stops" vss_stop
must "vssd restarts with hooks" vss_start

# ---- still works normally afterwards
reset_log
expect "freeze after all that returns 1" '"return": *1[^0-9]' "$(qga -t 10 "$(freeze_list_json "$T/xfs")")"
expect "thaw returns 1" '"return": *1[^0-9]' "$(qga -t 10 "$THAW")"
check_log "full hook sequence" "10-first freeze thawed
20-second freeze thawed
20-second thaw thawed
10-first thaw thawed"
check "xfs thawed" fs_thawed "$T/xfs"
check "vssd stops" vss_stop
end_test
