#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# selfballoon-host against a real QEMU (TCG, Debian's kernel, 1 GiB guest, no
# deflate-on-oom, no free page reporting): the guest asks for balloons on its
# virtio-serial port org.selfballoon.balloon.0 (tests/qemu/scenario-relay.sh);
# the relay applies them with QMP. Checked from the host at each bq_step while
# the guest waits: query-balloon, the guest's MemTotal, the clamp at --min, the
# relay's replies read in the guest, and QEMU's RSS falling once the balloon
# takes memory the guest had touched.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/qemu/kit.sh"
. "$top_srcdir/tests/qemu/balloon-lib.sh"
need_root
H=$top_builddir/host/selfballoon-host
[ -x "$H" ] || skip_all "build first (host/selfballoon-host)"
bq_init
MIB=1024
MIN_MIB=384
CLAMP_KB=$(((1024 - MIN_MIB) * MIB))

bq_initramfs "$top_srcdir/tests/qemu/scenario-relay.sh" >"$BQ/mkinitramfs.log" 2>&1 ||
	skip_all "cannot build the initramfs: $(tail -1 "$BQ/mkinitramfs.log")"
bq_disk 16
BQ_APPEND="sb.clamp_kb=$CLAMP_KB"
bq_boot -device virtio-balloon-pci,id=balloon0,deflate-on-oom=off,free-page-reporting=off \
	-chardev "socket,id=sb0,path=$BQ/port.sock,server=on,wait=off" \
	-device virtserialport,chardev=sb0,name=org.selfballoon.balloon.0 ||
	skip_all "qemu did not start"
"$H" -v --qmp "$BQ/qmp-relay.sock" --port "$BQ/port.sock" --min ${MIN_MIB}M >"$BQ/relay.log" 2>&1 &
RELAY=$!
trap 'kill $RELAY 2>/dev/null; wait $RELAY 2>/dev/null; bq_cleanup' EXIT

bq_step booted 90000
ok "guest booted ($(bq_mark_field booted up_ms) ms of guest uptime)"
total0=$(bq_mark_field booted memtotal_kb)
bq_go
bq_step filled 40000
rss_full=$(bq_rss)
bq_go
bq_step inflated 40000
a=$(bq_actual_mib)
[ "$a" = 512 ] && ok "a 512 MiB balloon: QMP query-balloon says the guest has 512 MiB" ||
	not_ok "query-balloon actual '$a' MiB after a 512 MiB balloon"
t=$(bq_mark_field inflated memtotal_kb)
[ $((total0 - t)) -eq $((512 * MIB)) ] && ok "the guest's MemTotal fell by 512 MiB ($total0 -> $t kB)" ||
	not_ok "MemTotal $total0 -> $t kB"
rss_low() { [ "$(bq_rss)" -lt $((rss_full - 400 * MIB)) ]; }
if WAIT_STEP_MS=200 wait_until 15000 rss_low; then
	ok "QEMU's RSS fell by more than 400 MiB ($((rss_full / MIB)) -> $(($(bq_rss) / MIB)) MiB)"
else
	not_ok "QEMU's RSS $((rss_full / MIB)) -> $(($(bq_rss) / MIB)) MiB"
fi
bq_go
bq_step clamped 40000
a=$(bq_actual_mib)
[ "$a" = $MIN_MIB ] && ok "a 1 GiB request is clamped: the guest keeps --min ${MIN_MIB} MiB" ||
	not_ok "after the clamp query-balloon says '$a' MiB"
grep -q "^RELAY applied seq=2 kb=$CLAMP_KB limit=floor" "$BQ/console" &&
	ok "the guest read the relay's answer (applied seq=2 ... limit=floor)" ||
	not_ok "no 'applied seq=2' in the guest: $(grep RELAY "$BQ/console" | tr '\n' '|')"
bq_go
bq_step deflated 40000
t=$(bq_mark_field deflated memtotal_kb)
a=$(bq_actual_mib)
[ "$t" -eq "$total0" ] && [ "$a" = 1024 ] && ok "balloon 0: the guest has its 1024 MiB and MemTotal back" ||
	not_ok "after balloon 0: MemTotal $t kB, query-balloon '$a' MiB"
bq_go
grep "selfballoon-host: info: guest asked" "$BQ/relay.log" | sed 's/^/# /'
bq_wait_exit 20000 && ok "the guest powered off" || not_ok "the guest did not power off"
done_testing
