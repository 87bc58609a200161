# SPDX-License-Identifier: GPL-2.0-or-later
# vss unit tests (cmocka); see tests/unit/test_vss_*.c
if HAVE_CMOCKA
VSS_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(MOUNT_CFLAGS) $(JSONC_CFLAGS)
VSS_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/vss -I$(top_srcdir)
VSS_TEST_LIBS = vss/libvss.a common/libcommon.a $(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS) \
	$(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_vss_mounts tests/unit/test_vss_protocol \
	tests/unit/test_vss_config tests/unit/test_vss_hooks
TESTS += tests/unit/test_vss_mounts tests/unit/test_vss_protocol \
	tests/unit/test_vss_config tests/unit/test_vss_hooks

tests_unit_test_vss_mounts_SOURCES = tests/unit/test_vss_mounts.c
tests_unit_test_vss_mounts_CPPFLAGS = $(VSS_TEST_CPPFLAGS)
tests_unit_test_vss_mounts_CFLAGS = $(VSS_TEST_CFLAGS)
tests_unit_test_vss_mounts_LDADD = $(VSS_TEST_LIBS)

tests_unit_test_vss_protocol_SOURCES = tests/unit/test_vss_protocol.c
tests_unit_test_vss_protocol_CPPFLAGS = $(VSS_TEST_CPPFLAGS)
tests_unit_test_vss_protocol_CFLAGS = $(VSS_TEST_CFLAGS)
tests_unit_test_vss_protocol_LDADD = $(VSS_TEST_LIBS)

tests_unit_test_vss_config_SOURCES = tests/unit/test_vss_config.c
tests_unit_test_vss_config_CPPFLAGS = $(VSS_TEST_CPPFLAGS)
tests_unit_test_vss_config_CFLAGS = $(VSS_TEST_CFLAGS)
tests_unit_test_vss_config_LDADD = $(VSS_TEST_LIBS)

tests_unit_test_vss_hooks_SOURCES = tests/unit/test_vss_hooks.c
tests_unit_test_vss_hooks_CPPFLAGS = $(VSS_TEST_CPPFLAGS)
tests_unit_test_vss_hooks_CFLAGS = $(VSS_TEST_CFLAGS)
tests_unit_test_vss_hooks_LDADD = $(VSS_TEST_LIBS)
endif

EXTRA_DIST += \
	tests/fixtures/mountinfo/nested.mountinfo \
	tests/fixtures/mountinfo/shared-sb.mountinfo \
	tests/fixtures/mountinfo/skipped.mountinfo \
	tests/fixtures/mountinfo/loop.mountinfo \
	tests/fixtures/mountinfo/special.mountinfo \
	tests/fixtures/mountinfo/overmounted.mountinfo \
	tests/fixtures/mountinfo/btrfs-loop.mountinfo \
	tests/fixtures/mountinfo/pseudo-only.mountinfo

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_vss_watchdog
TESTS += tests/unit/test_vss_watchdog
tests_unit_test_vss_watchdog_SOURCES = tests/unit/test_vss_watchdog.c
tests_unit_test_vss_watchdog_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/vss
tests_unit_test_vss_watchdog_LDADD = vss/libvss.a common/libcommon.a $(CMOCKA_LIBS)
endif
