# SPDX-License-Identifier: GPL-2.0-or-later
# Guest scenario for tests/integration/host-qemu.sh (sourced by balloon-init):
# speaks the balloon protocol on the virtio-serial port itself (busybox shell),
# so it checks the relay against a real QEMU without the agent. Each step waits
# (bounded) for the balloon the guest really has (/proc/vmstat) to get there,
# then for the host's go-ahead.
port=
for d in /sys/class/virtio-ports/*; do
	[ "$(cat "$d/name" 2>/dev/null)" = org.selfballoon.balloon.0 ] && port=/dev/${d##*/}
done
[ -n "$port" ] || { mark no-port; return; }
exec 3<>"$port"
(while read -r l <&3; do echo "RELAY $l" >/dev/ttyS0; done) &
balloon_kb() { awk '/^balloon_inflate /{i=$2} /^balloon_deflate /{d=$2} END {print (i-d)*4}' /proc/vmstat; }
# wait_balloon KB: up to 30 s for the balloon to hold KB
wait_balloon() {
	_i=0
	while [ "$(balloon_kb)" -ne "$1" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
}
CLAMP_KB=$(sed -n "s/.*sb.clamp_kb=\([0-9]*\).*/\1/p" /proc/cmdline)
step booted $(memfacts)
# touch 512 MiB and free it: without free page reporting QEMU keeps it until a balloon takes it
dd if=/dev/zero of=/dev/shm/fill bs=1M count=512 2>/dev/null
rm -f /dev/shm/fill
sleep 1
step filled $(memfacts)
echo "hello version=1" >&3
echo "balloon seq=1 kb=524288" >&3
wait_balloon 524288
step inflated $(memfacts)
echo "balloon seq=2 kb=1048576" >&3
wait_balloon "$CLAMP_KB"
step clamped $(memfacts)
echo "balloon seq=3 kb=0" >&3
wait_balloon 0
step deflated $(memfacts)
