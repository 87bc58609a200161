#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Host-side transports that can be exercised on one machine:
# - vssctl --firecracker PATH:PORT through a stand-in for Firecracker's vsock
#   unix socket (CONNECT/OK handshake, then the guest agent protocol);
# - the virtio-serial transport on a pty bridged to a unix socket by socat
#   (the same shape as QEMU's chardev): a backup through it, and no busy loop
#   once the host end has gone away;
# - the AF_VSOCK listener starts (peers cannot be tested without vsock loopback).
# Everything is frozen on a loop ext4 inside a private mount namespace.
. "$top_srcdir/tests/integration/lib.sh"
need_root
need_cmd unshare losetup mkfs.ext4 python3 socat fsfreeze
VSSD=$top_builddir/vss/vssd
VSSCTL=$top_builddir/vss/vssctl
[ "${VSS_HOSTSIDE_INNER:-}" ] || exec unshare --mount --propagation private env VSS_HOSTSIDE_INNER=1 sh "$0"

T=$(mktemp -d /tmp/vsshost.XXXXXX)
LOOP= PIDS=
cleanup() {
	fsfreeze -u "$T/m" 2>/dev/null
	stop_pids $PIDS
	umount "$T/m" 2>/dev/null
	[ -n "$LOOP" ] && losetup -d "$LOOP"
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
truncate -s 64M "$T/a.img"
LOOP=$(losetup -f --show "$T/a.img")
mkfs.ext4 -q "$LOOP"
mkdir -p "$T/m"
mount "$LOOP" "$T/m"

socat PTY,link="$T/port",raw,echo=0 UNIX-LISTEN:"$T/host.sock" 2>/dev/null &
PIDS="$PIDS $!"
wait_until 5000 test -e "$T/port" || skip_all "socat did not create the pty"
cat > "$T/vssd.conf" <<EOC
[vssd]
socket = $T/vssd.sock
state_dir = $T/state
[freeze]
include = $T/m
skip_loop = no
hooks_dir = $T/hooks
[qga]
virtio_port = $T/port
vsock_port = 52791
EOC
"$VSSD" -f -c "$T/vssd.conf" 2> "$T/vssd.log" &
VP=$!
PIDS="$PIDS $VP"
wait_until 5000 test -S "$T/vssd.sock" || { not_ok "vssd started"; cat "$T/vssd.log"; exit 1; }

# the unix socket appears first: wait for what vssd says about vsock
wait_until 5000 grep -Eq "listening on vsock|cannot listen on vsock" "$T/vssd.log"
if grep -q "listening on vsock port 52791" "$T/vssd.log"; then
	ok "vssd listens on AF_VSOCK port 52791"
elif grep -q "cannot listen on vsock" "$T/vssd.log"; then
	skip_case "no AF_VSOCK here: $(grep 'cannot listen on vsock' "$T/vssd.log")"
else
	not_ok "vssd said nothing about its vsock listener"
fi

# Firecracker: CONNECT handshake, then a whole backup
python3 "$top_srcdir/tests/integration/fake-firecracker.py" "$T/fc.sock" 1024 "$T/vssd.sock" &
PIDS="$PIDS $!"
wait_until 5000 test -S "$T/fc.sock"
out=$("$VSSCTL" --firecracker "$T/fc.sock:1024" backup "$T/m" -- \
	sh -c "sh -c 'echo x > $T/m/f; echo done > $T/w.done' & sleep 1; test ! -e $T/w.done" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "vssctl --firecracker backup: a write inside CMD stayed blocked, then thaw (rc $rc)" test $rc -eq 0
check "the blocked write completed after the thaw" wait_until 5000 test -e "$T/w.done"
"$VSSCTL" --firecracker "$T/fc.sock:9" status > "$T/wrongport.out" 2>&1
check "a wrong vsock port is reported as such" grep -q "connection closed after CONNECT" "$T/wrongport.out"

# backup prints nothing while frozen: its stdout may be a file on the frozen filesystem
t0=$(date +%s%N)
"$VSSCTL" -s "$T/vssd.sock" backup --timeout 3s "$T/m" -- true > "$T/m/backup.out" 2>"$T/backup.err"
rc=$?
el=$(( ($(date +%s%N) - t0) / 1000000 ))
check "backup with stdout on the frozen filesystem finishes at once (rc $rc, ${el} ms)" \
	sh -c '[ "$1" -eq 0 ] && [ "$2" -lt 2500 ]' sh "$rc" "$el"
check "  ... and its line reached the file after the thaw" grep -q "thawed 1; frozen for" "$T/m/backup.out"
# the watchdog ends the freeze before CMD is done: the copy may be inconsistent, exit 1
"$VSSCTL" -s "$T/vssd.sock" backup --timeout 300ms "$T/m" -- sleep 1 > "$T/cut.out" 2>&1
rc=$?
sed 's/^/# /' "$T/cut.out"
check "a backup cut short by the watchdog exits 1 (rc $rc)" test "$rc" -eq 1
check "  ... and says why" grep -q "thawed before sleep finished (the watchdog.s timeout" "$T/cut.out"

# virtio-serial on a pty: backup from the "host" end
out=$("$VSSCTL" --qga "$T/host.sock" backup "$T/m" -- true 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "vssctl --qga backup through the virtio port (rc $rc)" test $rc -eq 0
# socat exits with the host connection: the port's host end is gone
check "vssd noticed the host end going away" wait_until 5000 grep -q "host disconnected" "$T/vssd.log"
cpu() { awk '{print $14 + $15}' "/proc/$VP/stat"; }
c0=$(cpu)
sleep 2   # measuring: vssd's CPU time over 2 s with the host away
c1=$(cpu)
echo "# vssd used $((c1 - c0)) clock ticks in 2 s with the host end away"
check "no busy loop while the host is away (< 5 ticks in 2 s)" test $((c1 - c0)) -lt 5
check "vssd still answers locally" "$VSSCTL" -s "$T/vssd.sock" status
done_testing
