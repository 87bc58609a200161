#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make install DESTDIR=...` of this build: the installed configuration files, the
# hook sample and the man pages name the paths the programs were built with (for
# ./configure's default prefix: /usr/local/etc/selfballoon, not /etc/selfballoon),
# so hooks copied next to the installed sample run, and the installed files are
# valid for the installed programs. Needs no root: everything goes under DESTDIR.
. "${top_srcdir:-.}/tests/integration/lib.sh"

B=${top_builddir:-.}
[ -x "$B/vss/vssd" ] && [ -x "$B/agent/selfballoond" ] || skip_all "build first"
need_cmd make
tmp=$(mktemp -d /tmp/sb-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# the paths compiled in, as the programs say them
vconf=$("$B/vss/vssd" --help | sed -n 's/.*(default \(\/[^)]*\.conf\)).*/\1/p')
aconf=$("$B/agent/selfballoond" --help | sed -n 's/.*(default \(\/[^)]*\.conf\)).*/\1/p')
etc=${vconf%/vssd.conf}
sock=$("$B/vss/vssctl" --help | sed -n 's/.*(default \(\/[^)]*\.sock\)).*/\1/p')
[ -n "$vconf" ] && [ -n "$aconf" ] && [ -n "$sock" ] || skip_all "cannot read the built-in paths from --help"
ok "built-in paths: $vconf, $aconf, socket $sock"

# MAKEFLAGS from the make that runs this test would hand its jobserver to this one
if env -u MAKEFLAGS -u MFLAGS make -C "$B" install DESTDIR="$tmp" >"$tmp.log" 2>&1; then
	ok "make install DESTDIR=$tmp"
else
	not_ok "make install failed: $(tail -5 "$tmp.log")"
	rm -f "$tmp.log"; done_testing; exit 1
fi
rm -f "$tmp.log"

check "vssd.conf installed at the built-in default $vconf" test -f "$tmp$vconf"
check "selfballoond.conf installed at the built-in default $aconf" test -f "$tmp$aconf"
hooks=$(sed -n 's/^hooks_dir = //p' "$tmp$vconf")
check "installed vssd.conf: hooks_dir = $hooks, next to the installed sample" \
	test "$hooks" = "$etc/freeze-hooks.d" -a -f "$tmp$hooks/50-postgresql.sample"
check "installed vssd.conf: socket = the socket vssctl uses by default ($sock)" \
	grep -qx "socket = $sock" "$tmp$vconf"
check "installed vssd.conf passes vssd --check-config" sh -c '"$1" --check-config -c "$2" >/dev/null' sh \
	"$B/vss/vssd" "$tmp$vconf"
check "installed selfballoond.conf passes selfballoond --check-config" \
	sh -c '"$1" --check-config -c "$2" >/dev/null' sh "$B/agent/selfballoond" "$tmp$aconf"
check "the installed hook sample says to copy it to $hooks" grep -q "copy to $hooks/" "$tmp$hooks/50-postgresql.sample"

# man pages: the configured paths, no other configuration directory
man8=$(find "$tmp" -path '*/man8/vssd.8' | head -1)
man5=$(find "$tmp" -path '*/man5/vssd.conf.5' | head -1)
mana=$(find "$tmp" -path '*/man8/selfballoond.8' | head -1)
check "vssd(8) installed" test -f "$man8"
check "vssd(8) names $vconf" grep -q "$vconf" "$man8"
check "selfballoond(8) names $aconf" grep -q "$aconf" "$mana"
check "vssd.conf(5) names $etc/freeze\\-hooks.d" grep -qF "$etc/freeze\\-hooks.d" "$man5"
if [ "$etc" != /etc/selfballoon ]; then
	left=$(grep -rlE '(^|[^[:alnum:]_/.-])/etc/selfballoon' "$tmp$etc" "${man8%/man8/*}" 2>/dev/null | tr '\n' ' ')
	check "no installed file names /etc/selfballoon (configured: $etc)${left:+: $left}" test -z "$left"
else
	skip_case "built for /etc/selfballoon: nothing to substitute (./configure's default prefix shows it)"
fi
done_testing
