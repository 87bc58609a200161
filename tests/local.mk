# SPDX-License-Identifier: GPL-2.0-or-later
# tests/: what every test shares. Each component's tests (unit, fuzz, integration)
# and the tools they need are listed in that component's local.mk (common/, vss/,
# agent/, packaging/), fixtures as whole directories. The TAP driver: Makefile.am.
EXTRA_DIST += tests/cmocka-tap.sh tests/tap-progress.sh tests/unit/testutil.h \
	tests/integration/lib.sh tests/integration/fs.sh

# the C style (.clang-format) holds for every C file
TESTS += tests/format.sh
EXTRA_DIST += tests/format.sh

# no function in common/, agent/, vss/, host/ is longer than 80 lines
TESTS += tests/funclen.sh
EXTRA_DIST += tests/funclen.sh

# every file carries the license's SPDX line (GPL-2.0-or-later), but the exempt ones it lists
TESTS += tests/spdx.sh
EXTRA_DIST += tests/spdx.sh

# what an operator types and reads, for every program: configuration files that are
# not files, --check-config, usage errors, version strings (no root)
TESTS += tests/integration/cli.sh
EXTRA_DIST += tests/integration/cli.sh
