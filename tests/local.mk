# SPDX-License-Identifier: GPL-2.0-or-later
# tests/: unit (cmocka), integration (shell, real filesystems), fuzz.
# Each area adds its own unit tests in its local.mk; shared ones live here.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_common
TESTS += tests/unit/test_common
tests_unit_test_common_SOURCES = tests/unit/test_common.c
tests_unit_test_common_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_common_LDADD = common/libcommon.a $(CMOCKA_LIBS) $(INIH_LIBS)
endif

# the helpers every cmocka test includes
EXTRA_DIST += tests/unit/testutil.h

# protocol fuzz target: replayed over its corpus in make check; `make fuzz` builds it for libFuzzer
check_PROGRAMS += tests/fuzz/replay_protocol
tests_fuzz_replay_protocol_SOURCES = tests/fuzz/fuzz_protocol.c tests/fuzz/replay.c
tests_fuzz_replay_protocol_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MOUNT_CFLAGS) -I$(top_srcdir)/vss
tests_fuzz_replay_protocol_LDADD = vss/libvss.a common/libcommon.a $(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS)
TESTS += tests/fuzz/protocol.sh
EXTRA_DIST += tests/fuzz/protocol.sh tests/fuzz/corpus-protocol tests/fixtures/vss/fuzz-mountinfo

FUZZ_CC = clang
fuzz: tests/fuzz/fuzz_protocol.c
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -include $(top_builddir)/config.h \
		-I$(top_srcdir)/common -I$(top_srcdir)/vss $(JSONC_CFLAGS) $(MOUNT_CFLAGS) \
		-DSYSCONFDIR=\"$(sysconfdir)\" -DRUNSTATEDIR=\"$(runstatedir)\" \
		$(top_srcdir)/tests/fuzz/fuzz_protocol.c $(addprefix $(top_srcdir)/,$(filter %.c,$(vss_libvss_a_SOURCES) $(common_libcommon_a_SOURCES))) \
		$(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS) -o tests/fuzz/fuzz_protocol
.PHONY: fuzz

# vssd integration tests: loop filesystems in private mount namespaces (root only; skip with 77 otherwise)
TESTS += tests/integration/vss-fsfreeze.sh tests/integration/vss-freeze.sh \
	tests/integration/vss-watchdog.sh tests/integration/vss-hooks.sh \
	tests/integration/vss-socket.sh tests/integration/vss-freeze-all.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/fs.sh \
	tests/integration/vss-fsfreeze.sh tests/integration/vss-freeze.sh \
	tests/integration/vss-watchdog.sh tests/integration/vss-hooks.sh \
	tests/integration/vss-socket.sh tests/integration/vss-freeze-all.sh

# the C style (.clang-format) holds for every C file
TESTS += tests/format.sh
EXTRA_DIST += tests/format.sh
