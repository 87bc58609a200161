#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Replays fuzz targets over their committed corpora and mutations, one TAP case
# per target: tests/fuzz/replay-set.sh TARGET... (replay_TARGET over corpus-TARGET).
# tests/fuzz/agent.sh and tests/fuzz/vss.sh name the sets.
n=0
failed=0
for t in "$@"; do
	n=$((n + 1))
	out=$("$top_builddir/tests/fuzz/replay_$t" "$top_srcdir/tests/fuzz/corpus-$t" 2>&1)
	r=$?
	if [ $r -eq 0 ]; then
		echo "ok $n - $t: $(echo "$out" | sed -n 's/^ok 1 - //p')"
	else
		echo "not ok $n - $t: exit $r: $(echo "$out" | tail -3 | tr '\n' ' ')"
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ $failed -eq 0 ]
