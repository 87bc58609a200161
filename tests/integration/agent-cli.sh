#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# selfballoond's command line, configuration, --once output and daemon loop
# (SIGHUP reload, SIGTERM restore, metrics, hot-add onlining) on fake /proc
# and /sys trees under a temporary --root. Needs no root and touches nothing
# of this machine.
. "${top_srcdir:-.}/tests/integration/lib.sh"
WAIT_STEP_MS=100   # these waits read /proc or a daemon's files: 10 polls a second are enough

B=${top_builddir:-.}
S=${top_srcdir:-.}
D=$B/agent/selfballoond
F=${FIXTURES:-$S/tests/fixtures}/agent
[ -x "$D" ] || skip_all "build first (agent/selfballoond)"
[ "$(getconf PAGESIZE)" -eq 4096 ] || skip_all "expected values assume 4 KiB pages"

tmp=$(mktemp -d /tmp/sb-agent-cli.XXXXXX)
dpid=
cleanup() {
	if [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
		kill -KILL "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP


# --- options and configuration ---
v=$("$D" --version)
case $v in "selfballoond (selfballoon) "[0-9]*) ok "--version: $v" ;; *) not_ok "--version printed '$v'" ;; esac
[ "$("$D" -V)" = "$v" ] && ok "-V prints the same" || not_ok "-V: $("$D" -V 2>&1)"
if "$D" --help | grep -q -- '--once'; then ok "--help lists the options"; else not_ok "--help"; fi
check "shipped conf/selfballoond.conf is valid" "$D" --check-config -c "$S/conf/selfballoond.conf"
# every key uncommented is still valid
sed 's/^#\([a-z_]* =\)/\1/' "$S/conf/selfballoond.conf" | grep -v '^sysfs_\|^textfile' >"$tmp/all.conf"
check "every documented key parses at its default" "$D" --check-config -c "$tmp/all.conf"
printf '[balloon]\ndown_hysteresis = 0\n' >"$tmp/bad.conf"
out=$("$D" --check-config -c "$tmp/bad.conf" 2>&1); rc=$?
case "$rc:$out" in 1:*bad.conf:2:*) ok "zero hysteresis rejected with file:line" ;; *) not_ok "got $rc: $out" ;; esac
out=$("$D" --once -c /nonexistent/x.conf 2>&1); rc=$?
[ "$rc" -eq 1 ] && ok "missing -c file is an error" || not_ok "missing -c file: $rc $out"
"$D" --dry-run >/dev/null 2>&1; [ $? -eq 2 ] && ok "--dry-run without --once refused" || not_ok "--dry-run alone accepted"
# value errors name the file, the line, the section and the key, and say what is wrong
conf_says() { # CONF-LINES EXPECTED-MESSAGE (without "selfballoond: FILE")
	printf '%b\n' "$1" >"$tmp/v.conf"
	_out=$("$D" --check-config -c "$tmp/v.conf" 2>&1); _rc=$?
	[ "$_rc" -eq 1 ] && [ "$_out" = "selfballoond: $tmp/v.conf$2" ] && ok "'$(echo "$1" | sed 's/\\n/; /g')': $2" ||
		not_ok "'$1': rc $_rc: $_out (expected $2)"
}
conf_says '[balloon]\nreserved = 150%' ":2: [balloon] reserved: '150%' is more than 100% (a share of the memory: 0% to 100%)"
conf_says '[balloon]\nmin_memory = 3G\nmax_memory = 2G' ": [balloon] min_memory is above max_memory (the floor must not be above the ceiling)"
conf_says '[balloon]\nmin_memory = 60%\nmax_memory = 50%' ": [balloon] min_memory is above max_memory (the floor must not be above the ceiling)"
conf_says '[balloon]\nmin_memory = 100T' ":2: [balloon] min_memory: '100T' is more than 64T"
conf_says '[balloon]\nmax_memory = 0' ":2: [balloon] max_memory: '0' would balloon the whole guest (at least 16M; for no explicit ceiling: auto)"
conf_says '[balloon]\nmax_memory = 0%' ":2: [balloon] max_memory: '0%' would balloon the whole guest (at least 16M; for no explicit ceiling: auto)"
conf_says '[balloon]\ninterval = 1s\ninterval = 2s' ":3: [balloon] interval: given twice in this file (keep one)"
conf_says '[ballon]\ninterval = 1s' ":1: unknown section [ballon] (expected [balloon], [pressure], [host], [hotplug], [metrics] or [daemon])"
conf_says '[balloon]\ninterval = x' ":2: [balloon] interval: bad duration 'x' (examples: 500ms, 30s, 2min)"
# relative paths: after daemonizing the working directory is / (a relative textfile
# would land there, a relative -c would fail every reload): -c and --root are made
# absolute at start, a relative textfile is refused
conf_says '[metrics]\ntextfile = rel.prom' ":2: [metrics] textfile: 'rel.prom' is not an absolute path"
out=$(cd "$tmp" && "$D" --check-config -c v.conf 2>&1)
[ "$out" = "selfballoond: $tmp/v.conf:2: [metrics] textfile: 'rel.prom' is not an absolute path" ] &&
	ok "a relative -c is made absolute at start ($out)" || not_ok "relative -c: $out"
