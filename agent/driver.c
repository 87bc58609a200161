/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Driver selection and small helpers shared by the drivers. */

#include "driver.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "plausible.h"
#include "util.h"
#include "writefile.h"

uint64_t driver_to_unit(uint64_t kb, enum sysfs_unit u, unsigned page_kb)
{
	switch (u) {
	case UNIT_PAGES: return kb / page_kb;
	case UNIT_BYTES: return sat_mul(kb, 1024);
	default: return kb;
	}
}

uint64_t driver_from_unit(uint64_t v, enum sysfs_unit u, unsigned page_kb)
{
	switch (u) {
	case UNIT_PAGES: return sat_mul(v, page_kb);
	case UNIT_BYTES: return v / 1024;
	default: return v;
	}
}

uint64_t driver_clamp_kb(const char *driver, uint64_t target_kb, uint64_t limit_kb, bool *warned)
{
	if (target_kb <= limit_kb) {
		*warned = false;
		return target_kb;
	}
	if (!*warned)
		log_warn(
			"%s: target %llu kB is above the most this guest may have (%llu kB); clamped",
			driver, (unsigned long long)target_kb, (unsigned long long)limit_kb);
	*warned = true;
	return limit_kb;
}

uint64_t driver_conf_max_kb(const struct agent_conf *c, uint64_t mem_total_kb)
{
	return c->max_auto ? 0 : size_pct_kb(&c->max_memory, mem_total_kb);
}

int driver_read_u64(const char *path, uint64_t *v)
{
	char buf[64];
	ssize_t n = read_file(path, buf, sizeof(buf));
	const char *p = buf;
	uint64_t x;

	if (n < 0)
		return (int)n;
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	if (!take_u64(&p, &x))
		return -ERANGE;
	if (*p && *p != '\n' && *p != ' ')
		return -EINVAL;
	*v = x;
	return 0;
}

int driver_read_kb(const char *path, enum sysfs_unit u, unsigned page_kb, uint64_t max_kb,
		   uint64_t *kb)
{
	uint64_t v, k;
	int r = driver_read_u64(path, &v);

	if (r < 0)
		return r;
	k = driver_from_unit(v, u, page_kb);
	if (k > max_kb)
		return -ERANGE;
	*kb = k;
	return 0;
}

int driver_read_view(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv)
{
	int r = d->ops->read(d, mi, bv);

	if (r == 0) {
		d->last_view = *bv;
		d->have_view = true;
		return 0;
	}
	if (d->have_view)
		*bv = d->last_view;
	else
		memset(bv, 0, sizeof(*bv));
	if (bv->current_kb < mi->mem_total)
		bv->current_kb = mi->mem_total;
	if (!bv->boot_kb)
		bv->boot_kb = mi->mem_total;
	bv->stale = true;
	return r;
}

int driver_write_u64(const char *path, uint64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)v);

	return write_file(path, buf, (size_t)n);
}

int driver_sysfs_scan(const char *root, const char *rel, const char *file,
		      bool (*match)(const char *value, const void *arg), const void *arg,
		      char *entry, size_t len)
{
	char dir[256], p[512], v[128];
	struct dirent *e;
	DIR *dp;
	int r = -ENOENT;

	if (path_join(dir, sizeof(dir), root, rel))
		return -ENAMETOOLONG;
	dp = opendir(dir);
	if (!dp)
		return -ENOENT;
	while (r == -ENOENT && (e = readdir(dp))) {
		if (e->d_name[0] == '.' ||
		    snprintf(p, sizeof(p), "%s/%s/%s", dir, e->d_name, file) >= (int)sizeof(p) ||
		    read_file(p, v, sizeof(v)) < 0)
			continue;
		v[strcspn(v, "\n")] = '\0';
		if (match(v, arg) && snprintf(entry, len, "%s", e->d_name) < (int)len)
			r = 0;
	}
	closedir(dp);
	return r;
}

static bool is_balloon(const char *id, const void *arg)
{
	(void)arg;
	return strtoul(id, NULL, 16) == 5; /* VIRTIO_ID_BALLOON */
}

