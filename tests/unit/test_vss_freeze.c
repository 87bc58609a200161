/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The freeze engine (vss/freeze.c) on every error path, without root.
 *
 * The mounts come from a mountinfo fixture (seven filesystems are selected);
 * the filesystem operations are the fake of fakefs.h, which keeps each
 * filesystem's frozen state itself and fails scripted calls. The watchdog is
 * the real watchdog process, given the fake's FITHAW (fork, no exec: it
 * shares the fake's state), so its timeout thaws show in the fake too. The
 * freeze record is real, in a temporary state_dir; the hooks are two real
 * scripts that append "name freeze|thaw" to a log.
 *
 * After every case, from the fake's state and the files, never from the
 * engine's report: nothing vssd froze is still frozen and each was thawed
 * exactly once, with no FITHAW on a filesystem that was not frozen; a
 * filesystem frozen by someone else (EBUSY) is still frozen and untouched;
 * a thaw hook ran for every freeze hook that ran, in reverse; the record is
 * gone; no process (vssd or its watchdog) holds a filesystem's fd; and a new
 * freeze and thaw work.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "fakefs.h"
#include "testutil.h"
#include "util.h"
#include "freeze.h"
#include "log.h"

#define SHORT_TIMEOUT_MS 150 /* for the cases where the watchdog must fire */
#define WAIT_MS 5000         /* bound of every wait on a condition */

struct env {
	struct vssd_config cfg;
	struct engine e;
	char *dir;
	char hooklog[PATH_MAX];
	char record[PATH_MAX];
	size_t n; /* filesystems in the freeze order */
};

static struct env *v;

enum pos { FIRST, MIDDLE, LAST };

/* one case: op fails with err at a position of the freeze (or thaw) order */
struct fault {
	enum fake_op op;
	int err;
	enum pos pos;
};

static void write_hook(const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", v->cfg.hooks_dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"#!/bin/sh\necho \"%s $1\" >> '%s'\n"
		"[ \"$1\" = freeze ] && [ -e '%s/hang-%s' ] && exec sleep 30\n"
		"[ \"$1\" = thaw ] || [ ! -e '%s/fail-%s' ]\n",
		name, v->hooklog, v->dir, name, v->dir, name);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

/* the nested.mountinfo filesystems the configuration below selects */
static const char *const selected[] = {
	"/boot", "/boot/efi", "/var", "/var/lib/mysql", "/home", "/home/alice/projects", "/homes",
};
#define NSELECTED (sizeof(selected) / sizeof(selected[0]))

static int setup(void **state)
{
	size_t i;

	(void)state;
	log_set_max_level(LOG_ERR);
	v = calloc(1, sizeof(*v));
	assert_non_null(v);
	v->dir = tu_mkdtemp();
	vssd_config_defaults(&v->cfg);
	tu_fixture("mountinfo/nested.mountinfo", v->cfg.mountinfo, sizeof(v->cfg.mountinfo));
	snprintf(v->cfg.include_buf, sizeof(v->cfg.include_buf), "/?*"); /* all but / */
	v->cfg.include[0] = v->cfg.include_buf;
	v->cfg.include[1] = NULL;
	snprintf(v->cfg.state_dir, sizeof(v->cfg.state_dir), "%s/state", v->dir);
	snprintf(v->cfg.sysfs, sizeof(v->cfg.sysfs), "%s", v->dir);
	snprintf(v->cfg.hooks_dir, sizeof(v->cfg.hooks_dir), "%s/hooks", v->dir);
	v->cfg.hook_timeout_ms = 5000;
	snprintf(v->hooklog, sizeof(v->hooklog), "%s/hooks.log", v->dir);
	snprintf(v->record, sizeof(v->record), "%s/frozen", v->cfg.state_dir);
	assert_int_equal(mkdir(v->cfg.state_dir, 0700), 0);
	assert_int_equal(mkdir(v->cfg.hooks_dir, 0755), 0);
	write_hook("10-first");
	write_hook("20-second");
	fake_init();
	for (i = 0; i < NSELECTED; i++)
		fake_add(selected[i]);
	v->n = NSELECTED;
	engine_init(&v->e, &v->cfg);
	engine_set_fs_ops(&v->e, &fake_ops);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (v->e.wd.pid > 0)
		kill(v->e.wd.pid, SIGCONT);
	v->e.state = ENGINE_THAWED;
	engine_free(&v->e);
	fake_close();
	tu_rmtree(v->dir);
	free(v);
	v = NULL;
	return 0;
}

/* the call number of a position among n calls */
static unsigned nth(enum pos p)
{
	return p == FIRST ? 1 : p == MIDDLE ? (unsigned)(v->n + 1) / 2 : (unsigned)v->n;
}

