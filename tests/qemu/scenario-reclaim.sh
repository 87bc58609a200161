# SPDX-License-Identifier: GPL-2.0-or-later
# Guest scenario for tests/integration/reclaim-qemu.sh (sourced by balloon-init):
# 512 MiB of page cache from the data disk, then the agent with driver none (the
# control: nothing reclaims page cache, so free page reporting has nothing to
# return), then with driver reclaim; the host samples QEMU's RSS while the guest
# waits at each step. Last, `selfballoond --once` shows what it reclaimed and
# what free page reporting can return.
# agent DRIVER: starts the agent in the background, quick settings for a short test;
# reserved and min_memory small: the defaults keep 10 % of memory (and the xen
# floor, 128 MiB here) for caches, which would keep 1/4 of the file's cache.
agent() {
	selfballoond -f -o balloon.driver="$1" -o balloon.interval=1s -o balloon.down_hysteresis=2 \
		-o pressure.inflate_rate=25% -o balloon.reserved=32M -o balloon.min_memory=64M \
		2>"/tmp/agent-$1.log" &
	agent_pid=$!
}
stop_agent() {
	kill "$agent_pid"
	wait "$agent_pid"
}
step booted $(memfacts)
cat /mnt/data/big >/dev/null
step filled $(memfacts)
agent none
step control $(memfacts)
stop_agent
agent reclaim
step reclaiming $(memfacts)
stop_agent
mark reclaimed $(memfacts) decisions=$(grep -c decision: /tmp/agent-reclaim.log)
head -5 /tmp/agent-reclaim.log | sed 's/^/AGENT /' >/dev/ttyS0
mark once $(selfballoond --once -o balloon.driver=reclaim -o balloon.reserved=32M 2>/dev/null |
	grep -E '^(driver|reclaim_method|reclaimed_kb|reportable_kb|applied)=' | tr '\n' ' ')
