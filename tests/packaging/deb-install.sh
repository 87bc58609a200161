#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The real install: builds the Debian packages (scripts/packages: a clean copy
# of the tracked files, dpkg-buildpackage -us -uc -b, lintian without errors),
# installs them with dpkg on THIS machine (first the host's: selfballoon-host and
# vssctl alone, then the guest's), checks what got installed, that an
# edited conffile survives a reinstall, then purges them and checks that
# nothing is left behind.
# It installs packages, so it runs only as root and only when asked: CI=true
# (CI sets it) or SELFBALLOON_PACKAGE_TEST=1. Services are never started: a
# policy-rc.d denying starts is put in place if there is none (this machine
# has no systemd anyway), and the units only start where a host channel or the
# Xen balloon exists.
. "${top_srcdir:-.}/tests/integration/lib.sh"
S=${top_srcdir:-.}
# expect DESC PATTERN OUTPUT: ok when OUTPUT matches the grep -E PATTERN
expect() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; else
		not_ok "$1"
		printf '%s\n' "$3" | head -c 600 | sed 's/^/#   got: /'
		echo
	fi
}
need_root
[ "${CI:-}" = true ] || [ -n "${SELFBALLOON_PACKAGE_TEST:-}" ] ||
	skip_all "installs packages on this machine: runs only with CI=true or SELFBALLOON_PACKAGE_TEST=1"
need_cmd dpkg dpkg-buildpackage dpkg-deb git lintian man systemd-analyze
git -C "$S" rev-parse --git-dir >/dev/null 2>&1 || skip_all "needs a git checkout (scripts/packages copies the tracked files)"
PKGS="vssd selfballoond vssctl selfballoon-host"
for p in $PKGS; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$'; then
		skip_all "package $p is already installed here: not touching it"
	fi
done
[ ! -e /etc/selfballoon ] || skip_all "/etc/selfballoon exists: not touching it"

