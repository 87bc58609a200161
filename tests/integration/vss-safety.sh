#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The adversarial probe's defects (shared research, adversarial-probe-2026-12),
# one block each, ground truth from fsfreeze probes and blocked writers:
#  - one owner of state_dir: a second vssd and vssd --thaw-record refuse while a
#    vssd runs, and touch nothing (defect 1);
#  - after vssd's death its watchdog thaws and retires the record: a restart does
#    not thaw a freeze another tool made since (defect 6);
#  - state_dir and the record are trusted only when root's and not writable by
#    others, and no symlink is followed (defect 8);
#  - a loop filesystem is frozen before the one holding its backing file, known by
#    device, not by a (stale) path (defect 2);
#  - a thaw by someone else is reported as such, not as the watchdog's (defect 13);
#  - vssd thaws at its own deadline when the watchdog is stopped (defect 10);
#  - a failing thaw hook makes the thaw an error (defect 12);
#  - SIGHUP applies socket_group, a revoked group loses access (defect 5);
#  - the socket's directory must be root's, and vssctl talks only to a root peer (defect 9);
#  - the fd opened by path must be the mount selected (defect 4);
#  - vssctl backup thaws only its own freeze and fails when it was replaced (defect 3),
#    and a backup that froze nothing fails without running CMD (DOC-3);
#  - a thaw never waits behind a freeze hook: it cancels the freeze at once, on the
#    local socket and on the virtio port; status answers meanwhile (DOC-2).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs.sh"
fs_require mkfs.ext4 setpriv mountpoint
vss_require
fs_enter "$0"

must "setup: ext4 a and b" eval 'fs_make a ext4 && fs_make b ext4'
vss_conf
must "vssd starts" vss_start
both_frozen() { fs_frozen "$T/a" && fs_frozen "$T/b"; }
none_frozen() { fs_thawed "$T/a" && fs_thawed "$T/b"; }

# conf_with NAME KEY VALUE: $T/NAME.conf, vssd.conf with KEY set to VALUE, its own socket
conf_with() {
	sed "s#^$2 = .*#$2 = $3#; s#^socket = .*#socket = $T/run/$1.sock#" "$T/vssd.conf" >"$T/$1.conf"
}
# vssd_once CONF [ARG]: a second vssd, bounded (it must refuse at once); output in $T/once.log
vssd_once() {
	timeout 5 "$VSSD" -f -c "$@" >"$T/once.log" 2>&1
}

# ---- defect 1: one owner of state_dir
r=$(qga "$(freeze_list_json "$T/a" "$T/b")")
expect "freeze-list [a, b] returns 2" '"return": *2[^0-9]' "$r"
conf_with second state_dir "$T/run"
vssd_once "$T/second.conf"
rc=$?
check "a second vssd on the same state_dir exits 1 (rc $rc)" [ "$rc" -eq 1 ]
expect "  ... and says another vssd holds state_dir" 'another vssd is running' "$(cat "$T/once.log")"
check "  ... and thawed nothing" both_frozen
vssd_once "$T/vssd.conf" --thaw-record
rc=$?
check "vssd --thaw-record under a running vssd exits 1 (rc $rc)" [ "$rc" -eq 1 ]
expect "  ... and says another vssd holds state_dir" 'another vssd is running' "$(cat "$T/once.log")"
check "  ... and thawed nothing" both_frozen
expect "the running vssd still holds its freeze" '"return": *"frozen"' "$(qga "$STATUS")"
expect "  ... and thaws it" '"return": *2[^0-9]' "$(qga "$THAW")"
check "nothing frozen" none_frozen
check "vssd stops" vss_stop
check "with vssd stopped, --thaw-record runs (nothing recorded)" vssd_once "$T/vssd.conf" --thaw-record

# ---- defect 6: after vssd's death the watchdog thaws and retires the record
must "vssd starts" vss_start
r=$(qga "$(freeze_list_json "$T/a" "$T/b")")
expect "freeze-list [a, b] returns 2" '"return": *2[^0-9]' "$r"
kids=$(fs_children "$VSSD_PID")
for k in $kids; do fs_track_pid "$k"; done
kill -KILL "$VSSD_PID"
wait "$VSSD_PID" 2>/dev/null
gone() { for k in $kids; do fs_pid_gone "$k" || return 1; done; }
check "SIGKILL of vssd: its watchdog thaws and exits" wait_until 3000 gone
check "  ... nothing frozen" none_frozen
check "  ... and the record it leaves is empty" sh -c '[ ! -s "$1" ]' sh "$T/run/frozen"
check "another tool then freezes a (fsfreeze -f)" fsfreeze -f "$T/a"
must "vssd restarts" vss_start
check "  ... and leaves the other tool's freeze of a alone" fs_frozen "$T/a"
check "  ... (b is thawed)" fs_thawed "$T/b"
fsfreeze -u "$T/a"
check "vssd stops" vss_stop
check "nothing frozen" none_frozen