/* the filesystem at freeze-order index k (0-based) */
static struct fake_fs *at(size_t k)
{
	struct fake_fs *f;

	assert_true(k < v->e.set.norder);
	f = fake_find(v->e.set.m[v->e.set.order[k]].target);
	assert_non_null(f);
	return f;
}

static const struct owner local = { .channel = OWNER_UNIX, .conn = 1 };

static int do_freeze(uint64_t timeout_ms, char *err, size_t errlen)
{
	err[0] = '\0';
	return engine_freeze(&v->e, &local, NULL, timeout_ms, err, errlen);
}

static int do_thaw(char *err, size_t errlen)
{
	return engine_thaw(&v->e, &local, err, errlen);
}

/* ---- the checks after every case -------------------------------------- */

/* Every hook that got "freeze" got "thaw" afterwards, in reverse; returns how many ran. */
static int hooks_paired(void)
{
	char names[8][32], line[128], name[32], arg[16];
	int nf = 0, nt = 0;
	FILE *f = fopen(v->hooklog, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		assert_int_equal(sscanf(line, "%31s %15s", name, arg), 2);
		if (strcmp(arg, "freeze") == 0) {
			if (nt > 0)
				fail_msg("hook %s got freeze after a thaw", name);
			assert_true(nf < 8);
			snprintf(names[nf++], sizeof(names[0]), "%s", name);
		} else {
			if (nt >= nf)
				fail_msg("hook %s got thaw without freeze", name);
			assert_string_equal(name, names[nf - 1 - nt]);
			nt++;
		}
	}
	fclose(f);
	if (nt != nf)
		fail_msg("%d hooks got freeze but %d got thaw", nf, nt);
	return nf;
}

static void assert_released(void)
{
	size_t i;

	assert_int_equal(v->e.state, ENGINE_THAWED);
	assert_int_equal(v->e.nfrozen, 0);
	for (i = 0; i < fake->n; i++) {
		const struct fake_fs *f = &fake->fs[i];

		if (f->foreign) {
			if (!f->frozen || f->thaws || f->wd_thaws || f->stray_thaws)
				fail_msg("%s, frozen by someone else, was touched", f->path);
			continue;
		}
		if (f->frozen)
			fail_msg("%s is still frozen", f->path);
		if (f->stray_thaws)
			fail_msg("%s got %u FITHAW while not frozen", f->path, f->stray_thaws);
		if (f->thaws + f->wd_thaws != f->freezes)
			fail_msg("%s: frozen %u times, thawed %u + %u (watchdog) times", f->path,
				 f->freezes, f->thaws, f->wd_thaws);
	}
	if (access(v->record, F_OK) == 0)
		fail_msg("the freeze record %s is still there", v->record);
	if (!fake_released(WAIT_MS))
		fail_msg("a filesystem's fd is still held (by vssd or its watchdog)");
}

/* Released, and both hooks got "freeze", then "thaw". */
static void assert_undone(void)
{
	assert_released();
	assert_int_equal(hooks_paired(), 2);
}

/* The common end of every case: undone, and a new freeze and thaw work. */
static void assert_clean(void)
{
	char err[512];
	size_t i;

	assert_undone();
	/* a new request works */
	fake->nscript = 0;
	fake->before = NULL;
	unlink(v->hooklog);
	for (i = 0; i < fake->n; i++)
		fake->fs[i].freezes = fake->fs[i].thaws = fake->fs[i].wd_thaws = 0;
	assert_int_equal(do_freeze(0, err, sizeof(err)), (int)v->n);
	assert_int_equal(do_thaw(err, sizeof(err)), (int)v->n);
	assert_undone();
}

/* ---- FIFREEZE ----------------------------------------------------------- */

/* FIFREEZE fails at a position: everything vssd froze before it is thawed again */
static void test_freeze_fails(void **state)
{
	const struct fault *c = *state;
	unsigned k = nth(c->pos), i;
	char err[512];

	fake_fail(FAKE_FREEZE, k, 1, c->err);
	assert_int_equal(do_freeze(0, err, sizeof(err)), -c->err);
	if (!strstr(err, "failed to freeze") || !strstr(err, strerror(c->err)))
		fail_msg("error '%s'", err);
	assert_string_equal(err, v->e.last_error);
	for (i = 0; i < k - 1; i++)
		assert_int_equal(at(i)->freezes, 1);
	for (i = k; i < v->n; i++)
		assert_int_equal(at(i)->freezes, 0); /* never reached */
	assert_int_equal(v->e.set.m[v->e.set.order[k - 1]].state, FS_FAILED);
	assert_clean();
}

