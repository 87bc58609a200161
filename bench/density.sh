#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Density benchmark (issue 8 item 6): one QEMU guest (TCG, 1 GiB, Debian's
# kernel, the balloon test guest of tests/qemu/balloon-lib.sh) runs the same
# phased workload (bench/density-scenario.sh: boot, a 512 MiB cache-heavy job,
# idle, a 300 MiB burst, idle) in four set-ups:
#   none     no agent, no free page reporting (the VMM default)
#   fpr      free page reporting alone
#   reclaim  free page reporting + selfballoond driver = reclaim
#   host     free page reporting + deflate-on-oom + driver = host and
#            selfballoon-host (--min 256M) on the host
# and reports QEMU's RSS integrated over the run (GiB x s, sampled every
# 200 ms on the host), its peak and its last value, the guest's PSI memory
# stall (some/full, share of the run) and OOM kills. Run as root from a built
# tree, under the heavy lock (a quiet machine): bench/density.sh [MODE...]
set -u
cd "$(dirname "$0")/.."
top_srcdir=. top_builddir=.
. tests/integration/lib.sh
. tests/qemu/kit.sh
. tests/qemu/balloon-lib.sh
A=./agent/selfballoond H=./host/selfballoon-host M=./tests/integration/sb-memhog
for b in $A $H $M; do [ -x "$b" ] || { echo "density.sh: build first ($b)" >&2; exit 1; }; done
bq_init
bq_initramfs bench/density-scenario.sh $A $M >"$BQ/mkinitramfs.log" 2>&1 ||
	{ echo "density.sh: initramfs: $(tail -1 "$BQ/mkinitramfs.log")" >&2; exit 1; }
bq_disk 512
RELAY=
trap '[ -n "$RELAY" ] && kill $RELAY 2>/dev/null; bq_cleanup' EXIT

run() {
	mode=$1
	case $mode in
	none) dev=free-page-reporting=off,deflate-on-oom=off ;;
	host) dev=free-page-reporting=on,deflate-on-oom=on ;;
	*) dev=free-page-reporting=on,deflate-on-oom=off ;;
	esac
	BQ_APPEND="sb.mode=$mode"
	bq_boot -device "virtio-balloon-pci,id=balloon0,$dev" \
		-chardev "socket,id=sb0,path=$BQ/port.sock,server=on,wait=off" \
		-device virtserialport,chardev=sb0,name=org.selfballoon.balloon.0 || return 1
	if [ "$mode" = host ]; then
		$H --qmp "$BQ/qmp-relay.sock" --port "$BQ/port.sock" --min 256M >"$BQ/relay-$mode.log" 2>&1 &
		RELAY=$!
	fi
	bq_wait_exit 150000 || echo "density.sh: $mode: the guest did not finish" >&2
	[ -n "$RELAY" ] && { kill $RELAY 2>/dev/null; wait $RELAY 2>/dev/null; RELAY=; }
	sleep 0.3
	some=$(bq_mark_field stall psi_some_us) full=$(bq_mark_field stall psi_full_us)
	oom=$(bq_mark_field end oom_kill)
	# RSS samples "ms kB": integral (trapezoids) in GiB x s, peak and last in MiB, run length
	awk -v mode="$mode" -v some="${some:-}" -v full="${full:-}" -v oom="${oom:-?}" '
		NR > 1 { area += ($1 - pt) * ($2 + pr) / 2 }
		{ pt = $1; pr = $2; if ($2 > peak) peak = $2; last = $2; t = $1 }
		END {
			s = t / 1000
			ps = some == "" ? "n/a" : sprintf("%.2f", some / 10000 / s)
			pf = full == "" ? "n/a" : sprintf("%.2f", full / 10000 / s)
			printf "| %s | %.1f | %d | %d | %s | %s | %s | %.0f |\n", mode,
				area / 1000 / 1048576, peak / 1024, last / 1024, ps, pf, oom, s
		}' "$BQ/rss"
	cp "$BQ/rss" "$BQ/rss-$mode"
	cp "$BQ/console" "$BQ/console-$mode"
}

echo "| set-up | RSS integral (GiB x s) | peak (MiB) | last (MiB) | PSI some (% of run) | PSI full (% of run) | OOM kills | run (s) |"
echo "|---|---|---|---|---|---|---|---|"
for m in ${*:-none fpr reclaim host}; do
	run "$m"
done
