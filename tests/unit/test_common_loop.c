/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/loop.c: watches, dispatch order, changes from callbacks, timeouts, EINTR. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "loop.h"
#include "testutil.h"
#include "util.h"

#define NPIPES 4

/* What the callbacks saw, and what they are told to do. */
struct rec {
	struct loop *l;
	int calls[NPIPES];
	short revents[NPIPES];
	int order[16], norder;
	int del_fd; /* the callback of pipe 0 removes this fd (-1: none) */
	int add_fd; /* ... and adds this one */
	bool quit;  /* ... and ends the round */
	int pipes[NPIPES][2];
};

static int index_of(struct rec *r, int fd)
{
	int i;

	for (i = 0; i < NPIPES; i++)
		if (r->pipes[i][0] == fd)
			return i;
	fail_msg("callback for an unknown fd %d", fd);
	return -1;
}

static void on_fd(int fd, short revents, void *arg)
{
	struct rec *r = arg;
	int i = index_of(r, fd);

	if (i < 0)
		return;
	r->calls[i]++;
	r->revents[i] = revents;
	if (r->norder < (int)ARRAY_SIZE(r->order))
		r->order[r->norder++] = i;
	if (i != 0)
		return;
	if (r->del_fd >= 0)
		assert_int_equal(loop_del(r->l, r->del_fd), 0);
	if (r->add_fd >= 0)
		assert_int_equal(loop_add(r->l, r->add_fd, POLLIN, on_fd, r), 0);
	if (r->quit)
		loop_quit(r->l);
}

static int setup(void **state)
{
	static struct rec r;
	static struct loop l;
	int i;

	memset(&r, 0, sizeof(r));
	r.del_fd = r.add_fd = -1;
	r.l = &l;
	for (i = 0; i < NPIPES; i++)
		if (pipe(r.pipes[i]) < 0)
			return -1;
	if (loop_init(&l, NPIPES) < 0)
		return -1;
	*state = &r;
	return 0;
}

static int teardown(void **state)
{
	struct rec *r = *state;
	int i;

	for (i = 0; i < NPIPES; i++) {
		close(r->pipes[i][0]);
		close(r->pipes[i][1]);
	}
	loop_free(r->l);
	return 0;
}

static void ready(struct rec *r, int i)
{
	assert_int_equal(write(r->pipes[i][1], "x", 1), 1);
}

static int rd(struct rec *r, int i)
{
	return r->pipes[i][0];
}

static void test_watches(void **state)
{
	struct rec *r = *state;
	struct loop *l = r->l;

	assert_int_equal(loop_add(l, -1, POLLIN, on_fd, r), -EBADF);
	assert_int_equal(loop_add(l, rd(r, 0), POLLIN, NULL, r), -EBADF);
	assert_int_equal(loop_add(l, rd(r, 0), POLLIN, on_fd, r), 0);
	assert_int_equal(loop_add(l, rd(r, 0), POLLIN, on_fd, r), -EEXIST);
	assert_true(loop_has(l, rd(r, 0)));
	assert_false(loop_has(l, rd(r, 1)));
	assert_false(loop_has(l, -1));
	assert_int_equal(loop_mod(l, rd(r, 1), POLLIN), -ENOENT);
	assert_int_equal(loop_mod(l, rd(r, 0), POLLPRI), 0);
	assert_int_equal(loop_del(l, rd(r, 1)), -ENOENT);
	assert_int_equal(loop_del(l, -1), -ENOENT);
	assert_int_equal(loop_add(l, rd(r, 1), POLLIN, on_fd, r), 0);
	assert_int_equal(loop_add(l, rd(r, 2), POLLIN, on_fd, r), 0);
	assert_int_equal(loop_add(l, rd(r, 3), POLLIN, on_fd, r), 0);
	assert_int_equal(loop_count(l), 4);
	/* full: -ENOSPC, until a removal frees a slot */
	assert_int_equal(loop_add(l, r->pipes[0][1], POLLOUT, on_fd, r), -ENOSPC);
	assert_int_equal(loop_del(l, rd(r, 1)), 0);
	assert_int_equal(loop_count(l), 3);
	assert_false(loop_has(l, rd(r, 1)));
	assert_int_equal(loop_add(l, rd(r, 1), POLLIN, on_fd, r), 0);
	assert_int_equal(loop_count(l), 4);
}

static void test_dispatch_in_order(void **state)
{
	struct rec *r = *state;
	int i;

	for (i = 0; i < NPIPES; i++)
		assert_int_equal(loop_add(r->l, rd(r, i), POLLIN, on_fd, r), 0);
	ready(r, 3);
	ready(r, 1);
	assert_int_equal(loop_run_once(r->l, 1000), 2);
	assert_int_equal(r->norder, 2);
	assert_int_equal(r->order[0], 1);
	assert_int_equal(r->order[1], 3);
	assert_int_equal(r->calls[0], 0);
	assert_true(r->revents[1] & POLLIN);
	/* level-triggered: still readable, called again */
	assert_int_equal(loop_run_once(r->l, 0), 2);
	assert_int_equal(r->calls[1], 2);
	assert_int_equal(r->calls[3], 2);
	/* not watched for POLLIN any more: no call */
	assert_int_equal(loop_mod(r->l, rd(r, 1), POLLPRI), 0);
	assert_int_equal(loop_run_once(r->l, 0), 1);
	assert_int_equal(r->calls[1], 2);
	assert_int_equal(r->calls[3], 3);
}

