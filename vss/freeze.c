/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The freeze sequence and its exact undo, one phase per function:
 *
 *   plan      which filesystems, in what order; the state_dir check  (touches nothing)
 *   hooks     freeze hooks, waited for (engine_freeze) or watched by  (their thaw hooks
 *             the caller's loop (engine_freeze_start: state HOOKS)     run on failure)
 *   prepare   open, hand the fds to the watchdog,                    (undone by unprepare)
 *             syncfs (overlapping the watchdog's work), freeze
 *             record, its acknowledgement, start its clock
 *   freeze    FIFREEZE each one, children first, log held            (undone by abort_freeze)
 *   commit    the engine is FROZEN, or, nothing was frozen, released again
 *
 * Every error of a freeze or a thaw is written once, by fail(), into
 * last_error; the caller's err is copied from it on the way out.
 */
#include "freeze.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "record.h"
#include "util.h"

#define THAW_TRIES 3   /* a failing FITHAW is tried this often before it is reported */
#define WD_REPORTS 4   /* reports the watchdog can have queued: ARMED, FIRED and stale ones */
#define SYNC_THREADS 8 /* syncfs calls at once (vssd's thread among them) */
#define SYNC_STACK (32 * 1024) /* a helper's stack, ours: glibc would cache (and lock) its own */

/* Formats a reason into buf and returns r: the one way errors are reported here. */
static int __attribute__((format(printf, 4, 5)))
set_error(char *buf, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return r;
}

#define fail(e, r, ...) set_error((e)->last_error, sizeof((e)->last_error), (r), __VA_ARGS__)

/* The caller's copy of last_error when r < 0. */
static int done(const struct engine *e, int r, char *err, size_t errlen)
{
	if (r < 0)
		snprintf(err, errlen, "%s", e->last_error);
	return r;
}

static struct vss_mount *mount_at(struct engine *e, size_t k)
{
	return &e->set.m[e->set.order[k]];
}

void engine_init(struct engine *e, const struct vssd_config *cfg)
{
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->record_fd = -1;
	e->wd.sock = -1;
	e->wd.bell = -1;
	engine_set_fs_ops(e, &fs_ops_kernel);
}

void engine_set_config(struct engine *e, const struct vssd_config *cfg)
{
	e->cfg = cfg;
}

void engine_set_fs_ops(struct engine *e, const struct fs_ops *ops)
{
	e->ops = ops;
	e->wd.ops = ops;
}

int engine_start(struct engine *e)
{
	if (e->wd.pid > 0)
		return 0;
	e->wd.helper = watchdog_helper();
	if (!e->wd.helper && (!e->wd.ops || e->wd.ops == &fs_ops_kernel))
		log_warn("%s is missing: the watchdog runs as a copy of vssd (more memory, same "
			 "guarantees); reinstall vssd",
			 VSSD_WATCHDOG_PATH);
	return watchdog_spawn(&e->wd);
}

static void close_fds(struct mount_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->m[i].fd >= 0)
			close(s->m[i].fd);
		s->m[i].fd = -1;
	}
}

void engine_free(struct engine *e)
{
	watchdog_stop(&e->wd);
	close_fds(&e->set);
	mounts_free(&e->set);
}

/* ---- plan ------------------------------------------------------------ */

/*
 * What a freeze of s refuses before it touches anything: more filesystems
 * than the watchdog can hold, or state_dir's filesystem among them (state
 * lives there: it must never be frozen, by any of its mounts). Returns 0
 * or -errno with err; the freeze and vssd-plan both ask it.
 */
static int plan_refused(const struct vssd_config *c, const struct mount_set *s, char *err,
			size_t errlen)
{
	char real[PATH_MAX];
	ssize_t h;
	size_t k;

	if (s->norder > WATCHDOG_MAX_FDS)
		return set_error(err, errlen, -E2BIG,
				 "%zu filesystems selected; at most %d can be frozen at once",
				 s->norder, WATCHDOG_MAX_FDS);
	if (!realpath(c->state_dir, real))
		snprintf(real, sizeof(real), "%s", c->state_dir);
	h = mounts_holding(s, real);
	for (k = 0; h >= 0 && k < s->norder; k++) {
		const struct vss_mount *m = &s->m[s->order[k]];

		if (m->devno == s->m[h].devno)
			return set_error(err, errlen, -EDEADLK,
					 "state_dir %s is on the filesystem of %s, which would be "
					 "frozen; put state_dir on a tmpfs such as /run",
					 real, m->target);
	}
	return 0;
}