printf '[balloon]\nmin_memory = 1G\nmax_memory = 50%%\n' >"$tmp/v.conf"
check "min_memory 1G with max_memory 50% is left to the start (a share needs MemTotal)" "$D" --check-config -c "$tmp/v.conf"
# -o/--set overrides go through the same checks across keys as the file
printf '[pressure]\npsi_window = 2s\n' >"$tmp/psi.conf"
out=$("$D" --check-config -c "$tmp/psi.conf" -o pressure.psi_stall=2s 2>&1); rc=$?
case "$rc:$out" in 1:*"with --set: psi_stall must be shorter than psi_window"*) ok "--set psi_stall >= psi_window rejected" ;;
	*) not_ok "--set psi_stall=2s with psi_window 2s: $rc $out" ;; esac
out=$("$D" --check-config -c "$tmp/psi.conf" -o pressure.psi_window=1s -o pressure.psi_stall=1500ms 2>&1); rc=$?
[ "$rc" -eq 1 ] && ok "--set psi_window=1s below psi_stall 1500ms rejected" || not_ok "accepted: $rc $out"
check "--set psi_stall below psi_window accepted" "$D" --check-config -c "$tmp/psi.conf" -o pressure.psi_stall=1500ms
out=$("$D" --check-config -c "$tmp/psi.conf" -o balloon.driver=sysfs 2>&1); rc=$?
[ "$rc" -eq 1 ] && ok "--set driver=sysfs without sysfs_target rejected" || not_ok "accepted: $rc $out"

# --- a fake guest: Linux 5.10 fixture, Xen balloon sysfs ---
R=$tmp/root
mkdir -p "$R/proc/pressure" "$R/sys/devices/system/xen_memory/xen_memory0/info"
cp "$F/linux-5.10/meminfo" "$F/linux-5.10/vmstat" "$F/linux-5.10/zoneinfo" "$R/proc/"
cp "$F/linux-5.10/pressure_memory" "$R/proc/pressure/memory"
XEN=$R/sys/devices/system/xen_memory/xen_memory0
echo 4128428 >"$XEN/target_kb"
echo 4128428 >"$XEN/info/current_kb"     # MemTotal 4028428 + 100000 never visible

# driver errors name the file (a guest without Xen)
mkdir -p "$tmp/noxen/proc" && cp "$R/proc/meminfo" "$R/proc/vmstat" "$R/proc/zoneinfo" "$tmp/noxen/proc/"
out=$("$D" --once --dry-run --root "$tmp/noxen" -c /dev/null -o balloon.driver=xen 2>&1)
case $out in *"driver xen: $tmp/noxen/sys/devices/system/xen_memory/xen_memory0/target_kb: No such file or directory (not a Xen guest"*)
	ok "driver xen: the missing file named, and what it means" ;; *) not_ok "driver xen said: $out" ;; esac
out=$("$D" --once --dry-run --root "$tmp/noxen" -c /dev/null -o balloon.driver=sysfs -o balloon.sysfs_target=/sys/none 2>&1)
case $out in *"driver sysfs: $tmp/noxen/sys/none: No such file or directory"*) ok "driver sysfs: the missing file named" ;;
	*) not_ok "driver sysfs said: $out" ;; esac
