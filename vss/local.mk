# SPDX-License-Identifier: GPL-2.0-or-later
# vss/: vssd (freeze daemon) and vssctl (its client).
sbin_PROGRAMS += vss/vssd vss/vssctl

noinst_LIBRARIES += vss/libvss.a
vss_libvss_a_SOURCES = \
	vss/vssd_config.c vss/vssd_config.h \
	vss/mounts.c vss/mounts.h vss/fanotify.c vss/fanotify.h \
	vss/hooks.c vss/hooks.h \
	vss/fsops.c vss/fsops.h \
	vss/watchdog.c vss/watchdog.h vss/watchdog_main.c vss/watchdog_proto.h \
	vss/record.c vss/record.h \
	vss/owner.c vss/owner.h \
	vss/freeze.c vss/freeze.h \
	vss/jsonframe.c vss/jsonframe.h \
	vss/commands.c vss/commands.h \
	vss/session.c vss/session.h \
	vss/control.c vss/control.h \
	vss/hyperv.c vss/hyperv.h vss/hyperv_abi.h \
	vss/vport.c vss/vport.h
vss_libvss_a_CFLAGS = $(AM_CFLAGS) -pthread $(MOUNT_CFLAGS) $(INIH_CFLAGS) $(JSONC_CFLAGS) \
	-DVSSD_WATCHDOG_PATH=\"$(pkglibexecdir)/vssd-watchdog\"
VSS_LIBS = vss/libvss.a common/libcommon.a $(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS) -lpthread

vss_vssd_SOURCES = vss/vssd.c vss/memlock.c vss/memlock.h
vss_vssd_CFLAGS = $(AM_CFLAGS) $(MOUNT_CFLAGS) $(JSONC_CFLAGS)
# every symbol bound at start: lazy binding would run ld.so over unlocked symbol
# tables inside the frozen window (vss/memlock.h)
vss_vssd_LDFLAGS = $(AM_LDFLAGS) -Wl,-z,now
vss_vssd_LDADD = $(VSS_LIBS)

# The watchdog as its own executable: libc only (vss/watchdog.h).
pkglibexec_PROGRAMS = vss/vssd-watchdog
vss_vssd_watchdog_SOURCES = vss/vssd-watchdog.c vss/watchdog_main.c vss/watchdog_proto.h \
	vss/fsops.c vss/fsops.h
vss_vssd_watchdog_LDADD = common/libcommon.a

vss_vssctl_SOURCES = vss/vssctl.c vss/qga_client.c vss/qga_client.h
vss_vssctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
vss_vssctl_LDADD = common/libcommon.a $(JSONC_LIBS)

dist_man_MANS += man/vssd.8 man/vssd.conf.5 man/vssctl.8
EXTRA_DIST += conf/vssd.conf conf/freeze-hooks.d/50-postgresql.sample

