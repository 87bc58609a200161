#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-check of the freeze test harness (tests/integration/fs.sh) with util-linux
# fsfreeze only, no vssd: the loop filesystems, nested and bind mounts, the
# "is it frozen" probe and the blocked-writer detection must tell a frozen
# filesystem from a thawed one, or every vss-*.sh result means nothing.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/fs.sh"
fs_require mkfs.ext4 mkfs.xfs mkfs.btrfs btrfs
fs_enter "$0"

must "setup: ext4, xfs, btrfs, ext4 nested in xfs, bind of ext4" fs_standard
check "setup: btrfs subvolume mounted separately" fs_subvol subvol btrfs

# negative control: nothing is frozen, writers finish
for m in ext4 xfs btrfs xfs/nested bind subvol; do
	fs_thawed "$T/$m" || not_ok "probe says $m is frozen before any freeze"
done
fs_writer c0 "$T/xfs/before" "before"
check "control: a write on a thawed fs completes" fs_writer_done c0 3000

sleep 30 &
W_sl=$!
fs_track_pid "$W_sl"
check "control: a sleeping (S state) process is not reported as a blocked writer" eval '! fs_writer_blocked sl 300'
check "control: ... nor as done" eval '! fs_writer_done sl 300'
kill "$W_sl"

# freeze xfs only
check "fsfreeze -f xfs" fsfreeze -f "$T/xfs"
check "probe: xfs reported frozen" fs_frozen "$T/xfs"
check "probe: nested ext4 inside the frozen xfs reported thawed" fs_thawed "$T/xfs/nested"
fs_writer x1 "$T/xfs/blocked" "data-x1"
fs_writer n1 "$T/xfs/nested/free" "data-n1"
fs_writer e1 "$T/bind/free" "data-e1"
check "writer on frozen xfs is blocked (D, percpu_rwsem_wait)" fs_writer_blocked x1
check "writer on the nested ext4 completes while its parent is frozen" fs_writer_done n1
check "writer through the ext4 bind mount completes" fs_writer_done e1
[ ! -e "$T/xfs/blocked" ] || [ ! -s "$T/xfs/blocked" ]
check "blocked write left no data yet" [ $? -eq 0 ]
check "fsfreeze -u xfs" fsfreeze -u "$T/xfs"
check "blocked writer finishes after the thaw" fs_writer_done x1 3000
check "data written after the thaw is intact" fs_content "$T/xfs/blocked" "data-x1"
check "probe: xfs thawed again" fs_thawed "$T/xfs"

# a bind mount and a btrfs subvolume share the superblock with their source
check "fsfreeze -f through the bind mount" fsfreeze -f "$T/bind"
check "probe: ext4 frozen through its bind duplicate" fs_frozen "$T/ext4"
fs_writer e2 "$T/ext4/blocked" "data-e2"
check "writer on ext4 blocked by the freeze made through the bind mount" fs_writer_blocked e2
check "fsfreeze -u ext4" fsfreeze -u "$T/ext4"
check "ext4 writer finishes" fs_writer_done e2
check "btrfs: freeze via subvolume mount freezes the top mount" sh -c "fsfreeze -f '$T/subvol' && ! fsfreeze -f '$T/btrfs' 2>/dev/null"
fs_writer b1 "$T/btrfs/blocked" "data-b1"
check "writer on btrfs blocked" fs_writer_blocked b1
check "fsfreeze -u btrfs" fsfreeze -u "$T/btrfs"
check "btrfs writer finishes" fs_writer_done b1
check "btrfs data intact" fs_content "$T/btrfs/blocked" data-b1

# data survives an unmount/mount cycle (read back from the device, not the cache)
umount "$T/xfs/nested" && umount "$T/xfs" && mount "$DEV_xfs" "$T/xfs" && mount "$DEV_nested" "$T/xfs/nested"
check "xfs data intact after remount" fs_content "$T/xfs/blocked" "data-x1"

# the mount-table check that guards vss-freeze-all.sh must reject real mount tables
check "fs_mountinfo_clean rejects this namespace's mount table" eval '! fs_mountinfo_clean /proc/self/mountinfo "$DEV_ext4" >/dev/null'
cat >"$T/mi.good" <<EOF
100 90 0:50 / / rw,relatime - tmpfs vsstroot rw,size=262144k
101 100 7:0 / /mnt/ext4 rw,relatime - ext4 $DEV_ext4 rw
102 100 0:51 / /proc rw,relatime - proc proc rw
EOF
check "fs_mountinfo_clean accepts tmpfs root + proc + our loop mount" fs_mountinfo_clean "$T/mi.good" "$DEV_ext4"
sed 's|^101 .*|101 100 254:0 / /mnt/ext4 rw,relatime - ext4 /dev/vda rw|' "$T/mi.good" >"$T/mi.bad1"
check "  ... rejects a /mnt mount of a device that is not ours" eval '! fs_mountinfo_clean "$T/mi.bad1" "$DEV_ext4" >/dev/null'
sed 's|^100 .*|100 90 254:0 / / rw,relatime - ext4 /dev/vda rw|' "$T/mi.good" >"$T/mi.bad2"
check "  ... rejects a real root filesystem" eval '! fs_mountinfo_clean "$T/mi.bad2" "$DEV_ext4" >/dev/null'
printf '103 100 254:0 /usr /usr ro,relatime - ext4 /dev/vda rw\n' | cat "$T/mi.good" - >"$T/mi.bad3"
check "  ... rejects an extra (read-only bind) mount" eval '! fs_mountinfo_clean "$T/mi.bad3" "$DEV_ext4" >/dev/null'
: >"$T/mi.empty"
check "  ... rejects an empty table" eval '! fs_mountinfo_clean "$T/mi.empty" "$DEV_ext4" >/dev/null'

end_test