int driver_virtio_balloon_features(const char *root, char *feat, size_t len)
{
	char dev[256], p[512];

	if (driver_sysfs_scan(root, "sys/bus/virtio/devices", "device", is_balloon, NULL, dev,
			      sizeof(dev)) < 0 ||
	    snprintf(p, sizeof(p), "sys/bus/virtio/devices/%s/features", dev) >= (int)sizeof(p) ||
	    path_join(dev, sizeof(dev), root, p) || read_file(dev, feat, len) < 0)
		return -ENODEV;
	feat[strcspn(feat, "\n")] = '\0';
	return 0;
}

/* Opens ops; on failure leaves d cleared. */
static int try_open(struct balloon_driver *d, const struct driver_params *p,
		    const struct driver_ops *ops)
{
	int r;

	memset(d, 0, sizeof(*d));
	d->ops = ops;
	r = ops->open(d, p);
	if (r < 0)
		memset(d, 0, sizeof(*d));
	return r;
}

/*
 * auto: xen where the Xen balloon is; host where the relay's port is (or a
 * vsock_port is set); reclaim where the virtio balloon offers free page
 * reporting (feature bit 5); else none. why[] says which and why.
 */
static int driver_open_auto(struct balloon_driver *d, const struct driver_params *p, char *why,
			    size_t whylen)
{
	char feat[160], port[256];
	bool fpr;
	int r;

	r = try_open(d, p, &driver_xen_ops);
	if (r == 0) {
		snprintf(why, whylen, "driver auto: xen (the Xen balloon is there)");
		return 0;
	}
	if (p->conf->vsock_port ||
	    driver_host_find_port(p->root, p->conf->host_port, port, sizeof(port)) == 0) {
		r = try_open(d, p, &driver_host_ops);
		if (r == 0) {
			snprintf(why, whylen, "driver auto: host (the relay's %s %s is there)",
				 p->conf->vsock_port ? "vsock port" : "virtio port",
				 p->conf->vsock_port ? "" : p->conf->host_port);
			return 0;
		}
	}
	fpr = driver_virtio_balloon_features(p->root, feat, sizeof(feat)) == 0 &&
	      strlen(feat) > 5 && feat[5] == '1';
	if (fpr && (r = try_open(d, p, &driver_reclaim_ops)) == 0) {
		snprintf(why, whylen,
			 "driver auto: reclaim (the virtio balloon offers free page reporting)");
		return 0;
	}
	snprintf(
		why, whylen,
		"driver auto: none, decisions are not applied (no Xen balloon, no relay port %s, %s)",
		p->conf->host_port,
		fpr ? "reclaim could not start" : "no virtio balloon with free page reporting");
	return try_open(d, p, &driver_none_ops);
}

int driver_open(struct balloon_driver *d, const struct driver_params *p, char *why, size_t whylen)
{
	static const struct driver_ops *const all[] = {
		&driver_xen_ops,     &driver_sysfs_ops, &driver_userspace_ops,
		&driver_reclaim_ops, &driver_host_ops,  &driver_none_ops,
	};
	const char *name = p->conf->driver, *hint;
	size_t i;
	int r;

	memset(d, 0, sizeof(*d));
	why[0] = '\0';
	if (strcmp(name, "auto") == 0)
		return driver_open_auto(d, p, why, whylen);
	for (i = 0; i < ARRAY_SIZE(all); i++) {
		if (strcmp(all[i]->name, name) != 0)
			continue;
		d->ops = all[i];
		r = d->ops->open(d, p);
		hint = r == -ENOENT ? d->ops->absent_hint : NULL;
		if (r < 0)
			snprintf(why, whylen, "driver %s: %s%s%s%s%s%s", name, d->failed,
				 d->failed[0] ? ": " : "", strerror(-r), hint ? " (" : "",
				 hint ? hint : "", hint ? ")" : "");
		return r;
	}
	snprintf(why, whylen, "unknown driver '%s'", name);
	return -EINVAL;
}
