/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The freeze sequence and its exact undo. */
#include "freeze.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "record.h"
#include "util.h"

void engine_init(struct engine *e, const struct vssd_config *cfg)
{
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->record_fd = -1;
	e->wd.sock = -1;
}

int engine_start(struct engine *e)
{
	return e->wd.pid > 0 ? 0 : watchdog_spawn(&e->wd);
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

/* FITHAW, in reverse freeze order, on everything marked FS_FROZEN. */
static unsigned thaw_frozen(struct mount_set *s, unsigned *failed)
{
	unsigned thawed = 0;
	size_t k = s->norder;

	*failed = 0;
	while (k-- > 0) {
		struct vss_mount *m = &s->m[s->order[k]];
		uint64_t t0;

		if (m->state != FS_FROZEN)
			continue;
		t0 = now_us();
		if (ioctl(m->fd, FITHAW, 0) == 0) {
			m->state = FS_THAWED;
			m->reason[0] = '\0';
			thawed++;
		} else if (errno == EINVAL) {
			m->state = FS_THAWED;
			snprintf(m->reason, sizeof(m->reason),
				 "was already thawed (watchdog or another tool)");
		} else {
			m->state = FS_FAILED;
			snprintf(m->reason, sizeof(m->reason), "thaw failed: %s", strerror(errno));
			(*failed)++;
		}
		m->thaw_us = now_us() - t0;
	}
	return thawed;
}

/* Disarms the watchdog; if that fails its state is unknown: replace it (nothing is frozen). */
static void disarm(struct engine *e)
{
	if (e->wd.pid > 0 && watchdog_disarm(&e->wd) < 0 && watchdog_respawn(&e->wd) < 0)
		log_err("cannot restart the watchdog: %m; the next freeze will try again");
}

/* Everything after the last FITHAW: logs, record, fds, hooks. */
static void finish_thaw(struct engine *e)
{
	size_t k;

	e->thawed_at_ms = now_ms();
	e->last_frozen_ms = e->thawed_at_ms - e->frozen_at_ms;
	e->state = ENGINE_THAWED;
	e->nfrozen = 0;
	close_fds(&e->set);
	record_remove(e->record_fd, e->cfg->state_dir);
	e->record_fd = -1;
	log_release();
	for (k = 0; k < e->set.norder; k++) {
		struct vss_mount *m = &e->set.m[e->set.order[k]];

		log_info("%s (%s): %s%s%s; sync %.3f ms, freeze %.3f ms, thaw %.3f ms", m->target,
			 m->fstype, fs_state_name(m->state), m->reason[0] ? ": " : "", m->reason,
			 m->sync_us / 1000.0, m->freeze_us / 1000.0, m->thaw_us / 1000.0);
	}
	log_info("filesystems were frozen for %llu ms", (unsigned long long)e->last_frozen_ms);
	hooks_thaw(&e->hooks, e->cfg->hook_timeout_ms);
}

/* Undo a freeze that failed part-way (watchdog running, logs held). */
static void abort_freeze(struct engine *e)
{
	unsigned failed;

	thaw_frozen(&e->set, &failed);
	disarm(e);
	finish_thaw(e);
}

static int open_and_sync(struct engine *e, char *err, size_t errlen)
{
	size_t k;

	for (k = 0; k < e->set.norder; k++) {
		struct vss_mount *m = &e->set.m[e->set.order[k]];

		m->fd = open(m->target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (m->fd < 0) {
			m->state = FS_FAILED;
			snprintf(m->reason, sizeof(m->reason), "cannot open: %s", strerror(errno));
			snprintf(err, errlen, "failed to open %s: %s", m->target, strerror(errno));
			return -errno;
		}
	}
	/* flush while writes are still allowed: shrinks the frozen window */
	for (k = 0; k < e->set.norder; k++) {
		struct vss_mount *m = &e->set.m[e->set.order[k]];
		uint64_t t0 = now_us();

		if (syncfs(m->fd) < 0)
			log_warn("syncfs %s: %m (FIFREEZE will flush)", m->target);
		m->sync_us = now_us() - t0;
	}
	return 0;
}

/* -EDEADLK when the filesystem holding state_dir is among the candidates */
static int state_dir_frozen(struct engine *e, char *err, size_t errlen)
{
	char real[PATH_MAX];
	ssize_t h;
	size_t k;

	if (!realpath(e->cfg->state_dir, real))
		snprintf(real, sizeof(real), "%s", e->cfg->state_dir);
	h = mounts_holding(&e->set, real);
	if (h < 0)
		return 0;
	for (k = 0; k < e->set.norder; k++) {
		const struct vss_mount *m = &e->set.m[e->set.order[k]];

		if (m->devno == e->set.m[h].devno) {
			snprintf(err, errlen,
				 "state_dir %s is on the filesystem of %s, which would be "
				 "frozen; put state_dir on a tmpfs such as /run",
				 real, m->target);
			return -EDEADLK;
		}
	}
	return 0;
}

int engine_freeze(struct engine *e, const char *const *list, uint64_t timeout_ms, char *err,
		  size_t errlen)
{
	const struct vssd_config *c = e->cfg;
	struct select_opts o = {
		.include = c->include,
		.exclude = c->exclude,
		.exclude_types = c->exclude_types,
		.skip_loop = c->skip_loop,
		.sysfs = c->sysfs,
	};
	int fds_stack[256], *fds = fds_stack;
	size_t k;
	int r;

	if (e->state != ENGINE_THAWED) {
		snprintf(err, errlen, "filesystems are already frozen");
		return -EBUSY;
	}
	e->last_error[0] = '\0';
	e->watchdog_fired = false;
	close_fds(&e->set);
	mounts_free(&e->set);
	r = mounts_load(c->mountinfo, &o, list, &e->set, err, errlen);
	if (r < 0) {
		snprintf(e->last_error, sizeof(e->last_error), "%s", err);
		return r;
	}
	if (e->set.norder == 0) {
		log_info("freeze: no filesystem to freeze");
		return 0;
	}
	/* state lives in state_dir: its filesystem must never be frozen (by any of its mounts) */
	r = state_dir_frozen(e, err, errlen);
	if (r < 0) {
		snprintf(e->last_error, sizeof(e->last_error), "%s", err);
		return r;
	}

	if (hooks_freeze(&e->hooks, c->hooks_dir, c->hook_timeout_ms, err, errlen) < 0) {
		snprintf(e->last_error, sizeof(e->last_error), "%s", err);
		return -ECANCELED;
	}

	r = open_and_sync(e, err, errlen);
	if (r < 0)
		goto undo_hooks;

	if (e->set.norder > WATCHDOG_MAX_FDS) {
		r = -E2BIG;
		snprintf(err, errlen, "%zu filesystems selected; at most %d can be frozen at once",
			 e->set.norder, WATCHDOG_MAX_FDS);
		goto undo_hooks;
	}
	if (e->set.norder > ARRAY_SIZE(fds_stack)) {
		fds = calloc(e->set.norder, sizeof(*fds));
		if (!fds) {
			r = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto undo_hooks;
		}
	}
	for (k = 0; k < e->set.norder; k++)
		fds[k] = e->set.m[e->set.order[k]].fd;
	e->record_fd = record_create(c->state_dir);
	if (e->record_fd < 0) {
		r = e->record_fd;
		snprintf(err, errlen, "cannot create the freeze record in %s: %s", c->state_dir,
			 strerror(-r));
		goto undo_hooks;
	}
	r = engine_start(e);
	/* our deadline is fixed before the watchdog's: a FIFREEZE that ends by it was announced in time */
	e->frozen_at_ms = now_ms();
	e->deadline_ms = e->frozen_at_ms + (timeout_ms ? timeout_ms : c->timeout_ms);
	if (r == 0)
		r = watchdog_arm(&e->wd, fds, e->set.norder,
				 timeout_ms ? timeout_ms : c->timeout_ms);
	if (fds != fds_stack)
		free(fds);
	fds = fds_stack;
	if (r < 0) {
		snprintf(err, errlen, "cannot arm the watchdog: %s", strerror(-r));
		watchdog_respawn(&e->wd);
		goto undo_record;
	}

	/* the frozen window: no disk I/O, no allocation from here to the last FITHAW */
	log_hold();
	e->state = ENGINE_FROZEN;
	for (k = 0; k < e->set.norder; k++) {
		struct vss_mount *m = &e->set.m[e->set.order[k]];
		uint64_t t0;
		int ir;

		if (watchdog_freezing(&e->wd, k) < 0 ||
		    record_add(e->record_fd, m->devno, m->target) < 0) {
			snprintf(err, errlen, "watchdog or freeze record failed before freezing %s",
				 m->target);
			snprintf(e->last_error, sizeof(e->last_error), "%s", err);
			abort_freeze(e);
			return -EIO;
		}
		t0 = now_us();
		ir = ioctl(m->fd, FIFREEZE, 0);
		m->freeze_us = now_us() - t0;
		if (ir == 0) {
			m->state = FS_FROZEN;
			e->nfrozen++;
			/* confirmed before the deadline check: then the watchdog sees it before firing */
			if (watchdog_frozen(&e->wd, k) < 0) {
				snprintf(
					err, errlen,
					"lost the watchdog while freezing %s; everything was thawed",
					m->target);
				snprintf(e->last_error, sizeof(e->last_error), "%s", err);
				abort_freeze(e);
				return -EIO;
			}
			if (now_ms() >= e->deadline_ms) {
				/* the watchdog may already have fired: do not leave this one unguarded */
				snprintf(err, errlen,
					 "freezing took longer than the timeout (at %s); "
					 "everything was thawed",
					 m->target);
				snprintf(e->last_error, sizeof(e->last_error), "%s", err);
				abort_freeze(e);
				return -ETIMEDOUT;
			}
			continue;
		}
		r = -errno;
		watchdog_disown(&e->wd, k);
		record_disown(e->record_fd, m->devno, m->target);
		if (r == -EOPNOTSUPP) {
			m->state = FS_SKIPPED;
			snprintf(m->reason, sizeof(m->reason), "%s does not support freezing",
				 m->fstype);
		} else if (r == -EBUSY) {
			m->state = FS_FOREIGN;
			snprintf(m->reason, sizeof(m->reason),
				 "already frozen by someone else; vssd will not thaw it");
		} else {
			m->state = FS_FAILED;
			snprintf(m->reason, sizeof(m->reason), "%s", strerror(-r));
			snprintf(err, errlen, "failed to freeze %s: %s", m->target, strerror(-r));
			snprintf(e->last_error, sizeof(e->last_error), "%s", err);
			abort_freeze(e);
			return r;
		}
	}
	if (e->nfrozen == 0) {
		disarm(e);
		finish_thaw(e);
		return 0;
	}
	e->freeze_seq++;
	return (int)e->nfrozen;

undo_record:
	record_remove(e->record_fd, c->state_dir);
	e->record_fd = -1;
undo_hooks:
	if (fds != fds_stack)
		free(fds);
	close_fds(&e->set);
	snprintf(e->last_error, sizeof(e->last_error), "%s", err);
	hooks_thaw(&e->hooks, c->hook_timeout_ms);
	return r;
}

int engine_thaw(struct engine *e, char *err, size_t errlen)
{
	unsigned thawed, failed;

	if (e->state != ENGINE_FROZEN)
		return 0;
	/* vssd's deadline is never later than the watchdog's: before it, the watchdog cannot have fired */
	if (now_ms() >= e->deadline_ms)
		e->watchdog_fired = true;
	thawed = thaw_frozen(&e->set, &failed);
	if (thawed + failed < e->nfrozen)
		e->watchdog_fired = true; /* some were already thawed (EINVAL) */
	disarm(e);
	finish_thaw(e);
	if (failed) {
		snprintf(err, errlen, "%u filesystem(s) failed to thaw; see vssd-status", failed);
		snprintf(e->last_error, sizeof(e->last_error), "%s", err);
		return -EIO;
	}
	return (int)thawed;
}

/*
 * The watchdog thawed at its timeout (it reported so: vssd must not FITHAW
 * again, a freeze made meanwhile by someone else would be undone), or it
 * died while frozen (then vssd thaws itself).
 */
static void thawed_behind_our_back(struct engine *e, size_t thaw_from, const char *why)
{
	unsigned failed = 0;
	size_t k = e->set.norder;

	e->watchdog_fired = true;
	/* the watchdog thawed the confirmed ones below thaw_from; vssd thaws the rest, in reverse */
	while (k-- > 0) {
		struct vss_mount *m = &e->set.m[e->set.order[k]];

		if (m->state != FS_FROZEN)
			continue;
		if (k >= thaw_from && ioctl(m->fd, FITHAW, 0) < 0 && errno != EINVAL) {
			m->state = FS_FAILED;
			snprintf(m->reason, sizeof(m->reason), "thaw failed: %s", strerror(errno));
			failed++;
			continue;
		}
		m->state = FS_THAWED;
		snprintf(m->reason, sizeof(m->reason),
			 k >= thaw_from ? "thawed by vssd after the watchdog"
					: "thawed by the watchdog");
	}
	finish_thaw(e);
	snprintf(e->last_error, sizeof(e->last_error), "%s%s", why,
		 failed ? "; some filesystems failed to thaw, see vssd-status" : "");
	log_warn("%s", e->last_error);
}

int engine_watchdog_fd(const struct engine *e)
{
	return e->wd.sock;
}

void engine_watchdog_event(struct engine *e)
{
	uint32_t upto = 0;
	int r = watchdog_event(&e->wd, &upto);

	if (r == 1 && e->state == ENGINE_FROZEN)
		thawed_behind_our_back(e, upto,
				       "the freeze timed out: the watchdog thawed the filesystems");
	else if (r < 0)
		engine_reap_watchdog(e);
}

bool engine_reap_watchdog(struct engine *e)
{
	int status;
	pid_t r;

	if (e->wd.pid <= 0)
		return false;
	r = waitpid(e->wd.pid, &status, WNOHANG);
	if (r != e->wd.pid)
		return false;
	e->wd.pid = 0;
	close(e->wd.sock);
	e->wd.sock = -1;
	if (e->state == ENGINE_FROZEN)
		thawed_behind_our_back(
			e, 0, "the watchdog died unexpectedly; vssd thawed the filesystems");
	else
		log_warn("the watchdog process died; starting a new one");
	if (watchdog_spawn(&e->wd) < 0)
		log_err("cannot start a new watchdog: %m; the next freeze will try again");
	return true;
}
