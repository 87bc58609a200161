#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Hyper-V VSS channel, end to end against tests/hvemu (a FUSE stand-in for
# /dev/vmbus/hv_vss), validated first with the real hv_vss_daemon (Debian's
# hyperv-daemons): it must register and answer FREEZE/THAW/HOT_BACKUP through
# the emulator and really freeze the filesystem; then vssd must answer the
# same requests with the same 12 bytes, and survive a transaction the
# "kernel" abandoned (its late reply gets EINVAL: vssd thaws and registers
# again), and hold a FREEZE whose freeze hook hangs while a local thaw cancels
# it (probe DOC-2).
# Both daemons freeze every eligible filesystem they can see, so they run in
# a private mount namespace whose root is a fresh tmpfs holding only a zram
# ext4 (a non-loop block device: hv_vss_daemon skips loop devices), a loop
# ext4, proc, sysfs and a tmpfs /dev; the mount table is checked from outside
# before every request.
. "$top_srcdir/tests/integration/lib.sh"
need_root
need_cmd unshare nsenter pivot_root ldd mkfs.ext4 busybox losetup
HVEMU=$top_builddir/tests/hvemu/hvemu
VSSD=$top_builddir/vss/vssd
[ -x "$HVEMU" ] || skip_all "tests/hvemu/hvemu not built (libfuse3-dev missing)"
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
[ -w /sys/class/zram-control/hot_add ] || skip_all "no zram (needed for a non-loop block device)"
[ "${VSS_HYPERV_INNER:-}" ] || exec unshare --mount --propagation private env VSS_HYPERV_INNER=1 sh "$0"

T=$(mktemp -d /tmp/vsshv.XXXXXX)
R=$T/root
ZRAM= LOOP= ANCHOR= WRITER=
cleanup() {
	fsfreeze -u "$R/mnt/z" 2>/dev/null
	fsfreeze -u "$R/mnt/l" 2>/dev/null
	[ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null
	stop_pids $(cat "$T/pids" 2>/dev/null) $ANCHOR
	fsfreeze -u "$R/mnt/z" 2>/dev/null
	fsfreeze -u "$R/mnt/l" 2>/dev/null
	umount "$R/mnt/z" "$R/mnt/l" 2>/dev/null
	umount -l "$R" 2>/dev/null
	[ -n "$LOOP" ] && losetup -d "$LOOP"
	if [ -n "$ZRAM" ]; then
		echo 1 > "/sys/block/zram$ZRAM/reset"
		echo "$ZRAM" > /sys/class/zram-control/hot_remove
	fi
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
: > "$T/pids"

# the test filesystems, mounted on a tmpfs that becomes the daemons' root
mkdir -p "$R"
mount -t tmpfs -o size=128m,mode=755 vsshvroot "$R"
ZRAM=$(cat /sys/class/zram-control/hot_add)
echo 64M > "/sys/block/zram$ZRAM/disksize"
mkfs.ext4 -q "/dev/zram$ZRAM"
truncate -s 64M "$T/l.img"
LOOP=$(losetup -f --show "$T/l.img")
mkfs.ext4 -q "$LOOP"
mkdir -p "$R/mnt/z" "$R/mnt/l" "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/run" "$R/oldroot"
mount "/dev/zram$ZRAM" "$R/mnt/z"
mount "$LOOP" "$R/mnt/l"

copy_bin() {
	cp -L "$1" "$R/bin/$(basename "$1")"
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$R$(dirname "$lib")"
		[ -e "$R$lib" ] || cp -L "$lib" "$R$lib"
	done
}
cp "$(command -v busybox)" "$R/bin/busybox"
for a in sh sleep mount umount cat; do ln -s busybox "$R/bin/$a"; done
copy_bin "$HVEMU"
copy_bin "$VSSD"
HVD=$(command -v hv_vss_daemon || true)
[ -n "$HVD" ] && copy_bin "$HVD"

# the namespace: a second private copy, pivot_root'ed onto the tmpfs; its
# first process stays as an anchor for nsenter
unshare --mount --propagation private sh -c '
	R=$1
	mount -t proc proc "$R/proc" && mount -t sysfs sysfs "$R/sys" &&
	mount -t tmpfs -o mode=755 vsshvdev "$R/dev" || exit 1
	mknod -m 666 "$R/dev/null" c 1 3 && mknod -m 666 "$R/dev/fuse" c 10 229 &&
	mkdir -p "$R/dev/vmbus" || exit 1
	cd "$R" && pivot_root . oldroot && umount -l /oldroot || exit 1
	echo ready > /run/ready
	exec /bin/sleep 600' sh "$R" &
ANCHOR=$!
wait_until 10000 test -e "$R/run/ready" || { not_ok "namespace set up"; done_testing; exit 1; }

# only our mounts may be visible to the daemons: checked before each request
MOUNTS_OK="/ /proc /sys /dev /dev/vmbus /mnt/z /mnt/l"
ns_clean() {
	for tgt in $(awk '{print $5}' "/proc/$ANCHOR/mountinfo"); do
		case " $MOUNTS_OK " in *" $tgt "*) ;; *) echo "# unexpected mount $tgt"; return 1 ;; esac
	done
}
check "the daemons' root holds only the test mounts" ns_clean
# processes inside the namespace are started with nsenter directly, so $! is their pid
NS="nsenter -t $ANCHOR -m -r -w"

