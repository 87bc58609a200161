#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every file git tracks carries "SPDX-License-Identifier: GPL-2.0-or-later" in
# its first three lines (after a #! line, inside the file's comment syntax), but
# those listed in exempt() with the reason. One case for the tree, one failing
# case per file without it.
. "$top_srcdir/tests/integration/lib.sh"
cd "$top_srcdir" || exit 1
need_cmd git
git rev-parse --git-dir >/dev/null 2>&1 || skip_all "not a git checkout (the files checked are the ones git tracks)"

exempt() {
	case $1 in
	COPYING) ;;                         # the license text itself
	packaging/debian/copyright) ;;      # declares the license (machine-readable, Files: *)
	packaging/debian/changelog) ;;      # no comment syntax
	packaging/debian/source/format) ;;  # one fixed line, no comment syntax
	tests/fixtures/*) ;;                # inputs read byte for byte
	tests/fuzz/corpus-*) ;;             # fuzzer inputs
	*) return 1 ;;
	esac
}

missing=$(git ls-files | while read -r f; do
	exempt "$f" && continue
	[ -f "$f" ] || continue
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-or-later' || printf '%s\n' "$f"
done)
n=$(git ls-files | wc -l)
if [ -z "$missing" ]; then
	ok "all $n files but the exempt ones carry the SPDX line"
else
	for f in $missing; do
		not_ok "no SPDX line in the first 3 lines: $f"
	done
fi
done_testing
