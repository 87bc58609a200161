# SPDX-License-Identifier: GPL-2.0-or-later
# tests/hvemu: the Hyper-V VSS device emulator (FUSE), built for the tests.
if HAVE_FUSE3
check_PROGRAMS += tests/hvemu/hvemu
tests_hvemu_hvemu_SOURCES = tests/hvemu/hvemu.c
tests_hvemu_hvemu_CFLAGS = $(AM_CFLAGS) $(FUSE3_CFLAGS) -pthread
tests_hvemu_hvemu_LDADD = $(FUSE3_LIBS) -lpthread
endif
EXTRA_DIST += tests/hvemu/hvemu.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_vss_hyperv
TESTS += tests/unit/test_vss_hyperv
tests_unit_test_vss_hyperv_SOURCES = tests/unit/test_vss_hyperv.c
tests_unit_test_vss_hyperv_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(MOUNT_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/vss
tests_unit_test_vss_hyperv_LDADD = vss/libvss.a common/libcommon.a $(CMOCKA_LIBS) $(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS)
endif
EXTRA_DIST += tests/fixtures/vss/hyperv-mountinfo

# Hyper-V end to end: hv_vss_daemon validates the emulator, then vssd must match it byte for byte
TESTS += tests/integration/vss-hyperv.sh
EXTRA_DIST += tests/integration/vss-hyperv.sh
