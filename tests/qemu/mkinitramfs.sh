#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds a small initramfs for the QEMU end-to-end test:
#   mkinitramfs.sh KERNEL_TREE OUT.cpio.gz INIT_SCRIPT BINARY...
# KERNEL_TREE is an unpacked linux-image .deb (dpkg-deb -x); the modules the
# guest needs (virtio-pci, virtio-blk, virtio-console, ext4, and any named in
# $MKINITRAMFS_MODULES, e.g. virtio_balloon) and their dependencies (modinfo -F
# depends) are copied with a load order file. Each
# BINARY is copied to /bin with the shared libraries and loader ldd lists.
# busybox (static) provides the shell and tools.
set -eu
tree=$1 out=$2 init=$3
shift 3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mods=$(ls -d "$tree"/lib/modules/*)
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/mnt" "$root/etc" "$root/lib/modules"

cp "$(command -v busybox)" "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
done

# modules in dependency order
: > "$root/lib/modules/order"
add_module() {
	local f dep
	f=$(find "$mods" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" | head -1)
	[ -n "$f" ] || { echo "mkinitramfs: module $1 not in $mods (built in?)" >&2; return 0; }
	grep -qx "$(basename "$f")" "$root/lib/modules/order" && return 0
	for dep in $(modinfo -F depends "$f" | tr ',' ' '); do
		add_module "$dep"
	done
	case $f in
	*.xz) xz -dc "$f" > "$root/lib/modules/$1.ko" ;;
	*.zst) zstd -qdc "$f" > "$root/lib/modules/$1.ko" ;;
	*) cp "$f" "$root/lib/modules/$1.ko" ;;
	esac
	echo "$1.ko" >> "$root/lib/modules/order"
}
for m in virtio_pci virtio_blk virtio_console crc32c_generic ext4 ${MKINITRAMFS_MODULES:-}; do
	add_module "$m"
done

for b in "$@"; do
	cp -L "$b" "$root/bin/$(basename "$b")"
	for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
done
cp "$init" "$root/init"
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