/* EBUSY (frozen by someone else) and EOPNOTSUPP: skipped, the others frozen */
static void test_freeze_not_ours(void **state)
{
	const struct fault *c = *state;
	unsigned k = nth(c->pos);
	struct fake_fs *f;
	char err[512];

	fake_fail(FAKE_FREEZE, k, 1, c->err);
	assert_int_equal(do_freeze(0, err, sizeof(err)), (int)v->n - 1);
	f = at(k - 1);
	assert_int_equal(f->freezes, 0);
	assert_int_equal(v->e.set.m[v->e.set.order[k - 1]].state,
			 c->err == EBUSY ? FS_FOREIGN : FS_SKIPPED);
	assert_int_equal(do_thaw(err, sizeof(err)), (int)v->n - 1);
	if (c->err == EBUSY)
		assert_true(f->frozen && f->foreign); /* still frozen: not vssd's to thaw */
	assert_undone();
	f->frozen = f->foreign = false; /* its owner thaws it */
	assert_clean();
}

/* every filesystem says EOPNOTSUPP: nothing frozen, reported as 0, all released */
static void test_freeze_nothing_supported(void **state)
{
	char err[512];

	(void)state;
	fake_fail(FAKE_FREEZE, 1, (unsigned)v->n, EOPNOTSUPP);
	assert_int_equal(do_freeze(0, err, sizeof(err)), 0);
	assert_int_equal(v->e.state, ENGINE_THAWED);
	assert_clean();
}

/* The state_dir rule: a freeze that would include state_dir's filesystem is refused, nothing frozen */
static void test_state_dir_never_frozen(void **state)
{
	char err[512], saved[sizeof(v->cfg.state_dir)];
	size_t i;

	(void)state;
	memcpy(saved, v->cfg.state_dir, sizeof(saved));
	snprintf(v->cfg.state_dir, sizeof(v->cfg.state_dir), "/var/lib/vssd-test-state");
	assert_int_equal(do_freeze(0, err, sizeof(err)), -EDEADLK);
	assert_string_equal(err, "state_dir /var/lib/vssd-test-state is on the filesystem of /var, "
				 "which would be frozen; put state_dir on a tmpfs such as /run");
	for (i = 0; i < fake->n; i++)
		assert_int_equal(fake->fs[i].freezes, 0);
	assert_released();
	assert_int_equal(hooks_paired(), 0); /* refused before any hook ran */
	/* with state_dir back where nothing is frozen, the same request works */
	memcpy(v->cfg.state_dir, saved, sizeof(saved));
	assert_int_equal(do_freeze(0, err, sizeof(err)), (int)v->n);
	assert_int_equal(do_thaw(err, sizeof(err)), (int)v->n);
	assert_undone();
}

/* ---- FITHAW ------------------------------------------------------------- */

/* FITHAW fails once at a position (counted in thaw order): tried again, all thawed */
static void test_thaw_fails_once(void **state)
{
	const struct fault *c = *state;
	char err[512];

	assert_int_equal(do_freeze(0, err, sizeof(err)), (int)v->n);
	fake_fail(FAKE_THAW, nth(c->pos), 1, c->err);
	assert_int_equal(do_thaw(err, sizeof(err)), (int)v->n);
	assert_int_equal(at(v->n - nth(c->pos))->failed_thaws, 1);
	assert_clean();
}

/* FITHAW keeps failing on one filesystem: reported, the rest released */
static void test_thaw_fails_for_good(void **state)
{
	unsigned k = (unsigned)(v->n + 1) / 2;
	struct fake_fs *f;
	char err[512];

	(void)state;
	assert_int_equal(do_freeze(0, err, sizeof(err)), (int)v->n);
	fake_fail(FAKE_THAW, k, 3, EIO);
	assert_int_equal(do_thaw(err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "1 filesystem(s) failed to thaw"));
	assert_string_equal(err, v->e.last_error);
	f = at(v->n - k);
	assert_true(f->frozen); /* what vssd cannot thaw, it reports */
	assert_int_equal(f->failed_thaws, 3);
	assert_int_equal(v->e.set.m[v->e.set.order[v->n - k]].state, FS_FAILED);
	f->frozen = false; /* the operator thaws it */
	f->thaws++;
	assert_clean();
}

/* FIFREEZE fails at the last one and the undo's first FITHAW fails once */
static void test_thaw_fails_during_abort(void **state)
{
	char err[512];

	(void)state;
	fake_fail(FAKE_FREEZE, (unsigned)v->n, 1, EIO);
	fake_fail(FAKE_THAW, 1, 1, EIO);
	assert_int_equal(do_freeze(0, err, sizeof(err)), -EIO);
	assert_int_equal(at(v->n - 2)->failed_thaws, 1);
	assert_clean();
}

