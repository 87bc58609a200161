#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# LOG_DRIVER wrapper (Makefile.am): runs automake's tap-driver.sh (the first
# arguments) and shows one line per test program when it finishes, e.g.
#   PASS: tests/unit/test_vss_mounts (41 passed, 1 skipped)
# instead of one line per case. Failing cases are shown as they come; every
# case result stays in the .trs file and the whole output in the .log file.
name='' trs='' log=''
prev=
for a in "$@"; do
	[ "$prev" = --trs-file ] && trs=$a
	[ "$prev" = --test-name ] && name=$a
	[ "$prev" = --log-file ] && log=$a
	[ "$a" = -- ] && break
	prev=$a
done
{ st=$({ { "$@" 3>&- 4>&-; echo "$?" >&3; } |
	grep -Ev '^(.\[[0-9;]*m)?(PASS|SKIP|XFAIL):' >&4; } 3>&1); } 4>&1
[ -n "$trs" ] && [ -f "$trs" ] && ${AM_TAP_AWK:-awk} -v name="${name:-${trs%.trs}}" '
	FILENAME != trs && /^1\.\.0 # SKIP / { why = $0; sub(/^1\.\.0 # SKIP /, "", why) }
	FILENAME != trs { next }
	/^:global-test-result: / { global = $2 }
	/^:test-result: / { n[$2]++ }
	END {
		s = ""
		split("PASS passed FAIL failed ERROR errors XPASS unexpectedly-passed XFAIL expected-failures SKIP skipped", k, " ")
		for (i = 1; i < 12; i += 2)
			if (n[k[i]])
				s = s (s == "" ? "" : ", ") n[k[i]] " " k[i + 1]
		if (global == "SKIP" && why != "")
			s = "skipped: " why
		printf "%s: %s (%s)\n", global == "" ? "ERROR" : global, name, s == "" ? "no result" : s
	}' trs="$trs" "${log:-/dev/null}" "$trs"
exit "${st:-1}"
