#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# No function in the programs' sources (common/, agent/, vss/, host/) has a body
# longer than 80 lines (ARCHITECTURE.md, coding rules): one case per file, each
# long function named with its length. A long function is split into functions
# with one job each, not cut in halves.
#
# The body is what lies between a function's braces. tests/format.sh holds every
# C file to .clang-format (Linux braces), so a definition's braces are the only
# lines that are exactly "{" and that start with "}" at column 0: no C parser or
# ctags is needed. A file whose braces do not pair up that way fails as such.
#
# Exceptions: none. One would be listed here as FILE:FUNCTION with the reason.
. "$top_srcdir/tests/integration/lib.sh"
limit=80
cd "$top_srcdir" || exit 1

# long FILE: prints "LINE NAME LENGTH" for each function over the limit, and
# "unbalanced LINE" if a body opened at LINE does not close at column 0
long() {
	awk -v limit="$limit" '
	/^\{$/ {
		if (start) { print "unbalanced " start; start = 0; exit }
		start = FNR; name = sig; next
	}
	/^\}/ && start {
		if (FNR - start - 1 > limit) print start, name, FNR - start - 1
		start = 0; sig = "?"; next
	}
	!start && /^[A-Za-z_].*\(/ {
		sig = $0; sub(/\(.*/, "", sig); sub(/.*[ *]/, "", sig)
	}
	END { if (start) print "unbalanced " start }
	' "$1"
}

for f in $(find common agent vss host -name '*.[ch]' | sort); do
	out=$(long "$f")
	if [ -z "$out" ]; then
		ok "functions of at most $limit lines: $f"
		continue
	fi
	printf '%s\n' "$out" | while read -r line name n; do
		if [ "$line" = unbalanced ]; then
			echo "# $f:$name: a body that opens with { at column 0 does not close at column 0 (clang-format -i $f)"
		else
			echo "# $f:$line: $name: $n lines (limit $limit)"
		fi
	done
	not_ok "a function over $limit lines, or unpaired braces: $f"
done
done_testing