# ---- defect 8: state_dir and the record must be root's, no symlinks
devb=$(mountpoint -d "$T/b")
check "fsfreeze -f b (an admin's freeze)" fsfreeze -f "$T/b"
mkdir -p "$T/ps"
chown 65534 "$T/ps"
chmod 711 "$T"
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo "$1 $2" >"$3/frozen"' sh "$devb" "$T/b" "$T/ps"
chmod 700 "$T"
check "  ... (precondition: uid 65534 planted a record)" [ -s "$T/ps/frozen" ]
conf_with ps state_dir "$T/ps"
vssd_once "$T/ps.conf" --thaw-record
rc=$?
check "state_dir owned by uid 65534 with a planted record: refused (rc $rc)" [ "$rc" -eq 1 ]
expect "  ... saying who owns it" 'state_dir .* owned by uid 65534' "$(cat "$T/once.log")"
check "  ... and the admin's freeze of b stands" fs_frozen "$T/b"
vssd_once "$T/ps.conf"
check "  ... vssd itself refuses to start there too" [ $? -eq 1 ]
check "  ... and b is still frozen" fs_frozen "$T/b"
chown 0 "$T/ps" "$T/ps/frozen"
chmod 0777 "$T/ps"
vssd_once "$T/ps.conf" --thaw-record
check "state_dir root's but mode 0777: refused" [ $? -eq 1 ]
check "  ... and b is still frozen" fs_frozen "$T/b"
chmod 0755 "$T/ps"
chmod 0666 "$T/ps/frozen"
vssd_once "$T/ps.conf" --thaw-record
check "a record writable by others: not replayed (exit 1)" [ $? -eq 1 ]
check "  ... and b is still frozen" fs_frozen "$T/b"
rm -f "$T/ps/frozen"
echo "secret-line-of-a-root-only-file" >"$T/secret"
chmod 0600 "$T/secret"
ln -s "$T/secret" "$T/ps/frozen"
vssd_once "$T/ps.conf" --thaw-record
check "a record that is a symlink: not followed (exit 1)" [ $? -eq 1 ]
check "  ... and what it points to is not logged" sh -c '! grep -q secret-line "$1"' sh "$T/once.log"
rm -f "$T/ps/frozen"
ln -s "$T/ps" "$T/psl"
conf_with psl state_dir "$T/psl"
vssd_once "$T/psl.conf" --thaw-record
check "state_dir a symlink: refused (exit 1)" [ $? -eq 1 ]
check "b is still frozen after all of these" fs_frozen "$T/b"
fsfreeze -u "$T/b"
check "nothing frozen" none_frozen

# ---- defect 2: a loop filesystem is frozen before the one holding its backing file,
# known by the file's device (LOOP_GET_STATUS64), not by its path: here the path is
# stale (the bind it was opened through is lazily unmounted, b mounted again)
unit=$top_srcdir/packaging/systemd/vssd.service.in
check "unit: KillMode=process (a stop never kills the watchdog while frozen)" grep -qx 'KillMode=process' "$unit"
stop_s=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
check "unit: TimeoutStopSec (${stop_s}s) above the default freeze timeout (60s)" [ "${stop_s:-0}" -gt 60 ]
mkdir -p "$T/b/sub" "$T/sb" "$T/nest"
truncate -s 64M "$T/b/sub/in.img" && mkfs.ext4 -qF "$T/b/sub/in.img" >/dev/null
mount --bind "$T/b/sub" "$T/sb"
ln_dev=$(losetup -f --show "$T/sb/in.img")
echo "$ln_dev $(fs_loop_key "$ln_dev") $T/b/sub/in.img" >>"$T/loops"
mount "$ln_dev" "$T/nest" && echo "$T/nest" >>"$T/mnts"
umount -l "$T/sb"
umount "$T/b" && mount "$DEV_b" "$T/b"
bf=$(cat "/sys/block/${ln_dev#/dev/}/loop/backing_file")
check "precondition: the loop's backing_file path ($bf) no longer leads to the image" \
	sh -c '[ ! -e "$1" ] || [ "$1" != "$2/b/sub/in.img" ]' sh "$bf" "$T"