/* ---- open, syncfs, record, hooks, watchdog arming ------------------------ */

/* syncfs fails: only a warning (FIFREEZE flushes); the freeze goes on */
static void test_syncfs_fails(void **state)
{
	const struct fault *c = *state;
	char err[512];

	fake_fail(FAKE_SYNCFS, nth(c->pos), 1, c->err);
	assert_int_equal(do_freeze(0, err, sizeof(err)), (int)v->n);
	assert_int_equal(do_thaw(err, sizeof(err)), (int)v->n);
	assert_clean();
}

/* open fails: nothing frozen, no record, every fd closed, thaw hooks ran */
static void test_open_fails(void **state)
{
	const struct fault *c = *state;
	char err[512];

	fake_fail(FAKE_OPEN, nth(c->pos), 1, c->err);
	assert_int_equal(do_freeze(0, err, sizeof(err)), -c->err);
	assert_non_null(strstr(err, "failed to open"));
	assert_string_equal(err, v->e.last_error);
	assert_int_equal(fake->calls[FAKE_FREEZE], 0);
	assert_clean();
}

/* creates the empty file v->dir/name; path receives its name */
static void touch(char *path, size_t size, const char *name)
{
	tu_write(v->dir, name, "");
	snprintf(path, size, "%s/%s", v->dir, name);
}

/* the record cannot be created (state_dir under a file): nothing frozen, all undone */
static void test_record_fails(void **state)
{
	char err[512], file[PATH_MAX];

	(void)state;
	touch(file, sizeof(file), "not-a-dir");
	snprintf(v->cfg.state_dir, sizeof(v->cfg.state_dir), "%.200s/state", file);
	assert_int_equal(do_freeze(0, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "cannot create the freeze record"));
	assert_int_equal(fake->calls[FAKE_FREEZE], 0);
	assert_undone();
	snprintf(v->cfg.state_dir, sizeof(v->cfg.state_dir), "%s/state", v->dir);
	assert_clean();
}

/* the second freeze hook fails: both get "thaw", nothing is opened */
static void test_freeze_hook_fails(void **state)
{
	char err[512], path[PATH_MAX];

	(void)state;
	touch(path, sizeof(path), "fail-20-second");
	assert_int_equal(do_freeze(0, err, sizeof(err)), -ECANCELED);
	assert_non_null(strstr(err, "20-second"));
	assert_string_equal(err, v->e.last_error);
	assert_int_equal(fake->calls[FAKE_OPEN], 0);
	assert_undone();
	unlink(path);
	assert_clean();
}

/* waits until fd polls POLLIN (or POLLHUP): a report from the watchdog, or its death */
static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, WAIT_MS) != 1)
		fail_msg("the watchdog sent nothing within %d ms", WAIT_MS);
}

/* ---- a freeze parked while its freeze hooks run ------------------------- */

struct parked {
	int calls, r;
	char err[512];
};

static void on_answer(void *ctx, int r, const char *err)
{
	struct parked *p = ctx;

	p->calls++;
	p->r = r;
	snprintf(p->err, sizeof(p->err), "%s", err);
}

/* vssd's loop for the engine alone: until the parked freeze is answered or hook runs */
static void drive(const struct parked *p, const char *hook)
{
	uint64_t end = now_ms() + WAIT_MS;
	struct engine_status es;

	while (v->e.state == ENGINE_HOOKS && p->calls == 0 && now_ms() < end) {
		struct pollfd pfd[2];
		size_t n = engine_hook_pollfds(&v->e, pfd);

		engine_status(&v->e, &es);
		if (hook && es.hook && strcmp(es.hook, hook) == 0)
			return;
		assert_true(poll(pfd, n, engine_timeout_ms(&v->e)) >= 0);
		if (n && (pfd[0].revents || (n > 1 && pfd[1].revents)))
			engine_hooks_event(&v->e);
		engine_tick(&v->e);
	}
}

static int freeze_parked(struct parked *p)
{
	const struct engine_waiter w = { .fn = on_answer, .ctx = p };
	char err[512];

	return engine_freeze_start(&v->e, &local, NULL, 0, &w, err, sizeof(err));
}

/* the hooks run from the loop; the answer comes once the freeze is done */
static void test_parked_freeze_done(void **state)
{
	struct parked p = { 0 };
	struct engine_status es;
	char err[512];

	(void)state;
	assert_int_equal(freeze_parked(&p), -EINPROGRESS);
	assert_int_equal(v->e.state, ENGINE_HOOKS);
	assert_false(engine_frozen(&v->e));
	engine_status(&v->e, &es);
	assert_string_equal(es.hook, "10-first");
	assert_non_null(es.requester);
	drive(&p, NULL);
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.r, (int)v->n);
	assert_true(engine_held_by(&v->e, &local));
	assert_int_equal(do_thaw(err, sizeof(err)), (int)v->n);
	assert_clean();
}

