#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs INSIDE the Debian 12 guest booted by tests/packaging/vm-systemd.sh, as
# a oneshot unit after multi-user.target, with the packages installed. Output
# goes to the serial console, one "VMTEST:" line per step, then it powers off.
trap '' HUP
exec >/dev/ttyS0 2>&1
say() { echo "VMTEST: $*"; }
run() {
	say "\$ $*"
	"$@"
	say "rc=$?"
}
until_ok() {   # until_ok SECONDS COMMAND...: bounded poll
	_n=$1; shift
	while [ "$_n" -gt 0 ]; do "$@" && return 0; sleep 1; _n=$((_n - 1)); done
	return 1
}
say begin
say "systemd $(systemctl --version | head -1)"

# ---- vssd: started by udev (SYSTEMD_WANTS) for the virtio port, real unit sandbox
if until_ok 90 systemctl -q is-active vssd; then say "vssd.service active"; else say "FAIL vssd.service not active"; fi
run systemctl show -p ActiveState -p SubState -p MainPID -p NRestarts -p StatusText vssd
run sh -c 'udevadm info /dev/virtio-ports/org.selfballoon.vss.0 | grep -E "SYSTEMD_WANTS|TAGS"'
run sh -c 'systemctl list-dependencies --reverse --plain --no-pager vssd.service | head -5'
run sh -c 'grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/$(systemctl show -p MainPID --value vssd)/status'
run sh -c 'grep -E " / (ro|rw)" /proc/$(systemctl show -p MainPID --value vssd)/mountinfo | head -2'
run sh -c 'systemd-analyze security --no-pager vssd.service | tail -1'
run sh -c 'systemd-analyze security --no-pager selfballoond.service | tail -1'

# wait (bounded) until the host's freeze/thaw over the virtio port is done
say "waiting for the host's backup"
if until_ok 240 sh -c 'journalctl -u vssd --no-pager | grep -q "were frozen for"'; then
	say "host backup seen in vssd's journal"
else
	say "FAIL no host backup seen"
fi
run sh -c 'journalctl -u vssd --no-pager -o cat | tail -n 12'

# ---- ExecStopPost + Restart: freeze a loop filesystem, SIGKILL vssd and its
# watchdog (stopped first, so that only ExecStopPost can thaw)
frozen() { fsfreeze -f "$1" 2>&1 | grep -qi busy || { fsfreeze -u "$1"; return 1; }; }
truncate -s 64M /root/t.img && mkfs.ext4 -q -F /root/t.img && mkdir -p /mnt/t && mount -o loop /root/t.img /mnt/t
run vssctl freeze /mnt/t
if frozen /mnt/t; then say "/mnt/t is frozen"; else say "FAIL /mnt/t not frozen"; fi
main=$(systemctl show -p MainPID --value vssd)
wd=$(ps -o pid= --ppid "$main" | tr -d ' ')
say "vssd $main, watchdog $wd: SIGSTOP the watchdog, then systemctl kill -s KILL vssd"
kill -STOP $wd
run systemctl kill -s KILL vssd
sleep 2
until_ok 30 sh -c '[ "$(systemctl show -p NRestarts --value vssd)" -ge 1 ] && systemctl -q is-active vssd'
run systemctl show -p ActiveState -p NRestarts -p ExecMainStatus vssd
if frozen /mnt/t; then say "FAIL /mnt/t still frozen after the crash"; fsfreeze -u /mnt/t
else say "/mnt/t thawed after the crash (ExecStopPost vssd --thaw-record)"; fi
run sh -c 'journalctl -u vssd --no-pager -o cat | tail -n 8'

# ---- selfballoond: condition (no Xen balloon) skips it; a drop-in clears it
run systemctl show -p ActiveState -p ConditionResult selfballoond
mkdir -p /etc/systemd/system/selfballoond.service.d
printf '[Unit]\nConditionPathExists=\n' >/etc/systemd/system/selfballoond.service.d/vmtest.conf
systemctl daemon-reload
run systemctl start selfballoond
sleep 3
run systemctl show -p ActiveState -p SubState -p StatusText selfballoond
run sh -c 'grep -E "^(CapBnd|VmLck):" /proc/$(systemctl show -p MainPID --value selfballoond)/status'
run sh -c 'cat /proc/$(systemctl show -p MainPID --value selfballoond)/oom_score_adj'
run sh -c 'journalctl -u selfballoond --no-pager -o cat | tail -n 8'
run systemctl stop selfballoond
run systemctl show -p ActiveState -p ExecMainStatus selfballoond
umount /mnt/t
run sh -c 'systemd-analyze verify vssd.service selfballoond.service 2>&1 | grep -v "Command .man " ; echo verified'
say end
systemctl poweroff