/* Which filesystems, in what order. Returns how many, or -errno. Touches nothing. */
static struct select_opts select_opts_of(const struct vssd_config *c)
{
	return (struct select_opts){
		.include = c->include,
		.exclude = c->exclude,
		.exclude_types = c->exclude_types,
		.skip_loop = c->skip_loop,
		.sysfs = c->sysfs,
	};
}

int engine_plan(const struct engine *e, const char *const *list, struct mount_set *out, char *err,
		size_t errlen)
{
	struct select_opts o = select_opts_of(e->cfg);
	int r = mounts_load(e->cfg->mountinfo, &o, list, out, err, errlen);

	if (r == 0 && (r = plan_refused(e->cfg, out, err, errlen)) < 0)
		mounts_free(out);
	return r;
}

static int plan(struct engine *e, const char *const *list)
{
	const struct vssd_config *c = e->cfg;
	struct select_opts o = select_opts_of(c);
	int r;

	close_fds(&e->set);
	mounts_free(&e->set);
	r = mounts_load(c->mountinfo, &o, list, &e->set, e->last_error, sizeof(e->last_error));
	if (r < 0)
		return r;
	if (e->set.norder == 0) {
		log_info("freeze: no filesystem to freeze");
		return 0;
	}
	r = plan_refused(c, &e->set, e->last_error, sizeof(e->last_error));
	return r < 0 ? r : (int)e->set.norder;
}

/* ---- prepare --------------------------------------------------------- */

/*
 * The directory opened by path must be the mount selected from mountinfo:
 * a mount made on that path since (a hook's, anyone's) would have vssd
 * freeze another filesystem, even an excluded one, and report this one.
 */
static int same_mount(struct engine *e, struct vss_mount *m)
{
	int id = e->ops->mount_id ? e->ops->mount_id(m->fd) : -ENOTSUP;

	if (id < 0 || id == m->id)
		return 0; /* not known: nothing to compare */
	m->state = FS_FAILED;
	snprintf(m->reason, sizeof(m->reason), "another mount is on its path now");
	return fail(e, -ESTALE,
		    "%s is no longer the mount selected (mount %d there now, was %d): the mounts "
		    "changed since selection; nothing was frozen",
		    m->target, id, m->id);
}

static int open_all(struct engine *e)
{
	size_t k;

	for (k = 0; k < e->set.norder; k++) {
		struct vss_mount *m = mount_at(e, k);
		int fd = e->ops->open(m->target);

		if (fd < 0) {
			m->state = FS_FAILED;
			snprintf(m->reason, sizeof(m->reason), "cannot open: %s", strerror(-fd));
			return fail(e, fd, "failed to open %s: %s", m->target, strerror(-fd));
		}
		m->fd = fd;
		fd = same_mount(e, m);
		if (fd < 0)
			return fd;
	}
	return 0;
}

struct sync_job {
	struct engine *e;
	size_t next;  /* the next freeze-order index to flush (atomic) */
	int *err;     /* per index: syncfs's result */
	char *stacks; /* the helpers' stacks, one mapping: one munmap, one TLB flush */
	size_t stacks_len;
};

/* Flushes filesystems until none is left; in vssd's thread and in the helpers. */
static void *sync_some(void *arg)
{
	struct sync_job *j = arg;
	size_t k;

	while ((k = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) < j->e->set.norder) {
		struct vss_mount *m = mount_at(j->e, k);
		uint64_t t0 = now_us();

		j->err[k] = j->e->ops->syncfs(m->fd);
		m->sync_us = now_us() - t0;
	}
	return NULL;
}

/*
 * Helper threads for a flush of several filesystems (the kernel's syncfs
 * waits for each one's I/O; together they overlap). One more starts only
 * while two are left unclaimed (one for vssd's thread): clean filesystems,
 * flushed faster than a thread starts, need fewer. A test's fake ops are
 * called from vssd's thread only. Returns how many were started.
 */
