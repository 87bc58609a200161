#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vssd freeze-list / thaw on real loop filesystems (ext4, xfs, btrfs, an ext4
# nested in the xfs, a bind mount of the ext4, a btrfs subvolume mount), in a
# private mount namespace. Every "frozen" claim is proven with a write that
# blocks (writer in D state on the superblock's freeze lock) and every "thawed"
# with that write completing and its data read back.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs.sh"
fs_require mkfs.ext4 mkfs.xfs mkfs.btrfs btrfs
vss_require
fs_enter "$0"

must "setup: ext4, xfs, btrfs, nested ext4 in xfs, bind of ext4" fs_standard
check "setup: btrfs subvolume mount" fs_subvol subvol btrfs
vss_conf
check "vssd --check-config on the generated config" "$VSSD" --check-config -c "$T/vssd.conf"
must "vssd starts and answers guest-ping" vss_start

ALL="ext4 xfs btrfs xfs/nested"
none_frozen() {
	for _m in $ALL; do fs_thawed "$T/$_m" || { echo "# $_m is frozen"; return 1; }; done
}
for m in ext4 xfs btrfs xfs/nested; do echo "pre-$m" >"$T/$m/pre"; done
sync

expect "guest-fsfreeze-status is thawed at start" '"return": *"thawed"' "$(qga "$STATUS")"

# ---- errors that must freeze nothing
expect "freeze-list with an empty list is a GenericError" '"class": *"GenericError"' \
	"$(qga "$(freeze_list_json)")"
check "  ... and nothing is frozen" none_frozen
mkdir -p "$T/ext4/notamount"
r=$(qga "$(freeze_list_json "$T/ext4/notamount")")
expect "freeze-list of a directory that is not a mountpoint is a GenericError" '"class": *"GenericError"' "$r"
expect "  ... naming the path" "notamount" "$r"
check "  ... and nothing is frozen" none_frozen
r=$(qga "$(freeze_list_json "$T/xfs" "$T/ext4/notamount")")
expect "freeze-list [mountpoint, non-mountpoint] is an error naming the bad path" 'GenericError.*notamount|notamount.*GenericError' "$r"
check "  ... and the valid mountpoint was not left frozen" none_frozen
expect "  ... and status is thawed" '"return": *"thawed"' "$(qga "$STATUS")"
r=$(qga "$(freeze_list_json "$T/does-not-exist")")
expect "freeze-list of a missing path is a GenericError" '"class": *"GenericError"' "$r"
check "  ... and nothing is frozen" none_frozen
r=$(qga '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":"'"$T"'/xfs"}}')
expect "freeze-list with mountpoints not an array is an error" '"error"' "$r"
check "  ... and nothing is frozen" none_frozen

for a in '"timeout":-5' '"timeout":"x"' '"timeout":1.5e300'; do
	r=$(qga '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["'"$T"'/xfs"],'"$a"'}}')
	case $r in
	*'"return"'*) qga "$THAW" >/dev/null; expect "freeze-list with $a is an error" '"error"' "$r" ;;
	*) expect "freeze-list with $a is an error" '"error"' "$r" ;;
	esac
	check "  ... and nothing is frozen" none_frozen
done

r=$(qga "$(freeze_list_json "relative/path")")
expect "freeze-list of a relative path is a GenericError" '"class": *"GenericError"' "$r"
check "  ... and nothing is frozen" none_frozen

# ---- the same mountpoint listed twice
r=$(qga "$(freeze_list_json "$T/xfs" "$T/xfs")")
expect "freeze-list [xfs, xfs] returns 1" '"return": *1[^0-9]' "$r"
expect "  ... thaw returns 1" '"return": *1[^0-9]' "$(qga "$THAW")"
check "  ... nothing frozen" none_frozen

