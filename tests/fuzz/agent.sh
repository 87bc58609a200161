#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Replays the agent's fuzz targets (meminfo, vmstat, PSI, zoneinfo parsers; the
# policy with its safety rule) over their committed corpora and mutations. TAP.
n=0
failed=0
for t in meminfo vmstat psi zoneinfo policy; do
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
