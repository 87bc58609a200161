/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for agent/metrics.c: the textfile written without fsync, its content and names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "metrics.h"
#include "policy.h"

/* Counts fsync/fdatasync calls from the code under test (the executable's definitions win). */
static int fsyncs;
int fsync(int fd)
{
	(void)fd;
	fsyncs++;
	return 0;
}
int fdatasync(int fd)
{
	(void)fd;
	fsyncs++;
	return 0;
}

/*
 * The textfile is written with tmp + rename and never fsync'd (an fsync on a
 * frozen filesystem blocks the tick), and a directory off tmpfs is reported.
 */
static void test_metrics_textfile_no_fsync(void **state)
{
	char *dir = tu_mkdtemp();
	char path[300], buf[8192];
	struct metrics m = { 0 };
	struct decision d = { .target_kb = 2, .reason = REASON_GOAL };
	struct sample s = { 0 };
	unsigned long type;
	(void)state;

	snprintf(path, sizeof(path), "%s/selfballoond.prom", dir);
	fsyncs = 0;
	assert_int_equal(metrics_write(path, &m, &d, &s, "none", "adaptive"), 0);
	assert_int_equal(fsyncs, 0);
	assert_non_null(strstr(tu_read(dir, "selfballoond.prom", buf, sizeof(buf)),
			       "selfballoond_target_bytes 2048\n"));
	assert_int_equal(access(strcat(strcpy(buf, path), ".tmp"), F_OK), -1); /* renamed away */
	d.target_kb = 3;
	assert_int_equal(metrics_write(path, &m, &d, &s, "none", "adaptive"), 0);
	assert_non_null(strstr(tu_read(dir, "selfballoond.prom", buf, sizeof(buf)),
			       "selfballoond_target_bytes 3072\n"));
	assert_int_equal(fsyncs, 0);
	snprintf(path, sizeof(path), "%s/no/such/dir/x.prom", dir);
	assert_int_equal(metrics_write(path, &m, &d, &s, "none", "adaptive"), -ENOENT);
	assert_int_equal(metrics_check_fs(path, &type), -ENOENT);
	/* /proc is no tmpfs: warned about; /dev/shm is (when this machine has it) */
	assert_int_equal(metrics_check_fs("/proc/x.prom", &type), 0);
	if (metrics_check_fs("/dev/shm/x.prom", &type) >= 0)
		assert_int_equal(metrics_check_fs("/dev/shm/x.prom", &type), 1);
	tu_rmtree(dir);
}

static void test_names_and_metrics(void **state)
{
	char b[128];
	static char out[8192];
	struct metrics m = { 0 };
	struct decision d = { .target_kb = 1, .reason = REASON_GOAL, .psi_some_pct = 1234 };
	struct sample s = { 0 };
	(void)state;
	assert_string_equal(pressure_names(0, b, sizeof(b)), "none");
	assert_string_equal(pressure_names(P_PSI | P_OOM, b, sizeof(b)), "psi,oom");
	assert_string_equal(reason_name(REASON_COOLDOWN), "cool-down");
	m.decisions[REASON_GOAL] = 7;
	m.oom_deflates = 2;
	assert_true(metrics_format(out, sizeof(out), &m, &d, &s, "userspace", "adaptive") > 0);
	assert_non_null(strstr(out, "selfballoond_target_bytes 1024\n"));
	assert_non_null(strstr(out, "selfballoond_decisions_total{reason=\"goal\"} 7\n"));
	assert_non_null(strstr(out, "selfballoond_oom_deflates_total 2\n"));
	assert_non_null(strstr(out, "selfballoond_psi_some_ratio 0.1234\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_metrics),
		cmocka_unit_test(test_metrics_textfile_no_fsync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