# mode xen: goal = 3562116 + 17562*4 + 402842 = 4035206 kB; cur 1007107 pages < goal 1008801 pages:
# up_hysteresis 1 jumps to the goal: 4035204 kB; with driver none the ceiling is MemTotal.
out=$("$D" --once --dry-run --root "$R" -c /dev/null -o balloon.mode=xen -o balloon.driver=none 2>/dev/null)
echo "$out" | grep -q '^target_kb=4028428$' && echo "$out" | grep -q '^reason=ceiling$' &&
	ok "--once xen mode, driver none: target_kb=4028428 reason=ceiling" || not_ok "--once: $(echo "$out" | tr '\n' ' ')"
out=$("$D" --once --dry-run --root "$R" -c /dev/null -o balloon.mode=xen -o balloon.driver=none \
	-o balloon.max_memory=8G 2>/dev/null)
echo "$out" | grep -q '^target_kb=4035204$' && echo "$out" | grep -q '^reason=goal$' &&
	echo "$out" | grep -q '^goal_kb=4035206$' && echo "$out" | grep -q '^totalreserve_kb=70248$' &&
	ok "--once xen mode: goal_kb=4035206 target_kb=4035204 reason=goal" || not_ok "--once: $(echo "$out" | tr '\n' ' ')"
echo "$out" | grep -q '^applied=no$' && ok "--dry-run applies nothing" || not_ok "applied?"

# auto finds the Xen balloon; --once writes target + (current_kb - MemTotal)
"$D" --once --dry-run --root "$R" -c /dev/null -o balloon.max_memory=8G >"$tmp/o1" 2>&1
grep -q '^driver=xen$' "$tmp/o1" && [ "$(cat "$XEN/target_kb")" = 4128428 ] &&
	ok "driver auto picks xen; --dry-run leaves target_kb alone" || not_ok "auto/dry-run: $(tr '\n' ' ' <"$tmp/o1")"
"$D" --once --root "$R" -c /dev/null -o balloon.mode=xen -o balloon.max_memory=8G >"$tmp/o2" 2>&1
[ "$(cat "$XEN/target_kb")" = $((4035204 + 100000)) ] && grep -q '^applied=yes$' "$tmp/o2" &&
	ok "--once writes target_kb = target + (current_kb - MemTotal)" || not_ok "target_kb is $(cat "$XEN/target_kb")"
# a balloon that dies with the daemon (driver userspace: DRIVER_DIES_WITH_DAEMON) is not applied by --once
out=$("$D" --once --root "$R" -c /dev/null -o balloon.driver=userspace 2>&1)
echo "$out" | grep -q '^applied=no$' && echo "$out" | grep -q 'userspace balloon lives only as long as the daemon; not applied' &&
	ok "--once with driver userspace applies nothing, and says why" || not_ok "--once userspace: $(echo "$out" | tr '\n' ' ')"

# the shipped file, every key uncommented, says exactly what the built-in defaults say
"$D" --once --dry-run --root "$R" -c /dev/null 2>/dev/null >"$tmp/def.out"
"$D" --once --dry-run --root "$R" -c "$tmp/all.conf" 2>/dev/null >"$tmp/all.out"
cmp -s "$tmp/def.out" "$tmp/all.out" && grep -q '^target_kb=' "$tmp/def.out" &&
	ok "conf/selfballoond.conf holds the built-in defaults" || not_ok "defaults differ: $(diff "$tmp/def.out" "$tmp/all.out" | tr '\n' ' ')"

