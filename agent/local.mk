# SPDX-License-Identifier: GPL-2.0-or-later
# agent/: selfballoond, the self-ballooning agent.
sbin_PROGRAMS += agent/selfballoond

# Everything but main() goes into a library so unit tests link the same code.
noinst_LIBRARIES += agent/libagent.a
agent_libagent_a_SOURCES = \
	agent/sample.c agent/sample.h \
	agent/zoneinfo.c agent/zoneinfo.h \
	agent/policy.c agent/policy.h \
	agent/agent_config.c agent/agent_config.h \
	agent/driver.c agent/driver.h \
	agent/driver_xen.c agent/driver_sysfs.c agent/driver_userspace.c agent/driver_none.c \
	agent/driver_reclaim.c agent/driver_host.c \
	agent/hotplug.c agent/hotplug.h \
	agent/psi.c agent/psi.h \
	agent/metrics.c agent/metrics.h \
	agent/writefile.c agent/writefile.h \
	agent/plausible.c agent/plausible.h agent/logonce.c agent/logonce.h
agent_libagent_a_CFLAGS = $(AM_CFLAGS) $(UDEV_CFLAGS) $(INIH_CFLAGS)

agent_selfballoond_SOURCES = agent/selfballoond.c
agent_selfballoond_CFLAGS = $(AM_CFLAGS) $(UDEV_CFLAGS)
agent_selfballoond_LDADD = agent/libagent.a common/libcommon.a $(UDEV_LIBS) $(INIH_LIBS) -lpthread

# Workload for the agent's integration tests and benches.
check_PROGRAMS += tests/integration/sb-memhog
tests_integration_sb_memhog_SOURCES = tests/integration/sb-memhog.c
tests_integration_sb_memhog_LDADD = -lpthread

# Bench: cost of one tick (bench/agent-results.md).
check_PROGRAMS += bench/agent-tick
bench_agent_tick_SOURCES = bench/agent-tick.c
bench_agent_tick_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/agent
bench_agent_tick_LDADD = agent/libagent.a common/libcommon.a $(INIH_LIBS) -lpthread

TESTS += tests/integration/agent-cli.sh tests/integration/agent-balloon.sh
EXTRA_DIST += tests/integration/agent-cli.sh tests/integration/agent-balloon.sh
# the fault matrix (issue 13): the daemon on a fake tree under pressure, one fault at a time
TESTS += tests/integration/agent-faults.sh
EXTRA_DIST += tests/integration/agent-faults.sh tests/integration/fault-shim.c

if HAVE_CMOCKA
AGENT_TEST_LIBS = agent/libagent.a common/libcommon.a $(CMOCKA_LIBS) $(UDEV_LIBS) $(INIH_LIBS) -lpthread
AGENT_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/agent
check_PROGRAMS += tests/unit/test_agent_sample
TESTS += tests/unit/test_agent_sample
tests_unit_test_agent_sample_SOURCES = tests/unit/test_agent_sample.c
tests_unit_test_agent_sample_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_sample_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_zoneinfo
TESTS += tests/unit/test_agent_zoneinfo
tests_unit_test_agent_zoneinfo_SOURCES = tests/unit/test_agent_zoneinfo.c
tests_unit_test_agent_zoneinfo_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_zoneinfo_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_policy
TESTS += tests/unit/test_agent_policy
tests_unit_test_agent_policy_SOURCES = tests/unit/test_agent_policy.c tests/unit/policy_case.h
tests_unit_test_agent_policy_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_policy_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_config
TESTS += tests/unit/test_agent_config
tests_unit_test_agent_config_SOURCES = tests/unit/test_agent_config.c
tests_unit_test_agent_config_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_config_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_metrics
TESTS += tests/unit/test_agent_metrics
tests_unit_test_agent_metrics_SOURCES = tests/unit/test_agent_metrics.c
tests_unit_test_agent_metrics_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_metrics_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_drivers
TESTS += tests/unit/test_agent_drivers
tests_unit_test_agent_drivers_SOURCES = tests/unit/test_agent_drivers.c
tests_unit_test_agent_drivers_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_drivers_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_hotplug
TESTS += tests/unit/test_agent_hotplug
tests_unit_test_agent_hotplug_SOURCES = tests/unit/test_agent_hotplug.c
tests_unit_test_agent_hotplug_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_hotplug_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_reclaim
TESTS += tests/unit/test_agent_reclaim
tests_unit_test_agent_reclaim_SOURCES = tests/unit/test_agent_reclaim.c
tests_unit_test_agent_reclaim_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_reclaim_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_host
TESTS += tests/unit/test_agent_host
tests_unit_test_agent_host_SOURCES = tests/unit/test_agent_host.c
tests_unit_test_agent_host_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_host_LDADD = $(AGENT_TEST_LIBS)
# the adversarial probe's regressions, and the safety rule as a property (tests/unit/agent_rule.h)
check_PROGRAMS += tests/unit/test_agent_safety tests/unit/test_agent_property
TESTS += tests/unit/test_agent_safety tests/unit/test_agent_property
tests_unit_test_agent_safety_SOURCES = tests/unit/test_agent_safety.c tests/unit/policy_case.h
tests_unit_test_agent_safety_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_safety_LDADD = $(AGENT_TEST_LIBS)
tests_unit_test_agent_property_SOURCES = tests/unit/test_agent_property.c tests/unit/agent_rule.h
tests_unit_test_agent_property_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_property_LDADD = $(AGENT_TEST_LIBS)
endif

