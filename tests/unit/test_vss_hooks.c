/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for vss/hooks.c: hook discovery and order, freeze/thaw
 * arguments, failure and timeout handling, output capture. Every hook is
 * a small /bin/sh script in a temporary directory that appends
 * "name arg" to a log file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "testutil.h"

struct tdir {
	char *base;    /* the temporary directory holding both */
	char dir[64];  /* the hooks directory */
	char log[128]; /* every hook appends "name arg" here */
};

static int setup(void **state)
{
	struct tdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->base = tu_mkdtemp();
	snprintf(t->dir, sizeof(t->dir), "%s/hooks.d", t->base);
	snprintf(t->log, sizeof(t->log), "%s/log", t->base);
	if (mkdir(t->dir, 0755) < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tdir *t = *state;

	tu_rmtree(t->base);
	free(t);
	return 0;
}

/* writes dir/name with the given mode; body follows a line logging "name $1" */
static void hook(const struct tdir *t, const char *name, mode_t mode, const char *body)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"%s $1\" >> '%s'\n%s\n", name, t->log, body ? body : "");
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* the log as one string ("" when absent); caller frees */
static char *read_log(const struct tdir *t)
{
	char *buf = calloc(1, 4096);
	FILE *f = fopen(t->log, "r");

	assert_non_null(buf);
	if (f) {
		size_t n = fread(buf, 1, 4095, f);

		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static void expect_log(const struct tdir *t, const char *want)
{
	char *got = read_log(t);

	assert_string_equal(got, want);
	free(got);
	unlink(t->log);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static pid_t read_pid(const char *path)
{
	double end = now_s() + 2;
	long pid = 0;

	/* written by a background process: allow it a moment */
	while (now_s() < end) {
		FILE *f = fopen(path, "r");

		if (f) {
			int ok = fscanf(f, "%ld", &pid) == 1;

			fclose(f);
			if (ok && pid > 0)
				return (pid_t)pid;
		}
		usleep(10000);
	}
	fail_msg("no pid in %s", path);
	return -1;
}

/* true when pid is gone or a zombie (killed), polling up to 2 s */
static bool dies(pid_t pid)
{
	double end = now_s() + 2;

	while (now_s() < end) {
		char path[64], buf[512];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
		f = fopen(path, "r");
		if (!f)
			return true;
		if (fgets(buf, sizeof(buf), f)) {
			char *p = strrchr(buf, ')');

			if (p && (p[2] == 'Z' || p[2] == 'X')) {
				fclose(f);
				return true;
			}
		}
		fclose(f);
		usleep(10000);
	}
	return false;
}

/* ---- discovery and order ---------------------------------------------- */

static void test_order_and_filter(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[256] = "", sub[256];

	hook(t, "20-b", 0755, NULL);
	hook(t, "10-a", 0755, NULL);
	hook(t, "30-c", 0700, NULL);
	hook(t, "15-x.sample", 0755, NULL);
	hook(t, "16-y~", 0755, NULL);
	hook(t, "17-z.dpkg-old", 0755, NULL);
	hook(t, "18-w.dpkg-dist", 0755, NULL);
	hook(t, "19-v.rpmsave", 0755, NULL);
	hook(t, "25-noexec", 0644, NULL);
	hook(t, ".40-hidden", 0755, NULL);
	snprintf(sub, sizeof(sub), "%s/35-dir", t->dir);
	assert_int_equal(mkdir(sub, 0755), 0);

	assert_int_equal(hooks_freeze(&run, t->dir, 5000, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(run.n, 3);
	assert_int_equal(run.started, 3);
	assert_string_equal(run.names[0], "10-a");
	assert_string_equal(run.names[1], "20-b");
	assert_string_equal(run.names[2], "30-c");
	expect_log(t, "10-a freeze\n20-b freeze\n30-c freeze\n");

	hooks_thaw(&run, 5000, NULL, 0);
	expect_log(t, "30-c thaw\n20-b thaw\n10-a thaw\n");
	assert_null(run.names);
	assert_int_equal(run.n, 0);
	assert_int_equal(run.started, 0);

	/* recovery after a crash: every hook gets "thaw", in reverse */
	hooks_thaw_all(t->dir, 5000);
	expect_log(t, "30-c thaw\n20-b thaw\n10-a thaw\n");
}

/* C-locale byte order, not natural order */
static void test_name_order_bytes(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[256];

	hook(t, "9-late", 0755, NULL);
	hook(t, "10-early", 0755, NULL);
	hook(t, "B-upper", 0755, NULL);
	hook(t, "a-lower", 0755, NULL);
	assert_int_equal(hooks_freeze(&run, t->dir, 5000, err, sizeof(err)), 0);
	expect_log(t, "10-early freeze\n9-late freeze\nB-upper freeze\na-lower freeze\n");
	hooks_thaw(&run, 5000, NULL, 0);
	expect_log(t, "a-lower thaw\nB-upper thaw\n9-late thaw\n10-early thaw\n");
}

static void test_missing_dir(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[256] = "", dir[128];

	snprintf(dir, sizeof(dir), "%s/does-not-exist", t->dir);
	assert_int_equal(hooks_freeze(&run, dir, 1000, err, sizeof(err)), 0);
	assert_int_equal(run.n, 0);
	hooks_thaw(&run, 1000, NULL, 0);
	hooks_thaw_all(dir, 1000);
	expect_log(t, "");
}

/* ---- failures ----------------------------------------------------------- */

static void test_failing_hook(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[512] = "";

	hook(t, "10-a", 0755, NULL);
	hook(t, "20-fail", 0755,
	     "[ \"$1\" = freeze ] && { echo 'database refused' >&2; exit 3; }\nexit 0");
	hook(t, "30-c", 0755, NULL);
	assert_int_equal(hooks_freeze(&run, t->dir, 5000, err, sizeof(err)), -1);
	if (!strstr(err, "20-fail") || !strstr(err, "status 3"))
		fail_msg("error does not name the hook and its status: %s", err);
	assert_non_null(strstr(err, "database refused")); /* its output */
	/* thaw ran for every started hook, the failing one too, in reverse; 30-c never ran */
	expect_log(t, "10-a freeze\n20-fail freeze\n20-fail thaw\n10-a thaw\n");
	/* nothing left to thaw */
	assert_int_equal(run.started, 0);
	hooks_thaw(&run, 5000, NULL, 0);
	expect_log(t, "");
}

/*
 * Defect 11: a hook writable by group or others, or owned by another user,
 * is not run (as root): the freeze fails, naming it; the started hooks get
 * "thaw" (the refused one is not run for that either).
 */
static void test_untrusted_hook(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[512] = "", path[256];

	hook(t, "10-a", 0755, NULL);
	hook(t, "20-ww", 0777, NULL);
	assert_int_equal(hooks_freeze(&run, t->dir, 5000, err, sizeof(err)), -1);
	if (!strstr(err, "20-ww") || !strstr(err, "not run") || !strstr(err, "0777"))
		fail_msg("error does not name the hook and its mode: %s", err);
	expect_log(t, "10-a freeze\n10-a thaw\n");
	if (geteuid() != 0)
		return; /* the owner part needs chown */
	snprintf(path, sizeof(path), "%s/20-ww", t->dir);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(hooks_freeze(&run, t->dir, 5000, err, sizeof(err)), -1);
	if (!strstr(err, "20-ww") || !strstr(err, "uid 65534"))
		fail_msg("error does not name the hook and its owner: %s", err);
	expect_log(t, "10-a freeze\n10-a thaw\n");
}

/* Defect 11: a hooks directory writable by others: none of its hooks runs */
static void test_untrusted_dir(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[512] = "";

	hook(t, "10-a", 0755, NULL);
	assert_int_equal(chmod(t->dir, 0777), 0);
	assert_int_equal(hooks_freeze(&run, t->dir, 5000, err, sizeof(err)), -1);
	if (!strstr(err, "hooks directory") || !strstr(err, "0777"))
		fail_msg("error does not name the directory and its mode: %s", err);
	expect_log(t, "");
	assert_int_equal(chmod(t->dir, 0755), 0);
}

/* Defect 12: a failing thaw hook is reported, not swallowed */
static void test_thaw_hook_fails(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[512] = "";

	hook(t, "10-a", 0755, "[ \"$1\" = thaw ] && exit 3\nexit 0");
	hook(t, "20-b", 0755, NULL);
	assert_int_equal(hooks_freeze(&run, t->dir, 5000, err, sizeof(err)), 0);
	assert_int_equal(hooks_thaw(&run, 5000, err, sizeof(err)), -1);
	if (!strstr(err, "10-a thaw") || !strstr(err, "status 3"))
		fail_msg("error does not name the thaw hook and its status: %s", err);
	expect_log(t, "10-a freeze\n20-b freeze\n20-b thaw\n10-a thaw\n");
}

static void test_first_hook_fails(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[512] = "";

	hook(t, "10-fail", 0755, "[ \"$1\" = freeze ] && exit 1\nexit 0");
	hook(t, "20-b", 0755, NULL);
	assert_int_equal(hooks_freeze(&run, t->dir, 5000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "10-fail"));
	assert_non_null(strstr(err, "status 1"));
	expect_log(t, "10-fail freeze\n10-fail thaw\n");
}

/*
 * 10-a, 20-hang (its freeze waits for a sleep 30 in its process group, whose
 * pid it writes to pidfile) and 30-c.
 */
static void hang_hooks(const struct tdir *t, char *pidfile, size_t size)
{
	char body[256];

	snprintf(pidfile, size, "%s.sleep.pid", t->log);
	snprintf(body, sizeof(body),
		 "if [ \"$1\" = freeze ]; then sleep 30 & echo $! > '%s'; wait; fi", pidfile);
	hook(t, "10-a", 0755, NULL);
	hook(t, "20-hang", 0755, body);
	hook(t, "30-c", 0755, NULL);
}

static void test_hanging_hook(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[512] = "", pidfile[160];
	double t0, dt;
	pid_t sleeper;

	hang_hooks(t, pidfile, sizeof(pidfile));
	t0 = now_s();
	assert_int_equal(hooks_freeze(&run, t->dir, 300, err, sizeof(err)), -1);
	dt = now_s() - t0;
	if (dt >= 5)
		fail_msg("a hook with a 300 ms timeout held hooks_freeze for %.1f s", dt);
	if (!strstr(err, "20-hang") || !strstr(err, "timed out"))
		fail_msg("error does not say the hook timed out: %s", err);
	expect_log(t, "10-a freeze\n20-hang freeze\n20-hang thaw\n10-a thaw\n");
	sleeper = read_pid(pidfile);
	if (!dies(sleeper)) {
		kill(sleeper, SIGKILL);
		fail_msg("the hook's child %ld survived the timeout", (long)sleeper);
	}
}

/* ---- freeze hooks driven by an event loop ------------------------------ */

/* The caller's loop: polls the running hook's fds, steps, until step says r != 1 or stop_at runs. */
static int drive(struct hook_run *run, int r, const char *stop_at, char *err, size_t errlen)
{
	double end = now_s() + 10;

	while (r == 1 && now_s() < end) {
		struct pollfd pfd[2];
		size_t n = hook_pollfds(&run->proc, pfd);

		if (stop_at && hooks_running(run) && strcmp(hooks_running(run), stop_at) == 0)
			return 1;
		assert_true(n >= 1);
		assert_true(poll(pfd, n, hook_wait_ms(&run->proc)) >= 0);
		r = hooks_freeze_step(run, err, errlen);
	}
	return r;
}

/* every freeze hook in order, each started when the one before exited */
static void test_steps_all_succeed(void **state)
{
	struct tdir *t = *state;
	char err[512] = "";
	struct hook_run run;
	int r;

	hook(t, "10-a", 0755, "echo a says hello");
	hook(t, "20-b", 0755, NULL);
	r = hooks_freeze_start(&run, t->dir, 5000, err, sizeof(err));
	assert_int_equal(r, 1);
	assert_string_equal(hooks_running(&run), "10-a");
	assert_int_equal(drive(&run, r, NULL, err, sizeof(err)), 0);
	assert_null(hooks_running(&run));
	assert_int_equal(run.started, 2);
	assert_int_equal(hooks_thaw(&run, 5000, err, sizeof(err)), 0);
	expect_log(t, "10-a freeze\n20-b freeze\n20-b thaw\n10-a thaw\n");
}

/* cancelled while a hook hangs: its process group is killed at once, the thaw hooks run */
static void test_steps_cancel(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[512] = "", pidfile[160];
	double t0;
	pid_t sleeper;

	hang_hooks(t, pidfile, sizeof(pidfile));
	assert_int_equal(drive(&run, hooks_freeze_start(&run, t->dir, 30000, err, sizeof(err)),
			       "20-hang", err, sizeof(err)),
			 1);
	assert_string_equal(hooks_running(&run), "20-hang");
	sleeper = read_pid(pidfile);
	t0 = now_s();
	assert_int_equal(hooks_freeze_cancel(&run, err, sizeof(err)), 0);
	if (now_s() - t0 >= 2)
		fail_msg("cancelling a hanging hook took %.1f s", now_s() - t0);
	assert_null(hooks_running(&run));
	expect_log(t, "10-a freeze\n20-hang freeze\n20-hang thaw\n10-a thaw\n");
	if (!dies(sleeper)) {
		kill(sleeper, SIGKILL);
		fail_msg("the hook's child %ld survived the cancel", (long)sleeper);
	}
}

/* the deadline is the step's: a hook past it is killed and the freeze fails */
static void test_steps_timeout(void **state)
{
	struct tdir *t = *state;
	struct hook_run run;
	char err[512] = "";
	double t0 = now_s();

	hook(t, "10-hang", 0755, "[ \"$1\" = freeze ] && exec sleep 30; exit 0");
	assert_int_equal(drive(&run, hooks_freeze_start(&run, t->dir, 300, err, sizeof(err)), NULL,
			       err, sizeof(err)),
			 -1);
	if (now_s() - t0 >= 5)
		fail_msg("a 300 ms hook timeout took %.1f s", now_s() - t0);
	assert_non_null(strstr(err, "10-hang freeze timed out"));
	expect_log(t, "10-hang freeze\n10-hang thaw\n");
}

/* ---- hook_exec ---------------------------------------------------------- */

static void write_script(const struct tdir *t, const char *name, const char *body, char *path,
			 size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", t->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static void test_exec_status_and_output(void **state)
{
	struct tdir *t = *state;
	char path[256], out[64];
	size_t len;
	int r;

	write_script(t, "s", "echo \"arg=$1\"; exit 7", path, sizeof(path));
	assert_int_equal(hook_exec(path, "freeze", 5000, out, sizeof(out)), 7);
	assert_string_equal(out, "arg=freeze"); /* trailing newline trimmed */

	/* stdin is /dev/null: a hook reading it does not wait */
	write_script(t, "r", "read x; echo \"read=$? x=$x\"", path, sizeof(path));
	assert_int_equal(hook_exec(path, "thaw", 5000, out, sizeof(out)), 0);
	assert_string_equal(out, "read=1 x=");

	/* long output: the tail is kept, from both stdout and stderr */
	write_script(t, "long",
		     "i=0; while [ $i -lt 200 ]; do echo \"line $i of noise\"; i=$((i+1)); done\n"
		     "echo 'the end' >&2",
		     path, sizeof(path));
	assert_int_equal(hook_exec(path, "freeze", 5000, out, sizeof(out)), 0);
	len = strlen(out);
	assert_int_equal(len, sizeof(out) - 1 - 1); /* the trailing newline was trimmed */
	assert_non_null(strstr(out, "line 199 of noise\nthe end"));
	assert_int_equal(strcmp(out + len - 7, "the end"), 0);

	/* killed by a signal: 128 + signal */
	write_script(t, "k", "kill -TERM $$", path, sizeof(path));
	r = hook_exec(path, "freeze", 5000, out, sizeof(out));
	assert_int_equal(r, 128 + SIGTERM);

	/* not executable / missing: 127 from the child, no hang */
	snprintf(path, sizeof(path), "%s/nope", t->dir);
	assert_int_equal(hook_exec(path, "freeze", 5000, out, sizeof(out)), 127);

	/* no output buffer */
	write_script(t, "q", "echo quiet", path, sizeof(path));
	assert_int_equal(hook_exec(path, "freeze", 5000, NULL, 0), 0);
}

static void test_exec_timeout(void **state)
{
	struct tdir *t = *state;
	char path[256], out[128];
	double t0, dt;

	write_script(t, "slow", "echo started; exec sleep 30", path, sizeof(path));
	t0 = now_s();
	assert_int_equal(hook_exec(path, "freeze", 300, out, sizeof(out)), -ETIMEDOUT);
	dt = now_s() - t0;
	assert_true(dt >= 0.25);
	if (dt >= 5)
		fail_msg("hook_exec with a 300 ms timeout took %.1f s", dt);
	assert_string_equal(out, "started");
}

/* a background child keeping stdout open does not keep hook_exec waiting */
static void test_exec_background_child(void **state)
{
	struct tdir *t = *state;
	char path[256], out[128], body[256], pidfile[160];
	double t0, dt;
	pid_t bg;
	int r;

	snprintf(pidfile, sizeof(pidfile), "%s.bg.pid", t->log);
	snprintf(body, sizeof(body), "echo before\n(sleep 30 & echo $! > '%s')\nexit 0", pidfile);
	write_script(t, "bg", body, path, sizeof(path));
	t0 = now_s();
	r = hook_exec(path, "freeze", 10000, out, sizeof(out));
	dt = now_s() - t0;
	bg = read_pid(pidfile);
	kill(bg, SIGKILL);
	assert_int_equal(r, 0);
	if (dt >= 2)
		fail_msg("hook_exec waited %.1f s for a background child holding its output", dt);
	assert_string_equal(out, "before");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_order_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_hook_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thaw_hook_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hanging_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steps_all_succeed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steps_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steps_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_status_and_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_background_child, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
