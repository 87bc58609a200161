/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for agent/agent_config.c: errors, the shared vocabulary, values as the policy resolves them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "agent_config.h"
#include "policy.h"

#define GiB (1024ULL * 1024) /* in kB */
#define MiB 1024ULL

static void test_config_errors(void **state)
{
	struct agent_conf c;
	char err[256];
	(void)state;

	agent_conf_defaults(&c);
	assert_int_equal(agent_conf_load_string(&c, "[balloon]\nmode = xen\ndown_hysteresis = 0\n",
						err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "<string>:3:"));
	agent_conf_defaults(&c);
	assert_int_equal(
		agent_conf_load_string(&c, "[balloon]\nup_hysteresis = 0\n", err, sizeof(err)),
		-EINVAL);
	agent_conf_defaults(&c);
	assert_int_equal(agent_conf_load_string(&c, "[balloon]\nbogus = 1\n", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "[balloon] bogus: unknown key"));
	agent_conf_defaults(&c);
	assert_int_equal(agent_conf_load_string(&c, "[nope]\nx = 1\n", err, sizeof(err)), -EINVAL);
	agent_conf_defaults(&c);
	assert_int_equal(
		agent_conf_load_string(&c, "[balloon]\ndriver = sysfs\n", err, sizeof(err)),
		-EINVAL);
	agent_conf_defaults(&c);
	assert_int_equal(agent_conf_load_string(&c, "[pressure]\npsi_stall = 2s\npsi_window = 1s\n",
						err, sizeof(err)),
			 -EINVAL);
	agent_conf_defaults(&c);
	assert_int_equal(
		agent_conf_load_string(&c, "[balloon]\ninterval = 5 parsecs\n", err, sizeof(err)),
		-EINVAL);
}

