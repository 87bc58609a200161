#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# selfballoond driver = host with [host] reclaim = auto (the default) and
# selfballoon-host --min 384M against a real QEMU (TCG, Debian's kernel, 1 GiB
# guest, virtio-balloon with free page reporting and deflate-on-oom): after the
# guest reads 512 MiB of a file, QEMU's RSS (sampled on the host) must fall by
# at least 75 % of it within 30 s of the agent's start. The host's floor keeps
# the balloon from taking more than 640 MiB, so a balloon alone (reclaim =
# off, the driver before trimming) leaves the guest 384 MiB, most of it the
# file's cache, and QEMU's RSS falls by about 300 MiB; trimming brings the
# guest's footprint down by memory.reclaim under that floor and free page
# reporting returns the cache. The guest's side is
# tests/qemu/scenario-agent-host-reclaim.sh.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/qemu/kit.sh"
. "$top_srcdir/tests/qemu/balloon-lib.sh"
need_root
H=$top_builddir/host/selfballoon-host
A=$top_builddir/agent/selfballoond
[ -x "$H" ] && [ -x "$A" ] || skip_all "build first (host/selfballoon-host, agent/selfballoond)"
bq_init
MIB=1024
FILL_MIB=512
WANT_KB=$((FILL_MIB * MIB * 3 / 4))
MIN_MIB=384

bq_initramfs "$top_srcdir/tests/qemu/scenario-agent-host-reclaim.sh" "$A" >"$BQ/mkinitramfs.log" 2>&1 ||
	skip_all "cannot build the initramfs: $(tail -1 "$BQ/mkinitramfs.log")"
bq_disk $FILL_MIB
bq_boot -device virtio-balloon-pci,id=balloon0,deflate-on-oom=on,free-page-reporting=on \
	-chardev "socket,id=sb0,path=$BQ/port.sock,server=on,wait=off" \
	-device virtserialport,chardev=sb0,name=org.selfballoon.balloon.0 ||
	skip_all "qemu did not start"
"$H" -v --qmp "$BQ/qmp-relay.sock" --port "$BQ/port.sock" --min ${MIN_MIB}M --interval 500ms \
	>"$BQ/relay.log" 2>&1 &
RELAY=$!
trap 'kill $RELAY 2>/dev/null; wait $RELAY 2>/dev/null; bq_cleanup' EXIT

bq_step booted 90000
ok "guest booted ($(bq_mark_field booted up_ms) ms of guest uptime)"
bq_go
bq_step filled 40000
cached=$(bq_mark_field filled cached_kb)
[ "$cached" -ge $((FILL_MIB * MIB * 9 / 10)) ] && ok "the guest read the file: Cached $((cached / MIB)) MiB" ||
	not_ok "Cached is only $cached kB after reading $FILL_MIB MiB"
rss_start=$(bq_rss)
bq_go
bq_step trimming 20000
bq_rss_falls "driver host, reclaim auto" "$rss_start" "$WANT_KB" "$FILL_MIB"
bq_go
bq_wait_exit 20000 && ok "the guest powered off" || not_ok "the guest did not power off"
grep '^AGENT ' "$BQ/console" | sed 's/^/# /'
grep -q '^AGENT .*host: trimming the footprint' "$BQ/console" &&
	ok "the agent said it trims by memory.reclaim" || not_ok "the agent did not say it trims"
grep "selfballoon-host: info: guest asked" "$BQ/relay.log" | tail -4 | sed 's/^/# /'
done_testing
