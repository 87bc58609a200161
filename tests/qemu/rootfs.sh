# SPDX-License-Identifier: GPL-2.0-or-later
# A Debian 12 root filesystem with systemd for the QEMU tests that need a real
# PID 1 (sourced after tests/integration/lib.sh): debootstrap --variant=minbase
# from deb.debian.org, made into an ext4 image once and cached beside the kernel
# kit ($top_builddir/tests/qemu/cache/rootfs-<key>.img). The key is a hash of the
# recipe (suite, mirror, packages and this file), so a changed recipe builds a new
# image. Guests boot it read-write with QEMU's snapshot=on: the cached image is
# never written. It holds no kernel modules: the initramfs loads them.

ROOTFS_SUITE=bookworm
ROOTFS_MIRROR=${SELFBALLOON_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# systemd as PID 1; vssd's libraries; the tools the guest tests use
ROOTFS_PACKAGES=systemd,systemd-sysv,libjson-c5,libmount1,libinih1,e2fsprogs,util-linux,procps

# rootfs_tune TREE: a quiet, fast boot on a serial console with no network
rootfs_tune() {
	_s=$1/etc/systemd/system
	# the serial console carries the test's output: no getty there, nor on tty1
	for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer \
		apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
		systemd-timesyncd.service; do
		ln -sf /dev/null "$_s/$u"
	done
	echo vsstest >"$1/etc/hostname"
	: >"$1/etc/machine-id"
	rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*
}

# rootfs_build IMG LOG: debootstrap into a private tree, then the ext4 image
rootfs_build() {
	_tree=$(mktemp -d "$1.tree.XXXXXX") || return 1
	if ! debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" \
		"$ROOTFS_SUITE" "$_tree" "$ROOTFS_MIRROR" >"$2" 2>&1; then
		rm -rf "$_tree"
		return 1
	fi
	rootfs_tune "$_tree"
	mkfs.ext4 -q -F -L root -d "$_tree" "$1" 1G >>"$2" 2>&1
	_rc=$?
	rm -rf "$_tree"
	return $_rc
}

# qemu_rootfs: sets ROOTFS to the cached image, building it if needed (and
# ROOTFS_BUILD_S to the seconds that took, 0 when cached). Skips the whole test,
# with the reason, when the mirror cannot be reached; fails when the build does.
qemu_rootfs() {
	_cache=$top_builddir/tests/qemu/cache
	mkdir -p "$_cache"
	_key=$( (echo "$ROOTFS_SUITE $ROOTFS_MIRROR $ROOTFS_PACKAGES" &&
		cat "$top_srcdir/tests/qemu/rootfs.sh") | sha256sum | cut -c1-12)
	ROOTFS=$_cache/rootfs-$ROOTFS_SUITE-$_key.img
	ROOTFS_BUILD_S=0
	[ -f "$ROOTFS" ] && return 0
	command -v debootstrap >/dev/null || skip_all "needs debootstrap (scripts/deps installs it)"
	_t0=$(date +%s)
	_tmp=$(mktemp "$ROOTFS.XXXXXX")
	if ! rootfs_build "$_tmp" "$_tmp.log"; then
		_why=$(grep -E '^(E|W): ' "$_tmp.log" | tail -1)
		rm -f "$_tmp"
		if grep -qiE 'Failed getting release|Couldn.t download|Failed to fetch|Could not resolve|Connection refused|Network is unreachable' "$_tmp.log"; then
			rm -f "$_tmp.log"
			skip_all "debootstrap cannot reach $ROOTFS_MIRROR: ${_why:-no reason given}"
		fi
		not_ok "root filesystem image not built (debootstrap $ROOTFS_SUITE): ${_why:-see below}"
		tail -15 "$_tmp.log" | sed 's/^/# /'
		rm -f "$_tmp.log"
		done_testing
		exit 1
	fi
	rm -f "$_tmp.log"
	mv -f "$_tmp" "$ROOTFS"
	ROOTFS_BUILD_S=$(($(date +%s) - _t0))
}