static size_t start_helpers(struct sync_job *j, pthread_t *tid)
{
	size_t want = j->e->set.norder < SYNC_THREADS ? j->e->set.norder : SYNC_THREADS, n;
	pthread_attr_t a;
	void *p;

	if (j->e->ops != &fs_ops_kernel || want < 2)
		return 0;
	p = mmap(NULL, (want - 1) * SYNC_STACK, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	j->stacks = p;
	j->stacks_len = (want - 1) * SYNC_STACK;
	if (pthread_attr_init(&a) != 0)
		return 0;
	for (n = 0; n + 1 < want; n++) {
		if (__atomic_load_n(&j->next, __ATOMIC_RELAXED) + 2 > j->e->set.norder)
			break;
		if (pthread_attr_setstack(&a, j->stacks + n * SYNC_STACK, SYNC_STACK) != 0 ||
		    pthread_create(&tid[n], &a, sync_some, j) != 0)
			break;
	}
	pthread_attr_destroy(&a);
	return n;
}

/* flush while writes are still allowed: shrinks the frozen window */
static void sync_all(struct engine *e)
{
	struct sync_job j = { .e = e, .err = calloc(e->set.norder, sizeof(int)) };
	pthread_t tid[SYNC_THREADS];
	size_t n = 0, k;

	if (j.err)
		n = start_helpers(&j, tid);
	else
		j.next = e->set.norder; /* out of memory: FIFREEZE flushes */
	sync_some(&j);
	for (k = 0; k < n; k++)
		pthread_join(tid[k], NULL);
	if (j.stacks)
		munmap(j.stacks, j.stacks_len);
	for (k = 0; j.err && k < e->set.norder; k++)
		if (j.err[k] < 0)
			log_warn("syncfs %s: %s (FIFREEZE will flush)", mount_at(e, k)->target,
				 strerror(-j.err[k]));
	free(j.err);
}

static int create_record(struct engine *e)
{
	int fd = record_create(e->cfg->state_dir);

	if (fd < 0)
		return fail(e, fd, "cannot create the freeze record in %s: %s", e->cfg->state_dir,
			    strerror(-fd));
	e->record_fd = fd;
	return 0;
}

static int arm_failed(struct engine *e, int r)
{
	/* its state is unknown: replace it (nothing is frozen) */
	watchdog_respawn(&e->wd);
	return fail(e, r, "cannot arm the watchdog: %s", strerror(-r));
}

/* Hands the fds to the watchdog; it takes them while vssd flushes. */
static int arm_send(struct engine *e, uint64_t timeout_ms)
{
	size_t k;
	int r = engine_start(e);

	for (k = 0; k < e->set.norder; k++)
		e->wd_fds[k] = mount_at(e, k)->fd;
	if (r == 0)
		r = watchdog_arm_send(&e->wd, e->wd_fds, e->set.norder, timeout_ms);
	return r < 0 ? arm_failed(e, r) : 0;
}

/*
 * The record to the watchdog, its acknowledgement that it holds every fd,
 * then the clock: vssd's deadline is fixed before the watchdog's starts, so
 * a FIFREEZE that ends by it was announced in time.
 */
static int arm_finish(struct engine *e, uint64_t timeout_ms)
{
	/* the record goes along: after thawing at vssd's death the watchdog empties it */
	int r = watchdog_record(&e->wd, e->record_fd);

	if (r == 0)
		r = watchdog_arm_wait(&e->wd);
	if (r == 0) {
		e->frozen_at_ms = now_ms();
		e->deadline_ms = e->frozen_at_ms + timeout_ms;
		r = watchdog_start(&e->wd);
	}
	return r < 0 ? arm_failed(e, r) : 0;
}

static void disarm(struct engine *e);

/* Undoes prepare() (nothing is frozen): the record, the fds, then the thaw hooks. */
static void unprepare(struct engine *e)
{
	if (e->record_fd >= 0)
		record_remove(e->record_fd, e->cfg->state_dir);
	e->record_fd = -1;
	close_fds(&e->set);
	e->thaw_hook_error[0] = '\0';
	hooks_thaw(&e->hooks, e->cfg->hook_timeout_ms, e->thaw_hook_error,
		   sizeof(e->thaw_hook_error));
}

/*
 * Everything after the freeze hooks that can still fail harmlessly, before
 * the first FIFREEZE. Undoes itself, the thaw hooks included.
 */
static int prepare(struct engine *e, uint64_t timeout_ms)
{
	const struct vssd_config *c = e->cfg;
	int r;

	if (timeout_ms == 0)
		timeout_ms = c->timeout_ms;
	r = open_all(e);
	if (r == 0)
		r = arm_send(e, timeout_ms);
	if (r == 0) {
		sync_all(e); /* the watchdog takes the fds meanwhile */
		r = create_record(e);
		if (r == 0)
			r = arm_finish(e, timeout_ms);
		else
			disarm(e);
	}
	if (r < 0)
		unprepare(e);
	return r;
}

/* ---- thaw ------------------------------------------------------------ */

/* Disarms the watchdog; if that fails its state is unknown: replace it (nothing is frozen). */
static void disarm(struct engine *e)
{
	if (e->wd.pid > 0 && watchdog_disarm(&e->wd) < 0 && watchdog_respawn(&e->wd) < 0)
		log_err("cannot restart the watchdog: %m; the next freeze will try again");
}

/*
 * The watchdog's report that it fired for this freeze, if one is waiting:
 * returns the freeze-order index below which it thawed, or -1. vssd must
 * then not FITHAW those again (a freeze made since by someone else would
 * be undone).
 */
static long fired_report(struct engine *e)
{
	struct pollfd p = { .fd = e->wd.sock, .events = POLLIN };
	uint32_t upto;
	int i, r;

	for (i = 0; i < WD_REPORTS && p.fd >= 0; i++) {
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
			break;
		r = watchdog_event(&e->wd, &upto);
		if (r == 1)
			return (long)upto;
		if (r < 0)
			break; /* gone: vssd thaws everything itself */
	}
	return -1;
}

static void set_reason(struct vss_mount *m, enum fs_state state, const char *reason)
{
	m->state = state;
	snprintf(m->reason, sizeof(m->reason), "%s", reason);
}

/* FITHAW, tried again while it fails (not EINVAL: not frozen). Returns 0 or -errno. */
static int thaw_one(struct engine *e, struct vss_mount *m)
{
	uint64_t t0 = now_us();
	int r = 0, i;

	for (i = 0; i < THAW_TRIES; i++) {
		r = e->ops->thaw(m->fd);
		if (r == 0 || r == -EINVAL)
			break;
	}
	m->thaw_us = now_us() - t0;
	return r;
}

/*
 * FITHAW, in reverse freeze order, on everything vssd holds frozen at
 * freeze-order index >= from; below from the watchdog thawed them.
 * after_wd: the watchdog fired or died. Returns the number thawed by this
 * call; *failed counts those that stayed frozen.
 */
static unsigned thaw_frozen(struct engine *e, size_t from, bool after_wd, unsigned *failed)
{
	unsigned thawed = 0;
	size_t k = e->set.norder;

	*failed = 0;
	while (k-- > 0) {
		struct vss_mount *m = mount_at(e, k);
		int r;

		if (m->state != FS_FROZEN)
			continue;
		if (k < from) {
			set_reason(m, FS_THAWED, "thawed by the watchdog");
			continue;
		}
		r = thaw_one(e, m);
		if (r == 0) {
			set_reason(m, FS_THAWED,
				   after_wd ? "thawed by vssd after the watchdog" : "");
			thawed++;
		} else if (r == -EINVAL) {
			set_reason(m, FS_THAWED, "was already thawed (watchdog or another tool)");
		} else {
			m->state = FS_FAILED;
			snprintf(m->reason, sizeof(m->reason), "thaw failed: %s", strerror(-r));
			(*failed)++;
		}
	}
	return thawed;
}

static void log_summary(struct engine *e)
{
	size_t k;

	for (k = 0; k < e->set.norder; k++) {
		struct vss_mount *m = mount_at(e, k);

		log_info("%s (%s): %s%s%s; sync %.3f ms, freeze %.3f ms, thaw %.3f ms", m->target,
			 m->fstype, fs_state_name(m->state), m->reason[0] ? ": " : "", m->reason,
			 m->sync_us / 1000.0, m->freeze_us / 1000.0, m->thaw_us / 1000.0);
	}
	log_info("filesystems were frozen for %llu ms", (unsigned long long)e->last_frozen_ms);
}

/* Everything after the last FITHAW: the held log, the summary, then the record, fds, hooks. */
static void finish_thaw(struct engine *e)
{
	e->thawed_at_ms = now_ms();
	e->last_frozen_ms = e->thawed_at_ms - e->frozen_at_ms;
	e->state = ENGINE_THAWED;
	e->holder = (struct owner){ .channel = OWNER_NONE };
	e->nfrozen = 0;
	log_release();
	log_summary(e);
	unprepare(e);
}

/* Undoes a freeze that failed part-way (watchdog armed, log held). */
static void abort_freeze(struct engine *e)
{
	long upto = fired_report(e);
	unsigned failed;

	if (upto >= 0)
		e->watchdog_fired = true;
	thaw_frozen(e, upto >= 0 ? (size_t)upto : 0, upto >= 0, &failed);
	disarm(e);
	finish_thaw(e);
}

/*
 * The watchdog thawed at its timeout the confirmed filesystems below upto
 * (it reported so), or it died (upto 0): vssd thaws the rest.
 */
static unsigned after_watchdog(struct engine *e, size_t upto, const char *why)
{
	unsigned thawed, failed;

	e->watchdog_fired = true;
	thawed = thaw_frozen(e, upto, true, &failed);
	finish_thaw(e);
	fail(e, 0, "%s%s", why, failed ? "; some filesystems failed to thaw, see vssd-status" : "");
	log_warn("%s", e->last_error);
	return thawed;
}

#define WHY_TIMEOUT "the freeze timed out: the watchdog thawed the filesystems"

/* -EPERM when the owner rule does not let by's channel end the freeze in force */
static int thaw_refused(const struct engine *e, const struct owner *by, char *err, size_t errlen)
{
	uint64_t now = now_ms();
	char held[64], from[64];

	if (owner_may_thaw(by->channel, e->holder.channel))
		return 0;
	return set_error(err, errlen, -EPERM,
			 "the filesystems were frozen through %s; a thaw from %s may not end that "
			 "freeze (a thaw on the local socket can, such as vssctl thaw in the "
			 "guest; the watchdog thaws them in %llu ms)",
			 owner_describe(&e->holder, held, sizeof(held)),
			 owner_describe(by, from, sizeof(from)),
			 (unsigned long long)(e->deadline_ms > now ? e->deadline_ms - now : 0));
}

static int cancel_hooks(struct engine *e, const struct owner *by, char *err, size_t errlen);

int engine_thaw(struct engine *e, const struct owner *by, char *err, size_t errlen)
{
	unsigned thawed, failed, nfrozen = e->nfrozen;
	long upto;

	if (e->state == ENGINE_HOOKS)
		return cancel_hooks(e, by, err, errlen);
	if (e->state != ENGINE_FROZEN)
		return 0;
	if (thaw_refused(e, by, err, errlen) < 0)
		return -EPERM;
	upto = fired_report(e);
	if (upto >= 0)
		return (int)after_watchdog(e, (size_t)upto, WHY_TIMEOUT);
	thawed = thaw_frozen(e, 0, false, &failed);
	disarm(e);
	finish_thaw(e);
	/*
	 * Some were already thawed (EINVAL). vssd's deadline is never later than
	 * the watchdog's: before it the watchdog cannot have fired, so someone else thawed.
	 */
	if (thawed + failed < nfrozen) {
		if (now_ms() >= e->deadline_ms)
			e->watchdog_fired = true;
		else
			e->thawed_elsewhere = true;
		fail(e, 0, "%u filesystem(s) were thawed before this thaw, by %s",
		     nfrozen - thawed - failed,
		     e->watchdog_fired ? "the watchdog's timeout"
				       : "someone else (not the watchdog)");
	}
	if (failed)
		return done(
			e,
			fail(e, -EIO, "%u filesystem(s) failed to thaw; see vssd-status", failed),
			err, errlen);
	/* as qemu-ga: the filesystems are thawed, but the thaw is not a success */
	if (e->thaw_hook_error[0])
		return done(e,
			    fail(e, -EIO, "thawed %u filesystem(s), but a thaw hook failed: %s",
				 thawed, e->thaw_hook_error),
			    err, errlen);
	return (int)thawed;
}

void engine_status(const struct engine *e, struct engine_status *st)
{
	uint64_t now = now_ms();

	*st = (struct engine_status){
		.holder = engine_holder(e),
		.nfrozen = e->nfrozen,
		.watchdog_pid = e->wd.pid,
		.last_frozen_ms = e->last_frozen_ms,
		.watchdog_fired = e->watchdog_fired,
		.thawed_elsewhere = e->thawed_elsewhere,
		.freeze_id = e->freeze_id,
		.timeout_ms = e->cfg->timeout_ms,
		.last_error = e->last_error,
		.mounts = e->set.m,
		.nmounts = e->set.n,
		.order = e->set.order,
		.norder = e->set.norder,
	};
	if (e->state == ENGINE_HOOKS) {
		st->requester = &e->requester;
		st->hook = hooks_running(&e->hooks);
		st->hook_for_ms = now - e->hooks.proc.started_ms;
	}
	if (st->holder) {
		st->frozen_for_ms = now - e->frozen_at_ms;
		st->deadline_in_ms = e->deadline_ms > now ? e->deadline_ms - now : 0;
	}
}

bool engine_idle(const struct engine *e)
{
	return e->state == ENGINE_THAWED;
}

bool engine_frozen(const struct engine *e)
{
	return e->state == ENGINE_FROZEN;
}

const struct owner *engine_holder(const struct engine *e)
{
	return e->state == ENGINE_FROZEN ? &e->holder : NULL;
}

bool engine_held_by(const struct engine *e, const struct owner *o)
{
	return e->state == ENGINE_FROZEN && owner_equal(&e->holder, o);
}

/* ---- freeze ---------------------------------------------------------- */

/* FIFREEZE said r: skipped (EOPNOTSUPP), foreign (EBUSY), or the freeze fails. */
static int not_frozen(struct engine *e, struct vss_mount *m, size_t k, int r)
{
	int rd;

	watchdog_disown(&e->wd, k);
	/* unrecorded, a restart after a crash would thaw someone else's freeze */
	rd = record_disown(e->record_fd, m->devno, m->target);
	if (rd < 0) {
		set_reason(m, r == -EBUSY ? FS_FOREIGN : FS_FAILED, "not recorded as not vssd's");
		return fail(e, rd,
			    "cannot write to the freeze record that %s is not vssd's to thaw: %s; "
			    "everything was thawed",
			    m->target, strerror(-rd));
	}
	if (r == -EOPNOTSUPP) {
		m->state = FS_SKIPPED;
		snprintf(m->reason, sizeof(m->reason), "%s does not support freezing", m->fstype);
		return 0;
	}
	if (r == -EBUSY) {
		set_reason(m, FS_FOREIGN, "already frozen by someone else; vssd will not thaw it");
		return 0;
	}
	set_reason(m, FS_FAILED, strerror(-r));
	return fail(e, r, "failed to freeze %s: %s", m->target, strerror(-r));
}

/* One filesystem: announced to the watchdog and the record, FIFREEZE, confirmed. */
static int freeze_one(struct engine *e, size_t k)
{
	struct vss_mount *m = mount_at(e, k);
	uint64_t t0;
	int r;

	r = watchdog_freezing(&e->wd, k);
	if (r < 0)
		return fail(e, r, "lost the watchdog before freezing %s: %s", m->target,
			    strerror(-r));
	r = record_add(e->record_fd, m->devno, m->target);
	if (r < 0)
		return fail(e, r, "cannot write the freeze record in %s before freezing %s: %s",
			    e->cfg->state_dir, m->target, strerror(-r));
	t0 = now_us();
	r = e->ops->freeze(m->fd);
	m->freeze_us = now_us() - t0;
	if (r < 0)
		return not_frozen(e, m, k, r);
	m->state = FS_FROZEN;
	e->nfrozen++;
	/* confirmed before the deadline check: then the watchdog sees it before firing */
	if (watchdog_frozen(&e->wd, k) < 0)
		return fail(e, -EIO, "lost the watchdog while freezing %s; everything was thawed",
			    m->target);
	/* the watchdog may already have fired: do not leave this one unguarded */
	if (now_ms() >= e->deadline_ms)
		return fail(e, -ETIMEDOUT,
			    "freezing took longer than the timeout (at %s); everything was thawed",
			    m->target);
	return 0;
}

/* The frozen window opens: no disk I/O, no allocation from here to the last FITHAW. */
static int freeze_all(struct engine *e)
{
	size_t k;
	int r = 0;

	log_hold();
	e->state = ENGINE_FROZEN;
	for (k = 0; k < e->set.norder && r == 0; k++)
		r = freeze_one(e, k);
	return r;
}

/* The freeze stands, held by by; or nothing could be frozen, and everything is released again. */
static int commit(struct engine *e, const struct owner *by)
{
	if (e->nfrozen == 0) {
		disarm(e);
		finish_thaw(e);
		return 0;
	}
	e->holder = *by;
	e->freeze_id++;
	return (int)e->nfrozen;
}

/* -EBUSY: a freeze is in force, or on its way (its freeze hooks run) */
static int busy(const struct engine *e, char *err, size_t errlen)
{
	char held[64];

	if (e->state == ENGINE_HOOKS)
		return set_error(err, errlen, -EBUSY,
				 "filesystems are being frozen (for %s; freeze hook %s is running)",
				 owner_describe(&e->requester, held, sizeof(held)),
				 hooks_running(&e->hooks));
	return set_error(err, errlen, -EBUSY, "filesystems are already frozen (by %s)",
			 owner_describe(&e->holder, held, sizeof(held)));
}

/* Refused while not thawed, then the plan: > 0 filesystems to freeze, else the answer. */
static int freeze_begin(struct engine *e, const char *const *list, char *err, size_t errlen)
{
	int r;

	if (e->state != ENGINE_THAWED)
		return busy(e, err, errlen);
	e->last_error[0] = '\0';
	e->watchdog_fired = false;
	e->thawed_elsewhere = false;
	r = plan(e, list);
	return r <= 0 ? done(e, r, err, errlen) : r;
}

/* After the freeze hooks succeeded: prepare, freeze, commit (or undo). */
static int freeze_rest(struct engine *e, const struct owner *by, uint64_t timeout_ms, char *err,
		       size_t errlen)
{
	int r = prepare(e, timeout_ms);

	if (r < 0)
		return done(e, r, err, errlen);
	r = freeze_all(e);
	if (r < 0) {
		abort_freeze(e);
		return done(e, r, err, errlen);
	}
	return commit(e, by);
}

int engine_freeze(struct engine *e, const struct owner *by, const char *const *list,
		  uint64_t timeout_ms, char *err, size_t errlen)
{
	const struct vssd_config *c = e->cfg;
	int r = freeze_begin(e, list, err, errlen);

	if (r <= 0)
		return r;
	if (hooks_freeze(&e->hooks, c->hooks_dir, c->hook_timeout_ms, e->last_error,
			 sizeof(e->last_error)) < 0)
		return done(e, -ECANCELED, err, errlen); /* the hooks that ran got "thaw" already */
	return freeze_rest(e, by, timeout_ms, err, errlen);
}

int engine_freeze_start(struct engine *e, const struct owner *by, const char *const *list,
			uint64_t timeout_ms, const struct engine_waiter *w, char *err,
			size_t errlen)
{
	const struct vssd_config *c = e->cfg;
	int r = freeze_begin(e, list, err, errlen);

	if (r <= 0)
		return r;
	r = hooks_freeze_start(&e->hooks, c->hooks_dir, c->hook_timeout_ms, e->last_error,
			       sizeof(e->last_error));
	if (r < 0)
		return done(e, -ECANCELED, err, errlen);
	if (r == 0)
		return freeze_rest(e, by, timeout_ms, err, errlen);
	e->state = ENGINE_HOOKS;
	e->requester = *by;
	e->waiter = *w;
	e->pending_timeout_ms = timeout_ms;
	return -EINPROGRESS;
}

/* The parked request leaves HOOKS: its answer to its waiter, if it is still there. */
static void answer_parked(struct engine *e, int r, const char *err)
{
	struct engine_waiter w = e->waiter;

	e->waiter = (struct engine_waiter){ 0 };
	if (w.fn)
		w.fn(w.ctx, r, err);
}

void engine_hooks_event(struct engine *e)
{
	char err[512] = "";
	int r;

	if (e->state != ENGINE_HOOKS)
		return;
	r = hooks_freeze_step(&e->hooks, e->last_error, sizeof(e->last_error));
	if (r == 1)
		return;
	e->state = ENGINE_THAWED;
	if (r < 0)
		r = done(e, -ECANCELED, err, sizeof(err));
	else
		r = freeze_rest(e, &e->requester, e->pending_timeout_ms, err, sizeof(err));
	answer_parked(e, r, err);
}

/*
 * A thaw while the freeze hooks run (the owner rule as for a freeze in
 * force): the running hook stopped, the thaw hooks, the parked request
 * answered. Nothing was frozen: 0, as a thaw with nothing frozen.
 */
static int cancel_hooks(struct engine *e, const struct owner *by, char *err, size_t errlen)
{
	char from[64], req[64], hook[256];

	owner_describe(by, from, sizeof(from));
	owner_describe(&e->requester, req, sizeof(req));
	if (!owner_may_thaw(by->channel, e->requester.channel))
		return set_error(err, errlen, -EPERM,
				 "a freeze for %s is running its freeze hooks; a thaw from %s may "
				 "not cancel it (a thaw on the local socket can)",
				 req, from);
	snprintf(hook, sizeof(hook), "%s", hooks_running(&e->hooks));
	e->thaw_hook_error[0] = '\0';
	hooks_freeze_cancel(&e->hooks, e->thaw_hook_error, sizeof(e->thaw_hook_error));
	e->state = ENGINE_THAWED;
	fail(e, -ECANCELED,
	     "the freeze was cancelled by a thaw from %s while freeze hook %s ran; nothing was "
	     "frozen, the thaw hooks ran",
	     from, hook);
	log_notice("%s", e->last_error);
	answer_parked(e, -ECANCELED, e->last_error);
	if (e->thaw_hook_error[0])
		return done(e,
			    fail(e, -EIO,
				 "nothing was frozen (a freeze was cancelled), but a "
				 "thaw hook failed: %s",
				 e->thaw_hook_error),
			    err, errlen);
	return 0;
}

void engine_forget(struct engine *e, const void *ctx)
{
	if (e->state == ENGINE_HOOKS && e->waiter.ctx == ctx)
		e->waiter = (struct engine_waiter){ 0 };
}

size_t engine_hook_pollfds(const struct engine *e, struct pollfd *p)
{
	return e->state == ENGINE_HOOKS ? hook_pollfds(&e->hooks.proc, p) : 0;
}

/* ---- the watchdog's reports ------------------------------------------ */

int engine_watchdog_fd(const struct engine *e)
{
	return e->wd.sock;
}

void engine_watchdog_event(struct engine *e)
{
	uint32_t upto = 0;
	int r = watchdog_event(&e->wd, &upto);

	if (r == 1 && e->state == ENGINE_FROZEN)
		after_watchdog(e, upto, WHY_TIMEOUT);
	else if (r < 0)
		engine_reap_watchdog(e);
}

/* vssd's own deadline: the watchdog's, plus this much for its thaw and report */
#define DEADLINE_GRACE_MS 1000

int engine_timeout_ms(const struct engine *e)
{
	uint64_t now = now_ms(), end = e->deadline_ms + DEADLINE_GRACE_MS;

	if (e->state == ENGINE_HOOKS)
		return hook_wait_ms(&e->hooks.proc);
	if (e->state != ENGINE_FROZEN)
		return -1;
	return end > now ? (int)(end - now > INT_MAX ? INT_MAX : end - now) : 0;
}

void engine_tick(struct engine *e)
{
	long upto;

	if (e->state == ENGINE_HOOKS) {
		engine_hooks_event(e); /* a look without waiting (no pidfd: the only one) */
		return;
	}
	if (engine_timeout_ms(e) != 0)
		return;
	upto = fired_report(e);
	if (upto >= 0) {
		after_watchdog(e, (size_t)upto, WHY_TIMEOUT);
		return;
	}
	/* it missed its deadline (stopped, a frozen cgroup): end it, then read what it did */
	watchdog_kill(&e->wd);
	upto = fired_report(e);
	after_watchdog(e, upto >= 0 ? (size_t)upto : 0,
		       "the freeze timed out and the watchdog did not thaw (stopped?): vssd "
		       "thawed the filesystems and replaced the watchdog");
	if (watchdog_respawn(&e->wd) < 0)
		log_err("cannot start a new watchdog: %m; the next freeze will try again");
}

bool engine_reap_watchdog(struct engine *e)
{
	if (!watchdog_reap(&e->wd))
		return false;
	if (e->state == ENGINE_FROZEN)
		after_watchdog(e, 0, "the watchdog died unexpectedly; vssd thawed the filesystems");
	else
		log_warn("the watchdog process died; starting a new one");
	if (watchdog_spawn(&e->wd) < 0)
		log_err("cannot start a new watchdog: %m; the next freeze will try again");
	return true;
}