# ---- two clients freezing at the same time: one wins, the other gets an error
qga -t 10 "$(freeze_list_json "$T/xfs")" >"$T/c1.out" &
c1=$!
qga -t 10 "$(freeze_list_json "$T/btrfs")" >"$T/c2.out" &
c2=$!
wait "$c1"
wait "$c2"
n=$(cat "$T/c1.out" "$T/c2.out" | grep -Ec '"return": *1[^0-9]')
e=$(cat "$T/c1.out" "$T/c2.out" | grep -c '"error"')
check "concurrent freezes: one succeeds, one is refused (ok=$n error=$e)" [ "$n:$e" = 1:1 ]
expect "  ... thaw returns 1" '"return": *1[^0-9]' "$(qga "$THAW")"
check "  ... nothing frozen" none_frozen

# ---- freeze exactly ext4 and xfs
r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "freeze-list [ext4, xfs] returns 2" '"return": *2[^0-9]' "$r"
fs_writer e "$T/ext4/new" "data-ext4"
fs_writer x "$T/xfs/new" "data-xfs"
fs_writer bi "$T/bind/via-bind" "data-bind"
fs_writer b "$T/btrfs/new" "data-btrfs"
fs_writer n "$T/xfs/nested/new" "data-nested"
check "write on frozen ext4 blocks" fs_writer_blocked e
check "write on frozen xfs blocks" fs_writer_blocked x
check "write through the bind mount of frozen ext4 blocks" fs_writer_blocked bi
check "write on unlisted btrfs completes" fs_writer_done b
check "write on unlisted ext4 nested inside the frozen xfs completes" fs_writer_done n
expect "guest-fsfreeze-status is frozen" '"return": *"frozen"' "$(qga "$STATUS")"
expect "vssd-status: ext4 frozen" '^frozen' "$(vss_status_of "$T/ext4")"
expect "vssd-status: xfs frozen" '^frozen' "$(vss_status_of "$T/xfs")"
expect "vssd-status: ext4 was flushed (syncfs) before its freeze" '^yes' "$(qga_mode flushed "$T/ext4")"
expect "vssd-status: xfs was flushed (syncfs) before its freeze" '^yes' "$(qga_mode flushed "$T/xfs")"
expect "vssd-status: btrfs not frozen" '^(absent|skipped|thawed)' "$(vss_status_of "$T/btrfs")"
expect "vssd-status: nested not frozen" '^(absent|skipped|thawed)' "$(vss_status_of "$T/xfs/nested")"
vmlck() { awk '/^VmLck:/ {print $2}' /proc/"$1"/status 2>/dev/null; }
l=$(vmlck "$VSSD_PID")
check "vssd memory is locked (VmLck ${l:-?} kB > 0)" [ "${l:-0}" -gt 0 ]
for k in $(fs_children "$VSSD_PID"); do
	l=$(vmlck "$k")
	check "watchdog $k memory is locked (VmLck ${l:-?} kB > 0)" [ "${l:-0}" -gt 0 ]
done
expect "guest-ping answered while frozen" '"return"' "$(qga '{"execute":"guest-ping"}')"
expect "guest-fsfreeze-freeze is refused while frozen" '"error"' "$(qga '{"execute":"guest-fsfreeze-freeze"}')"
expect "guest-sync answered while frozen" '"return": *4242' "$(qga '{"execute":"guest-sync","arguments":{"id":4242}}')"
expect "a second freeze-list while frozen is refused" '"error"' "$(qga "$(freeze_list_json "$T/btrfs")")"
check "  ... and btrfs stayed thawed" fs_thawed "$T/btrfs"
check "ext4 still frozen (probe)" fs_frozen "$T/ext4"
check "xfs still frozen (probe)" fs_frozen "$T/xfs"
r=$(qga "$THAW")
expect "guest-fsfreeze-thaw returns 2" '"return": *2[^0-9]' "$r"
check "ext4 writer completes after thaw" fs_writer_done e
check "xfs writer completes after thaw" fs_writer_done x
check "bind writer completes after thaw" fs_writer_done bi
ok_data=0
fs_content "$T/ext4/new" data-ext4 && fs_content "$T/xfs/new" data-xfs &&
	fs_content "$T/ext4/via-bind" data-bind && fs_content "$T/btrfs/new" data-btrfs &&
	fs_content "$T/xfs/nested/new" data-nested && ok_data=1
