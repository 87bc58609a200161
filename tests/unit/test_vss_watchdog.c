/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The watchdog protocol with a real watchdog process. The fds are plain
 * directories on whatever /tmp is: nothing is frozen, and the watchdog's
 * FITHAW on them fails harmlessly (EINVAL), so only the messages are tested.
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
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"

static struct watchdog wd;
static int dirs[3];

static int setup(void **state)
{
	int i;

	(void)state;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fired_reports_confirmations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disarm_prevents_fire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_watchdog_does_not_fire_next_arming, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
