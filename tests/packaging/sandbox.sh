#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units' sandboxes, emulated with the kernel mechanisms systemd
# itself uses, because this CI machine has no systemd as PID 1 (systemd-run -p
# cannot be used). tests/packaging/sandbox-run.sh builds each unit's mount
# namespace (ProtectSystem=strict, ProtectHome, ProtectKernelTunables,
# PrivateTmp, PrivateDevices as the unit sets them), its capability bounding
# set and no_new_privs. Under it:
#  - vssd must still freeze two loop filesystems through its read-only mounts
#    (writers block, then resume after the thaw), and ExecStopPost's
#    `vssd --thaw-record` must thaw what a SIGKILLed vssd and watchdog left;
#  - selfballoond must write its balloon target (a fake /sys standing in for
#    the API file system ProtectSystem=strict leaves writable), mlock itself
#    and set oom_score_adj -900.
# Not emulated (seccomp/BPF): SystemCallFilter, RestrictAddressFamilies,
# IPAddressDeny, DevicePolicy, RestrictNamespaces/Realtime/SUIDSGID,
# MemoryDenyWriteExecute, LockPersonality.
# Safety: fs.sh's model (loop filesystems under a mktemp dir, private mount
# namespace, include = $T/*, cleanup traps, bounded waits).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs.sh"
fs_require mkfs.xfs setpriv
vss_require
AGENT=${top_builddir:-.}/agent/selfballoond
[ -x "$AGENT" ] || skip_all "selfballoond not built"
SANDBOX="$top_srcdir/tests/packaging/sandbox-run.sh"
fs_enter "$0"

in_fs() {
	# fs_frozen/fs_thawed in a subshell that can be passed to check
	sh -c ". '$top_srcdir/tests/integration/lib.sh'; . '$top_srcdir/tests/integration/fs.sh'; $1"
}

# ------------------------------------------------------------------ vssd
must "setup: ext4" fs_make ext4 ext4
must "setup: xfs" fs_make xfs xfs
vss_conf
mount -t tmpfs -o mode=0700 vsst-run "$T/run" && echo "$T/run" >>"$T/mnts"

unshare --mount --propagation slave /bin/sh "$SANDBOX" vssd "$T/run" \
	"$VSSD" -f -c "$T/vssd.conf" 2>>"$T/vssd.log" &
VSSD_PID=$!
fs_track_pid "$VSSD_PID"
if ! wait_until 5000 vss_ping; then
	not_ok "vssd answers in its sandbox"
	sed 's/^/#   /' "$T/vssd.log" | tail -n 20
	end_test
fi
ok "vssd starts and answers in the vssd.service sandbox"
mi=/proc/$VSSD_PID/mountinfo
mnt_opt() { sed -n "s|^[^ ]* [^ ]* [^ ]* [^ ]* $1 \([^ ,]*\).*|\1|p" "$mi" | tail -n 1; }
check "  ... its view: / is read-only ($(mnt_opt /))" [ "$(mnt_opt /)" = ro ]
check "  ... its view: the test filesystems are read-only" [ "$(mnt_opt "$T/ext4")$(mnt_opt "$T/xfs")" = roro ]
check "  ... its view: /proc/sys read-only, its state directory writable" \
	[ "$(mnt_opt /proc/sys)$(mnt_opt "$T/run")" = rorw ]
capbnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/"$VSSD_PID"/status)
own=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
# CAP_CHOWN CAP_DAC_READ_SEARCH CAP_SETGID CAP_SETUID CAP_IPC_LOCK CAP_SYS_ADMIN
want=$(printf '%016x' $((0x2040c5 & 0x$own)))
check "  ... capability bounding set is the unit's (CapBnd=$capbnd)" [ "$capbnd" = "$want" ]
check "  ... no_new_privs is set" grep -q '^NoNewPrivs:[[:space:]]*1' /proc/"$VSSD_PID"/status

r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "sandboxed vssd freezes both filesystems through its read-only mounts" '"return": *2' "$r"
fs_writer w1 "$T/ext4/w" written-ext4
fs_writer w2 "$T/xfs/w" written-xfs
check "  ... a writer on ext4 blocks" fs_writer_blocked w1
check "  ... a writer on xfs blocks" fs_writer_blocked w2
check "  ... both are frozen (seen from outside the sandbox)" \
	in_fs "fs_frozen '$T/ext4' && fs_frozen '$T/xfs'"
r=$(qga "$THAW")
expect "sandboxed vssd thaws them" '"return": *2' "$r"
if fs_writer_done w1 3000 && fs_writer_done w2 3000 &&
	fs_content "$T/ext4/w" written-ext4 && fs_content "$T/xfs/w" written-xfs; then
	ok "  ... the writers resume and their data is there"
else
	not_ok "  ... the writers did not finish"
fi

