#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# selfballoond driver = reclaim against a real QEMU (TCG, Debian's kernel, 1 GiB
# guest, virtio-balloon with free page reporting, no balloon ever inflated):
# after the guest reads 512 MiB of a file, QEMU's RSS (sampled on the host)
# must fall by at least 75 % of it within 30 s of the agent's start, and must
# not fall with driver none (the control, 10 s, same boot). The guest's side
# is tests/qemu/scenario-reclaim.sh (the agent with reserved 32M and
# min_memory 64M: the defaults keep about 1/4 of this file's cache).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/qemu/kit.sh"
. "$top_srcdir/tests/qemu/balloon-lib.sh"
need_root
A=$top_builddir/agent/selfballoond
[ -x "$A" ] || skip_all "build first (agent/selfballoond)"
bq_init
MIB=1024
FILL_MIB=512
WANT_KB=$((FILL_MIB * MIB * 3 / 4))

bq_initramfs "$top_srcdir/tests/qemu/scenario-reclaim.sh" "$A" >"$BQ/mkinitramfs.log" 2>&1 ||
	skip_all "cannot build the initramfs: $(tail -1 "$BQ/mkinitramfs.log")"
bq_disk $FILL_MIB
bq_boot -device virtio-balloon-pci,id=balloon0,deflate-on-oom=off,free-page-reporting=on ||
	skip_all "qemu did not start"

# lowest RSS over the next MS milliseconds (sampled every 200 ms)
min_rss() {
	_end=$(($(date +%s%3N) + $1)) _min=$(bq_rss)
	while [ "$(date +%s%3N)" -lt $_end ]; do
		_r=$(bq_rss)
		[ -n "$_r" ] && [ "$_r" -lt "$_min" ] && _min=$_r
		sleep 0.2
	done
	echo "$_min"
}
bq_step booted 90000
ok "guest booted ($(bq_mark_field booted up_ms) ms of guest uptime)"
bq_go
bq_step filled 40000
rss_full=$(bq_rss)
cached=$(bq_mark_field filled cached_kb)
[ "$cached" -ge $((FILL_MIB * MIB * 9 / 10)) ] && ok "the guest read the file: Cached $((cached / MIB)) MiB, QEMU's RSS $((rss_full / MIB)) MiB" ||
	not_ok "Cached is only $cached kB after reading $FILL_MIB MiB"
bq_go
bq_step control 20000
low=$(min_rss 10000)
[ $((rss_full - low)) -lt $((FILL_MIB * MIB / 4)) ] &&
	ok "control, driver none: QEMU's RSS stays ($((rss_full / MIB)) -> at least $((low / MIB)) MiB over 10 s)" ||
	not_ok "control: RSS fell from $((rss_full / MIB)) to $((low / MIB)) MiB with driver none"
rss_start=$(bq_rss)
bq_go
bq_step reclaiming 20000
bq_rss_falls "driver reclaim" "$rss_start" "$WANT_KB" "$FILL_MIB"
bq_go
bq_step once 30000
grep '^AGENT ' "$BQ/console" | sed 's/^/# /'
once=$(sed -n 's/^MARK once up_ms=[0-9]* //p' "$BQ/console")
echo "# selfballoond --once: $once"
case $once in
*driver=reclaim*reclaim_method=memory.reclaim*) ok "--once reports the reclaim driver's numbers" ;;
*) not_ok "--once said: $once" ;;
esac
bq_wait_exit 20000 && ok "the guest powered off" || not_ok "the guest did not power off"
done_testing
