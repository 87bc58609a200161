# SPDX-License-Identifier: GPL-2.0-or-later
# Guest scenario for tests/integration/agent-host-reclaim-qemu.sh (sourced by
# balloon-init): 512 MiB of page cache from the data disk, then selfballoond
# with driver = host and [host] reclaim = auto on a guest whose virtio balloon
# offers free page reporting: it trims the footprint by memory.reclaim (free
# page reporting hands the cache back) and asks the relay for a balloon that
# leaves [host] margin above the target. The host samples QEMU's RSS while the
# guest waits. reserved and min_memory small, as in scenario-reclaim.sh.
step booted $(memfacts)
cat /mnt/data/big >/dev/null
step filled $(memfacts)
selfballoond -f -o balloon.driver=host -o balloon.interval=1s -o balloon.down_hysteresis=2 \
	-o pressure.inflate_rate=25% -o balloon.reserved=32M -o balloon.min_memory=64M \
	2>/tmp/agent.log &
agent_pid=$!
step trimming $(memfacts)
kill "$agent_pid"
wait "$agent_pid"
mark trimmed $(memfacts) decisions=$(grep -c decision: /tmp/agent.log)
grep -E 'driver|trimming' /tmp/agent.log | head -6 | sed 's/^/AGENT /' >/dev/ttyS0