echo data >"$T/nest/dirty"
VSS_TIMEOUT=8s vss_conf
must "vssd starts (timeout 8s)" vss_start
plan=$("$VSSCTL" -s "$SOCK" plan "$T/b" "$T/nest" 2>&1)
expect "vssctl plan: nest first, before b, for its loop device's backing file" \
	" 1  $T/nest \(ext4 [0-9:]*\): before $T/b: loop device whose backing file is on it" "$plan"
expect "  ... then b" " 2  $T/b \(ext4" "$plan"
check "  ... and froze nothing" eval 'fs_thawed "$T/b" && fs_thawed "$T/nest"'
t0=$(fs_now_ms)
r=$(qga -t 15 "$(freeze_list_json "$T/b" "$T/nest")")
el=$(($(fs_now_ms) - t0))
expect "freeze-list [b, nest] returns 2" '"return": *2[^0-9]' "$r"
check "  ... at once (${el} ms < 4000), not stuck behind frozen b until the 8 s timeout" [ "$el" -lt 4000 ]
order=$(qga '{"execute":"vssd-status"}' | "$VSST_PY" -c 'import json,sys; print(" ".join(json.loads(sys.stdin.read())["return"]["freeze_order"]))')
check "freeze order: nest (loop) before b (its backing file's) (got: $order)" [ "$order" = "$T/nest $T/b" ]
expect "thaw returns 2" '"return": *2[^0-9]' "$(qga -t 10 "$THAW")"
check "nothing frozen" eval 'none_frozen && fs_thawed "$T/nest"'

# ---- defect 13: a thaw by someone else is not blamed on the watchdog
out=$("$VSSCTL" -s "$SOCK" backup --timeout 30s "$T/a" -- fsfreeze -u "$T/a" 2>&1)
rc=$?
check "backup whose CMD thaws a itself exits 1 (rc $rc)" [ "$rc" -eq 1 ]
expect "  ... and says someone else thawed" 'thawed by someone else' "$out"
check "  ... not the watchdog's timeout" sh -c '! printf "%s" "$1" | grep -q "timeout"' sh "$out"
st=$("$VSSCTL" -s "$SOCK" status 2>&1)
expect "vssctl status: thawed by someone else" 'thawed by someone else' "$st"
check "  ... not 'ended by the watchdog'" sh -c '! printf "%s" "$1" | grep -q "ended by the watchdog"' sh "$st"
check "nothing frozen" eval 'none_frozen && fs_thawed "$T/nest"'

# ---- defect 10: vssd enforces its own deadline when the watchdog cannot (SIGSTOP)
r=$(qga '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["'"$T"'/a"],"timeout":1000}}')
expect "freeze-list [a] with timeout 1000 ms returns 1" '"return": *1[^0-9]' "$r"
wd=$(fs_children "$VSSD_PID")
for k in $wd; do fs_track_pid "$k"; done
check "one watchdog process (got '$wd')" [ "$(echo $wd | wc -w)" -eq 1 ]
kill -STOP $wd
t0=$(fs_now_ms)
fs_writer w10 "$T/a/w10" data-w10
check "write on a blocks" fs_writer_blocked w10
if fs_writer_done w10 6000; then
	el=$(($(fs_now_ms) - t0))
	check "the watchdog stopped: vssd thawed a itself soon after the timeout (${el} ms <= 4000)" [ "$el" -le 4000 ]
else
	not_ok "the watchdog stopped: vssd thawed a itself (still blocked 6 s later)"
fi
expect "vssd-status says the watchdog did not thaw" '"last_error": *"the freeze timed out and the watchdog did not thaw' "$(qga '{"execute":"vssd-status"}')"
wd2=$(fs_children "$VSSD_PID")
for k in $wd2; do fs_track_pid "$k"; done
check "the stopped watchdog was replaced (got '$wd2', was '$wd')" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' sh "$wd2" "$wd"
expect "the next freeze works" '"return": *1[^0-9]' "$(qga "$(freeze_list_json "$T/a")")"
expect "  ... and thaws" '"return": *1[^0-9]' "$(qga "$THAW")"
check "nothing frozen" eval 'none_frozen && fs_thawed "$T/nest"'

