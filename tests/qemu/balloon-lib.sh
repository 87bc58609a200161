# SPDX-License-Identifier: GPL-2.0-or-later
# The balloon test guest, host side (sourced after tests/integration/lib.sh and
# tests/qemu/kit.sh; also used by bench/density.sh). One QEMU under software
# emulation (TCG), Debian's kernel, a busybox initramfs with virtio_balloon,
# -m 1G by default, a QMP socket, a read-only ext4 data disk holding a sparse
# file, a virtio-serial port org.selfballoon.test.0 for the host's go-ahead
# (bq_go), a second QMP socket $BQ/qmp-relay.sock for a relay (a QMP socket
# serves one client at a time), and a virtio-balloon device whose options the
# caller gives. QEMU's VmRSS is sampled on the host every 200 ms into $BQ/rss
# (ms_since_start rss_kb).
#
#   bq_init                        temp dir $BQ, kernel kit, cleanup trap
#   bq_initramfs SCENARIO BIN...   initramfs with tests/qemu/balloon-init, the
#                                  scenario script (sourced by /init) and BINs
#   bq_disk MIB                    data disk with /mnt/data/big, MIB sparse MiB
#   bq_boot QEMU_ARGS...           starts QEMU (under timeout $BQ_TIMEOUT s)
#   bq_wait_mark NAME MS           waits for "MARK NAME" on the console
#   bq_go                          lets a guest waiting at a step continue
#   bq_mark_field NAME KEY         a value of that mark ("k=v"; the console's CR dropped)
#   bq_rss                         QEMU's VmRSS now, kB
#   bq_qmp CMD [ARGS_JSON]         one QMP command, its return as JSON
#   bq_wait_exit MS                waits for the guest to power off

BQ_MEM=${BQ_MEM:-1G}
BQ_TIMEOUT=${BQ_TIMEOUT:-120}

