#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vssd's memory (vss/memlock.h, vssd(8) "MEMORY"): the code of the frozen window
# (vssd's executable, libc, ld.so, json-c) is locked whole, the rest only as far
# as vssd touches it (libmount is not locked whole: that is what kept the idle
# Pss above qemu-ga's), VmLck stays bounded, every resident page is locked, and
# the memory does not creep up over 100 freeze/thaw cycles. Read from
# /proc/PID/smaps: "lo" in VmFlags is a locked mapping, Rss == Size a wholly
# resident one (smaps' "Locked:" is a Pss, below Rss for a shared library).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs.sh"
fs_require mkfs.ext4 awk
vss_require
fs_enter "$0"

# VmLck counts locked mappings whole, MCL_ONFAULT ones too (~4.4 MB here, before and after)
VMLCK_MAX_KB=${VMLCK_MAX_KB:-6144}
# the first freezes fault in (and lock) the planning path once: libmount's parser, the
# heap for the mount table (~300 kB on 2 filesystems); after that nothing may creep
GROWTH_MAX_KB=${GROWTH_MAX_KB:-512}
CREEP_MAX_KB=${CREEP_MAX_KB:-64}
CYCLES=100

must "setup: two ext4" eval 'fs_make a ext4 && fs_make b ext4'
vss_conf
must "vssd starts and answers guest-ping" vss_start

# mappings PID: one line per accessible file mapping: PERMS SIZE RSS LOCKED(lo|-) PATH
mappings() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { f = ($6 ~ /^\//) && ($2 != "---p"); perms = $2; path = $6; next }
	f && $1 == "Size:" { size = $2 }
	f && $1 == "Rss:" { rss = $2 }
	f && $1 == "VmFlags:" { print perms, size, rss, ($0 ~ / lo( |$)/ ? "lo" : "-"), path }' \
		"/proc/$1/smaps"
}

# whole NAME: every mapping of files whose name starts with NAME is locked and resident whole
whole() {
	mappings "$VSSD_PID" | awk -v n="$1" '
	{ b = $5; sub(/.*\//, "", b) }
	index(b, n) == 1 || $5 == n { seen++; if ($4 != "lo" || $2 != $3) { bad++; print "#   " $0 } }
	END { if (!seen) print "#   no mapping of " n; exit !(seen && !bad) }'
}

# not_whole NAME: some executable mapping of NAME is not wholly resident
not_whole() {
	mappings "$VSSD_PID" | awk -v n="$1" '
	{ b = $5; sub(/.*\//, "", b) }
	index(b, n) == 1 && $1 ~ /x/ { seen++; if ($3 < $2) part++; else print "#   " $0 }
	END { if (!seen) print "#   no executable mapping of " n; exit !(seen && part) }'
}

# every_resident_locked: no mapping of vssd has resident pages that are not locked
every_resident_locked() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $0; next }
	$1 == "Rss:" { rss = $2 }
	$1 == "VmFlags:" && rss > 0 && $0 !~ / lo( |$)/ && m !~ /\[vsyscall\]|\[vvar|\[vdso\]/ {
		print "#   not locked: " m; bad++ }
	END { exit bad > 0 }' "/proc/$VSSD_PID/smaps"
}

status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$VSSD_PID/status"; }
# Pss for the record; the bounds are on Rss: the Pss of a shared library's pages moves
# with whoever else maps it on this machine (by 300 kB between two runs here), the Rss
# only with what vssd itself faults in
rollup_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$VSSD_PID/smaps_rollup"; }

exe=$(readlink "/proc/$VSSD_PID/exe")
check "vssd's executable is locked whole ($exe)" whole "$exe"
check "libc is locked whole" whole libc.so.
check "ld.so is locked whole" whole ld-linux
check "json-c (the reply path) is locked whole" whole libjson-c.so.
check "libmount (not run while frozen) is not locked whole" not_whole libmount.so.
check "every resident page of vssd is locked" every_resident_locked
lck=$(status_kb VmLck)
check "VmLck is bounded: $lck kB <= $VMLCK_MAX_KB kB" [ "${lck:-999999}" -le "$VMLCK_MAX_KB" ]

idle=$(rollup_kb Rss) idle_pss=$(rollup_kb Pss)
fails=0
i=0
while [ "$i" -lt "$CYCLES" ]; do
	qga "$(freeze_list_json "$T/a" "$T/b")" | grep -Eq '"return": *2[^0-9]' || fails=$((fails + 1))
	qga "$THAW" | grep -Eq '"return": *2[^0-9]' || fails=$((fails + 1))
	i=$((i + 1))
	[ "$i" -ne 10 ] || early=$(rollup_kb Rss)
done
check "$CYCLES freeze-list/thaw cycles of 2 filesystems answered ($fails failed)" [ "$fails" -eq 0 ]
check "  ... and nothing is frozen" eval 'fs_thawed "$T/a" && fs_thawed "$T/b"'
after=$(rollup_kb Rss)
echo "# Rss idle $idle kB, after 10 cycles $early kB, after $CYCLES cycles $after kB; Pss $idle_pss kB then $(rollup_kb Pss) kB; VmLck $lck kB then $(status_kb VmLck) kB"
check "Rss after $CYCLES cycles grows at most $GROWTH_MAX_KB kB over idle ($idle -> $after kB)" \
	[ "$((${after:-999999} - ${idle:-0}))" -le "$GROWTH_MAX_KB" ]
check "Rss from cycle 10 to cycle $CYCLES grows at most $CREEP_MAX_KB kB ($early -> $after kB)" \
	[ "$((${after:-999999} - ${early:-0}))" -le "$CREEP_MAX_KB" ]
check "  ... libc and json-c are still locked whole" eval 'whole libc.so. && whole libjson-c.so.'
check "  ... every resident page of vssd is still locked" every_resident_locked
lck=$(status_kb VmLck)
check "  ... VmLck is still bounded: $lck kB <= $VMLCK_MAX_KB kB" [ "${lck:-999999}" -le "$VMLCK_MAX_KB" ]
check "vssd stops cleanly" vss_stop
end_test
