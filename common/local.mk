# SPDX-License-Identifier: GPL-2.0-or-later
# common/: the little both daemons share (noinst library).
noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = \
	common/log.c common/log.h \
	common/parse.c common/parse.h \
	common/fileio.c common/fileio.h \
	common/notify.c common/notify.h \
	common/conf.c common/conf.h
common_libcommon_a_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)
