# tests/qemu: the end-to-end test with a real guest under QEMU (software emulation).
TESTS += tests/integration/vss-qemu.sh
EXTRA_DIST += tests/integration/vss-qemu.sh tests/qemu/mkinitramfs.sh tests/qemu/guest-init \
	tests/qemu/qga-client.py
