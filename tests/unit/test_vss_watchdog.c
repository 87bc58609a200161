/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The watchdog protocol with a real watchdog process, both kinds: the
 * vssd-watchdog executable (from the build tree) and the loop in a fork of
 * this process. The fds are plain directories on whatever /tmp is: nothing
 * is frozen, and the watchdog's FITHAW on them fails harmlessly (EINVAL), so
 * only the messages are tested.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "watchdog.h"

static struct watchdog wd;
static int dirs[3];
static char helper[4096]; /* the build tree's vssd-watchdog */

static int setup(void **state)
{
	int i;

	wd.helper = *state ? helper : NULL;
	for (i = 0; i < 3; i++) {
		dirs[i] = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(dirs[i] >= 0);
	}
	assert_int_equal(watchdog_spawn(&wd), 0);
	return 0;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	kill(wd.pid, SIGCONT);
	watchdog_stop(&wd);
	for (i = 0; i < 3; i++)
		close(dirs[i]);
	return 0;
}

/* waits up to ms for a report; returns watchdog_event()'s value, or -ETIMEDOUT */
static int next_event(int ms, uint32_t *upto)
{
	struct pollfd p = { .fd = wd.sock, .events = POLLIN };

	for (;;) {
		int r;

		if (poll(&p, 1, ms) != 1)
			return -ETIMEDOUT;
		r = watchdog_event(&wd, upto);
		if (r != 0)
			return r;
	}
}

static void test_fired_reports_confirmations(void **state)
{
	uint32_t upto = 99;

	(void)state;
	assert_int_equal(watchdog_arm(&wd, dirs, 3, 200), 0); /* acknowledged: holds all 3 */
	assert_int_equal(watchdog_freezing(&wd, 0), 0);
	assert_int_equal(watchdog_frozen(&wd, 0), 0);
	assert_int_equal(watchdog_freezing(&wd, 1), 0); /* in flight, not confirmed */
	assert_int_equal(next_event(3000, &upto), 1);
	assert_int_equal(upto, 1); /* vssd must thaw index 1 itself if it got frozen */
}

static void test_disarm_prevents_fire(void **state)
{
	uint32_t upto;

	(void)state;
	assert_int_equal(watchdog_arm(&wd, dirs, 2, 200), 0);
	assert_int_equal(watchdog_freezing(&wd, 0), 0);
	assert_int_equal(watchdog_frozen(&wd, 0), 0);
	assert_int_equal(watchdog_disarm(&wd), 0);
	assert_int_equal(next_event(600, &upto), -ETIMEDOUT); /* no FIRED after the deadline */
}

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * vssd flushes between handing over the fds and starting the clock: the
 * timeout counts from START, not from ARM (else a long syncfs would eat it).
 */
static void test_clock_starts_at_start(void **state)
{
	uint64_t t0;
	uint32_t upto = 99;

	(void)state;
	assert_int_equal(watchdog_arm_send(&wd, dirs, 2, 150), 0);
	assert_int_equal(watchdog_arm_wait(&wd), 0);
	/* a flush longer than the timeout: no FIRED before the clock starts */
	assert_int_equal(next_event(450, &upto), -ETIMEDOUT);
	t0 = mono_ms();
	assert_int_equal(watchdog_start(&wd), 0);
	assert_int_equal(watchdog_freezing(&wd, 0), 0);
	assert_int_equal(watchdog_frozen(&wd, 0), 0);
	assert_int_equal(next_event(3000, &upto), 1);
	assert_true(mono_ms() - t0 >= 150);
	assert_int_equal(upto, 1);
}

/* a FREEZING without START (not what vssd sends) starts the clock too: never unguarded */
static void test_freezing_starts_clock(void **state)
{
	uint32_t upto = 99;

	(void)state;
	assert_int_equal(watchdog_arm_send(&wd, dirs, 2, 150), 0);
	assert_int_equal(watchdog_arm_wait(&wd), 0);
	assert_int_equal(watchdog_freezing(&wd, 0), 0);
	assert_int_equal(watchdog_frozen(&wd, 0), 0);
	assert_int_equal(next_event(3000, &upto), 1);
	assert_int_equal(upto, 1);
}

