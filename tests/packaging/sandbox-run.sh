#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sandbox-run.sh UNIT DIR COMMAND...: runs COMMAND (exec, same pid) in a mount
# namespace made like UNIT's systemd sandbox, with the unit's capability
# bounding set and no_new_privs. Run it as `unshare --mount --propagation slave
# sandbox-run.sh ...` from inside a private test namespace (tests/packaging/
# sandbox.sh); it refuses to run in the host's namespace.
#   vssd DIR:          ProtectSystem=strict + ProtectHome=read-only (every mount
#                      remounted read-only except /dev, /proc, /sys and DIR, the
#                      RuntimeDirectory), ProtectKernelTunables=yes (/proc/sys,
#                      /sys read-only), CapabilityBoundingSet of vssd.service
#   selfballoond DIR:  DIR (fake /proc and /sys, standing in for the API file
#                      systems ProtectSystem=strict leaves writable) is bound on
#                      /mnt and kept writable; ProtectSystem=strict, PrivateTmp,
#                      ProtectProc=invisible,
#                      ProtectHome=yes, PrivateDevices, CapabilityBoundingSet of
#                      selfballoond.service
set -eu
unit=$1 dir=$2
shift 2
[ -n "${VSST_INNER:-}" ] || { echo "sandbox-run.sh: only inside a test namespace" >&2; exit 99; }
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] ||
	{ echo "sandbox-run.sh: refusing to run in the host mount namespace" >&2; exit 99; }

# every mount read-only (per-mount bind remount, as systemd does), except the
# API file systems and the KEEP paths given as arguments
protect_system_strict() {
	sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .*/\1/p' /proc/self/mountinfo | sort -u |
		while read -r mp; do
			case $mp in /dev | /dev/* | /proc | /proc/* | /sys | /sys/*) continue ;; *\\*) continue ;; esac
			skip=
			for k in "$@"; do
				case $mp in "$k" | "$k"/*) skip=1 ;; esac
			done
			[ -n "$skip" ] || mount -o remount,bind,ro "$mp" 2>/dev/null ||
				echo "sandbox-run.sh: cannot make $mp read-only" >&2
		done
}

case $unit in
vssd)
	protect_system_strict "$dir"
	for p in /proc/sys /sys; do
		mount --bind "$p" "$p" && mount -o remount,bind,ro "$p"
	done
	exec setpriv --bounding-set -all,+sys_admin,+dac_read_search,+ipc_lock,+chown,+setuid,+setgid \
		--inh-caps -all --no-new-privs "$@"
	;;
selfballoond)
	mount --bind "$dir" /mnt
	protect_system_strict /mnt
	mount -t tmpfs -o mode=1777 privatetmp /tmp
	# ProtectProc=invisible: a /proc instance with hidepid=invisible
	mount -t proc -o hidepid=invisible,nosuid,nodev,noexec protectproc /proc
	for d in /home /root /run/user; do
		[ -d "$d" ] && mount -t tmpfs -o ro,mode=0 protecthome "$d"
	done
	mount -t tmpfs -o mode=0755,nosuid privatedev /dev
	for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9"; do
		set -- $n "$@"
		mknod -m 666 "/dev/$1" c "$2" "$3"
		shift 3
	done
	exec setpriv --bounding-set -all,+ipc_lock,+sys_resource --inh-caps -all --no-new-privs "$@"
	;;
*)
	echo "sandbox-run.sh: unknown unit $unit" >&2
	exit 2
	;;
esac