/* new in the shared vocabulary: duplicates, empty unknown sections, --set through the table */
static void test_config_vocabulary(void **state)
{
	struct agent_conf c;
	char err[512];
	(void)state;

	agent_conf_defaults(&c);
	assert_int_equal(agent_conf_load_string(&c, "[balloon]\ninterval = 1s\n\ninterval = 2s\n",
						err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "<string>:4: [balloon] interval: given twice in this file (keep one)");
	assert_int_equal(agent_conf_load_string(&c, "[balloon]\n[ballon]\n", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "<string>:2: unknown section [ballon] (expected [balloon], "
				 "[pressure], [host], [hotplug], [metrics] or [daemon])");
	agent_conf_defaults(&c);
	assert_int_equal(agent_conf_set(&c, "balloon.interval=250ms", err, sizeof(err)), 0);
	assert_int_equal(c.interval_ms, 250);
	assert_int_equal(agent_conf_set(&c, "pressure.psi_window=20s", err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "--set 'pressure.psi_window=20s': [pressure] psi_window: 20s is out "
			    "of range [500ms, 10s]");
	assert_int_equal(agent_conf_set(&c, "daemon.oom_score_adj", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--set 'daemon.oom_score_adj': expected SECTION.KEY=VALUE");
	assert_int_equal(agent_conf_set(&c, "balloon.mode=fast", err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err, "--set 'balloon.mode=fast': [balloon] mode: 'fast' is not adaptive or xen");
}

static void test_config_values(void **state)
{
	struct agent_conf c;
	struct policy_conf pc;
	char err[256];
	(void)state;

	agent_conf_defaults(&c);
	assert_int_equal(
		agent_conf_load_string(
			&c,
			"[balloon]\ndriver = userspace\nmode = xen\ninterval = 250ms\nreserved = 512M\n"
			"down_hysteresis = 10\nmin_memory = 2G\nmax_memory = 50%\non_exit = keep\nchunk = 32M\n"
			"[pressure]\npsi_threshold = 2.5%\ncooldown = 1min\navail_floor = 300M\n"
			"[hotplug]\nonline = online_movable\nretries = 5\n"
			"[metrics]\ntextfile = /run/sb.prom\n[daemon]\noom_score_adj = -1000\n",
			err, sizeof(err)),
		0);
	assert_string_equal(c.driver, "userspace");
	assert_int_equal(c.mode, MODE_XEN);
	assert_int_equal(c.interval_ms, 250);
	assert_int_equal(c.down_hysteresis, 10);
	assert_int_equal(c.on_exit, ON_EXIT_KEEP);
	assert_int_equal(c.chunk_bytes, 32 << 20);
	assert_int_equal(c.psi_threshold, 250);
	assert_int_equal(c.cooldown_ms, 60000);
	assert_int_equal(c.online, ONLINE_MOVABLE);
	assert_int_equal(c.online_retries, 5);
	assert_string_equal(c.textfile, "/run/sb.prom");
	assert_int_equal(c.oom_score_adj, -1000);
	policy_conf_resolve(&pc, &c, 8 * GiB, 4);
	assert_int_equal(pc.reserved_kb, 512 * MiB);
	assert_int_equal(pc.min_kb, 2 * GiB);
	assert_int_equal(pc.max_kb, 4 * GiB);
	assert_int_equal(pc.avail_floor_kb, 300 * MiB);
	assert_false(pc.min_auto);
	assert_int_equal(
		agent_conf_load_string(&c, "[pressure]\nfill_rate = 10%\n", err, sizeof(err)), 0);
	policy_conf_resolve(&pc, &c, 8 * GiB, 4);
	assert_int_equal(pc.fill_rate_kb, 8 * GiB / 10);
}

/* [host] reclaim and margin: defaults, values, errors. */
static void test_config_host_trim_keys(void **state)
{
	struct agent_conf c;
	char err[256];
	(void)state;

	agent_conf_defaults(&c);
	assert_int_equal(c.host_reclaim, HOST_RECLAIM_AUTO);
	assert_true(c.host_margin.is_percent);
	assert_int_equal(c.host_margin.permille, 250);
	assert_int_equal(agent_conf_load_string(&c, "[host]\nreclaim = on\nmargin = 256M\n", err,
						sizeof(err)),
			 0);
	assert_int_equal(c.host_reclaim, HOST_RECLAIM_ON);
	assert_false(c.host_margin.is_percent);
	assert_int_equal(c.host_margin.bytes, 256ULL << 20);
	assert_int_equal(agent_conf_set(&c, "host.reclaim=off", err, sizeof(err)), 0);
	assert_int_equal(c.host_reclaim, HOST_RECLAIM_OFF);
	assert_int_equal(agent_conf_set(&c, "host.reclaim=maybe", err, sizeof(err)), -EINVAL);
	assert_int_equal(agent_conf_set(&c, "host.margin=lots", err, sizeof(err)), -EINVAL);
}

/* SIGHUP: every driver setting stays as it runs and is named; the others change. */
static void test_config_reload_keeps_driver(void **state)
{
	struct agent_conf run, next;
	char err[256], names[256];
	(void)state;

	agent_conf_defaults(&run);
	assert_int_equal(
		agent_conf_load_string(&run, "[balloon]\ndriver = host\n", err, sizeof(err)), 0);
	agent_conf_defaults(&next);
	assert_int_equal(
		agent_conf_load_string(&next,
				       "[balloon]\ndriver = reclaim\nchunk = 32M\ninterval = 1s\n"
				       "[host]\nvirtio_port = /dev/vport1p1\nvsock_port = 9\n"
				       "reclaim = off\nmargin = 50%\n",
				       err, sizeof(err)),
		0);
	assert_int_equal(agent_conf_keep_driver(&next, &run, names, sizeof(names)), 6);
	assert_string_equal(names, "[balloon] driver, [balloon] chunk, [host] virtio_port, "
				   "[host] vsock_port, [host] reclaim, [host] margin");
	assert_string_equal(next.driver, "host");
	assert_int_equal(next.chunk_bytes, 64 << 20);
	assert_string_equal(next.host_port, "org.selfballoon.balloon.0");
	assert_int_equal(next.vsock_port, 0);
	assert_int_equal(next.host_reclaim, HOST_RECLAIM_AUTO);
	assert_int_equal(next.host_margin.permille, 250);
	assert_int_equal(next.interval_ms, 1000); /* not a driver setting: reloaded */
	/* the same again: nothing named */
	assert_int_equal(agent_conf_keep_driver(&next, &run, names, sizeof(names)), 0);
	assert_string_equal(names, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_config_vocabulary),
		cmocka_unit_test(test_config_host_trim_keys),
		cmocka_unit_test(test_config_reload_keeps_driver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