static void test_timeout(void **state)
{
	struct rec *r = *state;
	uint64_t t0;

	assert_int_equal(loop_add(r->l, rd(r, 0), POLLIN, on_fd, r), 0);
	t0 = now_ms();
	assert_int_equal(loop_run_once(r->l, 30), 0);
	assert_true(now_ms() - t0 >= 30);
	assert_int_equal(r->calls[0], 0);
	/* nothing watched at all: the timeout still holds */
	assert_int_equal(loop_del(r->l, rd(r, 0)), 0);
	t0 = now_ms();
	assert_int_equal(loop_run_once(r->l, 20), 0);
	assert_true(now_ms() - t0 >= 20);
}

/* pipe 0's callback removes pipe 2 (ready too, later in order): pipe 2 is not called. */
static void test_remove_from_callback(void **state)
{
	struct rec *r = *state;
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(loop_add(r->l, rd(r, i), POLLIN, on_fd, r), 0);
	r->del_fd = rd(r, 2);
	ready(r, 0);
	ready(r, 1);
	ready(r, 2);
	assert_int_equal(loop_run_once(r->l, 1000), 2);
	assert_int_equal(r->calls[0], 1);
	assert_int_equal(r->calls[1], 1);
	assert_int_equal(r->calls[2], 0);
	assert_false(loop_has(r->l, rd(r, 2)));
	r->del_fd = -1;
	assert_int_equal(loop_run_once(r->l, 0), 2);
	assert_int_equal(r->calls[2], 0);
}

/* A callback removes itself and adds another ready fd: the new one waits for the next round. */
static void test_add_from_callback(void **state)
{
	struct rec *r = *state;
	int i;

	for (i = 0; i < NPIPES; i++)
		assert_int_equal(loop_add(r->l, rd(r, i), POLLIN, on_fd, r), 0);
	assert_int_equal(loop_del(r->l, rd(r, 3)), 0);
	assert_int_equal(loop_del(r->l, rd(r, 1)), 0);
	r->del_fd = rd(r, 0);
	r->add_fd = rd(r, 3);
	ready(r, 0);
	ready(r, 3);
	assert_int_equal(loop_run_once(r->l, 1000), 1);
	assert_int_equal(r->calls[0], 1);
	assert_int_equal(r->calls[3], 0);
	assert_false(loop_has(r->l, rd(r, 0)));
	assert_true(loop_has(r->l, rd(r, 3)));
	r->del_fd = r->add_fd = -1;
	assert_int_equal(loop_run_once(r->l, 1000), 1);
	assert_int_equal(r->calls[3], 1);
	assert_int_equal(r->calls[0], 1);
}

static void test_quit(void **state)
{
	struct rec *r = *state;

	assert_int_equal(loop_add(r->l, rd(r, 0), POLLIN, on_fd, r), 0);
	assert_int_equal(loop_add(r->l, rd(r, 1), POLLIN, on_fd, r), 0);
	r->quit = true;
	ready(r, 0);
	ready(r, 1);
	assert_int_equal(loop_run_once(r->l, 1000), 1);
	assert_int_equal(r->calls[1], 0);
	r->quit = false;
	assert_int_equal(loop_run_once(r->l, 1000), 2);
	assert_int_equal(r->calls[1], 1);
}

/* A watched fd closed behind the loop's back: one call with POLLNVAL, then it is dropped. */
static void test_closed_fd(void **state)
{
	struct rec *r = *state;

	assert_int_equal(loop_add(r->l, rd(r, 0), POLLIN, on_fd, r), 0);
	assert_int_equal(loop_add(r->l, rd(r, 1), POLLIN, on_fd, r), 0);
	close(r->pipes[1][0]);
	assert_int_equal(loop_run_once(r->l, 1000), 1);
	assert_int_equal(r->calls[1], 1);
	assert_true(r->revents[1] & POLLNVAL);
	assert_false(loop_has(r->l, rd(r, 1)));
	assert_int_equal(loop_run_once(r->l, 0), 0);
	assert_int_equal(r->calls[1], 1);
	r->pipes[1][0] = -1; /* closed */
}

/* The other end closed: POLLHUP reaches the callback though only POLLIN was asked for. */
static void test_hangup(void **state)
{
	struct rec *r = *state;

	assert_int_equal(loop_add(r->l, rd(r, 2), POLLIN, on_fd, r), 0);
	close(r->pipes[2][1]);
	assert_int_equal(loop_run_once(r->l, 1000), 1);
	assert_true(r->revents[2] & POLLHUP);
	r->pipes[2][1] = -1; /* closed */
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A signal during the wait: 0, not an error, well before the timeout. */
static void test_eintr(void **state)
{
	struct rec *r = *state;
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct itimerval it = { .it_value = { 0, 20 * 1000 } };
	uint64_t t0;

	assert_int_equal(loop_add(r->l, rd(r, 0), POLLIN, on_fd, r), 0);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	alarms = 0;
	t0 = now_ms();
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(loop_run_once(r->l, 5000), 0);
	assert_int_equal(alarms, 1);
	assert_true(now_ms() - t0 < 5000);
	assert_int_equal(r->calls[0], 0);
	signal(SIGALRM, SIG_DFL);
}

static void test_poll_error(void **state)
{
	struct loop l;

	(void)state;
	assert_int_equal(loop_init(&l, 1), 0);
	/* poll() refuses more fds than RLIMIT_NOFILE: fake n past it */
	l.n = 1u << 30;
	l.cap = l.n;
	assert_int_equal(loop_run_once(&l, 0) < 0, true);
	l.n = l.cap = 1;
	loop_free(&l);
	assert_null(l.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_watches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hangup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eintr, setup, teardown),
		cmocka_unit_test(test_poll_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