for m in $ALL; do fs_content "$T/$m/pre" "pre-$m" || ok_data=0; done
check "data written before, during and after the freeze is intact" [ $ok_data = 1 ]
check "nothing frozen after thaw (probe)" none_frozen
expect "guest-fsfreeze-status is thawed after thaw" '"return": *"thawed"' "$(qga "$STATUS")"
expect "thaw when nothing is frozen returns 0" '"return": *0[^0-9]' "$(qga "$THAW")"

# ---- bind duplicate
r=$(qga "$(freeze_list_json "$T/ext4" "$T/bind")")
expect "freeze-list [ext4, bind of ext4] succeeds (bind duplicate is no error)" '"return": *[0-9]' "$r"
expect "  ... freezes the superblock once (returns 1)" '"return": *1[^0-9]' "$r"
expect "vssd-status: the bind duplicate is skipped, not failed/foreign" '^(skipped|absent).*' "$(vss_status_of "$T/bind")"
fs_writer e2 "$T/ext4/dup" "dup"
check "write on ext4 blocks" fs_writer_blocked e2
expect "thaw succeeds" '"return": *[0-9]' "$(qga "$THAW")"
check "ext4 writer completes" fs_writer_done e2
check "ext4 thawed (probe; a double freeze would have left it frozen)" fs_thawed "$T/ext4"

# ---- btrfs subvolume mount duplicate
r=$(qga "$(freeze_list_json "$T/btrfs" "$T/subvol")")
expect "freeze-list [btrfs, its subvolume mount] succeeds" '"return": *1[^0-9]' "$r"
expect "vssd-status: subvolume mount is a skipped duplicate" '^(skipped|absent)' "$(vss_status_of "$T/subvol")"
fs_writer b2 "$T/btrfs/dup" "dup"
fs_writer s2 "$T/subvol/dup" "dup"
check "write on btrfs blocks" fs_writer_blocked b2
check "write on the subvolume blocks" fs_writer_blocked s2
expect "thaw succeeds" '"return": *[0-9]' "$(qga "$THAW")"
check "btrfs writer completes" fs_writer_done b2
check "subvolume writer completes" fs_writer_done s2
check "btrfs thawed (probe)" fs_thawed "$T/btrfs"

# ---- nested: parent and child together (child must be frozen first, thawed last)
r=$(qga "$(freeze_list_json "$T/xfs" "$T/xfs/nested")")
expect "freeze-list [xfs, xfs/nested] returns 2" '"return": *2[^0-9]' "$r"
fs_writer x3 "$T/xfs/n3" "n3"
fs_writer n3 "$T/xfs/nested/n3" "n3"
check "write on xfs blocks" fs_writer_blocked x3
check "write on nested ext4 blocks" fs_writer_blocked n3
expect "thaw returns 2" '"return": *2[^0-9]' "$(qga "$THAW")"
check "xfs writer completes" fs_writer_done x3
check "nested writer completes" fs_writer_done n3
check "nothing frozen" none_frozen

# ---- filesystem frozen beforehand by someone else
check "fsfreeze -f ext4 (foreign freeze)" fsfreeze -f "$T/ext4"
r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "freeze-list [foreign-frozen ext4, xfs] succeeds" '"return": *[0-9]' "$r"
expect "vssd-status: ext4 state foreign" '^foreign' "$(vss_status_of "$T/ext4")"
expect "vssd-status: xfs state frozen" '^frozen' "$(vss_status_of "$T/xfs")"
fs_writer x4 "$T/xfs/f4" "f4"
fs_writer e4 "$T/ext4/f4" "f4"
check "write on xfs blocks" fs_writer_blocked x4
check "write on ext4 blocks" fs_writer_blocked e4
expect "thaw succeeds" '"return": *[0-9]' "$(qga "$THAW")"
check "xfs writer completes after vssd's thaw" fs_writer_done x4
check "ext4 writer still blocked after vssd's thaw (foreign freeze kept)" fs_writer_blocked e4
check "ext4 still frozen (probe)" fs_frozen "$T/ext4"
check "fsfreeze -u ext4 by its owner" fsfreeze -u "$T/ext4"
check "ext4 writer completes" fs_writer_done e4
check "nothing frozen" none_frozen