# ---- defect 12: a failing thaw hook makes the thaw an error (as qemu-ga), after thawing
printf '#!/bin/sh\n[ "$1" = thaw ] && { echo "cannot resume the database" >&2; exit 3; }\nexit 0\n' >"$T/hooks/50-thawfail"
chmod 755 "$T/hooks/50-thawfail"
expect "freeze-list [a] returns 1" '"return": *1[^0-9]' "$(qga "$(freeze_list_json "$T/a")")"
out=$("$VSSCTL" -s "$SOCK" thaw 2>&1)
rc=$?
check "vssctl thaw with a failing thaw hook exits 1 (rc $rc)" [ "$rc" -eq 1 ]
expect "  ... naming the hook and its status" '50-thawfail thaw failed with status 3' "$out"
check "  ... and a is thawed all the same" fs_thawed "$T/a"
expect "vssd-status keeps it as last_error" '"last_error": *"thawed 1 filesystem\(s\), but a thaw hook failed' "$(qga '{"execute":"vssd-status"}')"
rm -f "$T/hooks/50-thawfail"
check "nothing frozen" eval 'none_frozen && fs_thawed "$T/nest"'

# ---- defect 5: SIGHUP applies socket_group; a revoked group loses access at once
ng=$(getent group nogroup | cut -d: -f3)
[ -n "$ng" ] || skip_all "needs the group nogroup"
chmod 711 "$T" "$T/run"
nobody_freeze() {
	setpriv --reuid=65534 --regid="$ng" --clear-groups "$VSSCTL" -s "$SOCK" freeze "$T/a" >"$T/nobody.out" 2>&1
}
sock_is() { [ "$(stat -c %g:%a "$SOCK")" = "$1" ]; }
sed -i "/^state_dir = /a socket_group = nogroup" "$T/vssd.conf"
kill -HUP "$VSSD_PID"
check "SIGHUP adding socket_group: the socket becomes group $ng, mode 0660" wait_until 3000 sock_is "$ng:660"
nobody_freeze
check "  ... a member of the group may freeze" fs_frozen "$T/a"
expect "  ... (thaw)" '"return": *1[^0-9]' "$(qga "$THAW")"
sed -i '/^socket_group = /d' "$T/vssd.conf"
kill -HUP "$VSSD_PID"
check "SIGHUP removing socket_group: the socket becomes root's, mode 0600" wait_until 3000 sock_is "0:600"
chmod 666 "$SOCK"  # only the credential check stands in the way now
nobody_freeze
rc=$?
check "  ... the revoked group may not freeze any more (rc $rc)" [ "$rc" -ne 0 ]
check "  ... and nothing is frozen" fs_thawed "$T/a"
chmod 600 "$SOCK"
chmod 700 "$T" "$T/run"
check "nothing frozen" eval 'none_frozen && fs_thawed "$T/nest"'

# ---- defect 9: the socket's directory must be root's; vssctl checks its peer is root
mkdir -p "$T/sd"
chown 65534 "$T/sd"
sed "s#^socket = .*#socket = $T/sd/vssd.sock#; s#^state_dir = .*#state_dir = $T/sdstate#" "$T/vssd.conf" >"$T/sd.conf"
vssd_once "$T/sd.conf"
rc=$?
check "vssd refuses a socket directory owned by uid 65534 (rc $rc)" [ "$rc" -eq 1 ]
expect "  ... and says why" "socket's directory .* owned by uid 65534" "$(cat "$T/once.log")"
check "  ... and binds nothing there" [ ! -e "$T/sd/vssd.sock" ]
# an impostor (uid 65534) answering like vssd on a socket it can bind
IMPOSTOR='
import socket, json, os, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4); s.settimeout(20)
while True:
    c, _ = s.accept()
    f = c.makefile("rwb")
    for line in f:
        line = line.lstrip(b"\xff").strip()
        if not line: continue
        r = json.loads(line)
        if r.get("execute") == "guest-sync-delimited":
            f.write(b"\xff" + json.dumps({"return": r["arguments"]["id"]}).encode() + b"\n")
        else:
            f.write(json.dumps({"return": 1}).encode() + b"\n")
        f.flush()
