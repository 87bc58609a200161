#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The packages under a real systemd: boots a minimal Debian 12 (debootstrap,
# Debian's kernel and initramfs) with qemu-system-x86_64 (TCG), installs the
# .deb packages there, and runs tests/packaging/vm-guest-test.sh inside:
# vssd started by udev when the virtio port appears, running in its real unit
# sandbox; from this host, `vssctl --qga` freezes and thaws the guest's
# filesystems through that port; SIGKILL of vssd while frozen is undone by
# ExecStopPost and Restart=; selfballoond skipped by its condition, then run
# with it cleared by a drop-in.
# Not part of make check (it downloads about 250 MB once and takes minutes).
# Usage (root): tests/packaging/vm-systemd.sh DEBDIR   (DEBDIR from scripts/packages)
# SB_VM_DIR (default /tmp/sb-vm) caches the debootstrapped tree.
set -eu
debs=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
VSSCTL=${VSSCTL:-$here/../../vss/vssctl}
W=${SB_VM_DIR:-/tmp/sb-vm}
root=$W/root
mkdir -p "$W"
[ "$(id -u)" -eq 0 ] || { echo "vm-systemd.sh: needs root" >&2; exit 77; }
for c in debootstrap qemu-system-x86_64 mkfs.ext4 unshare chroot; do
	command -v "$c" >/dev/null || { echo "vm-systemd.sh: needs $c" >&2; exit 77; }
done

if [ ! -x "$root/lib/systemd/systemd" ]; then
	debootstrap --variant=minbase \
		--include=systemd,systemd-sysv,udev,kmod,e2fsprogs,libmount1,libinih1,libjson-c5,libudev1,procps,util-linux \
		bookworm "$root" http://deb.debian.org/debian >"$W/debootstrap.log" 2>&1
fi
# chroot work happens in a private mount namespace: nothing is mounted on this host
in_root() {
	unshare --mount --propagation private sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" && mount -t sysfs sys "$r/sys"
		exec chroot "$r" "$@"' sh "$root" "$@"
}
if ! ls "$root"/boot/vmlinuz-* >/dev/null 2>&1; then
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		linux-image-amd64 initramfs-tools >"$W/kernel.log" 2>&1
fi

# a fresh copy for this run, with the packages and the guest test installed
run=$(mktemp -d "$W/run.XXXXXX")
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
cp -a "$root" "$run/root"
cp "$debs"/vssd_*.deb "$debs"/selfballoond_*.deb "$run/root/tmp/"
in_root_run() {
	unshare --mount --propagation private sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && exec chroot "$r" "$@"' sh "$run/root" "$@"
}
in_root_run sh -c 'dpkg -i /tmp/vssd_*.deb /tmp/selfballoond_*.deb && rm /tmp/*.deb' >"$run/dpkg.log" 2>&1
install -m 755 "$here/vm-guest-test.sh" "$run/root/usr/local/sbin/vm-guest-test"
printf '[Unit]\nAfter=multi-user.target\n[Service]\nType=oneshot\nTimeoutStartSec=15min\nExecStart=/usr/local/sbin/vm-guest-test\n[Install]\nWantedBy=multi-user.target\n' \
	>"$run/root/etc/systemd/system/vm-guest-test.service"
ln -s /etc/systemd/system/vm-guest-test.service "$run/root/etc/systemd/system/multi-user.target.wants/"
# the serial console is the test's output: no getty there (its vhangup would end the test)
ln -sf /dev/null "$run/root/etc/systemd/system/serial-getty@ttyS0.service"
echo sbvm >"$run/root/etc/hostname"
: >"$run/root/etc/machine-id"
mkfs.ext4 -q -F -L root -d "$run/root" "$run/disk.img" 2G

k=$(ls "$root"/boot/vmlinuz-* | head -1)
i=$(ls "$root"/boot/initrd.img-* | head -1)
qemu-system-x86_64 -machine q35 -accel tcg -m 1024 -smp 2 -display none -no-reboot \
	-kernel "$k" -initrd "$i" -append "root=/dev/vda rw console=ttyS0 systemd.show_status=1" \
	-drive file="$run/disk.img",if=virtio,format=raw \
	-device virtio-serial-pci \
	-chardev socket,id=vss,path="$run/vss.sock",server=on,wait=off \
	-device virtserialport,chardev=vss,name=org.selfballoon.vss.0 \
	-serial file:"$W/console.log" &
qpid=$!

# from the host: wait for vssd to answer through the port, then a backup
n=0
until [ -S "$run/vss.sock" ] && timeout 5 "$VSSCTL" --qga "$run/vss.sock" status >/dev/null 2>&1; do
	n=$((n + 5))
	[ "$n" -lt 400 ] || { echo "vm-systemd.sh: vssd never answered through the virtio port"; exit 1; }
	kill -0 "$qpid" 2>/dev/null || { echo "vm-systemd.sh: qemu exited"; exit 1; }
	sleep 5
done
echo "HOST: vssd answers through the virtio port after about ${n}s"
echo "HOST: \$ vssctl --qga SOCK status"
timeout 30 "$VSSCTL" --qga "$run/vss.sock" status || true
echo "HOST: \$ vssctl --qga SOCK backup -- sh -c '...; sleep 2'"
rc=0
timeout 60 "$VSSCTL" --qga "$run/vss.sock" backup -- sh -c "echo 'HOST: CMD runs while the guest is frozen'; sleep 2" || rc=$?
echo "HOST: backup rc=$rc"

# wait (bounded) for the guest test to power the VM off
n=0
while kill -0 "$qpid" 2>/dev/null && [ "$n" -lt 600 ]; do sleep 2; n=$((n + 2)); done
if kill -0 "$qpid" 2>/dev/null; then echo "HOST: guest did not power off in time"; fi
qpid=
grep 'VMTEST:' "$W/console.log"
! grep -q 'VMTEST: FAIL' "$W/console.log" && grep -q 'VMTEST: end' "$W/console.log"
