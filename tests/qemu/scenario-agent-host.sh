# SPDX-License-Identifier: GPL-2.0-or-later
# Guest scenario for tests/integration/agent-host-qemu.sh (sourced by
# balloon-init): selfballoond with driver = host asks the host's relay for its
# balloon over the virtio-serial port org.selfballoon.balloon.0. First with
# min_memory = 640M (a request the relay applies as asked), then, after a
# SIGHUP, with min_memory = auto (a request below the relay's --min: clamped),
# then a 400 MiB burst in /dev/shm that needs memory back from the balloon.
# Each step waits (bounded) for the balloon to hold still, then for the host.
conf() {
	printf '[balloon]\ndriver = host\ninterval = 1s\ndown_hysteresis = 2\nmin_memory = %s\n' "$1" >/tmp/sb.conf
	printf '[pressure]\ninflate_rate = 50%%\ncooldown = 5s\n' >>/tmp/sb.conf
}
balloon_kb() { awk '/^balloon_inflate /{i=$2} /^balloon_deflate /{d=$2} END {print (i-d)*4}' /proc/vmstat; }
# settle: up to 30 s until the balloon is not 0 and has not moved for 2 s
settle() {
	_i=0 _same=0 _last=-1
	while [ $_i -lt 150 ] && [ $_same -lt 10 ]; do
		sleep 0.2
		_b=$(balloon_kb)
		if [ "$_b" -eq "$_last" ] && [ "$_b" -gt 0 ]; then _same=$((_same + 1)); else _same=0; fi
		_last=$_b
		_i=$((_i + 1))
	done
}
step booted $(memfacts)
conf 640M
selfballoond -f -c /tmp/sb.conf 2>/tmp/agent.log &
agent_pid=$!
settle
step asked $(memfacts)
conf auto
kill -HUP $agent_pid
settle
step clamped $(memfacts)
dd if=/dev/zero of=/dev/shm/burst bs=1M count=400 2>/dev/null
rc=$?
sleep 2
step burst rc=$rc $(memfacts)
rm -f /dev/shm/burst
kill $agent_pid
wait $agent_pid
head -6 /tmp/agent.log | sed 's/^/AGENT /' >/dev/ttyS0
