#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every C file is formatted as .clang-format says (clang-format 14, Debian 12's).
# To fix a file: clang-format -i FILE.
. "$top_srcdir/tests/integration/lib.sh"
need_cmd clang-format
v=$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
[ "$v" = 14 ] || skip_all "the style is pinned to clang-format 14; this is clang-format $v"
cd "$top_srcdir" || exit 1
for f in $(find common agent vss tests bench host -name '*.[ch]' 2>/dev/null | sort); do
	if clang-format --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then
		ok "formatted: $f"
	else
		not_ok "not formatted: $f (clang-format -i $f)"
	fi
done
done_testing