/*
 * The watchdog is held up past its deadline while vssd, which never heard of
 * a timeout, arms the next freeze: the next arming must keep its own deadline.
 */
static void test_late_watchdog_does_not_fire_next_arming(void **state)
{
	struct timespec pause = { 0, 400 * 1000000L };
	uint32_t upto;
	pid_t waker;

	(void)state;
	assert_int_equal(watchdog_arm(&wd, dirs, 2, 300), 0);
	assert_int_equal(watchdog_freezing(&wd, 0), 0);
	assert_int_equal(watchdog_frozen(&wd, 0), 0);
	assert_int_equal(kill(wd.pid, SIGSTOP), 0);
	nanosleep(&pause, NULL); /* constructs the situation: the deadline passes */
	waker = fork();
	if (waker == 0) {
		struct timespec t = { 0, 200 * 1000000L };

		nanosleep(&t, NULL);
		kill(wd.pid, SIGCONT);
		_exit(0);
	}
	/* queued while the watchdog is stopped: the next arming (10 s) and a confirmation */
	assert_int_equal(watchdog_arm(&wd, dirs, 3, 10000), 0);
	waitpid(waker, NULL, 0);
	assert_int_equal(watchdog_freezing(&wd, 0), 0);
	assert_int_equal(watchdog_frozen(&wd, 0), 0);
	/* a FIRED for the new arming now would leave vssd's later filesystems unguarded */
	assert_int_equal(next_event(500, &upto), -ETIMEDOUT);
	assert_int_equal(watchdog_disarm(&wd), 0);
}

/* waits (up to 2 s) until the forked child has executed vssd-watchdog */
static void wait_exec(void)
{
	struct timespec tick = { 0, 10 * 1000000L };
	char path[64], exe[4096];
	ssize_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)wd.pid);
	for (i = 0; i < 200; i++) {
		n = readlink(path, exe, sizeof(exe) - 1);
		assert_true(n > 0);
		exe[n] = '\0';
		if (strcmp(strrchr(exe, '/'), "/vssd-watchdog") == 0)
			break;
		nanosleep(&tick, NULL);
	}
	assert_string_equal(strrchr(exe, '/'), "/vssd-watchdog");
}

/* the watchdog's page faults so far, minor + major (/proc/PID/stat fields 10 and 12) */
static unsigned long faults(void)
{
	unsigned long minflt, majflt;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)wd.pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lu %*u %lu", &minflt, &majflt),
			 2);
	return minflt + majflt;
}

/* the watchdog's voluntary context switches so far: how often it slept and was woken */
static unsigned long wakeups(void)
{
	char path[64], line[256];
	unsigned long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)wd.pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}

#define ROUNDS 10 /* x 3 filesystems, a FREEZING and a FROZEN each */

/*
 * While the clock runs, FREEZING and FROZEN wait in the socket: vssd's
 * FIFREEZEs, a millisecond or so apart, no longer wake the watchdog each
 * (60 messages: about 60 wake-ups before, at most the START's now). They are
 * still read: at the deadline every confirmed one is thawed and reported.
 */
static void test_no_wakeup_per_filesystem(void **state)
{
	struct timespec ms = { 0, 1000000L };
	unsigned long before;
	uint32_t upto = 99;
	size_t i;

	(void)state;
	assert_int_equal(watchdog_arm(&wd, dirs, 3, 1000), 0);
	before = wakeups();
	for (i = 0; i < 3 * ROUNDS; i++) {
		nanosleep(&ms, NULL);
		assert_int_equal(watchdog_freezing(&wd, i % 3), 0);
		nanosleep(&ms, NULL);
		assert_int_equal(watchdog_frozen(&wd, i % 3), 0);
	}
	assert_in_range(wakeups() - before, 0, 3);
	assert_int_equal(next_event(5000, &upto), 1);
	assert_int_equal(upto, 3);
}