# --- the daemon on the fake tree: sysfs driver, reload, restore, metrics, hot-add ---
mkdir -p "$R/sys/fake" "$R/sys/devices/system/memory/memory0" "$R/sys/devices/system/memory/memory7"
echo 4028428 >"$R/sys/fake/target"
echo online >"$R/sys/devices/system/memory/memory0/state"
echo offline >"$R/sys/devices/system/memory/memory7/state"
echo offline >"$R/sys/devices/system/memory/auto_online_blocks"
cat >"$tmp/d.conf" <<CONF
[balloon]
driver = sysfs
sysfs_target = /sys/fake/target
min_memory = 3G
interval = 200ms
[hotplug]
online = auto
[metrics]
textfile = $tmp/m.prom
[daemon]
oom_score_adj = 0
CONF
# umask 077 like the packaged unit's UMask: the metrics file must still be readable by node_exporter
(umask 077; exec "$D" -f -v --root "$R" -c "$tmp/d.conf" 2>"$tmp/d.log") &
dpid=$!
target_is() { [ "$(cat "$R/sys/fake/target")" = "$1" ]; }
target_below() { [ "$(cat "$R/sys/fake/target")" -lt "$1" ]; }
# no current file: current = MemTotal (fixed in the fixture), so each decision is one step
# from MemTotal toward the goal; goal (4035206) > MemTotal, and sysfs reports no maximum:
# the ceiling is the boot size (MemTotal), never more
if wait_until 10000 target_is 4028428; then ok "daemon writes the goal, capped at the boot size, to the sysfs target"
else not_ok "sysfs target is $(cat "$R/sys/fake/target")"; fi
if wait_until 10000 test -s "$tmp/m.prom" && grep -q '^selfballoond_target_bytes ' "$tmp/m.prom"; then
	ok "metrics textfile written"; else not_ok "no metrics textfile"; fi
m=$(stat -c %a "$tmp/m.prom" 2>/dev/null)
check "metrics textfile mode 644 under umask 077 (node_exporter reads it; mode $m)" [ "$m" = 644 ]
# the suggested place, the packaged unit's writable directory and the warning agree
U=$S/packaging/systemd/selfballoond.service.in
check "selfballoond.conf suggests /run/selfballoond/selfballoond.prom" grep -q '/run/selfballoond/selfballoond.prom' "$S/conf/selfballoond.conf"
check "the unit makes /run/selfballoond its RuntimeDirectory (tmpfs, writable under ProtectSystem=strict)" \
	sh -c 'grep -qx "RuntimeDirectory=selfballoond" "$1" && grep -qx "RuntimeDirectoryMode=0755" "$1" && ! grep -q "^ReadWritePaths=.*prometheus" "$1"' sh "$U"
if [ "$(stat -f -c %T "$tmp")" = tmpfs ]; then
	grep -q 'not on tmpfs/ramfs' "$tmp/d.log" && not_ok "tmpfs textfile warned about" || ok "tmpfs textfile: no warning"
else
	grep -q 'not on tmpfs/ramfs.*the packaged unit makes /run/selfballoond writable' "$tmp/d.log" &&
		ok "textfile off tmpfs: freeze warning logged, naming /run/selfballoond" || not_ok "no warning for a textfile off tmpfs"
fi
[ "$(cat "$R/sys/devices/system/memory/memory7/state")" = online ] &&
	ok "offline hot-added block onlined (auto_online_blocks=offline)" || not_ok "memory7 not onlined"
# a block added while running, with no uevent (none on a fake tree: as if lost): the interval's rescan finds it
mkdir -p "$R/sys/devices/system/memory/memory9" && echo offline >"$R/sys/devices/system/memory/memory9/state"
block9_online() { [ "$(cat "$R/sys/devices/system/memory/memory9/state")" = online ]; }
if wait_until 5000 block9_online; then ok "block added without a uevent onlined at the next interval"
else not_ok "memory9 is $(cat "$R/sys/devices/system/memory/memory9/state")"; fi
# reload: a 3500 MiB ceiling below the guest's size is approached at inflate_rate (5 %/s), never
# in one step; the fake guest never moves (no current file, MemTotal fixed), so each decision
# is one step down from MemTotal: below it, and by at most a second of inflate_rate
sed 's/^min_memory = 3G/min_memory = 3G\nmax_memory = 3500M/' "$tmp/d.conf" >"$tmp/d2.conf" && mv "$tmp/d2.conf" "$tmp/d.conf"
kill -HUP "$dpid"
one_step_down() {
	_t=$(cat "$R/sys/fake/target")
	[ "${_t:-0}" -lt 4028428 ] && [ "${_t:-0}" -ge $((4028428 - 201421)) ]
}
if wait_until 10000 one_step_down && wait_until 5000 grep -q 'reason=rate-limit' "$tmp/d.log"; then
	ok "SIGHUP reload: a lower max_memory is approached at inflate_rate ($(cat "$R/sys/fake/target") kB)"
