# SPDX-License-Identifier: GPL-2.0-or-later
# Filesystem and vssd helpers for the vss integration tests (sourced after lib.sh).
#
# Safety model (ARCHITECTURE.md, "Tests"; the rules every test that freezes follows):
#  - every filesystem is a sparse image in a private `mktemp -d` directory ($T),
#    attached with `losetup -f --show` (recorded in $T/loops) and mounted under $T;
#  - the test body runs in `unshare --mount --propagation private` (fs_enter
#    re-executes the script there), so no mount is visible outside;
#  - the inner shell's EXIT trap thaws every mountpoint it made, kills the
#    processes it started (recorded by pid + start time), unmounts and detaches;
#  - the outer shell (host namespace) then checks every recorded loop device: if
#    one is still attached (inner killed, namespace died with a frozen fs, ...) it
#    mounts it again in a throw-away namespace, thaws it, unmounts and detaches it,
#    and reports a leak as a failing case;
#  - vssd configs always set include = $T/* and skip_loop = false, socket and
#    state_dir under $T, so vssd can never select anything else.
#
# Public helpers (inside the namespace, after fs_enter):
#  fs_make NAME TYPE [PARENT]   mkfs + mount at $T/NAME (or $T/PARENT/NAME: nested);
#                               FS_BASE replaces $T as the mount base, FS_IMGDIR the image dir
#  fs_bind NAME SRC             bind mount SRC at $T/NAME
#  fs_subvol NAME BTRFSNAME     btrfs subvolume of $T/BTRFSNAME mounted at $T/NAME
#  fs_frozen MNT                0 if frozen, 1 if not, 2 on error (probe: fsfreeze -f; if that
#                               succeeds the fs was thawed and is thawed again at once)
#  fs_writer NAME FILE DATA     background writer `printf DATA > FILE`; pid in $W_NAME
#  fs_writer_blocked NAME [MS]  writer is in D state waiting on the freeze (percpu_rwsem)
#  fs_writer_done NAME [MS]     writer exited 0 within MS
#  fs_track_pid PID             kill PID (by pid, if still the same process) at cleanup

VSST_PY=/usr/bin/python3
[ -x "$VSST_PY" ] || VSST_PY=$(command -v python3 2>/dev/null)
VSSD=${top_builddir:-.}/vss/vssd
VSSCTL=${top_builddir:-.}/vss/vssctl

fs_require() {
	need_root
	need_cmd losetup unshare mount umount fsfreeze mktemp truncate "$@"
	[ -e /dev/loop-control ] || skip_all "needs loop devices (/dev/loop-control)"
	unshare --mount --propagation private true 2>/dev/null ||
		skip_all "needs mount namespaces (unshare --mount)"
}

vss_require() {
	[ -x "$VSSD" ] || skip_all "vssd not built ($VSSD)"
	[ -x "$VSSCTL" ] || skip_all "vssctl not built ($VSSCTL)"
	[ -n "$VSST_PY" ] || skip_all "needs python3 (raw protocol client)"
}

# ---------------------------------------------------------------- processes

