/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen balloon through sysfs: xen_memory0/target_kb (write) and
 * info/current_kb (read). The policy speaks in MemTotal terms; as
 * xen-selfballoon did, the value written is target + (current_kb - MemTotal).
 * Xen reports no maximum: the target is never above the boot size (MemTotal
 * plus what was in the balloon at open, info/low_kb + info/high_kb) or an
 * explicit max_memory, and the sum saturates instead of wrapping.
 */

#include "driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

struct xen {
	char target[256], current[256];
	uint64_t initial_target_kb;
	uint64_t boot_kb;     /* high-water of MemTotal + ballooned-out memory */
	uint64_t conf_max_kb; /* explicit max_memory at open, 0: auto */
	uint64_t last_written;
	bool clamped;
};

static int xen_open(struct balloon_driver *d, const struct driver_params *p)
{
	struct xen *x = calloc(1, sizeof(*x));
	uint64_t cur;
	int r;

	if (!x)
		return -ENOMEM;
	if (path_join(x->target, sizeof(x->target), p->root,
		      "sys/devices/system/xen_memory/xen_memory0/target_kb") ||
	    path_join(x->current, sizeof(x->current), p->root,
		      "sys/devices/system/xen_memory/xen_memory0/info/current_kb")) {
		free(x);
		return -ENAMETOOLONG;
	}
	r = driver_read_u64(x->target, &x->initial_target_kb);
	if (r == 0)
		r = driver_read_u64(x->current, &cur);
	if (r == 0 && access(x->target, W_OK) < 0)
		r = -errno;
	if (r < 0) {
		free(x);
		return r;
	}
	x->boot_kb = p->mi->mem_total;
	{
		/* Pages already in the balloon (a restart while inflated) are part of the boot size. */
		char lp[300], hp[300];
		uint64_t low = 0, high = 0;
		if (path_join(lp, sizeof(lp), p->root,
			      "sys/devices/system/xen_memory/xen_memory0/info/low_kb") == 0 &&
		    path_join(hp, sizeof(hp), p->root,
			      "sys/devices/system/xen_memory/xen_memory0/info/high_kb") == 0 &&
		    driver_read_u64(lp, &low) == 0 && driver_read_u64(hp, &high) == 0 &&
		    driver_sat_add(low, high) < p->mi->mem_total * 64) /* ignore nonsense */
			x->boot_kb = driver_sat_add(x->boot_kb, low + high);
	}
	x->conf_max_kb = driver_conf_max_kb(p->conf, p->mi->mem_total);
	d->priv = x;
	d->writes = true;
	return 0;
}

static int xen_read(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv)
{
	struct xen *x = d->priv;

	if (mi->mem_total > x->boot_kb)
		x->boot_kb = mi->mem_total;
	memset(bv, 0, sizeof(*bv));
	bv->current_kb = mi->mem_total;
	bv->boot_kb = x->boot_kb;
	return 0;
}

static int xen_set_target(struct balloon_driver *d, const struct meminfo *mi, uint64_t target_kb)
{
	struct xen *x = d->priv;
	uint64_t cur, v;
	int r = driver_read_u64(x->current, &cur);

	if (r < 0)
		return r;
	if (mi->mem_total > x->boot_kb)
		x->boot_kb = mi->mem_total;
	target_kb = driver_clamp_kb("xen", target_kb,
				    x->conf_max_kb > x->boot_kb ? x->conf_max_kb : x->boot_kb,
				    &x->clamped);
	v = driver_sat_add(target_kb, cur > mi->mem_total ? cur - mi->mem_total : 0);
	if (v == UINT64_MAX)
		return -ERANGE; /* current_kb is nonsense: write nothing */
	if (v == x->last_written)
		return 0;
	r = driver_write_u64(x->target, v);
	if (r == 0)
		x->last_written = v;
	return r;
}

static void xen_close(struct balloon_driver *d, bool restore)
{
	struct xen *x = d->priv;

	if (!x)
		return;
	if (restore) {
		int r = driver_write_u64(x->target, x->initial_target_kb);
		if (r < 0)
			log_err("xen: restoring target_kb %llu: %s",
				(unsigned long long)x->initial_target_kb, strerror(-r));
	}
	free(x);
	d->priv = NULL;
}

const struct driver_ops driver_xen_ops = {
	.name = "xen",
	.open = xen_open,
	.read = xen_read,
	.set_target = xen_set_target,
	.close = xen_close,
};