tmp=$(mktemp -d /tmp/sb-deb.XXXXXX)
policy=
installed=
cleanup() {
	if [ -n "$installed" ]; then
		dpkg --purge $PKGS >/dev/null 2>&1 || echo "# cleanup: purge failed"
	fi
	[ -n "$policy" ] && rm -f /usr/sbin/policy-rc.d
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# selfballoon deb-install test: no service starts\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	policy=1
fi

# ---- build
rpmopt=
command -v rpmbuild >/dev/null 2>&1 && rpmopt=--rpm
if sh "$S/scripts/packages" $rpmopt "$tmp/out" >"$tmp/build.log" 2>&1; then
	ok "packages build from a clean copy (dpkg-buildpackage -us -uc -b), lintian reports no errors"
	if [ -n "$rpmopt" ]; then
		n=$(ls "$tmp"/out/*.rpm 2>/dev/null | wc -l)
		check "rpmbuild -bb packaging/rpm/selfballoon.spec builds vssd, selfballoond, vssctl and selfballoon-host ($n RPMs)" [ "$n" -eq 4 ]
	else
		skip_case "rpmbuild not installed: the RPM build is not checked"
	fi
else
	not_ok "scripts/packages failed"
	sed 's/^/#   /' "$tmp/build.log" | tail -n 40
	done_testing
	exit 1
fi
sed -n 's/^\([WE]\): /# lintian \1: /p' "$tmp/build.log"
V=$(dpkg-deb -f "$tmp"/out/vssd_*.deb Version)
deb() { echo "$tmp/out/$1_${V}_$(dpkg --print-architecture).deb"; }
hostdebs="$(deb vssctl) $(deb selfballoon-host)"
debs="$(deb vssd) $(deb selfballoond) $hostdebs"
for d in $debs; do dpkg-deb --fsys-tarfile "$d" | tar tf - ; done | sed 's|^\./|/|' | grep -v '/$' >"$tmp/files"
check "the packages hold $(wc -l <"$tmp/files") files" [ -s "$tmp/files" ]

# ---- the host: selfballoon-host and vssctl, without the guest daemons
installed=1
# shellcheck disable=SC2086
if dpkg -i $hostdebs >"$tmp/install.log" 2>&1; then
	ok "dpkg -i selfballoon-host vssctl ($V): the host's packages alone"
else
	not_ok "dpkg -i of the host packages failed"
	sed 's/^/#   /' "$tmp/install.log" | tail -n 20
fi
expect "selfballoon-host --version" "^selfballoon-host \(selfballoon\) " "$(selfballoon-host --version 2>&1)"
expect "vssctl --version (from package vssctl)" "^vssctl \(selfballoon\) " "$(vssctl --version 2>&1)"
check "vssctl belongs to package vssctl" sh -c 'dpkg -S /usr/sbin/vssctl | grep -q "^vssctl:"'
check "the host relay's template unit is installed, not enabled" sh -c \
	'[ -f /lib/systemd/system/selfballoon-host@.service ] && ! ls /etc/systemd/system/*.wants/selfballoon-host@* >/dev/null 2>&1'
check "no guest daemon on the host: vssd and selfballoond not installed" \
	sh -c '! command -v vssd >/dev/null && ! command -v selfballoond >/dev/null'
check "selfballoon-host(8) installed" test -f /usr/share/man/man8/selfballoon-host.8.gz

# ---- the guest's packages
# shellcheck disable=SC2086
if dpkg -i $debs >"$tmp/install.log" 2>&1; then
	ok "dpkg -i vssd selfballoond (with vssctl; $V)"
else
	not_ok "dpkg -i failed"
	sed 's/^/#   /' "$tmp/install.log" | tail -n 20
fi
out=$(vssd --version 2>&1)
expect "vssd --version" "^vssd .*$(echo "${V%-*}" | sed 's/\./\\./g')" "$out"
check "vssctl --help runs" sh -c 'vssctl --help >/dev/null 2>&1'
wd=$(dpkg -L vssd | grep '/selfballoon/vssd-watchdog$')
check "vssd-watchdog installed (${wd:-missing}), executable, where vssd looks for it" \
	sh -c '[ -n "$1" ] && [ -x "$1" ] && grep -qaF "$1" /usr/sbin/vssd' sh "$wd"
check "selfballoond --version" sh -c 'selfballoond --version >/dev/null'
check "vssd --check-config on the installed /etc/selfballoon/vssd.conf (its default path)" \
	sh -c 'vssd --check-config >/dev/null 2>&1 && [ -f /etc/selfballoon/vssd.conf ]'
check "selfballoond --check-config -c /etc/selfballoon/selfballoond.conf" \
	selfballoond --check-config -c /etc/selfballoon/selfballoond.conf
conff=$(dpkg-query -W -f='${Conffiles}\n' vssd selfballoond | awk 'NF {print $1}' | sort | tr '\n' ' ')
expect "conffiles: both configurations and the sample hook" \
	'^/etc/selfballoon/freeze-hooks.d/50-postgresql.sample /etc/selfballoon/selfballoond.conf /etc/selfballoon/vssd.conf $' "$conff"
check "units in /lib/systemd/system" test -f /lib/systemd/system/vssd.service -a -f /lib/systemd/system/selfballoond.service
check "udev rule in /lib/udev/rules.d" grep -q 'SYSTEMD_WANTS}+="vssd.service"' /lib/udev/rules.d/60-vssd.rules
check "units point at the installed paths" sh -c \
	'grep -q "^ExecStart=/usr/sbin/vssd -f -c /etc/selfballoon/vssd.conf$" /lib/systemd/system/vssd.service &&
	 grep -q "^ExecStopPost=/usr/sbin/vssd --thaw-record" /lib/systemd/system/vssd.service &&
	 grep -q "^ExecStart=/usr/sbin/selfballoond -f -c /etc/selfballoon/selfballoond.conf$" /lib/systemd/system/selfballoond.service'
out=$(systemd-analyze verify /lib/systemd/system/vssd.service /lib/systemd/system/selfballoond.service 2>&1)
expect "systemd-analyze verify: clean" '^$' "$out"
for u in vssd selfballoond; do
	sc=$(systemd-analyze security --offline=true --no-pager /lib/systemd/system/$u.service 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security $u.service: exposure ${sc:-?} (at most 4.0)" \
		awk -v s="${sc:-99}" 'BEGIN { exit !(s <= 4.0) }'
done
check "both units enabled (wanted by multi-user.target)" test -L /etc/systemd/system/multi-user.target.wants/vssd.service \
	-a -L /etc/systemd/system/multi-user.target.wants/selfballoond.service
for m in /usr/share/man/man8/vssd.8.gz /usr/share/man/man8/vssctl.8.gz /usr/share/man/man5/vssd.conf.5.gz \
	/usr/share/man/man8/selfballoond.8.gz /usr/share/man/man5/selfballoond.conf.5.gz \
	/usr/share/man/man8/selfballoon-host.8.gz; do
	# lintian's check: man --warnings -E UTF-8 -l -Tutf8 -Z
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$m" 2>&1 >/dev/null)
	expect "man -l $(basename "$m"): no warnings" '^$' "$w"
done

# ---- an edited conffile survives a reinstall
echo '# edited by the deb-install test' >>/etc/selfballoon/vssd.conf
# shellcheck disable=SC2086
dpkg -i --force-confold $debs >"$tmp/reinstall.log" 2>&1
check "reinstall keeps the edited /etc/selfballoon/vssd.conf" grep -q 'edited by the deb-install test' /etc/selfballoon/vssd.conf

# ---- purge
# shellcheck disable=SC2086
if dpkg --purge $PKGS >"$tmp/purge.log" 2>&1; then
	installed=
	ok "dpkg --purge $PKGS"
else
	not_ok "dpkg --purge failed"
	sed 's/^/#   /' "$tmp/purge.log" | tail -n 20
fi
left=$(while read -r f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done <"$tmp/files")
expect "no file of the packages is left" '^$' "$left"
left=$(ls -d /etc/selfballoon /usr/share/doc/vssd /usr/share/doc/selfballoond /usr/share/doc/vssctl \
	/usr/share/doc/selfballoon-host \
	/etc/systemd/system/multi-user.target.wants/vssd.service \
	/etc/systemd/system/multi-user.target.wants/selfballoond.service \
	/var/lib/systemd/deb-systemd-helper-enabled/vssd.service.dsh-also \
	/var/lib/systemd/deb-systemd-helper-enabled/selfballoond.service.dsh-also 2>/dev/null)
expect "no directory, enablement symlink or state file left" '^$' "$left"
# shellcheck disable=SC2086
st=$(dpkg-query -W -f='${db:Status-Abbrev}' $PKGS 2>/dev/null | tr -d ' ')
expect "dpkg knows none of the packages any more (status '$st')" '^(un)*$' "$st"
done_testing