# fs_pid_start PID: start time (field 22 of /proc/PID/stat), empty if gone.
fs_pid_start() {
	_l=
	{ read -r _l </proc/"$1"/stat; } 2>/dev/null || return 1
	_l=${_l##*) }
	set -- $_l
	shift 19
	echo "$1"
}

# fs_pid_state PID: one-letter state, empty if gone.
fs_pid_state() {
	_l=
	{ read -r _l </proc/"$1"/stat; } 2>/dev/null || return 0
	_l=${_l##*) }
	echo "${_l%% *}"
}

fs_pid_gone() {
	case $(fs_pid_state "$1") in "" | Z | X) return 0 ;; esac
	return 1
}

fs_track_pid() {
	_s=$(fs_pid_start "$1") || return 0
	echo "$1 $_s" >>"$T/pids"
}

# fs_kill_tracked SIG: signal every tracked pid that is still the same process.
fs_kill_tracked() {
	[ -s "$T/pids" ] || return 0
	while read -r _p _s; do
		[ "$(fs_pid_start "$_p" 2>/dev/null)" = "$_s" ] || continue
		fs_pid_gone "$_p" || kill -"$1" "$_p" 2>/dev/null
	done <"$T/pids"
}

fs_tracked_gone() {
	[ -s "$T/pids" ] || return 0
	while read -r _p _s; do
		[ "$(fs_pid_start "$_p" 2>/dev/null)" = "$_s" ] || continue
		fs_pid_gone "$_p" || return 1
	done <"$T/pids"
	return 0
}

# fs_children PID: direct children of PID (scans /proc, no CONFIG_PROC_CHILDREN needed).
fs_children() {
	for _st in /proc/[0-9]*/stat; do
		_l=
		{ read -r _l <"$_st"; } 2>/dev/null || continue
		_r=${_l##*) }
		set -- "$1" $_r
		[ "$3" = "$1" ] && { _c=${_st#/proc/}; echo "${_c%/stat}"; }
	done
	return 0
}

fs_now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------- namespace

# fs_enter SCRIPT: in the host namespace: make $T, run SCRIPT again inside a
# private mount namespace, then verify/clean up and exit with its status.
# Inside the namespace (VSST_INNER set): install the cleanup trap and return.
fs_enter() {
	if [ -n "${VSST_INNER:-}" ]; then
		T=$VSST_TMP
		t_nested=1 # the outer shell continues the numbering and prints the plan
		trap 'fs__inner_cleanup' EXIT
		trap 'echo "# interrupted"; exit 130' INT TERM HUP
		if grep -Eq ' (shared|master):' /proc/self/mountinfo; then
			echo "# mount namespace is not private; refusing to continue"
			exit 99
		fi
		return 0
	fi
	_script=$1
	case $_script in /*) ;; *) _script=$(pwd)/$_script ;; esac
	T=$(mktemp -d /tmp/vsst.XXXXXX) || skip_all "mktemp failed"
	: >"$T/loops"
	: >"$T/mnts"
	: >"$T/pids"
	fs__sig=
	trap 'fs__sig=1' INT TERM HUP
	VSST_INNER=1 VSST_TMP=$T unshare --mount --propagation private /bin/sh "$_script" &
	_inner=$!
	wait "$_inner"
	_rc=$?
	if [ -n "$fs__sig" ]; then
		kill -TERM "$_inner" 2>/dev/null
		wait_until 20000 fs_pid_gone "$_inner"
		_rc=1
	fi
	trap - INT TERM HUP
	[ -f "$T/t_n" ] && read -r t_n t_failed <"$T/t_n"
	[ "$_rc" -eq 0 ] || echo "# the namespace shell exited with status $_rc"
	fs__outer_cleanup || _rc=1
	done_testing && [ "$_rc" -eq 0 ] && exit 0
	exit 1
}

fs__inner_cleanup() {
	_rc=$?
	trap - EXIT INT TERM HUP
	echo "$t_n $t_failed" >"$T/t_n"
	# 1. thaw everything this test mounted (errors: not frozen / duplicate)
	if [ -s "$T/mnts" ]; then
		while read -r _m; do fsfreeze -u "$_m" 2>/dev/null; done <"$T/mnts"
	fi
	# 2. stop processes this test started (vssd, writers, hooks it recorded)
	fs_kill_tracked TERM
	wait_until 3000 fs_tracked_gone || fs_kill_tracked KILL
	wait_until 5000 fs_tracked_gone || echo "# cleanup: some processes did not exit"
	# a vssd child (watchdog) may have frozen again in between: thaw once more
	if [ -s "$T/mnts" ]; then
		while read -r _m; do fsfreeze -u "$_m" 2>/dev/null; done <"$T/mnts"
	fi
	# 3. unmount in reverse order, 4. detach
	if [ -s "$T/mnts" ]; then
		sed -n '1!G;h;$p' "$T/mnts" | while read -r _m; do
			grep -qF " $(printf '%s' "$_m" | sed 's/ /\\040/g') " /proc/self/mountinfo || continue
			umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null ||
				echo "# cleanup: cannot unmount $_m"
		done
	fi
	# newest first: a loop device whose image lives on another test filesystem goes first
	if [ -s "$T/loops" ]; then
		sed -n '1!G;h;$p' "$T/loops" | while read -r _d _k _i; do losetup -d "$_d" 2>/dev/null; done
	fi
	exit "$_rc"
}

# fs_loop_key DEV: backing file identity (inode, device) of loop DEV; unlike the
# BACK-FILE name it does not change when the file's filesystem is unmounted.
fs_loop_key() {
	_k=$(losetup -n -O BACK-INO,BACK-MAJ:MIN -l "$1" 2>/dev/null) || return 1
	set -- $_k
	[ -n "${2:-}" ] && echo "$1@$2"
}

# fs_loop_ours DEV KEY: DEV is still attached to the image we attached it to.
fs_loop_ours() { [ "$(fs_loop_key "$1")" = "$2" ]; }

# Host namespace, after the inner shell is gone.
fs__outer_cleanup() {
	_bad=0
	fs_kill_tracked KILL
	# 1. thaw what is still attached, oldest first: a loop filesystem whose image
	#    lives on another test filesystem can only be thawed after that one
	mkdir -p "$T/rescue"
	while read -r _d _k _i; do
		fs_loop_ours "$_d" "$_k" || continue
		echo "# cleanup: $_d ($_i) still attached: thaw it in a fresh namespace"
		unshare --mount --propagation private /bin/sh -c '
			mount "$1" "$2" || exit 1
			fsfreeze -u "$2" 2>/dev/null
			umount "$2"' sh "$_d" "$T/rescue" </dev/null &
		_rp=$!
		wait_until 20000 fs_pid_gone "$_rp" || { echo "# cleanup: thawing $_d hangs; giving up on it"; continue; }
		wait "$_rp"
	done <"$T/loops"
	fs_kill_tracked KILL
	# 2. detach, newest first
	sed -n '1!G;h;$p' "$T/loops" | while read -r _d _k _i; do
		fs_loop_ours "$_d" "$_k" && losetup -d "$_d" 2>/dev/null
	done
	_left() {
		while read -r _ld _lk _li; do
			fs_loop_ours "$_ld" "$_lk" && return 1
		done <"$T/loops"
		return 0
	}
	if wait_until 10000 _left; then
		ok "cleanup: no loop device left attached"
	else
		not_ok "cleanup: loop device left attached: $(cat "$T/loops")"
		_bad=1
	fi
	if grep -qF "$T" /proc/self/mountinfo; then
		not_ok "cleanup: mounts under $T visible in the host namespace"
		_bad=1
	else
		ok "cleanup: nothing mounted under $T in the host namespace"
		[ "$_bad" -eq 0 ] && rm -rf --one-file-system "$T"
	fi
	[ "$_bad" -eq 0 ] || echo "# left $T for inspection"
	return $_bad
}

# ---------------------------------------------------------------- filesystems

# fs_make NAME TYPE [PARENT]: image $T/img/NAME.img (320 MiB sparse), loop, mkfs,
# mounted at $T/NAME, or at $T/PARENT/NAME when PARENT is given (nested mount).
fs_make() {
	_n=$1 _t=$2
	if [ -n "${3:-}" ]; then _m=${FS_BASE:-$T}/$3/$_n; else _m=${FS_BASE:-$T}/$_n; fi
	_img=${FS_IMGDIR:-$T/img}/$_n.img
	mkdir -p "${FS_IMGDIR:-$T/img}" "$_m" || return 1
	truncate -s 320M "$_img" || return 1
	_d=$(losetup -f --show "$_img") || { echo "# losetup failed for $_n"; return 1; }
	echo "$_d $(fs_loop_key "$_d") $_img" >>"$T/loops"
	case $_t in
	ext4) mkfs.ext4 -q -F "$_d" >/dev/null ;;
	xfs) mkfs.xfs -q -f "$_d" >/dev/null ;;
	btrfs) mkfs.btrfs -q -f "$_d" >/dev/null ;;
	*) mkfs -t "$_t" "$_d" >/dev/null ;;
	esac || { echo "# mkfs.$_t failed"; return 1; }
	mount -t "$_t" "$_d" "$_m" || { echo "# mount $_d failed"; return 1; }
	echo "$_m" >>"$T/mnts"
	eval "DEV_$_n=\$_d"
}

fs_bind() {
	_b=${FS_BASE:-$T}
	mkdir -p "$_b/$1" && mount --bind "$2" "$_b/$1" && echo "$_b/$1" >>"$T/mnts"
}

fs_subvol() {
	_b=${FS_BASE:-$T}
	_dev=$(eval echo "\$DEV_$2")
	btrfs -q subvolume create "$_b/$2/sub" >/dev/null &&
		mkdir -p "$_b/$1" && mount -t btrfs -o subvol=sub "$_dev" "$_b/$1" &&
		echo "$_b/$1" >>"$T/mnts"
}

# fs_mountinfo_clean FILE LOOPS: FILE (a mountinfo) holds only a tmpfs "/" whose
# source is vsstroot, proc on /proc, and ext4/xfs/btrfs mounts under /mnt/ from
# the loop devices in LOOPS (space-separated). Prints the first offending line.
fs_mountinfo_clean() {
	_n=0
	while read -r _id _par _dev _root _mp _rest; do
		_x=${_rest#* - }
		_ft=${_x%% *}
		_y=${_x#* }
		_src=${_y%% *}
		[ -n "$_src" ] && [ -n "$_ft" ] || { echo "# unparsable mountinfo line: $_mp"; return 1; }
		case "$_mp:$_ft" in
		/:tmpfs) [ "$_src" = vsstroot ] || { echo "# unexpected root: $_mp $_ft $_src"; return 1; } ;;
		/proc:proc) ;;
		/mnt/*:ext4 | /mnt/*:xfs | /mnt/*:btrfs)
			case " $2 " in
			*" $_src "*) ;;
			*) echo "# not one of our loop devices: $_mp $_ft $_src"; return 1 ;;
			esac ;;
		*) echo "# unexpected mount: $_mp $_ft $_src"; return 1 ;;
		esac
		_n=$((_n + 1))
	done <"$1"
	[ "$_n" -gt 0 ] || { echo "# empty mount table"; return 1; }
	return 0
}

# Standard layout: ext4, xfs, btrfs, ext4 "nested" inside xfs, "bind" of ext4.
fs_standard() {
	fs_make ext4 ext4 && fs_make xfs xfs && fs_make btrfs btrfs &&
		fs_make nested ext4 xfs && fs_bind bind "$T/ext4"
}

fs_frozen() {
	if _e=$(fsfreeze -f "$1" 2>&1); then
		fsfreeze -u "$1"
		return 1
	fi
	case $_e in *[Bb]usy*) return 0 ;; esac
	echo "# fs_frozen $1: $_e"
	return 2
}

fs_thawed() { fs_frozen "$1"; [ $? -eq 1 ]; }

# ---------------------------------------------------------------- writers

fs_writer() {
	sh -c 'printf "%s\n" "$2" >"$1"' vsst-writer "$2" "$3" &
	eval "W_$1=\$!"
	fs_track_pid $!
}

# blocked on a freeze: state D and (where wchan is available) waiting in the
# superblock freeze protection (percpu_rwsem_wait / sb_start_write / __sb_start_write).
fs__is_blocked() {
	[ "$(fs_pid_state "$1")" = D ] || return 1
	_w=$(cat /proc/"$1"/wchan 2>/dev/null)
	case $_w in "" | 0 | *rwsem* | *sb_start* | *freeze* | *frozen*) return 0 ;; esac
	return 1
}

fs_writer_blocked() {
	_p=$(eval echo "\$W_$1")
	wait_until "${2:-3000}" fs__is_blocked "$_p" || return 1
	fs_pid_gone "$_p" && return 1
	return 0
}

fs_writer_done() {
	_p=$(eval echo "\$W_$1")
	wait_until "${2:-3000}" fs_pid_gone "$_p" || return 1
	wait "$_p"
}

# fs_content FILE EXPECTED: file holds exactly EXPECTED (one line).
fs_content() {
	[ "$(cat "$1" 2>/dev/null)" = "$2" ]
}

# ---------------------------------------------------------------- vssd

# vss_conf: write $T/vssd.conf. Variables: VSS_TIMEOUT (60s), VSS_HOOK_TIMEOUT (5s).
vss_conf() {
	mkdir -p "$T/run" "$T/hooks"
	cat >"$T/vssd.conf" <<EOF
# generated by $0: restricted to this test's temporary directory
[vssd]
socket = $T/run/vssd.sock
state_dir = $T/run

[freeze]
timeout = ${VSS_TIMEOUT:-60s}
hooks_dir = $T/hooks
hook_timeout = ${VSS_HOOK_TIMEOUT:-5s}
include = $T/* $T/*/*
skip_loop = false
EOF
	SOCK=$T/run/vssd.sock
}

# vss_start: start vssd in the background (pid in $VSSD_PID), wait for guest-ping.
vss_start() {
	[ -f "$T/vssd.conf" ] || vss_conf
	grep -qxF "include = $T/* $T/*/*" "$T/vssd.conf" || { echo "# unsafe config"; exit 99; }
	"$VSSD" -f -c "$T/vssd.conf" 2>>"$T/vssd.log" &
	VSSD_PID=$!
	fs_track_pid "$VSSD_PID"
	if wait_until 5000 vss_ping; then return 0; fi
	echo "# vssd did not answer guest-ping within 5 s; log:"
	sed 's/^/#   /' "$T/vssd.log" | tail -n 20
	return 1
}

# vss_stop: SIGTERM vssd and wait (bounded) for it and its children to exit.
vss_stop() {
	[ -n "${VSSD_PID:-}" ] || return 0
	_kids=$(fs_children "$VSSD_PID")
	kill -TERM "$VSSD_PID" 2>/dev/null
	wait_until 5000 fs_pid_gone "$VSSD_PID" || { kill -KILL "$VSSD_PID" 2>/dev/null; return 1; }
	wait "$VSSD_PID" 2>/dev/null
	for _k in $_kids; do wait_until 3000 fs_pid_gone "$_k" || return 1; done
	VSSD_PID=
}

# qga [-t SECONDS] REQUEST...: send each JSON line on one connection and print
# one reply line per request. On trouble prints CONNECT-ERROR/EOF/TIMEOUT/...
# and exits non-zero. Set QGA_AS=nobody to connect as uid/gid 65534.
VSST_CLIENT='
import socket, sys, os, time, json
path, timeout, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
args = sys.argv[4:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(timeout)
try:
    s.connect(path)
except OSError as e:
    print("CONNECT-ERROR " + (e.strerror or str(e))); sys.exit(3)
buf = b""
def reply():
    global buf
    while b"\n" not in buf:
        try:
            d = s.recv(65536)
        except socket.timeout:
            print("TIMEOUT"); sys.exit(5)
        except OSError as e:
            print("RECV-ERROR " + (e.strerror or str(e))); sys.exit(4)
        if not d:
            print("EOF"); sys.exit(6)
        buf += d
    line, buf = buf.split(b"\n", 1)
    return line.decode(errors="replace")
def send(b):
    try:
        s.sendall(b)
    except OSError as e:
        print("SEND-ERROR " + (e.strerror or str(e))); sys.exit(4)
if mode == "req":
    for r in args:
        send(r.encode() + b"\n")
        print(reply())
elif mode == "raw":
    # raw FILE: send the bytes of FILE, then print one reply line (or EOF)
    send(open(args[0], "rb").read())
    print(reply())
elif mode == "big":
    # big N: one line of N bytes (JSON string padding), then newline
    n = int(args[0])
    send(b"{\"execute\":\"guest-ping\",\"pad\":\"" + b"a" * n + b"\"}\n")
    print(reply())
elif mode == "hold":
    # hold SECONDS BYTES: send a partial request and keep the connection open
    send(args[1].encode())
    time.sleep(float(args[0]))
elif mode == "req-then":
    # req-then FILE REQ1 REQ2: REQ1 and its reply; once FILE exists (bounded by
    # the timeout), REQ2 on the same connection and its reply
    send(args[1].encode() + b"\n")
    print(reply(), flush=True)
    end = time.time() + timeout
    while not os.path.exists(args[0]) and time.time() < end:
        time.sleep(0.05)
    send(args[2].encode() + b"\n")
    print(reply(), flush=True)
elif mode == "park-then":
    # park-then FILE REQ1 REQ2: REQ1 (no reply awaited); once FILE exists (bounded
    # by the timeout), REQ2 on the same connection; then two reply lines, and how
    # many ms after REQ2 each came ("ms N")
    send(args[1].encode() + b"\n")
    end = time.time() + timeout
    while not os.path.exists(args[0]) and time.time() < end:
        time.sleep(0.05)
    t0 = time.time()
    send(args[2].encode() + b"\n")
    for i in range(2):
        print(reply(), flush=True)
        print("ms %d" % int((time.time() - t0) * 1000), flush=True)
elif mode == "status-of":
    # status-of MOUNTPOINT: state (and reason) of MOUNTPOINT in vssd-status
    send(b"{\"execute\":\"vssd-status\"}\n")
    r = json.loads(reply())
    for f in r.get("return", {}).get("filesystems", []):
        if f.get("mountpoint") == args[0]:
            print(f.get("state", "?") + " " + str(f.get("reason", "")))
            sys.exit(0)
    print("absent"); sys.exit(0)
elif mode == "flushed":
    # flushed MOUNTPOINT: "yes" when vssd-status shows syncfs time for it (it was flushed)
    send(b"{\"execute\":\"vssd-status\"}\n")
    r = json.loads(reply())
    for f in r.get("return", {}).get("filesystems", []):
        if f.get("mountpoint") == args[0]:
            print("yes" if f.get("sync_ms", 0) > 0 else "no")
            sys.exit(0)
    print("absent"); sys.exit(0)
'
qga_mode() {
	_t=5
	if [ "$1" = -t ]; then _t=$2; shift 2; fi
	if [ "${QGA_AS:-}" = nobody ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$VSST_PY" -c "$VSST_CLIENT" "$SOCK" "$_t" "$@"
	else
		"$VSST_PY" -c "$VSST_CLIENT" "$SOCK" "$_t" "$@"
	fi
}
qga() {
	if [ "$1" = -t ]; then _qt=$2; shift 2; qga_mode -t "$_qt" req "$@"; else qga_mode req "$@"; fi
}

vss_ping() { qga -t 1 '{"execute":"guest-ping"}' 2>/dev/null | grep -q '"return"'; }

# vss_status_of MNT: "STATE REASON" of MNT in vssd-status.
vss_status_of() { qga_mode status-of "$1"; }

# freeze_list MNT...: JSON for guest-fsfreeze-freeze-list (paths without quotes/backslashes).
freeze_list_json() {
	_j=
	for _m in "$@"; do _j="$_j${_j:+,}\"$_m\""; done
	echo "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[$_j]}}"
}

THAW='{"execute":"guest-fsfreeze-thaw"}'
STATUS='{"execute":"guest-fsfreeze-status"}'

# expect DESC PATTERN OUTPUT: ok when OUTPUT matches the grep -E PATTERN.
expect() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "$3" | head -c 600 | sed 's/^/#   got: /'
		echo
	fi
}

# end_test: write counters for the outer shell (the EXIT trap does it too).
end_test() {
	done_testing
	exit $?
}

# must DESC COMMAND...: like check, but a failure ends the test (a precondition).
must() {
	_md=$1
	shift
	if "$@"; then ok "$_md"; else not_ok "$_md"; echo "# precondition failed: stopping"; end_test; fi
}