$NS /bin/hvemu /dev/vmbus /run/ctl.sock > "$T/hvemu.log" 2>&1 &
echo $! >> "$T/pids"
wait_until 10000 test -S "$R/run/ctl.sock" || { not_ok "hvemu started"; done_testing; exit 1; }
ctl() { "$HVEMU" --ctl "$R/run/ctl.sock" "$1"; }
registered() { ctl state | grep -q "opened=1 registered=1"; }
closed() { ctl state | grep -q "opened=0"; }

# is_frozen MNT: a write from outside blocks (state D) -> frozen
start_writer() {
	sh -c "echo data > '$1/w'; echo done > '$T/w.done'" &
	WRITER=$!
}
writer_blocked() {
	rm -f "$T/w.done"
	start_writer "$1"
	wait_until 2000 sh -c "[ \"\$(awk '{print \$3}' /proc/$WRITER/stat 2>/dev/null)\" = D ]" && [ ! -e "$T/w.done" ]
}
writer_released() {
	wait_until 5000 test -e "$T/w.done" && wait "$WRITER"
	WRITER=
}
not_frozen() {
	rm -f "$T/w.done"
	start_writer "$1"
	writer_released
}

# request OP: sends it, prints the reply bytes (hex)
request() {
	ns_clean || { echo "refused"; return 1; }
	ctl "op $1 ${2:-30000}"
}

if [ -n "$HVD" ]; then
	$NS /bin/hv_vss_daemon -n > "$T/hvd.log" 2>&1 &
	HVP=$!
	echo $HVP >> "$T/pids"
	check "hv_vss_daemon registered through the emulator (REGISTER1 handshake)" wait_until 10000 registered
	r_freeze=$(request 5)
	check "hv_vss_daemon answered FREEZE with HV_S_OK ($r_freeze)" test "$r_freeze" = "reply 000000000000000000000000"
	check "after hv_vss_daemon's FREEZE the zram filesystem blocks writes" writer_blocked "$R/mnt/z"
	r_thaw=$(request 6)
	check "hv_vss_daemon answered THAW ($r_thaw)" test "$r_thaw" = "reply 000000000000000000000000"
	check "after THAW the blocked write completes" writer_released
	check "hv_vss_daemon left the loop filesystem alone" not_frozen "$R/mnt/l"
	r_hot=$(request 2)
	check "hv_vss_daemon answered HOT_BACKUP ($r_hot)" test "$r_hot" = "reply 000000000000000000000000"
	stop_pids "$HVP"
	check "the emulator saw hv_vss_daemon close the device" wait_until 5000 closed
else
	skip_case "hv_vss_daemon not installed (hyperv-daemons): emulator not validated"
	r_freeze="reply 000000000000000000000000" r_thaw=$r_freeze r_hot=$r_freeze
fi