#define MANY 1100 /* announcements over more than one page of its tables */

/*
 * Only the pages it touched are locked (MCL_ONFAULT), so it touches at start
 * whatever the frozen window needs: from the clock's start to FIRED (MANY
 * announcements and confirmations, the FITHAW of every fd, the report) it
 * must not fault in a single page.
 */
static void test_frozen_window_resident(void **state)
{
	static int fds[MANY];
	unsigned long before;
	uint32_t upto = 99;
	struct rlimit rl;
	size_t i;

	(void)state;
	if (getenv("SELFBALLOON_NO_MLOCK"))
		tu_skip("memory locking taken away for this run (SELFBALLOON_NO_MLOCK: scripts/sanitize)");
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < MANY + 64)
		tu_skip("RLIMIT_NOFILE's hard limit is below 1164");
	rl.rlim_cur = rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (i = 0; i < MANY; i++)
		assert_true((fds[i] = dup(dirs[0])) >= 0);
	wait_exec();
	assert_int_equal(watchdog_arm_send(&wd, fds, MANY, 300), 0);
	assert_int_equal(watchdog_arm_wait(&wd), 0);
	before = faults();
	assert_int_equal(watchdog_start(&wd), 0);
	for (i = 0; i < MANY; i++) {
		assert_int_equal(watchdog_freezing(&wd, i), 0);
		assert_int_equal(watchdog_frozen(&wd, i), 0);
	}
	assert_int_equal(next_event(3000, &upto), 1);
	assert_int_equal(upto, MANY);
	assert_int_equal(faults(), before);
	for (i = 0; i < MANY; i++)
		close(fds[i]);
}

/* The executable maps libc and nothing of vssd's libraries, and its memory is locked. */
static void test_helper_maps_only_libc(void **state)
{
	char path[64], line[512];
	bool locked = false;
	FILE *f;

	(void)state;
	wait_exec();
	/* it has its own memory once it is armed: an arming is acknowledged after the exec */
	assert_int_equal(watchdog_arm(&wd, dirs, 1, 10000), 0);
	assert_int_equal(watchdog_disarm(&wd), 0);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)wd.pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		assert_null(strstr(line, "json-c"));
		assert_null(strstr(line, "libmount"));
		assert_null(strstr(line, "inih"));
	}
	fclose(f);
	if (getenv("SELFBALLOON_NO_MLOCK"))
		tu_skip("memory locking taken away for this run (SELFBALLOON_NO_MLOCK: scripts/sanitize)");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)wd.pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmLck:", 6) == 0)
			locked = strtoul(line + 6, NULL, 10) > 0;
	fclose(f);
	assert_true(locked);
}

#define BOTH(t)                                                   \
	{ #t " (fork)", t, setup, teardown, NULL },               \
	{                                                         \
#t " (vssd-watchdog)", t, setup, teardown, helper \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_fired_reports_confirmations),
		BOTH(test_disarm_prevents_fire),
		BOTH(test_clock_starts_at_start),
		BOTH(test_freezing_starts_clock),
		BOTH(test_late_watchdog_does_not_fire_next_arming),
		BOTH(test_no_wakeup_per_filesystem),
		{ "test_helper_maps_only_libc", test_helper_maps_only_libc, setup, teardown,
		  helper },
		{ "test_frozen_window_resident", test_frozen_window_resident, setup, teardown,
		  helper },
	};
	const char *b = getenv("top_builddir");

	snprintf(helper, sizeof(helper), "%s/vss/vssd-watchdog", b && *b ? b : ".");
	if (access(helper, X_OK) != 0) {
		fprintf(stderr, "%s: not built (make)\n", helper);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