else not_ok "after reload the target is $(cat "$R/sys/fake/target")"; fi
grep -q 'configuration reloaded' "$tmp/d.log" && ok "reload logged" || not_ok "reload not logged"
printf '[balloon]\nbogus = 1\n' >"$tmp/d.conf"
kill -HUP "$dpid"
if wait_until 10000 grep -q 'd.conf:2: \[balloon\] bogus: unknown key' "$tmp/d.log" && kill -0 "$dpid"; then
	ok "bad reload reported with file:line, daemon keeps running"; else not_ok "bad reload"; fi
kill -TERM "$dpid"
i=0; while kill -0 "$dpid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$dpid" 2>/dev/null; then not_ok "daemon still running after SIGTERM"
else
	wait "$dpid"; rc=$?; dpid=
	[ "$rc" -eq 0 ] && target_is 4028428 && ok "SIGTERM: exit 0, on_exit=restore wrote back 4028428" ||
		not_ok "SIGTERM: rc=$rc target $(cat "$R/sys/fake/target")"
fi

# --- oom_score_adj below 0 without CAP_SYS_RESOURCE: the warning says what is missing ---
# oom_warns DESC HINT SETPRIV-OPTION...: the agent under setpriv warns with HINT
oom_warns() {
	_desc=$1 _hint=$2; shift 2
	setpriv "$@" "$D" -f -c "$tmp/oom.conf" 2>"$tmp/oom.log" &
	dpid=$!
	if wait_until 5000 grep -q 'oom_score_adj' "$tmp/oom.log" &&
		grep -qF "cannot set oom_score_adj -900: Permission denied ($_hint" "$tmp/oom.log"
	then ok "$_desc"; else not_ok "$_desc: $(cat "$tmp/oom.log")"; fi
	kill -TERM "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; dpid=
}
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	printf '[balloon]\ndriver = none\n[hotplug]\nonline = off\n[daemon]\noom_score_adj = -900\n' >"$tmp/oom.conf"
	chmod 755 "$tmp"; chmod 644 "$tmp/oom.conf"
	# the real /proc, read only: driver none applies nothing, hotplug is off
	oom_warns "oom_score_adj -900 as nobody: the warning names CAP_SYS_RESOURCE" \
		"lowering it needs CAP_SYS_RESOURCE: run as root, or set [daemon] oom_score_adj = 0)" \
		--reuid=65534 --regid=65534 --clear-groups
	# root without CAP_SYS_RESOURCE in its bounding set (a container): "run as root" would be wrong
	oom_warns "oom_score_adj -900 as root without CAP_SYS_RESOURCE: the bounding set lacks it" \
		"lowering it needs CAP_SYS_RESOURCE, which this process's capability bounding set lacks: a container? Or set [daemon] oom_score_adj = 0)" \
		--bounding-set -sys_resource
else
	skip_case "oom_score_adj without CAP_SYS_RESOURCE needs root and setpriv"
fi

# --- sd_notify: READY=1, STATUS=, STOPPING=1 as datagrams to $NOTIFY_SOCKET ---
if command -v python3 >/dev/null 2>&1; then
	python3 - "$tmp/notify.sock" "$tmp/notify.txt" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
end = time.time() + 10
with open(sys.argv[2], "w") as out:
    while time.time() < end:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            break
        out.write(m + "\n"); out.flush()
        if "STOPPING=1" in m:
            break
PY
	npid=$!
	wait_until 5000 test -S "$tmp/notify.sock"
	printf '[balloon]\ndriver = none\ninterval = 200ms\n[hotplug]\nonline = off\n' >"$tmp/n.conf"
	NOTIFY_SOCKET=$tmp/notify.sock "$D" -f --root "$R" -c "$tmp/n.conf" 2>/dev/null &
	dpid=$!
	wait_until 5000 grep -q 'READY=1' "$tmp/notify.txt"
	kill -TERM "$dpid"; wait "$dpid"; dpid=
	wait "$npid"
	grep -q '^READY=1' "$tmp/notify.txt" && grep -q '^STATUS=target ' "$tmp/notify.txt" &&
		grep -q '^STOPPING=1' "$tmp/notify.txt" && ok "sd_notify: READY=1, STATUS=..., STOPPING=1" ||
		not_ok "sd_notify got: $(tr '\n' '|' <"$tmp/notify.txt" 2>/dev/null)"
else
	skip_case "sd_notify check needs python3"
fi
done_testing
