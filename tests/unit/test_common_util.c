/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/util.c: clock, decimal parser, dirname, mkdir_p, closing fds in a child. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

static void test_clock(void **state)
{
	uint64_t ms0, us, ms1;
	struct timespec d = { 0, 20 * 1000 * 1000 };

	(void)state;
	ms0 = now_ms();
	us = now_us();
	ms1 = now_ms();
	assert_true(ms0 <= us / 1000 && us / 1000 <= ms1);
	assert_int_equal(nanosleep(&d, NULL), 0);
	assert_true(now_ms() >= ms1 + 20);
}

static void test_array_size(void **state)
{
	static const char *const names[] = { "a", "b", "c" };
	uint64_t big[17];

	(void)state;
	assert_int_equal(ARRAY_SIZE(names), 3);
	assert_int_equal(ARRAY_SIZE(big), 17);
}

static void test_take_u64(void **state)
{
	const char *s;
	uint64_t v = 7;

	(void)state;
	s = "0";
	assert_true(take_u64(&s, &v));
	assert_int_equal(v, 0);
	assert_int_equal(*s, '\0');
	s = "18446744073709551615 kB";
	assert_true(take_u64(&s, &v));
	assert_true(v == UINT64_MAX);
	assert_string_equal(s, " kB");
	s = "12abc";
	assert_true(take_u64(&s, &v));
	assert_int_equal(v, 12);
	assert_string_equal(s, "abc");

	/* nothing taken: *s and *out unchanged */
	v = 7;
	s = "18446744073709551616";
	assert_false(take_u64(&s, &v));
	assert_string_equal(s, "18446744073709551616");
	assert_int_equal(v, 7);
	s = "";
	assert_false(take_u64(&s, &v));
	s = " 1";
	assert_false(take_u64(&s, &v));
	s = "-1";
	assert_false(take_u64(&s, &v));
	s = "+1";
	assert_false(take_u64(&s, &v));
	assert_int_equal(v, 7);
}

static void test_path_dirname(void **state)
{
	char d[16];

	(void)state;
	assert_int_equal(path_dirname("/run/vssd/vssd.sock", d, sizeof(d)), 0);
	assert_string_equal(d, "/run/vssd");
	assert_int_equal(path_dirname("/vssd.sock", d, sizeof(d)), 0);
	assert_string_equal(d, "/");
	assert_int_equal(path_dirname("metrics.prom", d, sizeof(d)), 0);
	assert_string_equal(d, ".");
	assert_int_equal(path_dirname("a/b", d, sizeof(d)), 0);
	assert_string_equal(d, "a");
	assert_int_equal(path_dirname("/a/very/long/directory/x", d, sizeof(d)), -ENAMETOOLONG);
}

static void test_path_absolute(void **state)
{
	char out[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 8], small[8];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(path_absolute("/etc/x.conf", out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/x.conf");
	assert_int_equal(path_absolute("x.conf", out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/x.conf", strcmp(cwd, "/") == 0 ? "" : cwd);
	assert_string_equal(out, want);
	assert_int_equal(path_absolute("/etc/x.conf", small, sizeof(small)), -ENAMETOOLONG);
}

static void test_mkdir_p(void **state)
{
	char *tmp = tu_mkdtemp(), path[PATH_MAX], file[PATH_MAX];
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b/c", tmp);
	assert_int_equal(mkdir_p(path, 0700), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/a/b", tmp);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* existing: not an error, not changed */
	snprintf(path, sizeof(path), "%s/a/b/c", tmp);
	assert_int_equal(mkdir_p(path, 0755), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* a file in the way */
	snprintf(file, sizeof(file), "%s/f", tmp);
	assert_int_equal(close(open(file, O_CREAT | O_WRONLY, 0600)), 0);
	snprintf(path, sizeof(path), "%s/f/x", tmp);
	assert_int_equal(mkdir_p(path, 0700), -ENOTDIR);
	umask(old);
	tu_rmtree(tmp);
}

/*
 * In a child: fds 3, 9 and high (above 1023 when the limit allows) open;
 * close(first = 5) must leave 3 and close 9 and high. Returns the child's
 * exit status: 0 right, 1 an fd below first was closed, 2 one above stayed.
 */
static int close_in_child(int high, void (*close_fn)(int))
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		if (dup2(0, 3) < 0 || dup2(0, 9) < 0 || dup2(0, high) < 0)
			_exit(3);
		close_fn(5);
		if (fcntl(3, F_GETFD) < 0)
			_exit(1);
		if (fcntl(9, F_GETFD) >= 0 || fcntl(high, F_GETFD) >= 0)
			_exit(2);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void via_proc(int first)
{
	if (close_fds_proc(first) < 0)
		_exit(4);
}

static int high_fd(void)
{
	struct rlimit rl;

	/* raise the soft limit so that an fd above 1023 exists (the old child loop stopped there) */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2048 && rl.rlim_max >= 2048) {
		rl.rlim_cur = 2048;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	if (rl.rlim_cur >= 2048)
		return 1500;
	print_message("RLIMIT_NOFILE hard limit %llu: testing with fd 1000\n",
		      (unsigned long long)rl.rlim_max);
	return 1000;
}

static void test_close_fds_from(void **state)
{
	(void)state;
	assert_int_equal(close_in_child(high_fd(), close_fds_from), 0);
}

static void test_close_fds_proc(void **state)
{
	(void)state;
	assert_int_equal(close_in_child(high_fd(), via_proc), 0);
}

/* The listed signals arrive through the fd, not as signals; SIGPIPE is ignored. */
static void test_daemon_signals(void **state)
{
	struct signalfd_siginfo si;
	struct sigaction sa;
	sigset_t old;
	int fd;

	(void)state;
	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &old), 0);
	fd = daemon_signals((const int[]){ SIGUSR1, SIGUSR2, 0 });
	assert_true(fd >= 0);
	assert_int_equal(read(fd, &si, sizeof(si)), -1); /* non-blocking, nothing pending */
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(read(fd, &si, sizeof(si)), (ssize_t)sizeof(si));
	assert_int_equal(si.ssi_signo, SIGUSR2);
	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock),          cmocka_unit_test(test_array_size),
		cmocka_unit_test(test_take_u64),       cmocka_unit_test(test_path_dirname),
		cmocka_unit_test(test_mkdir_p),        cmocka_unit_test(test_close_fds_from),
		cmocka_unit_test(test_close_fds_proc), cmocka_unit_test(test_path_absolute),
		cmocka_unit_test(test_daemon_signals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
