# SPDX-License-Identifier: GPL-2.0-or-later
# The guest kernel for the QEMU tests (sourced after tests/integration/lib.sh):
# Debian's linux-image package, downloaded once into $top_builddir/tests/qemu/cache
# and unpacked there once (the "kit": boot/vmlinuz-* and lib/modules/*), never installed.

# qemu_kernel_deb: sets KDEB to the cached linux-image .deb, downloading it if needed;
# skips the whole test (with the reason) when it cannot be had.
qemu_kernel_deb() {
	_cache=$top_builddir/tests/qemu/cache
	mkdir -p "$_cache"
	KDEB=$(ls "$_cache"/linux-image-*.deb 2>/dev/null | head -1)
	[ -n "$KDEB" ] && return 0
	_kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
	[ -n "$_kpkg" ] || skip_all "cannot resolve linux-image-amd64 (run apt-get update)"
	(cd "$_cache" && apt-get download "$_kpkg" >/dev/null 2>&1) || skip_all "cannot download $_kpkg"
	KDEB=$(ls "$_cache"/linux-image-*.deb | head -1)
}

# qemu_kit: sets KIT to the unpacked kernel tree and KERNEL to its vmlinuz. The tree
# is unpacked into a private directory and renamed into place, so two tests starting
# at once never see half of it.
qemu_kit() {
	qemu_kernel_deb
	KIT=$top_builddir/tests/qemu/cache/kit-$(basename "$KDEB" .deb)
	if [ ! -d "$KIT" ]; then
		_tmp=$(mktemp -d "$KIT.XXXXXX")
		dpkg-deb -x "$KDEB" "$_tmp" || { rm -rf "$_tmp"; skip_all "cannot unpack $KDEB"; }
		mv -T "$_tmp" "$KIT" 2>/dev/null || rm -rf "$_tmp"
	fi
	KERNEL=$(ls "$KIT"/boot/vmlinuz-* 2>/dev/null | head -1)
	[ -n "$KERNEL" ] || skip_all "no vmlinuz in $KDEB"
}