# ExecStopPost: SIGKILL vssd and its watchdog while frozen; then
# `vssd --thaw-record` in the same sandbox thaws from the freeze record
r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "frozen again" '"return": *2' "$r"
# the watchdog is stopped first (SIGSTOP cannot be blocked), or it would thaw
# the instant vssd dies, as it should
kids=$(fs_children "$VSSD_PID")
kill -STOP $kids 2>/dev/null
kill -KILL "$VSSD_PID" 2>/dev/null
wait_until 3000 fs_pid_gone "$VSSD_PID"
wait "$VSSD_PID" 2>/dev/null
VSSD_PID=
kill -KILL $kids 2>/dev/null
for k in $kids; do wait_until 3000 fs_pid_gone "$k"; done
if in_fs "fs_frozen '$T/ext4' || fs_frozen '$T/xfs'"; then
	ok "vssd and its watchdog SIGKILLed: filesystems still frozen"
	unshare --mount --propagation slave /bin/sh "$SANDBOX" vssd "$T/run" \
		"$VSSD" --thaw-record -c "$T/vssd.conf" >>"$T/vssd.log" 2>&1 &
	tp=$!
	fs_track_pid "$tp"
	if wait_until 10000 fs_pid_gone "$tp"; then wait "$tp"; rc=$?; else rc=timeout; fi
	check "ExecStopPost: vssd --thaw-record in the sandbox exits 0 (rc $rc)" [ "$rc" = 0 ]
	check "  ... both filesystems are thawed" in_fs "fs_thawed '$T/ext4' && fs_thawed '$T/xfs'"
else
	skip_case "the watchdog thawed before it was killed: --thaw-record not exercised"
fi

# ------------------------------------------------------------------ selfballoond
F=${FIXTURES:-$top_srcdir/tests/fixtures}/agent/linux-6.18
R=$T/sbroot
mkdir -p "$R"
mount -t tmpfs -o mode=0755 sbroot "$R" && echo "$R" >>"$T/mnts"
mkdir -p "$R/proc/pressure" "$R/sys/fake" "$R/sys/devices/system/memory" "$R/etc"
cp "$F/meminfo" "$F/vmstat" "$F/zoneinfo" "$R/proc/"
cp "$F/pressure_memory" "$R/proc/pressure/memory"
echo online >"$R/sys/devices/system/memory/auto_online_blocks"
echo 1 >"$R/sys/fake/target"
printf '[balloon]\ndriver = sysfs\nsysfs_target = /sys/fake/target\ninterval = 200ms\n' >"$R/etc/selfballoond.conf"
printf '[hotplug]\nonline = auto\n' >>"$R/etc/selfballoond.conf"

# the binary goes with the fake root: PrivateTmp hides a build tree under /tmp
cp "$AGENT" "$R/selfballoond"
unshare --mount --propagation slave /bin/sh "$SANDBOX" selfballoond "$R" \
	/mnt/selfballoond -f --root /mnt -c /mnt/etc/selfballoond.conf 2>"$T/agent.log" &
APID=$!
fs_track_pid "$APID"
target_set() {
	_t=$(cat "$R/sys/fake/target")
	[ "$_t" != 1 ] && [ "$_t" -gt 1000000 ] 2>/dev/null
}
if wait_until 5000 target_set; then
	ok "sandboxed selfballoond writes its balloon target (target $(cat "$R/sys/fake/target") kB)"
else
	not_ok "sandboxed selfballoond wrote no target"
	sed 's/^/#   /' "$T/agent.log" | tail -n 20
fi
check "  ... it is still running" kill -0 "$APID"
# this machine's own bounding set may lack CAP_SYS_RESOURCE (containers drop it)
own=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
if [ $((0x$own & 0x1000000)) -ne 0 ]; then
	check "  ... oom_score_adj is -900 (CAP_SYS_RESOURCE)" [ "$(cat /proc/"$APID"/oom_score_adj)" = -900 ]
else
	skip_case "oom_score_adj -900 needs CAP_SYS_RESOURCE, which this machine's bounding set lacks"
fi
lck=$(sed -n 's/^VmLck:[[:space:]]*\([0-9]*\).*/\1/p' /proc/"$APID"/status)
check "  ... its memory is locked (VmLck ${lck} kB, CAP_IPC_LOCK)" [ "${lck:-0}" -gt 0 ]
capbnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/"$APID"/status)
# CAP_IPC_LOCK CAP_SYS_RESOURCE
want=$(printf '%016x' $((0x1004000 & 0x$own)))
check "  ... capability bounding set is the unit's, within this machine's (CapBnd=$capbnd)" [ "$capbnd" = "$want" ]
check "  ... /tmp and /dev are private, /proc has hidepid=invisible in its view" sh -c \
	"grep -q ' /tmp rw[, ].* - tmpfs privatetmp' /proc/$APID/mountinfo &&
	 grep -q ' /dev rw[, ].* - tmpfs privatedev' /proc/$APID/mountinfo &&
	 grep -q ' /proc rw[, ].* - proc protectproc .*hidepid=invisible' /proc/$APID/mountinfo"
check "  ... no warning about mlockall, oom_score_adj or the udev monitor" sh -c \
	"! grep -Ei 'mlockall|oom_score_adj|cannot monitor' '$T/agent.log'"
kill -TERM "$APID"
if wait_until 5000 fs_pid_gone "$APID"; then
	wait "$APID"
	rc=$?
	check "SIGTERM: selfballoond exits 0 (rc $rc)" [ "$rc" -eq 0 ]
else
	not_ok "selfballoond did not exit on SIGTERM"
fi
end_test
