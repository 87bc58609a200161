#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs one cmocka test program with TAP output (LOG_COMPILER in Makefile.am) and
# mends the skip lines: cmocka 1.1.5 (Debian 12) prints a skipped case as
# "not ok N # SKIP name", which TAP counts as a failure (cmocka 1.1.6 prints "ok").
# Both become "ok N - name # SKIP reason", the reason being the "# SKIP: reason"
# line tu_skip() (tests/unit/testutil.h) printed just before. Every other line
# passes through unchanged; the program's exit status is kept.
CMOCKA_MESSAGE_OUTPUT=TAP
export CMOCKA_MESSAGE_OUTPUT
{ st=$({ { "$@" 3>&- 4>&-; echo "$?" >&3; } | awk '
	/^# SKIP: / { reason = substr($0, 9) }
	/^(not )?ok [0-9]+ # SKIP / {
		line = $0
		sub(/^(not )?ok /, "", line)
		n = line
		sub(/ .*/, "", n)
		sub(/^[0-9]+ # SKIP /, "", line)
		printf "ok %s - %s # SKIP %s\n", n, line, reason == "" ? "no reason given" : reason
		reason = ""
		fflush()
		next
	}
	/^(not )?ok / { reason = "" }
	{ print; fflush() }
' >&4; } 3>&1); } 4>&1
exit "${st:-1}"
