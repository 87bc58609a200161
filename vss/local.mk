# SPDX-License-Identifier: GPL-2.0-or-later
# vss/: vssd (freeze daemon) and vssctl (its client).
sbin_PROGRAMS += vss/vssd vss/vssctl

noinst_LIBRARIES += vss/libvss.a
vss_libvss_a_SOURCES = \
	vss/vssd_config.c vss/vssd_config.h \
	vss/mounts.c vss/mounts.h \
	vss/hooks.c vss/hooks.h \
	vss/watchdog.c vss/watchdog.h \
	vss/record.c vss/record.h \
	vss/freeze.c vss/freeze.h \
	vss/jsonframe.c vss/jsonframe.h \
	vss/commands.c vss/commands.h \
	vss/session.c vss/session.h \
	vss/control.c vss/control.h \
	vss/hyperv.c vss/hyperv.h vss/hyperv_abi.h \
	vss/vport.c vss/vport.h
vss_libvss_a_CFLAGS = $(AM_CFLAGS) $(MOUNT_CFLAGS) $(INIH_CFLAGS) $(JSONC_CFLAGS)
VSS_LIBS = vss/libvss.a common/libcommon.a $(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS)

vss_vssd_SOURCES = vss/vssd.c
vss_vssd_CFLAGS = $(AM_CFLAGS) $(MOUNT_CFLAGS) $(JSONC_CFLAGS)
vss_vssd_LDADD = $(VSS_LIBS)

vss_vssctl_SOURCES = vss/vssctl.c
vss_vssctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
vss_vssctl_LDADD = common/libcommon.a $(JSONC_LIBS)

dist_man_MANS += man/vssd.8 man/vssd.conf.5 man/vssctl.8
EXTRA_DIST += conf/vssd.conf conf/freeze-hooks.d/50-postgresql.sample
