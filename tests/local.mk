# tests/: unit (cmocka), integration (shell, real filesystems), fuzz.
# Each area adds its own unit tests in its local.mk; shared ones live here.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_common
TESTS += tests/unit/test_common
tests_unit_test_common_SOURCES = tests/unit/test_common.c
tests_unit_test_common_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_common_LDADD = common/libcommon.a $(CMOCKA_LIBS) $(INIH_LIBS)
endif