# ---- vssctl
check "vssctl freeze btrfs exits 0" "$VSSCTL" -s "$SOCK" freeze "$T/btrfs"
fs_writer b5 "$T/btrfs/f5" "f5"
check "  ... write on btrfs blocks" fs_writer_blocked b5
check "  ... xfs not frozen" fs_thawed "$T/xfs"
check "vssctl status exits 0 while frozen" sh -c '"$1" -s "$2" status >"$3/vssctl.status" 2>&1' sh "$VSSCTL" "$SOCK" "$T"
check "vssctl --json status is JSON naming btrfs as frozen" sh -c '"$1" -s "$2" --json status | "$3" -c "
import json, sys
d = json.load(sys.stdin)
d = d.get(\"return\", d)
sys.exit(0 if any(f[\"mountpoint\"] == sys.argv[1] and f[\"state\"] == \"frozen\" for f in d[\"filesystems\"]) else 1)
" "$4/btrfs"' sh "$VSSCTL" "$SOCK" "$VSST_PY" "$T"
"$VSSCTL" -s "$SOCK" freeze "$T/xfs" >/dev/null 2>"$T/vssctl.err"
rc=$?
check "vssctl freeze while frozen exits 1" [ $rc -eq 1 ]
check "  ... and says what to do: $(tail -1 "$T/vssctl.err")" grep -q \
	"vssctl: the filesystems are frozen already: 'vssctl status' shows who froze them; 'vssctl thaw' ends that freeze" "$T/vssctl.err"
check "vssctl thaw exits 0" "$VSSCTL" -s "$SOCK" thaw
check "  ... btrfs writer completes" fs_writer_done b5
check "vssctl freeze DIR/ (a trailing slash, as tab completion gives) freezes DIR" \
	sh -c '"$1" -s "$2" freeze "$3/" && "$1" -s "$2" thaw' sh "$VSSCTL" "$SOCK" "$T/btrfs"
"$VSSCTL" -s "$SOCK" freeze "$T/ext4/notamount" >"$T/vssctl.out" 2>"$T/vssctl.err"
rc=$?
check "vssctl freeze of a non-mountpoint exits 1" [ $rc -eq 1 ]
check "  ... with a one-line reason on stderr" [ "$(wc -l <"$T/vssctl.err")" -eq 1 ]
check "  ... and nothing is frozen" none_frozen
"$VSSCTL" -s "$SOCK" >/dev/null 2>&1
check "vssctl without a command is a usage error (2)" [ $? -eq 2 ]
# (vssctl freeze without mountpoints = freeze everything: only in vss-freeze-all.sh)

cat >"$T/probe-xfs" <<EOF
#!/bin/sh
if fsfreeze -f "$T/xfs" 2>/dev/null; then fsfreeze -u "$T/xfs"; echo thawed; exit 3; fi
echo frozen
EOF
chmod +x "$T/probe-xfs"
"$VSSCTL" -s "$SOCK" backup "$T/xfs" -- "$T/probe-xfs" >"$T/backup.out" 2>&1
rc=$?
check "vssctl backup xfs -- CMD: CMD runs while xfs is frozen, exit 0" sh -c '[ $1 -eq 0 ] && grep -q frozen "$2"' sh $rc "$T/backup.out"
check "  ... xfs thawed afterwards" fs_thawed "$T/xfs"
"$VSSCTL" -s "$SOCK" backup "$T/xfs" -- sh -c 'exit 7' >/dev/null 2>&1
rc=$?
check "vssctl backup with a failing CMD exits non-zero" [ $rc -ne 0 ]
check "  ... and xfs is thawed" fs_thawed "$T/xfs"
expect "status thawed" '"return": *"thawed"' "$(qga "$STATUS")"

# ---- a mountpoint with a space (mountinfo escapes it as \040)
SP="$T/with space"
if fs_make spc ext4 && mkdir -p "$SP" && mount --move "$T/spc" "$SP"; then
	sed -i "s|^$T/spc\$|$SP|" "$T/mnts"
	r=$(qga "$(freeze_list_json "$SP")")
	expect "freeze-list of a mountpoint with a space returns 1" '"return": *1[^0-9]' "$r"
	fs_writer sp "$SP/f" "data-sp"
	check "  ... write on it blocks" fs_writer_blocked sp
	expect "  ... vssd-status shows it frozen under its real name" '^frozen' "$(vss_status_of "$SP")"
	expect "  ... thaw returns 1" '"return": *1[^0-9]' "$(qga "$THAW")"
	check "  ... writer completes" fs_writer_done sp
	check "  ... data intact" fs_content "$SP/f" data-sp
else
	not_ok "setup: ext4 moved to a mountpoint with a space"
fi

# ---- a loop filesystem whose image file lives on another listed filesystem:
# it must be frozen first (freezing xfs first would deadlock the loop writes;
# the request timeout of 5 s lets the watchdog undo such a deadlock)
if FS_IMGDIR=$T/xfs fs_make lil ext4; then
	ok "setup: ext4 'lil' on a loop device backed by a file on xfs"
	dd if=/dev/zero of="$T/lil/dirty" bs=64k count=16 2>/dev/null # dirty data, not synced
	t0=$(fs_now_ms)
	r=$(qga -t 10 '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["'"$T/xfs"'","'"$T/lil"'"],"timeout":5000}}')
	el=$(($(fs_now_ms) - t0))
	expect "freeze-list [xfs, lil] returns 2 without deadlocking (${el} ms)" '"return": *2[^0-9]' "$r"
	check "  ... reply within 2 s" [ "$el" -le 2000 ]
	fs_writer l1 "$T/lil/l1" "data-l1"
	fs_writer l2 "$T/xfs/l2" "data-l2"
	check "  ... write on lil blocks" fs_writer_blocked l1
	check "  ... write on xfs blocks" fs_writer_blocked l2
	r=$(qga -t 10 "$THAW")
	expect "  ... thaw returns 2" '"return": *2[^0-9]' "$r"
	check "  ... writers complete" eval 'fs_writer_done l1 && fs_writer_done l2'
	check "  ... nothing frozen" eval 'none_frozen && fs_thawed "$T/lil"'
else
	not_ok "setup: ext4 'lil' on a loop device backed by a file on xfs"
fi

# ---- thaw uses the directory fds opened at freeze time, not the paths
r=$(qga "$(freeze_list_json "$T/ext4" "$T/btrfs")")
expect "freeze-list [ext4, btrfs] returns 2" '"return": *2[^0-9]' "$r"
fs_writer m1 "$T/bind/m1" "data-m1"
fs_writer m2 "$T/subvol/m2" "data-m2"
check "  ... write on ext4 blocks" fs_writer_blocked m1
check "  ... write on btrfs blocks" fs_writer_blocked m2
mkdir -p "$T/moved"
if mount --move "$T/ext4" "$T/moved" && mount -t tmpfs -o size=1m vsstcover "$T/btrfs"; then
	sed -i "s|^$T/ext4\$|$T/moved|" "$T/mnts"
	echo "$T/btrfs" >>"$T/mnts"
	ok "  ... ext4 mount moved away and btrfs covered by a tmpfs while frozen"
	r=$(qga "$THAW")
	expect "thaw returns 2 although the paths now lead elsewhere" '"return": *2[^0-9]' "$r"
	check "  ... ext4 writer completes" fs_writer_done m1
	check "  ... btrfs writer completes" fs_writer_done m2
	check "  ... ext4 thawed (probe)" fs_thawed "$T/moved"
	check "  ... btrfs thawed (probe)" fs_thawed "$T/subvol"
	umount "$T/btrfs" && sed -i '$d' "$T/mnts"
	mount --move "$T/moved" "$T/ext4" && sed -i "s|^$T/moved\$|$T/ext4|" "$T/mnts"
else
	not_ok "  ... ext4 mount moved away and btrfs covered by a tmpfs while frozen"
	qga "$THAW" >/dev/null
fi
check "nothing frozen" none_frozen

# ---- a filesystem that fails to freeze (xfs shut down: I/O errors) aborts the whole freeze
if command -v xfs_io >/dev/null && fs_make bad xfs && xfs_io -x -c "shutdown" "$T/bad" 2>/dev/null; then
	ok "setup: xfs 'bad' shut down (every write fails with EIO)"
	r=$(qga "$(freeze_list_json "$T/ext4" "$T/btrfs" "$T/bad")")
	expect "freeze-list [ext4, btrfs, bad] is an error" '"error"' "$r"
	echo "# reply: $r"
	echo "# vssd-status of ext4: $(vss_status_of "$T/ext4"); of bad: $(vss_status_of "$T/bad")"
	expect "  ... naming the failing filesystem" 'bad' "$r"
	check "  ... ext4 and btrfs are not left frozen" eval 'fs_thawed "$T/ext4" && fs_thawed "$T/btrfs"'
	expect "  ... status thawed" '"return": *"thawed"' "$(qga "$STATUS")"
	expect "  ... vssd-status: bad failed" '^failed' "$(vss_status_of "$T/bad")"
	fs_writer bd "$T/ext4/bd" "data-bd"
	check "  ... write on ext4 completes" fs_writer_done bd
else
	skip_case "xfs_io shutdown not available"
fi

# ---- FIFREEZE fails on a parent after its child was frozen: the child is thawed again.
# "full" is an ext4 on a loop device whose image sits, holes punched, on a tmpfs that
# is then filled up: it opens and syncs fine, but its freeze must write (journal
# superblock) and fails with EIO. "full/child" is frozen first (children before parents).
mkdir -p "$T/small"
if mount -t tmpfs -o size=48m vsstsmall "$T/small" && echo "$T/small" >>"$T/mnts" &&
	truncate -s 64M "$T/small/full.img" && d=$(losetup -f --show "$T/small/full.img") &&
	echo "$d $(fs_loop_key "$d") $T/small/full.img" >>"$T/loops" &&
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$d" && mkdir -p "$T/full" &&
	mount "$d" "$T/full" && echo "$T/full" >>"$T/mnts" && fs_make child ext4 full && sync &&
	fallocate -p -o 0 -l 64M "$T/small/full.img"; then
	dd if=/dev/zero of="$T/small/filler" bs=1M 2>/dev/null
	ok "setup: ext4 'full' whose freeze fails with EIO, ext4 'full/child' inside it"
	r=$(qga -t 10 "$(freeze_list_json "$T/full" "$T/full/child")")
	expect "freeze-list [full, full/child] is an error" '"error"' "$r"
	echo "# reply: $r"
	expect "  ... naming full" "$T/full[^/]" "$(echo "$r" | sed 's|\\/|/|g')"
	check "  ... the child frozen before the failure is thawed again" fs_thawed "$T/full/child"
	fs_writer fc "$T/full/child/fc" "data-fc"
	check "  ... write on the child completes" fs_writer_done fc
	expect "  ... status thawed" '"return": *"thawed"' "$(qga "$STATUS")"
	echo "# vssd-status: full: $(vss_status_of "$T/full"); child: $(vss_status_of "$T/full/child")"
	rm -f "$T/small/filler"
	fsfreeze -u "$T/full" 2>/dev/null
	umount "$T/full/child" 2>/dev/null
	umount "$T/full" 2>/dev/null
else
	not_ok "setup: ext4 'full' whose freeze fails with EIO"
fi
check "nothing frozen" none_frozen

# ---- many mountpoints in one request (300 bind mounts of ext4)
i=0
while [ $i -lt 300 ]; do
	mkdir -p "$T/many/b$i" && mount --bind "$T/ext4" "$T/many/b$i" && echo "$T/many/b$i" >>"$T/mnts" || break
	i=$((i + 1))
done
if [ $i -eq 300 ]; then
	list=$(i=0; while [ $i -lt 300 ]; do printf '"%s/many/b%d",' "$T" $i; i=$((i + 1)); done)
	r=$(qga -t 10 '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":['"$list"'"'"$T"'/xfs"]}}')
	expect "freeze-list of 300 bind mounts of ext4 plus xfs returns 2" '"return": *2[^0-9]' "$r"
	fs_writer mb "$T/many/b299/mb" "data-mb"
	check "  ... write through the last bind mount blocks" fs_writer_blocked mb
	expect "  ... thaw returns 2" '"return": *2[^0-9]' "$(qga -t 10 "$THAW")"
	check "  ... writer completes" fs_writer_done mb
else
	not_ok "setup: 300 bind mounts (made $i)"
fi
check "nothing frozen" none_frozen

# ---- vssd whose stderr is a file on the filesystem it freezes must not block on it
check "vssd stops" vss_stop
"$VSSD" -f -v -c "$T/vssd.conf" 2>>"$T/xfs/vssd-stderr.log" &
VSSD_PID=$!
fs_track_pid "$VSSD_PID"
must "vssd -v starts with stderr on xfs" wait_until 5000 vss_ping
t0=$(fs_now_ms)
r=$(qga -t 3 '{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["'"$T"'/xfs"],"timeout":8000}}')
expect "freeze-list [xfs] answered ($(($(fs_now_ms) - t0)) ms)" '"return": *1[^0-9]' "$r"
fs_writer so "$T/xfs/so" "data-so"
check "  ... write on xfs blocks" fs_writer_blocked so
expect "  ... ping answered while its stderr file is frozen" '"return"' "$(qga -t 2 '{"execute":"guest-ping"}')"
expect "  ... unknown command answered" 'CommandNotFound' "$(qga -t 2 '{"execute":"nope"}')"
expect "  ... refused freeze answered" '"error"' "$(qga -t 2 "$(freeze_list_json "$T/ext4")")"
printf 'garbage\n' >"$T/garbage"
expect "  ... garbage answered" '"error"' "$(qga_mode -t 2 raw "$T/garbage")"
expect "  ... vssd-status answered" '"return"' "$(qga -t 2 '{"execute":"vssd-status"}')"
t0=$(fs_now_ms)
r=$(qga -t 3 "$THAW")
expect "  ... thaw answered ($(($(fs_now_ms) - t0)) ms)" '"return": *1[^0-9]' "$r"
check "  ... writer completes" fs_writer_done so
check "  ... vssd wrote its log after the thaw" wait_until 3000 test -s "$T/xfs/vssd-stderr.log"
check "vssd stops" vss_stop
must "vssd restarts (stderr to $T/vssd.log)" vss_start

check "vssd still running" kill -0 "$VSSD_PID"
check "vssd stops on SIGTERM" vss_stop

# ---- include: when set, nothing outside it can be frozen, even when listed
sed "s|^include = .*|include = $T/ext4|" "$T/vssd.conf" >"$T/vssd-inc.conf"
"$VSSD" -f -c "$T/vssd-inc.conf" 2>>"$T/vssd.log" &
VSSD_PID=$!
fs_track_pid "$VSSD_PID"
must "vssd starts with include = $T/ext4 only" wait_until 5000 vss_ping
r=$(qga "$(freeze_list_json "$T/xfs")")
expect "freeze-list [xfs] outside include freezes nothing (error or 0)" '"error"|"return": *0[^0-9]' "$r"
check "  ... xfs not frozen" fs_thawed "$T/xfs"
qga "$THAW" >/dev/null
r=$(qga "$(freeze_list_json "$T/ext4" "$T/xfs")")
expect "freeze-list [ext4, xfs] freezes at most ext4" '"error"|"return": *[01][^0-9]' "$r"
check "  ... xfs not frozen" fs_thawed "$T/xfs"
qga "$THAW" >/dev/null
check "  ... nothing frozen after thaw" none_frozen
check "vssd stops" vss_stop

# ---- vssd refuses to freeze the filesystem holding its own state_dir
mkdir -p "$T/xfs/state"
sed "s|^state_dir = .*|state_dir = $T/xfs/state|" "$T/vssd.conf" >"$T/vssd-sd.conf"
"$VSSD" -f -c "$T/vssd-sd.conf" 2>>"$T/vssd.log" &
VSSD_PID=$!
fs_track_pid "$VSSD_PID"
must "vssd starts with state_dir on the xfs test filesystem" wait_until 5000 vss_ping
r=$(qga "$(freeze_list_json "$T/xfs")")
expect "freeze-list [xfs] holding state_dir is refused" '"error"' "$r"
check "  ... and xfs is not frozen" fs_thawed "$T/xfs"
check "vssd stops" vss_stop
check "nothing frozen at the end" none_frozen
end_test
