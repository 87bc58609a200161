#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end with a real guest under software emulation (no KVM needed):
# qemu-system-x86_64 boots Debian's kernel (the linux-image package unpacked
# with dpkg-deb, not installed) with an initramfs holding busybox, the virtio
# and ext4 modules and vssd; the guest has a virtio disk with ext4 and a
# virtio-serial port. From the host, `vssctl --qga SOCK backup -- CMD` runs a
# CMD that checks the guest writer is stopped and copies the disk image (the
# "snapshot"); after the thaw the writer resumes; the copy is a clean ext4.
# Then a second, independent client (tests/qemu/qga-client.py) drives the
# same guest. Nothing of this machine is frozen: the guest freezes its own
# disk image.
. "$top_srcdir/tests/integration/lib.sh"
need_root
need_cmd qemu-system-x86_64 busybox cpio gzip modinfo dpkg-deb apt-get python3 mkfs.ext4 e2fsck
VSSD=$top_builddir/vss/vssd
VSSCTL=$top_builddir/vss/vssctl
[ -x "$VSSD" ] || skip_all "vssd not built"

cache=$top_builddir/tests/qemu/cache
mkdir -p "$cache"
kdeb=$(ls "$cache"/linux-image-*.deb 2>/dev/null | head -1)
if [ -z "$kdeb" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
	[ -n "$kpkg" ] || skip_all "cannot resolve linux-image-amd64 (run apt-get update)"
	(cd "$cache" && apt-get download "$kpkg" >/dev/null 2>&1) || skip_all "cannot download $kpkg"
	kdeb=$(ls "$cache"/linux-image-*.deb | head -1)
fi

T=$(mktemp -d /tmp/vssqemu.XXXXXX)
QP=
cleanup() {
	[ -n "$QP" ] && kill "$QP" 2>/dev/null && wait "$QP" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

dpkg-deb -x "$kdeb" "$T/kernel"
check "initramfs built (busybox, modules, vssd)" \
	"$top_srcdir/tests/qemu/mkinitramfs.sh" "$T/kernel" "$T/initrd.gz" "$top_srcdir/tests/qemu/guest-init" "$VSSD"
truncate -s 64M "$T/disk.img"
mkfs.ext4 -q -F "$T/disk.img"

qemu-system-x86_64 -machine pc -accel tcg -m 512 -smp 1 -display none -no-reboot \
	-kernel "$T/kernel/boot/vmlinuz-"* -initrd "$T/initrd.gz" \
	-append "console=ttyS0 panic=-1 loglevel=3" \
	-serial "file:$T/console.log" -monitor none \
	-device virtio-serial-pci \
	-chardev "socket,path=$T/vss.sock,server=on,wait=off,id=vss0" \
	-device virtserialport,chardev=vss0,name=org.selfballoon.vss.0 \
	-drive "file=$T/disk.img,if=virtio,format=raw" &
QP=$!

booted() { grep -q "vssd .* ready" "$T/console.log" 2>/dev/null && grep -q GUEST-TICK "$T/console.log"; }
t0=$(date +%s)
if wait_until 180000 booted; then
	ok "guest booted and vssd is ready in $(( $(date +%s) - t0 )) s"
else
	not_ok "guest did not become ready; console:"
	tail -30 "$T/console.log" | sed 's/^/# /'
	done_testing
	exit 1
fi
grep -q "serving the guest agent protocol on /dev/vport" "$T/console.log" &&
	ok "vssd found the port through /sys/class/virtio-ports (no udev in the guest)" ||
	{ not_ok "vssd did not serve the virtio port"; grep -v GUEST-TICK "$T/console.log" | tail -20 | sed "s/^/# /"; }

ticks() { grep -c GUEST-TICK "$T/console.log"; }
cat > "$T/snapshot.sh" <<EOS
#!/bin/sh
# the host's snapshot command: the guest writer must not progress while frozen
n1=\$(grep -c GUEST-TICK $T/console.log)
cp --sparse=always $T/disk.img $T/snap.img
sleep 2
n2=\$(grep -c GUEST-TICK $T/console.log)
echo "snapshot: guest ticks \$n1 before, \$n2 two seconds later"
[ "\$n1" = "\$n2" ]
EOS
chmod +x "$T/snapshot.sh"

out=$("$VSSCTL" --qga "$T/vss.sock" backup /mnt/data -- "$T/snapshot.sh" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc -eq 0 ] && ok "vssctl --qga backup: froze, ran CMD (writer stopped), thawed" ||
	not_ok "vssctl --qga backup exited $rc"
echo "$out" | grep -Eq "frozen for [0-9]+ ms$" && ok "the guest's vssd reported the frozen time" ||
	not_ok "no frozen time from the guest's vssd"
after=$(ticks)
wait_until 30000 sh -c "[ \$(grep -c GUEST-TICK $T/console.log) -gt $after ]" &&
	ok "the guest writer resumed after the thaw" || not_ok "the guest writer did not resume"
e2fsck -fn "$T/snap.img" >/dev/null 2>&1 && ok "the image copied while frozen is a clean ext4" ||
	not_ok "the image copied while frozen is not clean"

st=$("$VSSCTL" --qga "$T/vss.sock" status 2>&1)
echo "$st" | sed 's/^/# /'
echo "$st" | grep -q "^state: thawed" && ok "vssctl --qga status: thawed" || not_ok "status after backup"

if python3 "$top_srcdir/tests/qemu/qga-client.py" "$T/vss.sock" /mnt/data > "$T/client.log" 2>&1; then
	ok "an independent QGA client (qga-client.py) froze, checked and thawed the guest"
else
	not_ok "qga-client.py failed"
fi
sed 's/^/# /' "$T/client.log"
done_testing
