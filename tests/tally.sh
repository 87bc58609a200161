#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Totals what `make check` ran: cmocka cases from their logs, shell test cases
# from their "ok"/"not ok"/"skip" lines, and whole tests that skipped (exit 77).
# Prints the failing logs, then one closing line "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
for trs in $(find tests -name '*.trs' | sort); do
	log=${trs%.trs}.log
	res=$(sed -n 's/^:test-result: //p' "$trs" | head -1)
	if [ "$res" = SKIP ]; then
		skipped=$((skipped + 1))
		echo "SKIP ${trs%.trs}: $(grep -m1 -i 'skip' "$log" 2>/dev/null || echo 'no reason given')"
		continue
	fi
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	p=$((p + $(grep -c '^ok ' "$log" || true)))
	f=$((f + $(grep -c '^not ok ' "$log" || true)))
	s=$(grep -c '^skip ' "$log" || true)
	skipped=$((skipped + s))
	if [ "$res" != PASS ] && [ "$f" -eq 0 ]; then
		f=1   # crashed or exited non-zero without reporting a case
	fi
	if [ "$f" -gt 0 ]; then
		echo "---- ${log} ----"
		tail -n 60 "$log"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
if [ $((passed + failed)) -eq 0 ]; then
	echo "no test ran"
	failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
