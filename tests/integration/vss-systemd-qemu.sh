#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vssd under a real systemd, with its real unit: qemu-system-x86_64 (TCG, no KVM
# needed) boots Debian's kernel with a Debian 12 root filesystem holding systemd
# (tests/qemu/rootfs.sh: debootstrap once, cached), and this build installed in
# it by `make install` (the unit as packaging installs it; a drop-in only clears
# its host-channel condition, as README says for local use). Inside
# (tests/qemu/vss-systemd-guest.sh): loop filesystems on files of other loop
# filesystems; `systemctl stop vssd` while frozen, and while vssd waits in
# FIFREEZE until the watchdog's timeout; SIGKILL of vssd alone while frozen.
# Ground truth from fsfreeze and blocked writers: the stop never kills the
# watchdog, everything is thawed within the freeze timeout, the stop completes,
# ExecStopPost runs, vssd starts again and freezes. Nothing of this machine is
# frozen: the guest freezes its own loop devices.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/qemu/kit.sh"
. "$top_srcdir/tests/qemu/rootfs.sh"
need_root
need_cmd qemu-system-x86_64 busybox cpio gzip modinfo dpkg-deb apt-get mkfs.ext4 make sha256sum
[ -x "$top_builddir/vss/vssd" ] || skip_all "vssd not built"
qemu_kit
qemu_rootfs
if [ "$ROOTFS_BUILD_S" -gt 0 ]; then
	ok "Debian $ROOTFS_SUITE root filesystem with systemd built in $ROOTFS_BUILD_S s ($(basename "$ROOTFS"))"
else
	ok "Debian $ROOTFS_SUITE root filesystem with systemd: cached $(basename "$ROOTFS")"
fi

T=$(mktemp -d /tmp/vss-systemd.XXXXXX)
QP=
cleanup() {
	[ -n "$QP" ] && kill "$QP" 2>/dev/null && wait "$QP" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# the payload: this build as `make install` puts it, in the guest's merged /usr
P=$T/p/payload
if ! env -u MAKEFLAGS -u MFLAGS make -C "$top_builddir" install DESTDIR="$P" >"$T/install.log" 2>&1; then
	not_ok "make install failed: $(tail -3 "$T/install.log")"
	done_testing
	exit 1
fi
unit=$(find "$P" -name vssd.service | head -1)
[ -n "$unit" ] || skip_all "this build installs no systemd unit (configure found no systemd)"
for d in bin sbin lib; do
	[ -d "$P/$d" ] || continue
	mkdir -p "$P/usr/$d" && cp -a "$P/$d/." "$P/usr/$d/" && rm -rf "${P:?}/$d"
done
conf=$P$("$top_builddir/vss/vssd" --help | sed -n 's/.*(default \(\/[^)]*\.conf\)).*/\1/p')
sed -i -e 's/^timeout = .*/timeout = 20s/' -e 's/^skip_loop = .*/skip_loop = no/' \
	-e 's|^include =.*|include = /mnt/a /mnt/b /mnt/c /mnt/d|' "$conf"
mkdir -p "$P/etc/systemd/system/vssd.service.d" "$P/etc/systemd/system/multi-user.target.wants" \
	"$P/usr/local/sbin"
printf '[Unit]\nConditionPathExists=\n' >"$P/etc/systemd/system/vssd.service.d/local.conf"
install -m 755 "$top_srcdir/tests/qemu/vss-systemd-guest.sh" "$P/usr/local/sbin/vss-systemd-guest"
printf '[Unit]\nAfter=multi-user.target\n[Service]\nType=oneshot\nTimeoutStartSec=10min\nExecStart=/usr/local/sbin/vss-systemd-guest\n' \
	>"$P/etc/systemd/system/vss-systemd-guest.service"
ln -s ../vss-systemd-guest.service "$P/etc/systemd/system/multi-user.target.wants/"

# busybox initramfs (modules, systemd-init) with the payload appended as a second archive
if ! MKINITRAMFS_MODULES="loop overlay" "$top_srcdir/tests/qemu/mkinitramfs.sh" "$KIT" \
	"$T/initrd.gz" "$top_srcdir/tests/qemu/systemd-init" >"$T/initrd.log" 2>&1 ||
	! (cd "$T/p" && find . | cpio -o -H newc --quiet | gzip -1 >>"$T/initrd.gz"); then
	not_ok "initramfs not built: $(tail -3 "$T/initrd.log")"
	done_testing
	exit 1
fi

t0=$(date +%s)
qemu-system-x86_64 -machine pc -accel tcg -m 768 -smp 1 -display none -vga none -nic none \
	-no-reboot -kernel "$KERNEL" -initrd "$T/initrd.gz" \
	-append "console=ttyS0 panic=-1 loglevel=3 systemd.show_status=0" \
	-serial "file:$T/console.log" -monitor none \
	-drive "file=$ROOTFS,if=virtio,format=raw,snapshot=on" &
QP=$!
WAIT_STEP_MS=500
console() { tr -d '\r' <"$T/console.log" 2>/dev/null; }
seen() { console | grep -q "^VSSTEST $1"; }
if wait_until 180000 seen begin; then
	ok "guest booted under systemd to the test in $(($(date +%s) - t0)) s"
else
	not_ok "the guest test did not start within 180 s; console:"
	console | tail -30 | sed 's/^/# /'
	done_testing
	exit 1
fi
wait_until 240000 seen end || not_ok "the guest test did not finish within 240 s"
# the guest's lines as TAP cases: "ok WHAT", "not ok WHAT", "skip WHY", "# NOTE"
console | sed -n 's/^VSSTEST //p' >"$T/results"
n=0
while IFS= read -r l; do
	case $l in
	"ok "*) ok "${l#ok }" ;;
	"not ok "*) not_ok "${l#not ok }" ;;
	"skip "*) skip_case "${l#skip }" ;;
	"#"*) echo "$l" ;;
	*) continue ;;
	esac
	n=$((n + 1))
done <"$T/results"
[ "$n" -gt 0 ] || { not_ok "no result from the guest; console:"; console | tail -40 | sed 's/^/# /'; }
if wait_until 60000 sh -c "! kill -0 $QP 2>/dev/null"; then
	ok "the guest powered off; $(($(date +%s) - t0)) s from boot to power-off"
	QP=
else
	not_ok "the guest did not power off"
fi
done_testing
