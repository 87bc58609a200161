/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Regressions of the agent's adversarial probe at unit level
 * (shared/research/agent-adversarial-probe-2026-12.md): bounded writes (B2),
 * the metrics temp file (B3), the PSI trigger (B10).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "metrics.h"
#include "psi.h"
#include "writefile.h"

/* write(2) interposed: the executable's definition wins over libc's for the code under test. */
static int fake_write; /* 0: real; 1: returns 0; 2: always EINTR */
static unsigned fake_writes;
ssize_t write(int fd, const void *buf, size_t len)
{
	if (fake_write && fd > 2) {
		fake_writes++;
		if (fake_write == 1)
			return 0;
		errno = EINTR;
		return -1;
	}
	return syscall(SYS_write, fd, buf, len);
}

/* B2 (S10): a store that accepts nothing, or is interrupted forever, ends with an error. */
static void test_write_loops_are_bounded(void **state)
{
	char *root = tu_mkdtemp();
	char path[300];
	int r;
	(void)state;
	tu_write(root, "target", "1\n");
	snprintf(path, sizeof(path), "%s/target", root);
	alarm(5); /* the old loop never ends: SIGALRM fails the test */
	fake_write = 1;
	fake_writes = 0;
	r = write_file(path, "42\n", 3);
	fake_write = 0;
	assert_true(r < 0);
	assert_true(fake_writes <= 100);
	fake_write = 2;
	fake_writes = 0;
	r = write_file(path, "42\n", 3);
	fake_write = 0;
	assert_int_equal(r, -EINTR);
	assert_true(fake_writes <= 100);
	alarm(0);
	tu_rmtree(root);
}

/* metrics_write with nothing in it (the format does not matter here). */
static int metrics_empty(const char *path)
{
	struct metrics m = { 0 };
	struct decision d = { 0 };
	struct sample s = { 0 };

	return metrics_write(path, &m, &d, &s, "none", "adaptive");
}

/* Runs metrics_write in a child; true when it returned within 3 s, its result in *r. */
static bool metrics_in_child(const char *path, int *r)
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(3);
		_exit(-metrics_empty(path));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st))
		return false;
	*r = -WEXITSTATUS(st);
	return true;
}

/* B3 (S42, S43): a FIFO or a hard link planted at the temp name is never written through. */
static void test_metrics_tmp_is_safe(void **state)
{
	char *dir = tu_mkdtemp();
	char path[300], tmp[310], victim[300], buf[64];
	struct stat sb;
	int r = 1;
	(void)state;

	snprintf(path, sizeof(path), "%s/x.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(mkfifo(tmp, 0666), 0);
	assert_true(metrics_in_child(path, &r)); /* the old open blocks on the FIFO */
	assert_int_equal(r, 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));

	tu_write(dir, "victim", "precious\n");
	assert_int_equal(link(victim, tmp), 0);
	assert_int_equal(metrics_empty(path), 0);
	assert_string_equal(tu_read(dir, "victim", buf, sizeof(buf)), "precious\n");
	assert_non_null(strstr(tu_read(dir, "x.prom", buf, sizeof(buf)), "selfballoond_info"));

	/* a symlink at the temp name: not followed */
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(metrics_empty(path), 0);
	assert_string_equal(tu_read(dir, "victim", buf, sizeof(buf)), "precious\n");
	tu_rmtree(dir);
}

/* B10 (S6, S7): the PSI trigger is only registered on procfs; a fake tree's file is untouched. */
static void test_psi_trigger_only_on_procfs(void **state)
{
	char *root = tu_mkdtemp();
	char path[300], link_path[300], buf[256];
	static const char psi[] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
				  "full avg10=0.00 avg60=0.00 avg300=0.00 total=3\n";
	int fd;
	(void)state;

	tu_write(root, "proc/pressure/memory", psi);
	snprintf(path, sizeof(path), "%s/proc/pressure/memory", root);
	fd = psi_trigger_open(path, 100000, 1000000);
	assert_true(fd < 0);
	assert_string_equal(tu_read(root, "proc/pressure/memory", buf, sizeof(buf)), psi);
	snprintf(link_path, sizeof(link_path), "%s/proc/pressure/link", root);
	assert_int_equal(symlink(path, link_path), 0);
	fd = psi_trigger_open(link_path, 100000, 1000000);
	assert_true(fd < 0);
	assert_string_equal(tu_read(root, "proc/pressure/memory", buf, sizeof(buf)), psi);
	tu_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_loops_are_bounded),
		cmocka_unit_test(test_metrics_tmp_is_safe),
		cmocka_unit_test(test_psi_trigger_only_on_procfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