/* the hook log has line (bounded wait): a hook started has begun its work */
static void wait_hook_line(const char *line)
{
	uint64_t end = now_ms() + WAIT_MS;
	char buf[512];

	while (now_ms() < end) {
		if (strstr(tu_read(v->dir, "hooks.log", buf, sizeof(buf)), line))
			return;
		usleep(10000);
	}
	fail_msg("no \"%s\" in the hook log within %d ms", line, WAIT_MS);
}

/* a thaw while a freeze hook hangs: at once, the hook killed, thaw hooks, nothing frozen */
static void test_parked_freeze_cancelled(void **state)
{
	static const struct owner hv = { .channel = OWNER_HYPERV, .conn = 1 };
	char path[PATH_MAX], err[512];
	struct parked p = { 0 };
	uint64_t t0;
	size_t i;

	(void)state;
	touch(path, sizeof(path), "hang-20-second");
	v->cfg.hook_timeout_ms = 60000;
	assert_int_equal(freeze_parked(&p), -EINPROGRESS);
	drive(&p, "20-second");
	assert_int_equal(v->e.state, ENGINE_HOOKS);
	wait_hook_line("20-second freeze");
	/* a second freeze: busy; a thaw the owner rule refuses: nothing changes */
	assert_int_equal(do_freeze(0, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "20-second"));
	assert_int_equal(engine_thaw(&v->e, &hv, err, sizeof(err)), -EPERM);
	assert_int_equal(v->e.state, ENGINE_HOOKS);
	t0 = now_ms();
	assert_int_equal(do_thaw(err, sizeof(err)), 0);
	if (now_ms() - t0 > 2000)
		fail_msg("the thaw waited %llu ms", (unsigned long long)(now_ms() - t0));
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.r, -ECANCELED);
	assert_non_null(strstr(p.err, "cancelled by a thaw"));
	assert_string_equal(v->e.last_error, p.err);
	for (i = 0; i < fake->n; i++)
		assert_int_equal(fake->fs[i].freezes, 0);
	unlink(path);
	assert_clean(); /* 10-first and the interrupted 20-second got their thaw */
}

/* its connection gone, the freeze goes on (as any freeze outlives its connection) */
static void test_parked_waiter_gone(void **state)
{
	struct parked p = { 0 };
	char err[512];

	(void)state;
	assert_int_equal(freeze_parked(&p), -EINPROGRESS);
	engine_forget(&v->e, &p);
	drive(&p, NULL);
	assert_int_equal(p.calls, 0);
	assert_true(engine_frozen(&v->e));
	assert_int_equal(do_thaw(err, sizeof(err)), (int)v->n);
	assert_clean();
}