bq_init() {
	need_cmd qemu-system-x86_64 busybox cpio gzip modinfo dpkg-deb apt-cache python3 mkfs.ext4 timeout socat
	qemu_kit
	BQ=$(mktemp -d /tmp/sb-qemu.XXXXXX)
	BQ_PID= BQ_SAMPLER= BQ_CTL=
	trap bq_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

bq_cleanup() {
	exec 4>&-
	[ -n "$BQ_SAMPLER" ] && kill "$BQ_SAMPLER" 2>/dev/null
	[ -n "$BQ_CTL" ] && kill "$BQ_CTL" 2>/dev/null
	if [ -n "$BQ_PID" ]; then
		kill "$BQ_PID" 2>/dev/null
		wait "$BQ_PID" 2>/dev/null
	fi
	[ -n "${BQ_KEEP:-}" ] && { echo "# kept $BQ"; return; }
	rm -rf "$BQ"
}

bq_initramfs() {
	_scn=$1
	shift
	cp "$_scn" "$BQ/scenario"
	MKINITRAMFS_MODULES=virtio_balloon "$top_srcdir/tests/qemu/mkinitramfs.sh" "$KIT" \
		"$BQ/initrd.gz" "$top_srcdir/tests/qemu/balloon-init" "$BQ/scenario" "$@"
}

bq_disk() {
	mkdir -p "$BQ/disk"
	truncate -s "${1}M" "$BQ/disk/big"
	mkfs.ext4 -q -F -d "$BQ/disk" "$BQ/disk.img" $(($1 + 64))M
	rm -rf "$BQ/disk"
}

# The QEMU command line is written to $BQ/cmd so a result can show it.
bq_boot() {
	rm -f "$BQ/console" "$BQ/qemu.pid" "$BQ/rss"
	set -- timeout -k 5 "$BQ_TIMEOUT" qemu-system-x86_64 -machine pc -accel tcg,tb-size=256 \
		-smp 2 -m "$BQ_MEM" -nodefaults -display none -no-reboot -monitor none \
		-kernel "$KERNEL" -initrd "$BQ/initrd.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4 ${BQ_APPEND:-}" \
		-serial "file:$BQ/console" -pidfile "$BQ/qemu.pid" \
		-qmp "unix:$BQ/qmp.sock,server=on,wait=off" \
		-qmp "unix:$BQ/qmp-relay.sock,server=on,wait=off" \
		-device virtio-serial-pci,id=vser0 \
		-chardev "socket,id=ctl,path=$BQ/ctl.sock,server=on,wait=off" \
		-device virtserialport,bus=vser0.0,chardev=ctl,name=org.selfballoon.test.0 \
		-drive "file=$BQ/disk.img,if=none,id=d0,format=raw,readonly=on" \
		-device virtio-blk-pci,drive=d0 "$@"
	echo "$*" >"$BQ/cmd"
	"$@" &
	BQ_PID=$!
	wait_until 10000 test -s "$BQ/qemu.pid" || return 1
	BQ_QEMU=$(cat "$BQ/qemu.pid")
	BQ_T0=$(date +%s%3N)
	(
		while kill -0 "$BQ_QEMU" 2>/dev/null; do
			_r=$(awk '/^VmRSS:/{print $2}' "/proc/$BQ_QEMU/status" 2>/dev/null)
			[ -n "$_r" ] && echo "$(($(date +%s%3N) - BQ_T0)) $_r"
			sleep 0.2
		done
	) >"$BQ/rss" &
	BQ_SAMPLER=$!
	# the go-ahead channel: a fifo kept open on fd 4, copied to the port by socat
	wait_until 10000 test -S "$BQ/ctl.sock" || return 1
	rm -f "$BQ/ctl.in"
	mkfifo "$BQ/ctl.in"
	socat -u "OPEN:$BQ/ctl.in" "UNIX-CONNECT:$BQ/ctl.sock" &
	BQ_CTL=$!
	exec 4>"$BQ/ctl.in"
}

bq_go() {
	echo go >&4
}

bq_wait_mark() {
	WAIT_STEP_MS=100 wait_until "$2" grep -q "^MARK $1 " "$BQ/console"
}

bq_mark_field() {
	sed -n "s/^MARK $1 .*\<$2=\([^ ]*\).*/\1/p" "$BQ/console" | tr -d '\r' | head -1
}

bq_rss() {
	awk '/^VmRSS:/{print $2}' "/proc/$BQ_QEMU/status" 2>/dev/null
}

# bq_rss_falls LABEL START_KB WANT_KB FILL_MIB: one TAP line, ok when QEMU's
# RSS falls from START_KB by WANT_KB (of a FILL_MIB file read in the guest)
# within 30 s of now.
bq__fallen() { [ "$(bq_rss)" -le $((bq__start - bq__want)) ]; }
bq_rss_falls() {
	bq__start=$2 bq__want=$3 _t0=$(date +%s%3N)
	if WAIT_STEP_MS=200 wait_until 30000 bq__fallen; then
		ok "$1: QEMU's RSS fell by $(((bq__start - $(bq_rss)) / 1024)) MiB (>= 75 % of $4 MiB) in $(($(date +%s%3N) - _t0)) ms ($((bq__start / 1024)) -> $(($(bq_rss) / 1024)) MiB)"
	else
		not_ok "$1: QEMU's RSS $((bq__start / 1024)) -> $(($(bq_rss) / 1024)) MiB in 30 s (wanted a fall of $((bq__want / 1024)) MiB)"
	fi
}

bq_qmp() {
	python3 "$top_srcdir/tests/qemu/qmp.py" "$BQ/qmp.sock" "$@"
}

bq_wait_exit() {
	WAIT_STEP_MS=100 wait_until "$1" sh -c "! kill -0 $BQ_PID 2>/dev/null"
}

# bq_step NAME MS: waits up to MS for the guest's mark NAME; else a failed case with the
# console's tail, and the test ends (a later step would only wait for nothing).
bq_step() {
	bq_wait_mark "$1" "$2" && return 0
	not_ok "the guest did not reach '$1'; its console:"
	grep -v '^\[' "$BQ/console" | tail -15 | sed 's/^/# /'
	done_testing
	exit 1
}

# bq_actual_mib: the balloon's "actual" (guest RAM after ballooning) from QMP, in MiB
bq_actual_mib() { bq_qmp query-balloon | sed -n 's/.*"actual": \([0-9]*\).*/\1/p' | awk '{print int($1 / 1048576)}'; }
