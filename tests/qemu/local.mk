# SPDX-License-Identifier: GPL-2.0-or-later
# tests/qemu: the end-to-end test with a real guest under QEMU (software emulation).
TESTS += tests/integration/vss-qemu.sh
EXTRA_DIST += tests/integration/vss-qemu.sh tests/qemu/mkinitramfs.sh tests/qemu/guest-init \
	tests/qemu/qga-client.py

# host-side transports on one machine: Firecracker handshake, virtio port on a pty, vsock listener
TESTS += tests/integration/vss-hostside.sh
EXTRA_DIST += tests/integration/vss-hostside.sh tests/integration/fake-firecracker.py
