/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Any writable target file (path, unit and optional current file from the
 * config). The file holds the memory the guest should have: never more than
 * the boot size (MemTotal at open, or the current file's high-water) or an
 * explicit max_memory, converted to the unit with saturation.
 */

#include "driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

struct sysfs {
	char target[256], current[256];
	enum sysfs_unit unit;
	unsigned page_kb;
	uint64_t initial_target; /* in the file's unit */
	uint64_t boot_kb;
	uint64_t conf_max_kb; /* explicit max_memory at open, 0: auto */
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
		free(s);
		return r;
	}
	s->boot_kb = p->mi->mem_total;
	s->conf_max_kb = driver_conf_max_kb(c, p->mi->mem_total);
	d->priv = s;
	d->writes = true;
	return 0;
}

static int sysfs_read(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv)
{
	struct sysfs *s = d->priv;
	uint64_t v;

	memset(bv, 0, sizeof(*bv));
	bv->current_kb = mi->mem_total;
	if (s->current[0]) {
		int r = driver_read_u64(s->current, &v);
		if (r < 0)
			return r;
		bv->current_kb = driver_from_unit(v, s->unit, s->page_kb);
	}
	if (bv->current_kb > s->boot_kb)
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
