# SPDX-License-Identifier: GPL-2.0-or-later
# host/: selfballoon-host, the relay on the host for selfballoond's `driver = host`.
# It belongs to a host package of its own (Debian/RPM: not split yet, see
# packaging/debian/README.source); `make install` installs it with the rest.
sbin_PROGRAMS += host/selfballoon-host

# Everything but main() goes into a library so unit tests link the same code.
noinst_LIBRARIES += host/libhost.a
host_libhost_a_SOURCES = \
	host/relay.c host/relay.h \
	host/port.c host/port.h \
	host/vmm.c host/vmm.h host/vmm_json.h \
	host/vmm_qmp.c host/vmm_firecracker.c host/vmm_chv.c \
	host/http.c host/http.h
host_libhost_a_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)

host_selfballoon_host_SOURCES = host/selfballoon-host.c
host_selfballoon_host_LDADD = host/libhost.a common/libcommon.a $(JSONC_LIBS) $(INIH_LIBS)

dist_man_MANS += man/selfballoon-host.8

TESTS += tests/integration/host-relay.sh
EXTRA_DIST += tests/integration/host-relay.sh tests/integration/fake-vmm.py \
	tests/integration/fake-guest.py

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_host_relay
TESTS += tests/unit/test_host_relay
tests_unit_test_host_relay_SOURCES = tests/unit/test_host_relay.c
tests_unit_test_host_relay_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/host
tests_unit_test_host_relay_LDADD = host/libhost.a common/libcommon.a $(CMOCKA_LIBS) $(JSONC_LIBS) \
	$(INIH_LIBS)
endif

# guest input fuzz target: replayed over its corpus in make check; `make fuzz-relay` builds it
# for libFuzzer
check_PROGRAMS += tests/fuzz/replay_relay
tests_fuzz_replay_relay_SOURCES = tests/fuzz/fuzz_relay.c tests/fuzz/replay.c
tests_fuzz_replay_relay_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/host
tests_fuzz_replay_relay_LDADD = host/libhost.a common/libcommon.a $(JSONC_LIBS) $(INIH_LIBS)
TESTS += tests/fuzz/relay.sh
EXTRA_DIST += tests/fuzz/relay.sh tests/fuzz/corpus-relay
fuzz-relay: tests/fuzz/fuzz_relay.c
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -include $(top_builddir)/config.h \
		-I$(top_srcdir)/common -I$(top_srcdir)/host $(top_srcdir)/tests/fuzz/fuzz_relay.c \
		$(top_srcdir)/host/relay.c $(top_srcdir)/common/balloonproto.c $(top_srcdir)/common/log.c \
		-o tests/fuzz/fuzz_relay
.PHONY: fuzz-relay
TESTS += tests/integration/host-qemu.sh
EXTRA_DIST += tests/integration/host-qemu.sh

# the balloon test guests (host-qemu.sh here; the agent's balloon tests and bench/density.sh too)
EXTRA_DIST += tests/qemu/kit.sh tests/qemu/balloon-lib.sh tests/qemu/balloon-init tests/qemu/qmp.py \
	tests/qemu/scenario-relay.sh
