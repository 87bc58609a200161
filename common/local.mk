# SPDX-License-Identifier: GPL-2.0-or-later
# common/: the little both daemons share (noinst library).
noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = \
	common/log.c common/log.h \
	common/parse.c common/parse.h \
	common/fileio.c common/fileio.h \
	common/notify.c common/notify.h \
	common/conf.c common/conf.h \
	common/confkey.c common/confset.c common/confkey.h \
	common/util.c common/util.h \
	common/loop.c common/loop.h \
	common/balloonproto.c common/balloonproto.h
common_libcommon_a_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)

# ---- tests of common
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_common_parse
TESTS += tests/unit/test_common_parse
tests_unit_test_common_parse_SOURCES = tests/unit/test_common_parse.c
tests_unit_test_common_parse_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_common_parse_LDADD = common/libcommon.a $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_common_fileio
TESTS += tests/unit/test_common_fileio
tests_unit_test_common_fileio_SOURCES = tests/unit/test_common_fileio.c
tests_unit_test_common_fileio_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_common_fileio_LDADD = common/libcommon.a $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_common_util
TESTS += tests/unit/test_common_util
tests_unit_test_common_util_SOURCES = tests/unit/test_common_util.c
tests_unit_test_common_util_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_common_util_LDADD = common/libcommon.a $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_common_conf
TESTS += tests/unit/test_common_conf
tests_unit_test_common_conf_SOURCES = tests/unit/test_common_conf.c
tests_unit_test_common_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_common_conf_LDADD = common/libcommon.a $(CMOCKA_LIBS) $(INIH_LIBS)
check_PROGRAMS += tests/unit/test_common_loop
TESTS += tests/unit/test_common_loop
tests_unit_test_common_loop_SOURCES = tests/unit/test_common_loop.c
tests_unit_test_common_loop_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_common_loop_LDADD = common/libcommon.a $(CMOCKA_LIBS)
endif