'
chmod 711 "$T"
setpriv --reuid=65534 --regid=65534 --clear-groups "$VSST_PY" -c "$IMPOSTOR" "$T/sd/imp.sock" 2>/dev/null &
fs_track_pid $!
wait_until 3000 test -S "$T/sd/imp.sock"
out=$("$VSSCTL" -s "$T/sd/imp.sock" backup "$T/a" -- true 2>&1)
rc=$?
chmod 700 "$T"
check "vssctl backup against an impostor's socket exits non-zero (rc $rc)" [ "$rc" -ne 0 ]
expect "  ... saying the socket is not served by root" 'served by uid 65534' "$out"
check "  ... (a was never frozen)" fs_thawed "$T/a"
check "nothing frozen" eval 'none_frozen && fs_thawed "$T/nest"'

# ---- defect 4: a mount made on the path after selection (here by a freeze hook)
printf '#!/bin/sh\n[ "$1" = freeze ] && [ -e %s/stack-once ] && rm %s/stack-once && mount --bind %s %s\nexit 0\n' \
	"$T" "$T" "$T/b" "$T/a" >"$T/hooks/10-stack"
chmod 755 "$T/hooks/10-stack"
: >"$T/stack-once"
r=$(qga "$(freeze_list_json "$T/a")")
expect "freeze-list [a] while a hook stacks b on a's path: refused" '"error".*no longer the mount selected' "$r"
check "  ... (precondition: the hook did stack b on a's path)" [ "$(grep -cF " $T/a " /proc/self/mountinfo)" -eq 2 ]
umount "$T/a" 2>/dev/null # the stacked bind; a's own mount is under it
rm -f "$T/hooks/10-stack"
check "  ... b was not frozen" fs_thawed "$T/b"
check "  ... nor a" fs_thawed "$T/a"
expect "the next freeze-list [a] works" '"return": *1[^0-9]' "$(qga "$(freeze_list_json "$T/a")")"
expect "  ... and thaws" '"return": *1[^0-9]' "$(qga "$THAW")"
check "nothing frozen" eval 'none_frozen && fs_thawed "$T/nest"'

# ---- defect 3: vssctl backup thaws only its own freeze, and fails if it was ended
# and replaced. CMD 1 waits (bounded) for the watchdog to end the backup's 1 s
# freeze, then another job freezes a; CMD 2 thaws and freezes again itself.
cat >"$T/cmd-replace" <<EOF
#!/bin/sh
i=0
while [ \$i -lt 100 ] && "$VSSCTL" -s "$SOCK" status | grep -q '^state: frozen'; do sleep 0.05; i=\$((i + 1)); done
"$VSSCTL" -s "$SOCK" freeze "$T/a" --timeout 30s >/dev/null
EOF
printf '#!/bin/sh\n"%s" -s "%s" thaw >/dev/null && "%s" -s "%s" freeze "%s" >/dev/null\n' \
	"$VSSCTL" "$SOCK" "$VSSCTL" "$SOCK" "$T/a" >"$T/cmd-refreeze"
chmod 755 "$T/cmd-replace" "$T/cmd-refreeze"
for c in replace refreeze; do
	"$VSSCTL" -s "$SOCK" backup --timeout 1s "$T/a" -- "$T/cmd-$c" >"$T/b3.out" 2>&1
	rc=$?
	check "backup whose freeze was ended and replaced ($c) exits 1 (rc $rc)" [ "$rc" -eq 1 ]
	expect "  ... saying its freeze is not in force" 'not in force' "$(cat "$T/b3.out")"
	check "  ... and the other freeze of a stands" fs_frozen "$T/a"
	expect "  ... (vssd still holds it)" '"return": *"frozen"' "$(qga "$STATUS")"
	expect "  ... which its owner thaws" '"return": *1[^0-9]' "$(qga "$THAW")"
done
out=$("$VSSCTL" -s "$SOCK" backup "$T/a" -- true 2>&1)
check "a plain backup still exits 0 (control; got: $out)" [ $? -eq 0 ]
check "nothing frozen" eval 'none_frozen && fs_thawed "$T/nest"'