/* the watchdog died before the freeze: arming fails, it is replaced, nothing frozen */
static void test_watchdog_gone_before_arming(void **state)
{
	char err[512];
	pid_t old;

	(void)state;
	assert_int_equal(engine_start(&v->e), 0);
	old = v->e.wd.pid;
	assert_int_equal(kill(old, SIGKILL), 0);
	wait_readable(v->e.wd.sock); /* EOF: it is gone */
	assert_true(do_freeze(0, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot arm the watchdog"));
	assert_int_equal(fake->calls[FAKE_FREEZE], 0);
	assert_true(v->e.wd.pid > 0 && v->e.wd.pid != old);
	assert_clean();
}

/*
 * Before the last FIFREEZE the record may grow by 3 bytes only
 * (RLIMIT_FSIZE): the "not ours" line for it gets a short write. The limit
 * is lifted again before the undo's first FITHAW (the thaw hooks write their
 * log).
 */
static void limit_record(enum fake_op op, unsigned n)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct stat st;

	if (op == FAKE_FREEZE && n == v->n) {
		assert_int_equal(stat(v->record, &st), 0);
		rl.rlim_cur = (rlim_t)st.st_size + 3;
	} else if (op != FAKE_THAW) {
		return;
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/*
 * Defect 7: the record cannot take the line saying the last filesystem,
 * frozen by someone else (EBUSY), is not vssd's: the freeze fails and is
 * undone (unrecorded, a restart after a crash would thaw the foreign freeze).
 */
static void test_record_disown_fails(void **state)
{
	struct fake_fs *f;
	char err[512];

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	fake_fail(FAKE_FREEZE, (unsigned)v->n, 1, EBUSY);
	fake->before = limit_record;
	assert_true(do_freeze(0, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "not vssd's to thaw"));
	f = at(v->n - 1);
	assert_true(f->frozen && f->foreign);
	assert_undone();
	f->frozen = f->foreign = false; /* its owner thaws it */
	assert_clean();
}

/* ---- the deadline and the watchdog --------------------------------------- */

static enum pos stop_at;

/* before the FIFREEZE at stop_at: the watchdog is held up and vssd's deadline passes */
static void pass_deadline(enum fake_op op, unsigned n)
{
	struct timespec step = { 0, 2 * 1000000L };
	int i;

	if (op != FAKE_FREEZE || n != nth(stop_at))
		return;
	kill(v->e.wd.pid, SIGSTOP);
	for (i = 0; i < WAIT_MS / 2 && now_ms() < v->e.deadline_ms; i++)
		nanosleep(&step, NULL);
}

/* FIFREEZE returns after vssd's deadline (the watchdog not fired): vssd thaws everything */
static void test_deadline_passes(void **state)
{
	const struct fault *c = *state;
	char err[512];

	stop_at = c->pos;
	fake->before = pass_deadline;
	assert_int_equal(do_freeze(SHORT_TIMEOUT_MS, err, sizeof(err)), -ETIMEDOUT);
	kill(v->e.wd.pid, SIGCONT);
	assert_non_null(strstr(err, "longer than the timeout"));
	assert_int_equal(at(nth(c->pos) - 1)->freezes, 1);
	assert_clean();
}

/* before the FIFREEZE at stop_at: the watchdog fires (and thaws what vssd confirmed) */
static void wait_fired(enum fake_op op, unsigned n)
{
	if (op == FAKE_FREEZE && n == nth(stop_at))
		wait_readable(v->e.wd.sock);
}

/*
 * The watchdog fires part-way: it thawed the confirmed filesystems; vssd
 * thaws the one frozen after it fired, and FITHAWs none of the others again.
 */
static void test_watchdog_fires_partway(void **state)
{
	const struct fault *c = *state;
	unsigned k = nth(c->pos), i;
	char err[512];

	stop_at = c->pos;
	fake->before = wait_fired;
	assert_int_equal(do_freeze(SHORT_TIMEOUT_MS, err, sizeof(err)), -ETIMEDOUT);
	for (i = 0; i < k - 1; i++)
		assert_int_equal(at(i)->wd_thaws, 1);
	assert_int_equal(at(k - 1)->thaws, 1);
	assert_released(); /* before the report: no FITHAW on what the watchdog thawed */
	assert_true(v->e.watchdog_fired);
	assert_clean();
}

/*
 * Before the FIFREEZE at stop_at, once the watchdog fired: that FIFREEZE
 * returns and vssd dies at once (systemd's SIGKILL after TimeoutStopSec
 * waits for a FIFREEZE stuck behind a frozen backing file). Played as the
 * filesystem frozen and vssd's end of the socket shut (the watchdog's EOF):
 * the watchdog must thaw it, nobody else would.
 */
static void die_after_late_freeze(enum fake_op op, unsigned n)
{
	struct timespec step = { 0, 2 * 1000000L };
	struct fake_fs *f;
	int i;

	if (op != FAKE_FREEZE || n != nth(stop_at))
		return;
	wait_readable(v->e.wd.sock);
	f = at(n - 1);
	f->frozen = true;
	f->freezes++;
	assert_int_equal(shutdown(v->e.wd.sock, SHUT_WR), 0);
	for (i = 0; i < WAIT_MS / 2 && f->frozen; i++)
		nanosleep(&step, NULL);
	if (f->frozen)
		fail_msg("%s, frozen after the watchdog's timeout, stayed frozen when vssd died",
			 f->path);
}

/*
 * The watchdog keeps guarding a FIFREEZE in progress at its timeout: vssd
 * dying once it returns leaves nothing frozen (then, alive in this test, vssd
 * finds its watchdog gone, undoes the freeze and starts a new one).
 */
static void test_watchdog_guards_late_freeze(void **state)
{
	const struct fault *c = *state;
	unsigned k = nth(c->pos), i;
	char err[512];

	stop_at = c->pos;
	fake->before = die_after_late_freeze;
	assert_true(do_freeze(SHORT_TIMEOUT_MS, err, sizeof(err)) < 0);
	for (i = 0; i < k; i++)
		assert_int_equal(at(i)->wd_thaws, 1);
	assert_true(v->e.watchdog_fired);
	assert_clean();
}

/*
 * Frozen, the watchdog's timeout passes and it thaws everything. vssd reads
 * its report, or a thaw request comes first (the report still unread):
 * either way vssd must not FITHAW what the watchdog thawed (someone may
 * have frozen it since).
 */
static void test_watchdog_fires_while_frozen(void **state)
{
	const bool *thaw_first = *state;
	struct stat st;
	char err[512];
	size_t i;

	assert_int_equal(do_freeze(SHORT_TIMEOUT_MS, err, sizeof(err)), (int)v->n);
	wait_readable(engine_watchdog_fd(&v->e));
	/* it retired the record before it reported: a vssd crash now must not replay it */
	assert_int_equal(stat(v->record, &st), 0);
	assert_int_equal(st.st_size, 0);
	if (*thaw_first)
		assert_int_equal(do_thaw(err, sizeof(err)), 0);
	else
		engine_watchdog_event(&v->e);
	for (i = 0; i < v->n; i++)
		assert_int_equal(at(i)->wd_thaws, 1);
	assert_released();
	assert_true(v->e.watchdog_fired);
	assert_non_null(strstr(v->e.last_error, "timed out"));
	assert_int_equal(do_thaw(err, sizeof(err)), 0);
	assert_clean();
}

/* the watchdog is killed while frozen: vssd thaws everything and starts a new one */
static void test_watchdog_killed_while_frozen(void **state)
{
	struct timespec step = { 0, 5 * 1000000L };
	char err[512];
	pid_t old;
	int i;

	(void)state;
	assert_int_equal(do_freeze(0, err, sizeof(err)), (int)v->n);
	old = v->e.wd.pid;
	assert_int_equal(kill(old, SIGKILL), 0);
	for (i = 0; i < WAIT_MS / 5 && !engine_reap_watchdog(&v->e); i++)
		nanosleep(&step, NULL);
	assert_int_equal(v->e.state, ENGINE_THAWED);
	for (i = 0; i < (int)v->n; i++)
		assert_int_equal(at((size_t)i)->thaws, 1);
	assert_true(v->e.watchdog_fired);
	assert_non_null(strstr(v->e.last_error, "watchdog died"));
	assert_true(v->e.wd.pid > 0 && v->e.wd.pid != old);
	assert_clean();
}

/* ---- ownership ---------------------------------------------------------- */

/*
 * The cross-channel thaw rule as vssd(8) states it, written here apart from
 * the engine's table: a thaw from the party that froze (the host's guest
 * agent channels count as one party), from the local socket, or from vssd
 * itself ends a freeze; any other is refused.
 */
static bool spec_may_thaw(enum owner_channel thawer, enum owner_channel holder)
{
	bool host_qga = (thawer == OWNER_VIRTIO || thawer == OWNER_VSOCK) &&
			(holder == OWNER_VIRTIO || holder == OWNER_VSOCK);

	return thawer == OWNER_VSSD || thawer == OWNER_UNIX || thawer == holder || host_qga;
}

/* vssd-status names the holder */
static void assert_status_holder(const char *channel, int64_t conn)
{
	json_object *st = commands_status(&v->e), *by, *o;

	assert_true(json_object_object_get_ex(st, "frozen_by", &by));
	assert_true(json_object_object_get_ex(by, "channel", &o));
	assert_string_equal(json_object_get_string(o), channel);
	assert_true(json_object_object_get_ex(by, "connection", &o));
	assert_int_equal(json_object_get_int64(o), conn);
	json_object_put(st);
}

struct pair {
	enum owner_channel holder, thawer;
};

/* A freeze made on one channel, a thaw from another (or the same): ended or refused. */
static void test_thaw_rule(void **state)
{
	const struct pair *p = *state;
	struct owner holder = { .channel = p->holder, .conn = 7 };
	struct owner other_conn = { .channel = p->holder, .conn = 8 };
	struct owner thawer = { .channel = p->thawer, .conn = 9 };
	char err[512];
	size_t i;

	assert_int_equal(engine_freeze(&v->e, &holder, NULL, 0, err, sizeof(err)), (int)v->n);
	assert_non_null(engine_holder(&v->e));
	assert_true(owner_equal(engine_holder(&v->e), &holder));
	assert_true(engine_held_by(&v->e, &holder));
	assert_false(engine_held_by(&v->e, &other_conn));
	assert_status_holder(owner_channel_name(p->holder), 7);
	/* one freeze at a time, whoever asks; the refusal leaves last_error alone */
	assert_int_equal(engine_freeze(&v->e, &thawer, NULL, 0, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "already frozen"));
	assert_string_equal(v->e.last_error, "");
	if (spec_may_thaw(p->thawer, p->holder)) {
		assert_int_equal(engine_thaw(&v->e, &thawer, err, sizeof(err)), (int)v->n);
		assert_null(engine_holder(&v->e));
	} else {
		assert_int_equal(engine_thaw(&v->e, &thawer, err, sizeof(err)), -EPERM);
		assert_non_null(strstr(err, "may not end that freeze"));
		assert_string_equal(v->e.last_error, "");
		assert_true(engine_held_by(&v->e, &holder));
		for (i = 0; i < fake->n; i++)
			assert_true(fake->fs[i].frozen); /* refused: nothing was thawed */
		/* the party that froze ends it, from any of its connections */
		assert_int_equal(engine_thaw(&v->e, &other_conn, err, sizeof(err)), (int)v->n);
	}
	assert_clean();
}

/* A freeze without an owner (none is ever made) may be ended by any channel, by nobody. */
static void test_thaw_rule_edges(void **state)
{
	enum owner_channel c;

	(void)state;
	for (c = OWNER_VSSD; c < OWNER_CHANNELS; c++) {
		assert_true(owner_may_thaw(c, OWNER_NONE));
		assert_false(owner_may_thaw(OWNER_NONE, c));
		assert_true(owner_may_thaw(c, c));
		assert_string_not_equal(owner_channel_name(c), "");
	}
}

/* ---- the cases ----------------------------------------------------------- */

#define AT(e, p)                   \
	{                          \
		.err = e, .pos = p \
	}
#define EACH_POS(e) AT(e, FIRST), AT(e, MIDDLE), AT(e, LAST)

static const struct fault freeze_errors[] = {
	EACH_POS(EIO), EACH_POS(EPERM), EACH_POS(ENOSPC), EACH_POS(EROFS), EACH_POS(EINVAL),
};
static const struct fault not_ours[] = { EACH_POS(EBUSY), EACH_POS(EOPNOTSUPP) };
static const struct fault io_errors[] = { EACH_POS(EIO) };
static const struct fault open_errors[] = { EACH_POS(EACCES), EACH_POS(ENOENT) };
static const struct fault positions[] = { EACH_POS(0) };
static const bool report_read = false, thaw_first = true;

#define THAWERS(h)                                                                     \
	{ h, OWNER_VSSD }, { h, OWNER_UNIX }, { h, OWNER_VIRTIO }, { h, OWNER_VSOCK }, \
	{                                                                              \
		h, OWNER_HYPERV                                                        \
	}
static const struct pair pairs[] = {
	THAWERS(OWNER_UNIX),
	THAWERS(OWNER_VIRTIO),
	THAWERS(OWNER_VSOCK),
	THAWERS(OWNER_HYPERV),
};

#define CASE(f, c) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)&(c))
#define CASES3(f, t, i) CASE(f, t[i]), CASE(f, t[i + 1]), CASE(f, t[i + 2])
#define CASES5(f, t, i) CASES3(f, t, i), CASE(f, t[i + 3]), CASE(f, t[i + 4])
#define PLAIN(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		CASES3(test_freeze_fails, freeze_errors, 0),
		CASES3(test_freeze_fails, freeze_errors, 3),
		CASES3(test_freeze_fails, freeze_errors, 6),
		CASES3(test_freeze_fails, freeze_errors, 9),
		CASES3(test_freeze_fails, freeze_errors, 12),
		CASES3(test_freeze_not_ours, not_ours, 0),
		CASES3(test_freeze_not_ours, not_ours, 3),
		PLAIN(test_freeze_nothing_supported),
		PLAIN(test_state_dir_never_frozen),
		CASES3(test_thaw_fails_once, io_errors, 0),
		PLAIN(test_thaw_fails_for_good),
		PLAIN(test_thaw_fails_during_abort),
		CASES3(test_syncfs_fails, io_errors, 0),
		CASES3(test_open_fails, open_errors, 0),
		CASES3(test_open_fails, open_errors, 3),
		PLAIN(test_record_fails),
		PLAIN(test_record_disown_fails),
		PLAIN(test_freeze_hook_fails),
		PLAIN(test_parked_freeze_done),
		PLAIN(test_parked_freeze_cancelled),
		PLAIN(test_parked_waiter_gone),
		PLAIN(test_watchdog_gone_before_arming),
		CASES3(test_deadline_passes, positions, 0),
		CASES3(test_watchdog_fires_partway, positions, 0),
		CASES3(test_watchdog_guards_late_freeze, positions, 0),
		CASE(test_watchdog_fires_while_frozen, report_read),
		CASE(test_watchdog_fires_while_frozen, thaw_first),
		PLAIN(test_watchdog_killed_while_frozen),
		CASES5(test_thaw_rule, pairs, 0),
		CASES5(test_thaw_rule, pairs, 5),
		CASES5(test_thaw_rule, pairs, 10),
		CASES5(test_thaw_rule, pairs, 15),
		PLAIN(test_thaw_rule_edges),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
