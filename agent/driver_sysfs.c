/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Any writable target file (path, unit and optional current file from the
 * config). The file holds the memory the guest should have: never more than
 * the boot size (MemTotal at open, or the current file's high-water) or an
 * explicit max_memory, converted to the unit with saturation. A current
 * value above twice MemTotal, or one that halves or doubles at once, is a
 * glitch (plausible.h): the read fails and the boot size is never raised by
 * it (a real change is believed once it has been read for 2 s).
 */

#include "driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "plausible.h"
#include "util.h"

struct sysfs {
	char target[256], current[256];
	enum sysfs_unit unit;
	unsigned page_kb;
	uint64_t initial_target; /* in the file's unit */
	uint64_t boot_kb;
	uint64_t present_kb;  /* zoneinfo at open, 0: unknown */
	uint64_t conf_max_kb; /* explicit max_memory at open, 0: auto */
	uint64_t believed_kb; /* the current file's last believed value (0: none yet) */
	struct plausible_jump jump;
	bool clamped;
	bool have_last;
	uint64_t last_written;
};

static int sysfs_open(struct balloon_driver *d, const struct driver_params *p)
{
	const struct agent_conf *c = p->conf;
	struct sysfs *s;
	int r;

	if (!c->sysfs_target[0])
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->unit = c->sysfs_unit;
	s->page_kb = p->page_kb;
	if (path_join(s->target, sizeof(s->target), p->root, c->sysfs_target) ||
	    (c->sysfs_current[0] &&
	     path_join(s->current, sizeof(s->current), p->root, c->sysfs_current))) {
		free(s);
		return -ENAMETOOLONG;
	}
	r = driver_read_u64(s->target, &s->initial_target);
	if (r == 0 && access(s->target, W_OK) < 0)
		r = -errno;
	if (r < 0) {
		snprintf(d->failed, sizeof(d->failed), "%s", s->target);
		free(s);
		return r;
	}
	s->boot_kb = p->mi->mem_total;
	s->present_kb = p->present_kb;
	s->conf_max_kb = driver_conf_max_kb(c, p->mi->mem_total);
	d->restore_kb = driver_from_unit(s->initial_target, s->unit, s->page_kb);
	d->priv = s;
	d->writes = true;
	return 0;
}

static int sysfs_read(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv)
{
	struct sysfs *s = d->priv;
	int r;

	memset(bv, 0, sizeof(*bv));
	bv->current_kb = mi->mem_total;
	if (s->current[0]) {
		r = driver_read_kb(s->current, s->unit, s->page_kb,
				   plausible_current_max_kb(mi->mem_total), &bv->current_kb);
		if (r < 0)
			return r;
		/* a size that halves or doubles at once (a glitch, 0) is believed only once it stays */
		if (s->believed_kb &&
		    !plausible_jump_ok(&s->jump, s->believed_kb, bv->current_kb, now_ms()))
			return -ERANGE;
		s->believed_kb = bv->current_kb;
	}
	if (bv->current_kb > s->boot_kb &&
	    bv->current_kb <= plausible_boot_max_kb(mi->mem_total, s->present_kb))
		s->boot_kb = bv->current_kb;
	bv->boot_kb = s->boot_kb;
	return 0;
}

static int sysfs_set_target(struct balloon_driver *d, const struct meminfo *mi, uint64_t target_kb)
{
	struct sysfs *s = d->priv;
	uint64_t v;
	int r;

	target_kb = driver_clamp_kb("sysfs", target_kb,
				    s->conf_max_kb > s->boot_kb ? s->conf_max_kb : s->boot_kb,
				    &s->clamped);
	v = driver_to_unit(target_kb, s->unit, s->page_kb);
	if (v == UINT64_MAX)
		return -ERANGE;

	if (s->have_last && v == s->last_written)
		return 0;
	r = driver_write_u64(s->target, v);
	if (r == 0) {
		s->have_last = true;
		s->last_written = v;
	}
	return r;
}

static void sysfs_close(struct balloon_driver *d, bool restore)
{
	struct sysfs *s = d->priv;

	if (!s)
		return;
	if (restore) {
		int r = driver_write_u64(s->target, s->initial_target);
		if (r < 0)
			log_err("sysfs: restoring %s: %s", s->target, strerror(-r));
	}
	free(s);
	d->priv = NULL;
}

const struct driver_ops driver_sysfs_ops = {
	.name = "sysfs",
	.open = sysfs_open,
	.read = sysfs_read,
	.set_target = sysfs_set_target,
	.close = sysfs_close,
};
