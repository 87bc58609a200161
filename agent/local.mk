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
	agent/hotplug.c agent/hotplug.h \
	agent/psi.c agent/psi.h \
	agent/metrics.c agent/metrics.h \
	agent/writefile.c agent/writefile.h
agent_libagent_a_CFLAGS = $(AM_CFLAGS) $(UDEV_CFLAGS) $(INIH_CFLAGS)

agent_selfballoond_SOURCES = agent/selfballoond.c
agent_selfballoond_CFLAGS = $(AM_CFLAGS) $(UDEV_CFLAGS)
agent_selfballoond_LDADD = agent/libagent.a common/libcommon.a $(UDEV_LIBS) $(INIH_LIBS)

# Workload for the agent's integration tests and benches.
check_PROGRAMS += tests/integration/sb-memhog
tests_integration_sb_memhog_SOURCES = tests/integration/sb-memhog.c
tests_integration_sb_memhog_LDADD = -lpthread

# Bench: cost of one tick (bench/agent-results.md).
check_PROGRAMS += bench/agent-tick
bench_agent_tick_SOURCES = bench/agent-tick.c
bench_agent_tick_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/agent
bench_agent_tick_LDADD = agent/libagent.a common/libcommon.a $(INIH_LIBS)

TESTS += tests/integration/agent-cli.sh tests/integration/agent-balloon.sh
EXTRA_DIST += tests/integration/agent-cli.sh tests/integration/agent-balloon.sh

if HAVE_CMOCKA
AGENT_TEST_LIBS = agent/libagent.a common/libcommon.a $(CMOCKA_LIBS) $(UDEV_LIBS) $(INIH_LIBS)
AGENT_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/agent
check_PROGRAMS += tests/unit/test_agent_sample
TESTS += tests/unit/test_agent_sample
tests_unit_test_agent_sample_SOURCES = tests/unit/test_agent_sample.c
tests_unit_test_agent_sample_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_sample_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_policy
TESTS += tests/unit/test_agent_policy
tests_unit_test_agent_policy_SOURCES = tests/unit/test_agent_policy.c
tests_unit_test_agent_policy_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_policy_LDADD = $(AGENT_TEST_LIBS)
check_PROGRAMS += tests/unit/test_agent_drivers
TESTS += tests/unit/test_agent_drivers
tests_unit_test_agent_drivers_SOURCES = tests/unit/test_agent_drivers.c
tests_unit_test_agent_drivers_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_drivers_LDADD = $(AGENT_TEST_LIBS)
# the adversarial probe's regressions (shared/research/agent-adversarial-probe-2026-12.md)
check_PROGRAMS += tests/unit/test_agent_safety
TESTS += tests/unit/test_agent_safety
tests_unit_test_agent_safety_SOURCES = tests/unit/test_agent_safety.c
tests_unit_test_agent_safety_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_unit_test_agent_safety_LDADD = $(AGENT_TEST_LIBS)
endif

dist_man_MANS += man/selfballoond.8 man/selfballoond.conf.5
EXTRA_DIST += conf/selfballoond.conf scripts/demo-agent bench/agent-scenario.sh bench/agent-results.md \
	tests/fixtures/agent

# agent-balloon.sh fills this machine's memory for about a minute: run it after
# every other test, never next to one (parallel-tests honours .log dependencies).
tests/integration/agent-balloon.log: $(filter-out tests/integration/agent-balloon.log,$(TEST_LOGS))