# ---- probe DOC-3: a backup that froze nothing (a is frozen by someone else) does not pass
check "fsfreeze -f a (someone else's freeze)" fsfreeze -f "$T/a"
out=$("$VSSCTL" -s "$SOCK" backup "$T/a" -- touch "$T/cmd-ran" 2>&1)
rc=$?
fsfreeze -u "$T/a"
check "backup that froze nothing exits 1 (rc $rc)" [ "$rc" -eq 1 ]
expect "  ... saying nothing was frozen" 'nothing was frozen' "$out"
check "  ... and did not run CMD" [ ! -e "$T/cmd-ran" ]
check "nothing frozen at the end" eval 'none_frozen && fs_thawed "$T/nest"'
# ---- probe DOC-2: a thaw never waits behind a freeze hook (hook_timeout 30 s, a hook of 20 s)
check "vssd stops" vss_stop
VSS_HOOK_TIMEOUT=30s
vss_conf
must "vssd restarts with hook_timeout = 30s" vss_start
printf '#!/bin/sh\necho "10-log $1" >>"%s/doc2.log"\n' "$T" >"$T/hooks/10-log"
printf '#!/bin/sh\necho "20-slow $1" >>"%s/doc2.log"\n[ "$1" = freeze ] && { echo $$ >"%s/slow.pid"; exec sleep 20; }\nexit 0\n' \
	"$T" "$T" >"$T/hooks/20-slow"
chmod 755 "$T/hooks/10-log" "$T/hooks/20-slow"
alive() { ! fs_pid_gone "$1"; }
# slow_hook_runs: wait (bounded) for 20-slow's freeze; its pid in $hp (tracked)
slow_hook_runs() {
	hp=
	wait_until 5000 test -s "$T/slow.pid" || return 1
	hp=$(cat "$T/slow.pid")
	fs_track_pid "$hp"
}
# doc2_sound WHAT: the hook is gone, thaw hooks ran, nothing frozen (writers), a new freeze works
doc2_sound() {
	check "$1: the freeze hook's process was killed" wait_until 3000 fs_pid_gone "${hp:-0}"
	expect "$1: the hooks ran freeze, then thaw for both (the interrupted one too)" \
		'^10-log freeze 20-slow freeze 20-slow thaw 10-log thaw $' "$(tr '\n' ' ' <"$T/doc2.log")"
	fs_writer "d2a" "$T/a/doc2" "x"
	fs_writer "d2b" "$T/b/doc2" "x"
	check "$1: a write on a completes (nothing frozen)" fs_writer_done d2a
	check "$1: a write on b completes (nothing frozen)" fs_writer_done d2b
	check "$1: fsfreeze probes: nothing frozen" none_frozen
	rm -f "$T/slow.pid" "$T/doc2.log"
}
rm -f "$T/slow.pid" "$T/doc2.log"
qga -t 40 "$(freeze_list_json "$T/a" "$T/b")" >"$T/doc2-freeze.out" &
q=$!
fs_track_pid "$q"
check "DOC-2: the 20 s freeze hook runs" slow_hook_runs
t0=$(fs_now_ms)
r=$(qga -t 5 '{"execute":"vssd-status"}')
el=$(($(fs_now_ms) - t0))
expect "DOC-2: vssd-status while it runs says freezing, running 20-slow" \
	'"state": *"freezing".*"freezing": *"running freeze hook 20-slow' "$r"
check "  ... answered within 1 s (${el} ms)" [ "$el" -le 1000 ]
expect "DOC-2: guest-fsfreeze-status meanwhile: thawed (nothing is frozen)" \
	'"return": *"thawed"' "$(qga -t 5 "$STATUS")"
expect "DOC-2: a second freeze meanwhile is refused as busy" \
	'"error".*being frozen.*20-slow' "$(qga -t 5 "$(freeze_list_json "$T/a")")"
expect "DOC-2: a thaw naming an earlier freeze (vssctl backup's) does not cancel it" \
	'"error".*not in force.*not cancelled' \
	"$(qga -t 5 '{"execute":"guest-fsfreeze-thaw","arguments":{"freeze_id":1}}')"
check "  ... its hook still runs" alive "$hp"
t0=$(fs_now_ms)
r=$(qga -t 5 "$THAW")
el=$(($(fs_now_ms) - t0))
expect "DOC-2: a thaw from a second client: nothing was frozen (0)" '"return": *0[^0-9]' "$r"
check "  ... answered within 1 s (${el} ms)" [ "$el" -le 1000 ]
check "DOC-2: the parked freeze is answered" wait_until 3000 fs_pid_gone "$q"
wait "$q" 2>/dev/null
expect "  ... with an error: cancelled by a thaw" '"error".*cancelled by a thaw.*20-slow' \
	"$(cat "$T/doc2-freeze.out")"
