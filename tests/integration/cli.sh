#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What an operator types and reads, for every program: configuration files that
# are not files (a directory, a FIFO, /dev/zero) refused at once with what they
# are, --check-config of a missing file never "ok", usage errors before any
# connection (exit 2), one version form. Needs no root and touches nothing of
# this machine (every path is under a temporary directory).
. "${top_srcdir:-.}/tests/integration/lib.sh"

B=${top_builddir:-.}
VSSD=$B/vss/vssd
AGENT=$B/agent/selfballoond
for p in "$VSSD" "$AGENT"; do [ -x "$p" ] || skip_all "build first ($p)"; done

tmp=$(mktemp -d /tmp/sb-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
mkfifo "$tmp/fifo"
mkdir "$tmp/dir"

# expect_fail DESCRIPTION PATTERN COMMAND...: COMMAND exits 1 within 5 s and its
# stderr matches the shell PATTERN
expect_fail() {
	_d=$1 _p=$2; shift 2
	_out=$(timeout 5 "$@" 2>&1 >/dev/null); _rc=$?
	case "$_rc:$_out" in
	1:$_p) ok "$_d" ;;
	*) not_ok "$_d: rc $_rc, said: $_out" ;;
	esac
}

# --- configuration files that are not files ---
for p in "$VSSD" "$AGENT"; do
	n=${p##*/}
	expect_fail "$n --check-config -c DIR: refused as a directory" \
		"$n: $tmp/dir: a directory, not a configuration file (expected a regular file)" \
		"$p" --check-config -c "$tmp/dir"
	expect_fail "$n --check-config -c FIFO: refused at once, no writer waited for" \
		"$n: $tmp/fifo: a FIFO, not a configuration file*" "$p" --check-config -c "$tmp/fifo"
	expect_fail "$n --check-config -c /dev/zero: refused at once, not read forever" \
		"$n: /dev/zero: a character device, not a configuration file*" \
		"$p" --check-config -c /dev/zero
	expect_fail "$n --check-config of a missing file is not ok" \
		"$n: $tmp/none.conf: No such file or directory" "$p" --check-config -c "$tmp/none.conf"
	out=$("$p" --check-config -c /dev/null 2>&1); rc=$?
	[ "$rc" -eq 0 ] && ok "$n --check-config -c /dev/null: the built-in defaults ($out)" ||
		not_ok "$n -c /dev/null: rc $rc: $out"
done
# the default path, when no file is there: named, not "ok" (the daemon itself runs
# on the built-in defaults then, as the man pages say)
for p in "$VSSD" "$AGENT"; do
	n=${p##*/}
	def=$("$p" --help | sed -n 's/.*(default \(\/[^)]*\.conf\)).*/\1/p' | head -1)
	if [ -z "$def" ]; then not_ok "$n --help names no default configuration file"
	elif [ -e "$def" ]; then skip_case "$n: $def exists on this machine: cannot check a missing default"
	else
		expect_fail "$n --check-config without -c and no $def: not ok" \
			"$n: $def: No such file or directory" "$p" --check-config
	fi
done
# the daemon itself refuses a directory too (it used to start on the built-in defaults)
expect_fail "selfballoond --once -c DIR refused" "*a directory, not a configuration file*" \
	"$AGENT" --once --dry-run -c "$tmp/dir"
expect_fail "vssd -f -c DIR refused" "*a directory, not a configuration file*" "$VSSD" -f -c "$tmp/dir"
done_testing
