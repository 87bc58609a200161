#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# selfballoond driver = host with selfballoon-host against a real QEMU (TCG,
# Debian's kernel, 1 GiB guest, deflate-on-oom, no free page reporting): the
# agent in the guest asks for its balloon on the virtio-serial port; the relay
# applies it with QMP. Checked from the host while the guest waits: the relay
# applied the agent's request as asked and query-balloon shows it; a request
# that would leave the guest less than --min is clamped there; a 400 MiB burst
# in the guest gets memory back from the balloon with no OOM kill. The guest's
# side is tests/qemu/scenario-agent-host.sh.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/qemu/kit.sh"
. "$top_srcdir/tests/qemu/balloon-lib.sh"
need_root
H=$top_builddir/host/selfballoon-host
A=$top_builddir/agent/selfballoond
[ -x "$H" ] && [ -x "$A" ] || skip_all "build first (host/selfballoon-host, agent/selfballoond)"
bq_init
MIN_MIB=384

bq_initramfs "$top_srcdir/tests/qemu/scenario-agent-host.sh" "$A" >"$BQ/mkinitramfs.log" 2>&1 ||
	skip_all "cannot build the initramfs: $(tail -1 "$BQ/mkinitramfs.log")"
bq_disk 16
bq_boot -device virtio-balloon-pci,id=balloon0,deflate-on-oom=on,free-page-reporting=off \
	-chardev "socket,id=sb0,path=$BQ/port.sock,server=on,wait=off" \
	-device virtserialport,chardev=sb0,name=org.selfballoon.balloon.0 ||
	skip_all "qemu did not start"
"$H" -v --qmp "$BQ/qmp-relay.sock" --port "$BQ/port.sock" --min ${MIN_MIB}M --interval 500ms \
	>"$BQ/relay.log" 2>&1 &
RELAY=$!
trap 'kill $RELAY 2>/dev/null; wait $RELAY 2>/dev/null; bq_cleanup' EXIT

# the relay's last "applied N MiB" line, and the guest size it left
last_applied() { grep 'guest asked for' "$BQ/relay.log" | tail -1; }
bq_step booted 90000
ok "guest booted ($(bq_mark_field booted up_ms) ms of guest uptime)"
bq_go
bq_step asked 40000
l=$(last_applied)
keeps=$(echo "$l" | sed -n 's/.*the guest keeps \([0-9]*\) of.*/\1/p')
a=$(bq_actual_mib)
case $l in
*clamped*) not_ok "min_memory 640M: the relay clamped: $l" ;;
*applied*) [ -n "$keeps" ] && [ "$a" = "$keeps" ] &&
	ok "the relay applied the agent's request as asked and query-balloon shows it (the guest keeps $a MiB)" ||
	not_ok "relay: '$l'; query-balloon actual $a MiB" ;;
*) not_ok "the relay applied nothing: $(tail -3 "$BQ/relay.log" | tr '\n' '|')" ;;
esac
bq_go
bq_step clamped 40000
a=$(bq_actual_mib)
l=$(last_applied)
[ "$a" = $MIN_MIB ] && case $l in *"clamped at the host's floor"*) true ;; *) false ;; esac &&
	ok "min_memory auto: the agent's request is clamped at --min: the guest keeps $a MiB ($l)" ||
	not_ok "after the clamp: query-balloon $a MiB, relay: $l"
b_clamped=$(bq_mark_field clamped balloon_kb)
bq_go
bq_step burst 60000
rc=$(bq_mark_field burst rc)
oom=$(bq_mark_field burst oom_kill)
b=$(bq_mark_field burst balloon_kb)
a=$(bq_actual_mib)
[ "$rc" = 0 ] && [ "$oom" = 0 ] && ok "a 400 MiB burst in a guest left $MIN_MIB MiB completed with no OOM kill" ||
	not_ok "the burst: dd rc $rc, oom_kill $oom"
[ "$b" -lt "$b_clamped" ] && [ "$a" -gt $MIN_MIB ] &&
	ok "the burst got memory back from the balloon (balloon $((b_clamped / 1024)) -> $((b / 1024)) MiB; query-balloon $a MiB)" ||
	not_ok "no memory back: balloon $b_clamped -> $b kB, query-balloon $a MiB"
bq_go
bq_wait_exit 20000 && ok "the guest powered off" || not_ok "the guest did not power off"
grep '^AGENT ' "$BQ/console" | sed 's/^/# /'
grep "selfballoon-host: info: guest asked" "$BQ/relay.log" | tail -8 | sed 's/^/# /'
done_testing
