/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen balloon through sysfs: xen_memory0/target_kb (write) and
 * info/current_kb (read). The policy speaks in MemTotal terms; as
 * xen-selfballoon did, the value written is target + (current_kb - MemTotal),
 * the memory MemTotal never shows. Xen reports no maximum: the target is
 * never above the boot size (MemTotal plus what was in the balloon at open,
 * info/low_kb + info/high_kb) or an explicit max_memory, and the sum
 * saturates instead of wrapping. A current_kb above twice MemTotal, or a
 * balloon larger than the memory zoneinfo counts as present, is a glitch:
 * not believed, logged once, the last believed value used instead.
 */

#include "driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "logonce.h"
#include "plausible.h"

#define XEN_DIR "sys/devices/system/xen_memory/xen_memory0/"

struct xen {
	char target[256], current[256];
	uint64_t initial_target_kb;
	uint64_t boot_kb;     /* high-water of MemTotal + ballooned-out memory */
	uint64_t conf_max_kb; /* explicit max_memory at open, 0: auto */
	uint64_t hidden_kb;   /* current_kb - MemTotal, last believed */
	uint64_t last_written;
	bool clamped;
	struct logonce current_err;
};

/* current_kb - MemTotal when current_kb is believable, else -errno (-ERANGE: a glitch). */
static int read_hidden(const struct xen *x, uint64_t mem_total, uint64_t *hidden)
{
	uint64_t cur;
	int r = driver_read_kb(x->current, UNIT_KB, 4, plausible_current_max_kb(mem_total), &cur);

	if (r == 0)
		*hidden = sat_sub(cur, mem_total);
	return r;
}

/* Pages already in the balloon (a restart while inflated) are part of the boot size. */
static void add_ballooned(struct xen *x, const struct driver_params *p)
{
	char lp[300], hp[300];
	uint64_t low = 0, high = 0, boot;

	if (path_join(lp, sizeof(lp), p->root, XEN_DIR "info/low_kb") != 0 ||
	    path_join(hp, sizeof(hp), p->root, XEN_DIR "info/high_kb") != 0 ||
	    driver_read_u64(lp, &low) != 0 || driver_read_u64(hp, &high) != 0)
		return;
	boot = sat_add(x->boot_kb, sat_add(low, high));
	if (boot <= plausible_boot_max_kb(p->mi->mem_total, p->present_kb))
		x->boot_kb = boot;
	else
		log_warn(
			"xen: a balloon of %llu kB (info/low_kb + high_kb) is more than this guest "
			"can have had (zoneinfo present: %llu kB); boot size taken as MemTotal, "
			"%llu kB (set max_memory if the guest really is bigger)",
			(unsigned long long)sat_add(low, high), (unsigned long long)p->present_kb,
			(unsigned long long)p->mi->mem_total);
}

static int xen_open(struct balloon_driver *d, const struct driver_params *p)
{
	struct xen *x = calloc(1, sizeof(*x));
	const char *failed;
	int r;

	if (!x)
		return -ENOMEM;
	if (path_join(x->target, sizeof(x->target), p->root, XEN_DIR "target_kb") ||
	    path_join(x->current, sizeof(x->current), p->root, XEN_DIR "info/current_kb")) {
		free(x);
		return -ENAMETOOLONG;
	}
	failed = x->target;
	r = driver_read_u64(x->target, &x->initial_target_kb);
	if (r == 0) {
		failed = x->current;
		r = driver_read_u64(x->current, &x->hidden_kb);
	}
	if (r == 0 && access(x->target, W_OK) < 0) {
		failed = x->target;
		r = -errno;
	}
	if (r < 0) {
		snprintf(d->failed, sizeof(d->failed), "%s", failed);
		free(x);
		return r;
	}
	x->hidden_kb = 0;
	if (read_hidden(x, p->mi->mem_total, &x->hidden_kb) < 0)
		log_warn("xen: info/current_kb is more than twice MemTotal (%llu kB): not believed",
			 (unsigned long long)p->mi->mem_total);
	x->boot_kb = p->mi->mem_total;
	add_ballooned(x, p);
	x->conf_max_kb = driver_conf_max_kb(p->conf, p->mi->mem_total);
	d->restore_kb = sat_sub(x->initial_target_kb, x->hidden_kb);
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
	uint64_t hidden, v;
	int r = read_hidden(x, mi->mem_total, &hidden);

	if (r == 0) {
		x->hidden_kb = hidden;
		logonce_ok(&x->current_err, "xen: info/current_kb");
	} else {
		logonce_fail(&x->current_err, r, LOG_WARNING,
			     "xen: info/current_kb: %s; using the last believed value (MemTotal + "
			     "%llu kB)",
			     r == -ERANGE ? "more than twice MemTotal, not believed" : strerror(-r),
			     (unsigned long long)x->hidden_kb);
	}
	if (mi->mem_total > x->boot_kb)
		x->boot_kb = mi->mem_total;
	target_kb = driver_clamp_kb("xen", target_kb,
				    x->conf_max_kb > x->boot_kb ? x->conf_max_kb : x->boot_kb,
				    &x->clamped);
	v = sat_add(target_kb, x->hidden_kb);
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
	int r;

	if (!x)
		return;
	if (restore) {
		r = driver_write_u64(x->target, x->initial_target_kb);
		if (r < 0)
			log_err("xen: restoring target_kb %llu: %s",
				(unsigned long long)x->initial_target_kb, strerror(-r));
	}
	free(x);
	d->priv = NULL;
}

const struct driver_ops driver_xen_ops = {
	.name = "xen",
	.absent_hint = "not a Xen guest, or its balloon driver is not loaded; "
		       "on KVM, Hyper-V and the like see selfballoond(8)",
	.open = xen_open,
	.read = xen_read,
	.set_target = xen_set_target,
	.close = xen_close,
};
