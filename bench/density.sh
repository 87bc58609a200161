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
# DENSITY_TRACE=1 also keeps, per mode, the guest's PSI, MemFree, MemAvailable,
# Committed_AS and balloon every 100 ms with the agent's decisions
# (trace-MODE: TRACE/AGENT lines, guest uptime), the relay's log (relay-MODE.log,
# host ms since QEMU started, the clock of rss-MODE) and the host ms at which
# the guest's first mark appeared (start-MODE); the directory is printed. The
# sampler costs the guest some CPU: traced numbers are not the table's.
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
[ -n "${DENSITY_TRACE:-}" ] && BQ_KEEP=1

# stamp: each line prefixed with host ms since QEMU started (the rss samples' clock)
stamp() { while IFS= read -r l; do echo "$(($(date +%s%3N) - BQ_T0)) $l"; done; }

run() {
	mode=$1
	case $mode in
	none) dev=free-page-reporting=off,deflate-on-oom=off ;;
	host) dev=free-page-reporting=on,deflate-on-oom=on ;;
	*) dev=free-page-reporting=on,deflate-on-oom=off ;;
	esac
	BQ_APPEND="sb.mode=$mode${DENSITY_TRACE:+ sb.trace=1}"
	bq_boot -device "virtio-balloon-pci,id=balloon0,$dev" \
		-chardev "socket,id=sb0,path=$BQ/port.sock,server=on,wait=off" \
		-device virtserialport,chardev=sb0,name=org.selfballoon.balloon.0 || return 1
	if [ "$mode" = host ]; then
		rm -f "$BQ/relay.pid"
		sh -c 'echo $$ >"$1"; shift; exec "$@" 2>&1 >/dev/null' sh "$BQ/relay.pid" \
			$H ${DENSITY_TRACE:+-v} --qmp "$BQ/qmp-relay.sock" --port "$BQ/port.sock" --min 256M |
			stamp >"$BQ/relay-$mode.log" &
		wait_until 5000 test -s "$BQ/relay.pid" && RELAY=$(cat "$BQ/relay.pid")
	fi
	[ -n "${DENSITY_TRACE:-}" ] && bq_wait_mark start 60000 && echo "$(($(date +%s%3N) - BQ_T0))" >"$BQ/start-$mode"
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
	grep -a '^TRACE \|^AGENT \|^MARK ' "$BQ/console" | tr -d '\r' >"$BQ/trace-$mode"
}

echo "| set-up | RSS integral (GiB x s) | peak (MiB) | last (MiB) | PSI some (% of run) | PSI full (% of run) | OOM kills | run (s) |"
echo "|---|---|---|---|---|---|---|---|"
for m in ${*:-none fpr reclaim host}; do
	run "$m"
done
[ -n "${DENSITY_TRACE:-}" ] && echo "traces in $BQ"
