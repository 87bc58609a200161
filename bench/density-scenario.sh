# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of bench/density.sh (sourced by tests/qemu/balloon-init): the
# agent as the kernel command line's sb.mode says (none, fpr: no agent;
# reclaim; host), then the phases: idle after boot, a cache-heavy job (read
# the 512 MiB data file), idle (10 s), a 300 MiB burst held 5 s, idle (10 s). The last mark
# has the guest's PSI memory stall totals and OOM kills.
MODE=$(sed -n 's/.*sb\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
QUICK="-o balloon.interval=1s -o balloon.down_hysteresis=2 -o pressure.inflate_rate=25% -o pressure.cooldown=10s"
case $MODE in
reclaim | host) selfballoond -f -o balloon.driver="$MODE" $QUICK 2>/tmp/agent.log & ;;
esac
psi() { awk -v k="$1" '$1 == k { sub("total=", "", $5); print $5 }' /proc/pressure/memory 2>/dev/null; }
mark start mode=$MODE
sleep 5
cat /mnt/data/big >/dev/null
mark cache $(memfacts)
sleep 10
sb-memhog 300 0 0 5000 >/dev/null
mark burst $(memfacts)
sleep 10
mark stall psi_some_us=$(psi some) psi_full_us=$(psi full)