mkdir -p "$R/etc/hooks"
cat > "$R/etc/vssd.conf" <<EOC
[vssd]
socket = /run/vssd.sock
state_dir = /run/vssd
[freeze]
include = /mnt/*
hooks_dir = /etc/hooks
timeout = 30s
[hyperv]
enable = yes
device = /dev/vmbus/hv_vss
EOC
$NS /bin/vssd -f -c /etc/vssd.conf > "$T/vssd.log" 2>&1 &
VP=$!
echo $VP >> "$T/pids"
check "vssd registered through the emulator" wait_until 10000 registered
v_freeze=$(request 5)
check "vssd's FREEZE reply is byte-identical to hv_vss_daemon's ($v_freeze)" test "$v_freeze" = "$r_freeze"
check "after vssd's FREEZE the zram filesystem blocks writes" writer_blocked "$R/mnt/z"
v_thaw=$(request 6)
check "vssd's THAW reply is byte-identical ($v_thaw)" test "$v_thaw" = "$r_thaw"
check "after THAW the blocked write completes" writer_released
check "vssd left the loop filesystem alone (skip_loop)" not_frozen "$R/mnt/l"
v_hot=$(request 2)
check "vssd's HOT_BACKUP reply is byte-identical ($v_hot)" test "$v_hot" = "$r_hot"

# the kernel gives up on a transaction (its deadline): the late reply gets
# EINVAL; vssd must thaw, reopen and register again
cat > "$R/etc/hooks/10-slow" <<'EOH'
#!/bin/sh
[ "$1" = freeze ] && sleep 1
exit 0
EOH
chmod +x "$R/etc/hooks/10-slow"
v_late=$(request 5 300)
check "a FREEZE the emulator abandoned after 300 ms times out ($v_late)" test "$v_late" = "timeout"
check "vssd's late reply was refused (EINVAL) and it reopened the device" \
	wait_until 10000 grep -q "reply to op 5 failed: Invalid argument; reopening" "$T/vssd.log"
check "vssd thawed what it had frozen" not_frozen "$R/mnt/z"
check "vssd registered again" wait_until 15000 registered
rm "$R/etc/hooks/10-slow"
v_again=$(request 5)
check "FREEZE works after the reopen ($v_again)" test "$v_again" = "$r_freeze"
v_again=$(request 6)
check "THAW works after the reopen ($v_again)" test "$v_again" = "$r_thaw"

# probe DOC-2: a FREEZE whose freeze hook hangs is parked, vssd answers the local socket meanwhile,
# and a local thaw cancels it: the FREEZE is answered E_FAIL (0x80004005), nothing was frozen
VSSCTL=$top_builddir/vss/vssctl
cat > "$R/etc/hooks/10-hang" <<'EOH'
#!/bin/sh
[ "$1" = freeze ] && { echo $$ > /run/hang.pid; exec sleep 20; }
exit 0
EOH
chmod +x "$R/etc/hooks/10-hang"
request 5 30000 > "$T/parked.out" &
RQ=$!
echo $RQ >> "$T/pids"
check "DOC-2: the hanging freeze hook runs" wait_until 5000 test -s "$R/run/hang.pid"
HP=$(cat "$R/run/hang.pid" 2>/dev/null)
t0=$(date +%s%N)
out=$("$VSSCTL" -s "$R/run/vssd.sock" status 2>&1)
el=$((($(date +%s%N) - t0) / 1000000))
check "DOC-2: vssctl status meanwhile says freezing, running 10-hang, within 1 s (${el} ms)" \
	sh -c 'echo "$1" | grep -q "^freezing: running freeze hook 10-hang" && [ "$2" -le 1000 ]' sh "$out" "$el"
t0=$(date +%s%N)
out=$("$VSSCTL" -s "$R/run/vssd.sock" thaw 2>&1)
rc=$?
el=$((($(date +%s%N) - t0) / 1000000))
check "DOC-2: a local thaw cancels it at once (rc $rc, ${el} ms: $out)" \
	sh -c '[ "$1" -eq 0 ] && [ "$2" -le 1000 ]' sh "$rc" "$el"
wait_until 5000 sh -c "! kill -0 $RQ 2>/dev/null"
check "DOC-2: the parked FREEZE is answered E_FAIL ($(cat "$T/parked.out"))" \
	grep -q "^reply 05400080" "$T/parked.out"
check "DOC-2: the hook was killed" wait_until 3000 sh -c "! kill -0 ${HP:-0} 2>/dev/null"
check "DOC-2: nothing frozen" not_frozen "$R/mnt/z"
rm "$R/etc/hooks/10-hang"
v_again=$(request 5)
check "DOC-2: FREEZE works afterwards ($v_again)" test "$v_again" = "$r_freeze"
v_again=$(request 6)
check "DOC-2: THAW works afterwards ($v_again)" test "$v_again" = "$r_thaw"
stop_pids "$VP"
sed 's/^/# vssd: /' "$T/vssd.log"
done_testing