dist_man_MANS += man/selfballoond.8 man/selfballoond.conf.5
EXTRA_DIST += conf/selfballoond.conf scripts/demo-agent bench/agent-scenario.sh bench/agent-results.md \
	tests/fixtures/agent

# The agent's drivers for KVM hosts under QEMU (TCG, the balloon test guest of
# tests/qemu/balloon-lib.sh): one guest at a time, after the other QEMU tests.
TESTS += tests/integration/reclaim-qemu.sh tests/integration/agent-host-qemu.sh \
	tests/integration/agent-host-reclaim-qemu.sh
EXTRA_DIST += tests/integration/reclaim-qemu.sh tests/integration/agent-host-qemu.sh \
	tests/integration/agent-host-reclaim-qemu.sh tests/qemu/scenario-reclaim.sh \
	tests/qemu/scenario-agent-host.sh tests/qemu/scenario-agent-host-reclaim.sh
tests/integration/reclaim-qemu.log: tests/integration/host-qemu.log tests/integration/vss-qemu.log
tests/integration/agent-host-qemu.log: tests/integration/reclaim-qemu.log
tests/integration/agent-host-reclaim-qemu.log: tests/integration/agent-host-qemu.log

# agent-balloon.sh fills this machine's memory for about a minute: run it after
# every other test, never next to one (parallel-tests honours .log dependencies).
tests/integration/agent-balloon.log: $(filter-out tests/integration/agent-balloon.log,$(TEST_LOGS))

# Fuzz targets of the agent's parsers and policy (the policy's with the safety rule as
# its assertion): replayed over their committed corpora and mutations in make check
# (tests/fuzz/agent.sh); `make fuzz-agent` builds them for libFuzzer and
# tests/fuzz/fuzz-run.sh runs each for a bounded time (CI).
AGENT_FUZZ = meminfo vmstat psi zoneinfo policy
AGENT_FUZZ_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/agent -I$(top_srcdir)/tests/unit -I$(top_srcdir)/tests/fuzz
AGENT_FUZZ_LIBS = agent/libagent.a common/libcommon.a $(UDEV_LIBS) $(INIH_LIBS) -lpthread
check_PROGRAMS += tests/fuzz/replay_meminfo tests/fuzz/replay_vmstat tests/fuzz/replay_psi \
	tests/fuzz/replay_zoneinfo tests/fuzz/replay_policy
tests_fuzz_replay_meminfo_SOURCES = tests/fuzz/fuzz_meminfo.c tests/fuzz/replay.c tests/fuzz/fuzz_agent.h
tests_fuzz_replay_meminfo_CFLAGS = $(AGENT_FUZZ_CFLAGS)
tests_fuzz_replay_meminfo_LDADD = $(AGENT_FUZZ_LIBS)
tests_fuzz_replay_vmstat_SOURCES = tests/fuzz/fuzz_vmstat.c tests/fuzz/replay.c tests/fuzz/fuzz_agent.h
tests_fuzz_replay_vmstat_CFLAGS = $(AGENT_FUZZ_CFLAGS)
tests_fuzz_replay_vmstat_LDADD = $(AGENT_FUZZ_LIBS)
tests_fuzz_replay_psi_SOURCES = tests/fuzz/fuzz_psi.c tests/fuzz/replay.c tests/fuzz/fuzz_agent.h
tests_fuzz_replay_psi_CFLAGS = $(AGENT_FUZZ_CFLAGS)
tests_fuzz_replay_psi_LDADD = $(AGENT_FUZZ_LIBS)
tests_fuzz_replay_zoneinfo_SOURCES = tests/fuzz/fuzz_zoneinfo.c tests/fuzz/replay.c tests/fuzz/fuzz_agent.h
tests_fuzz_replay_zoneinfo_CFLAGS = $(AGENT_FUZZ_CFLAGS)
tests_fuzz_replay_zoneinfo_LDADD = $(AGENT_FUZZ_LIBS)
tests_fuzz_replay_policy_SOURCES = tests/fuzz/fuzz_policy.c tests/fuzz/replay.c tests/fuzz/fuzz_agent.h \
	tests/unit/agent_rule.h
tests_fuzz_replay_policy_CFLAGS = $(AGENT_FUZZ_CFLAGS)
tests_fuzz_replay_policy_LDADD = $(AGENT_FUZZ_LIBS)
TESTS += tests/fuzz/agent.sh
EXTRA_DIST += tests/fuzz/agent.sh $(addprefix tests/fuzz/corpus-,$(AGENT_FUZZ))

fuzz-agent:
	for t in $(AGENT_FUZZ); do \
		$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
			-include $(top_builddir)/config.h -I$(top_srcdir)/common -I$(top_srcdir)/agent \
			-I$(top_srcdir)/tests/unit -I$(top_srcdir)/tests/fuzz \
			-DSYSCONFDIR=\"$(sysconfdir)\" -DRUNSTATEDIR=\"$(runstatedir)\" $(UDEV_CFLAGS) \
			$(top_srcdir)/tests/fuzz/fuzz_$$t.c \
			$(addprefix $(top_srcdir)/,$(filter %.c,$(agent_libagent_a_SOURCES) $(common_libcommon_a_SOURCES))) \
			$(UDEV_LIBS) $(INIH_LIBS) -lpthread -o tests/fuzz/fuzz_$$t || exit 1; \
	done
.PHONY: fuzz-agent

# The density benchmark (bench/density.sh, QEMU under TCG; run by hand as root).
EXTRA_DIST += bench/density.sh bench/density-scenario.sh bench/density-results.md
