/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dry run: the balloon never moves; decisions are computed and reported only. */

#include "driver.h"

#include <string.h>

static int none_open(struct balloon_driver *d, const struct driver_params *p)
{
	d->writes = false;
	return 0;
}

static int none_read(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv)
{
	memset(bv, 0, sizeof(*bv));
	bv->current_kb = mi->mem_total;
	bv->max_kb = mi->mem_total;
	bv->boot_kb = mi->mem_total;
	return 0;
}

static int none_set_target(struct balloon_driver *d, const struct meminfo *mi, uint64_t target_kb)
{
	return 0;
}

static void none_close(struct balloon_driver *d, bool restore)
{
}

const struct driver_ops driver_none_ops = {
	.name = "none",
	.open = none_open,
	.read = none_read,
	.set_target = none_set_target,
	.close = none_close,
};
