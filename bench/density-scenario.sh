# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of bench/density.sh (sourced by tests/qemu/balloon-init): the
# agent as the kernel command line's sb.mode says (none, fpr: no agent;
# reclaim; host), then the phases: idle after boot, a cache-heavy job (read
# the 512 MiB data file), idle (10 s), a 300 MiB burst held 5 s, idle (10 s). The last mark
# has the guest's PSI memory stall totals and OOM kills.
MODE=$(sed -n 's/.*sb\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
QUICK="-o balloon.interval=1s -o balloon.down_hysteresis=2 -o pressure.inflate_rate=25% -o pressure.cooldown=10s"
grep -q 'sb\.trace=1' /proc/cmdline && QUICK="$QUICK -v"
case $MODE in
reclaim | host) selfballoond -f -o balloon.driver="$MODE" $QUICK 2>/tmp/agent.log & ;;
esac
psi() { awk -v k="$1" '$1 == k { sub("total=", "", $5); print $5 }' /proc/pressure/memory 2>/dev/null; }
# sb.trace=1 (DENSITY_TRACE=1 on the host): every 100 ms "uptime some_us full_us MemFree
# MemAvailable Committed_AS balloon_kb pgscan_direct", shown after the last mark with the
# agent's decisions (it then logs each one)
TRACE=
if grep -q 'sb\.trace=1' /proc/cmdline; then
	while :; do
		read -r up _ </proc/uptime
		echo "$up $(awk '{sub("total=", "", $5); printf "%s ", $5}' /proc/pressure/memory)" \
			"$(awk '/^MemFree:|^MemAvailable:|^Committed_AS:/{printf "%s ", $2}' /proc/meminfo)" \
			"$(awk '/^balloon_inflate /{i=$2} /^balloon_deflate /{d=$2} /^pgscan_direct /{p=$2}
				END {print (i - d) * 4, p}' /proc/vmstat)"
		sleep 0.1
	done >/tmp/trace &
	TRACE=$!
fi
mark start mode=$MODE
sleep 5
cat /mnt/data/big >/dev/null
mark cache $(memfacts)
sleep 10
[ -n "$TRACE" ] && mark burststart
sb-memhog 300 0 0 5000 >/dev/null
mark burst $(memfacts)
sleep 10
mark stall psi_some_us=$(psi some) psi_full_us=$(psi full)
if [ -n "$TRACE" ]; then
	kill "$TRACE"
	sed 's/^/TRACE /' /tmp/trace >/dev/ttyS0
	sed 's/^/AGENT /' /tmp/agent.log >/dev/ttyS0 2>/dev/null
fi