# ---- tests of vss: unit (cmocka), protocol fuzz replay, integration (root, loop
# filesystems in private mount namespaces; they skip otherwise)
if HAVE_CMOCKA
VSS_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(MOUNT_CFLAGS) $(JSONC_CFLAGS)
VSS_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/vss -I$(top_srcdir)
VSS_TEST_LIBS = vss/libvss.a common/libcommon.a $(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS) -lpthread \
	$(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_vss_mounts tests/unit/test_vss_protocol \
	tests/unit/test_vss_config tests/unit/test_vss_hooks
TESTS += tests/unit/test_vss_mounts tests/unit/test_vss_protocol \
	tests/unit/test_vss_config tests/unit/test_vss_hooks

tests_unit_test_vss_mounts_SOURCES = tests/unit/test_vss_mounts.c
tests_unit_test_vss_mounts_CPPFLAGS = $(VSS_TEST_CPPFLAGS)
tests_unit_test_vss_mounts_CFLAGS = $(VSS_TEST_CFLAGS)
tests_unit_test_vss_mounts_LDADD = $(VSS_TEST_LIBS)

check_PROGRAMS += tests/unit/test_vss_fanotify
TESTS += tests/unit/test_vss_fanotify
tests_unit_test_vss_fanotify_SOURCES = tests/unit/test_vss_fanotify.c
tests_unit_test_vss_fanotify_CPPFLAGS = $(VSS_TEST_CPPFLAGS)
tests_unit_test_vss_fanotify_CFLAGS = $(VSS_TEST_CFLAGS)
tests_unit_test_vss_fanotify_LDADD = $(VSS_TEST_LIBS)

check_PROGRAMS += tests/unit/test_vss_jsonframe
TESTS += tests/unit/test_vss_jsonframe
tests_unit_test_vss_jsonframe_SOURCES = tests/unit/test_vss_jsonframe.c
tests_unit_test_vss_jsonframe_CPPFLAGS = $(VSS_TEST_CPPFLAGS)
tests_unit_test_vss_jsonframe_CFLAGS = $(VSS_TEST_CFLAGS)
tests_unit_test_vss_jsonframe_LDADD = $(VSS_TEST_LIBS)

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

check_PROGRAMS += tests/unit/test_vss_watchdog
TESTS += tests/unit/test_vss_watchdog
tests_unit_test_vss_watchdog_SOURCES = tests/unit/test_vss_watchdog.c
tests_unit_test_vss_watchdog_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/vss
tests_unit_test_vss_watchdog_LDADD = vss/libvss.a common/libcommon.a $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_vss_hyperv
TESTS += tests/unit/test_vss_hyperv
tests_unit_test_vss_hyperv_SOURCES = tests/unit/test_vss_hyperv.c tests/unit/fakefs.c \
	tests/unit/fakefs.h
tests_unit_test_vss_hyperv_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(MOUNT_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/vss
tests_unit_test_vss_hyperv_LDADD = vss/libvss.a common/libcommon.a $(CMOCKA_LIBS) $(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS) -lpthread

# vssctl's client half against a scripted agent
check_PROGRAMS += tests/unit/test_vss_qga_client
TESTS += tests/unit/test_vss_qga_client
tests_unit_test_vss_qga_client_SOURCES = tests/unit/test_vss_qga_client.c vss/qga_client.c
tests_unit_test_vss_qga_client_CPPFLAGS = $(VSS_TEST_CPPFLAGS)
tests_unit_test_vss_qga_client_CFLAGS = $(VSS_TEST_CFLAGS)
tests_unit_test_vss_qga_client_LDADD = $(VSS_TEST_LIBS)

# the engine on every error path, through the fake filesystem operations
check_PROGRAMS += tests/unit/test_vss_freeze
TESTS += tests/unit/test_vss_freeze
tests_unit_test_vss_freeze_SOURCES = tests/unit/test_vss_freeze.c tests/unit/fakefs.c \
	tests/unit/fakefs.h
tests_unit_test_vss_freeze_CPPFLAGS = $(VSS_TEST_CPPFLAGS)
tests_unit_test_vss_freeze_CFLAGS = $(VSS_TEST_CFLAGS)
tests_unit_test_vss_freeze_LDADD = $(VSS_TEST_LIBS)
endif
EXTRA_DIST += tests/fixtures/mountinfo tests/fixtures/vss

# vssd's fuzz targets: the QGA session (protocol), the Hyper-V channel, the INI
# loader with both daemons' key tables (conf), mountinfo selection and order
# (mounts). Replayed over their committed corpora and mutations in make check
# (tests/fuzz/vss.sh); `make fuzz` builds them for libFuzzer and
# tests/fuzz/fuzz-run.sh runs each for a bounded time (CI).
VSS_FUZZ = protocol hyperv conf mounts
VSS_FUZZ_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MOUNT_CFLAGS) -I$(top_srcdir)/vss \
	-I$(top_srcdir)/agent -I$(top_srcdir)/tests/fuzz
VSS_FUZZ_LIBS = vss/libvss.a common/libcommon.a $(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS) -lpthread
check_PROGRAMS += tests/fuzz/replay_protocol tests/fuzz/replay_hyperv tests/fuzz/replay_conf \
	tests/fuzz/replay_mounts
tests_fuzz_replay_protocol_SOURCES = tests/fuzz/fuzz_protocol.c tests/fuzz/replay.c tests/fuzz/fuzz_vss.h
tests_fuzz_replay_protocol_CFLAGS = $(VSS_FUZZ_CFLAGS)
tests_fuzz_replay_protocol_LDADD = $(VSS_FUZZ_LIBS)
tests_fuzz_replay_hyperv_SOURCES = tests/fuzz/fuzz_hyperv.c tests/fuzz/replay.c tests/fuzz/fuzz_vss.h
tests_fuzz_replay_hyperv_CFLAGS = $(VSS_FUZZ_CFLAGS)
tests_fuzz_replay_hyperv_LDADD = $(VSS_FUZZ_LIBS)
tests_fuzz_replay_conf_SOURCES = tests/fuzz/fuzz_conf.c tests/fuzz/replay.c tests/fuzz/fuzz_vss.h
tests_fuzz_replay_conf_CFLAGS = $(VSS_FUZZ_CFLAGS)
tests_fuzz_replay_conf_LDADD = agent/libagent.a $(VSS_FUZZ_LIBS) $(UDEV_LIBS)
tests_fuzz_replay_mounts_SOURCES = tests/fuzz/fuzz_mounts.c tests/fuzz/replay.c tests/fuzz/fuzz_vss.h
tests_fuzz_replay_mounts_CFLAGS = $(VSS_FUZZ_CFLAGS)
tests_fuzz_replay_mounts_LDADD = $(VSS_FUZZ_LIBS)
TESTS += tests/fuzz/vss.sh
EXTRA_DIST += tests/fuzz/vss.sh tests/fuzz/replay-set.sh tests/fuzz/fuzz-run.sh \
	$(addprefix tests/fuzz/corpus-,$(VSS_FUZZ))

FUZZ_CC = clang
fuzz:
	for t in $(VSS_FUZZ); do \
		$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
			$(AM_CPPFLAGS) -I$(top_srcdir)/vss -I$(top_srcdir)/agent -I$(top_srcdir)/tests/fuzz \
			-DVSSD_WATCHDOG_PATH=\"$(pkglibexecdir)/vssd-watchdog\" \
			$(JSONC_CFLAGS) $(MOUNT_CFLAGS) $(UDEV_CFLAGS) $(top_srcdir)/tests/fuzz/fuzz_$$t.c \
			$(addprefix $(top_srcdir)/,$(filter %.c,$(vss_libvss_a_SOURCES) $(agent_libagent_a_SOURCES) \
				$(common_libcommon_a_SOURCES))) \
			$(MOUNT_LIBS) $(INIH_LIBS) $(JSONC_LIBS) $(UDEV_LIBS) -lpthread -o tests/fuzz/fuzz_$$t || exit 1; \
	done
.PHONY: fuzz

# freeze and thaw on loop filesystems: fsfreeze semantics, the QGA protocol, the
# watchdog, hooks, the control socket, "freeze everything" in a pivoted namespace
TESTS += tests/integration/vss-fsfreeze.sh tests/integration/vss-freeze.sh \
	tests/integration/vss-watchdog.sh tests/integration/vss-hooks.sh \
	tests/integration/vss-socket.sh tests/integration/vss-freeze-all.sh \
	tests/integration/vss-faults.sh tests/integration/vss-safety.sh \
	tests/integration/vss-memory.sh
EXTRA_DIST += tests/integration/vss-fsfreeze.sh tests/integration/vss-freeze.sh \
	tests/integration/vss-watchdog.sh tests/integration/vss-hooks.sh \
	tests/integration/vss-socket.sh tests/integration/vss-freeze-all.sh \
	tests/integration/vss-faults.sh tests/integration/vss-safety.sh \
	tests/integration/vss-memory.sh

# Hyper-V end to end: tests/hvemu (a FUSE stand-in for the hv_utils VSS device) is
# validated with hv_vss_daemon, then vssd must match it byte for byte
if HAVE_FUSE3
check_PROGRAMS += tests/hvemu/hvemu
tests_hvemu_hvemu_SOURCES = tests/hvemu/hvemu.c
tests_hvemu_hvemu_CFLAGS = $(AM_CFLAGS) $(FUSE3_CFLAGS) -pthread
tests_hvemu_hvemu_LDADD = $(FUSE3_LIBS) -lpthread
endif
TESTS += tests/integration/vss-hyperv.sh
EXTRA_DIST += tests/hvemu/hvemu.c tests/integration/vss-hyperv.sh

# a real guest under QEMU (software emulation) driven from the host
TESTS += tests/integration/vss-qemu.sh
EXTRA_DIST += tests/integration/vss-qemu.sh tests/qemu/mkinitramfs.sh tests/qemu/guest-init \
	tests/qemu/qga-client.py

# the real unit under a real systemd: a Debian 12 guest (debootstrap once, cached)
# under QEMU (TCG). Opt-in for now (about 4 min to build the image in a fresh clone,
# 2 min a run): make check TESTS=tests/integration/vss-systemd-qemu.sh
EXTRA_DIST += tests/integration/vss-systemd-qemu.sh tests/qemu/rootfs.sh tests/qemu/systemd-init \
	tests/qemu/vss-systemd-guest.sh

# host-side transports on one machine: Firecracker handshake, virtio port on a pty, vsock listener
TESTS += tests/integration/vss-hostside.sh
EXTRA_DIST += tests/integration/vss-hostside.sh tests/integration/fake-firecracker.py