doc2_sound "DOC-2, local socket"
expect "DOC-2: vssd-status keeps why (last_error)" '"last_error": *"the freeze was cancelled' \
	"$(qga -t 5 '{"execute":"vssd-status"}')"
# SIGTERM while a freeze hook runs: the hook killed, the thaw hooks, vssd exits as when frozen
qga -t 40 "$(freeze_list_json "$T/a" "$T/b")" >"$T/doc2-freeze.out" &
q=$!
fs_track_pid "$q"
check "DOC-2 SIGTERM: the 20 s freeze hook runs" slow_hook_runs
t0=$(fs_now_ms)
check "DOC-2 SIGTERM: vssd and its children exit" vss_stop
el=$(($(fs_now_ms) - t0))
check "  ... within 3 s (${el} ms)" [ "$el" -le 3000 ]
wait_until 3000 fs_pid_gone "$q"
doc2_sound "DOC-2 SIGTERM"
must "vssd restarts" vss_start
rm -f "$T/hooks/20-slow"
# the parked freeze's client goes away while its hook runs: the freeze goes on (decision 1)
printf '#!/bin/sh\n[ "$1" = freeze ] && sleep 2\nexit 0\n' >"$T/hooks/20-short"
chmod 755 "$T/hooks/20-short"
qga_mode -t 5 hold 0.3 "$(freeze_list_json "$T/a" "$T/b")
" >/dev/null
frozen_now() { qga -t 2 "$STATUS" | grep -q '"return": *"frozen"'; }
check "DOC-2: a parked freeze whose client left goes on: frozen once its hook ended" \
	wait_until 10000 frozen_now
check "  ... a and b are frozen" both_frozen
expect "  ... a local thaw ends it" '"return": *2[^0-9]' "$(qga -t 15 "$THAW")"
check "  ... nothing frozen" none_frozen
rm -f "$T/hooks/20-short"
expect "DOC-2: then a freeze of a and b works" '"return": *2[^0-9]' \
	"$(qga -t 15 "$(freeze_list_json "$T/a" "$T/b")")"
check "  ... both frozen" both_frozen
expect "  ... and its thaw" '"return": *2[^0-9]' "$(qga -t 15 "$THAW")"
check "  ... nothing frozen" none_frozen
rm -f "$T/doc2.log"

# the same through the virtio port (socat's pty bridged to a unix socket, as QEMU's chardev):
# the host's thaw comes on the connection whose freeze is parked
if ! command -v socat >/dev/null 2>&1; then
	skip_case "DOC-2 through the virtio port: needs socat (a pty bridged to a unix socket)"
else
	printf '#!/bin/sh\necho "20-slow $1" >>"%s/doc2.log"\n[ "$1" = freeze ] && { echo $$ >"%s/slow.pid"; exec sleep 20; }\nexit 0\n' \
		"$T" "$T" >"$T/hooks/20-slow"
	chmod 755 "$T/hooks/20-slow"
	check "vssd stops" vss_stop
	socat PTY,link="$T/port",raw,echo=0 UNIX-LISTEN:"$T/host.sock" 2>/dev/null &
	fs_track_pid $!
	check "socat's pty is there" wait_until 5000 test -e "$T/port"
	printf '[qga]\nvirtio_port = %s\n' "$T/port" >>"$T/vssd.conf"
	must "vssd restarts with the virtio port" vss_start
	# with an "id": the parked freeze's answer, sent later, carries it
	out=$(SOCK=$T/host.sock qga_mode -t 10 park-then "$T/slow.pid" \
		"$(freeze_list_json "$T/a" "$T/b" | sed 's/}$/,"id":"f-1"}/')" "$THAW")
	echo "$out" | sed 's/^/# /'
	slow_hook_runs
	expect "DOC-2 virtio: the parked freeze is answered first, cancelled by the thaw" \
		'^\{"error".*cancelled by a thaw from the virtio.*"id":"f-1"' "$(echo "$out" | sed -n 1p)"
	expect "  ... then the thaw: nothing was frozen (0)" '"return": *0[^0-9]' "$(echo "$out" | sed -n 3p)"
	el=$(echo "$out" | sed -n 4p | sed 's/^ms //')
	check "  ... within 1 s of the thaw (${el:-?} ms)" [ "${el:-99999}" -le 1000 ]
	doc2_sound "DOC-2, virtio port"
	rm -f "$T/hooks/20-slow"
fi
end_test
