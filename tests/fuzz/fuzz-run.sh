#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs libFuzzer targets for SECONDS each, starting from their committed corpora
# (copied: new inputs stay in a temporary directory; commit the interesting ones
# by hand). Builds them with `make MAKE_TARGET` (clang). Prints one TAP line per
# target with its runs; exits 1 on any finding, leaving the crashing input in the
# build tree (tests/fuzz/crash-TARGET-*).
# Usage, from the build tree: tests/fuzz/fuzz-run.sh MAKE_TARGET SECONDS TARGET...
# (scripts/test: `fuzz-agent` with the agent's targets, `fuzz` with vssd's).
set -u
[ $# -ge 3 ] || { echo "usage: $0 MAKE_TARGET SECONDS TARGET..." >&2; exit 2; }
mk=$1
secs=$2
shift 2
S=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v clang >/dev/null 2>&1 || { echo "1..0 # SKIP needs clang (libFuzzer)"; exit 77; }
make -s "$mk" >/dev/null || { echo "not ok 1 - make $mk failed"; exit 1; }
work=$(mktemp -d /tmp/sb-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
rc=0
n=0
for t in "$@"; do
	n=$((n + 1))
	mkdir -p "$work/$t"
	cp "$S/tests/fuzz/corpus-$t"/* "$work/$t/"
	if FIXTURES="$S/tests/fixtures" tests/fuzz/fuzz_$t -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=tests/fuzz/crash-$t- -print_final_stats=1 \
		"$work/$t" >"$work/$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
		echo "ok $n - fuzz_$t: $runs runs in ${secs} s, no finding"
	else
		echo "not ok $n - fuzz_$t: finding (tests/fuzz/crash-$t-*)"
		tail -n 30 "$work/$t.log"
		rc=1
	fi
done
echo "1..$n"
exit $rc
