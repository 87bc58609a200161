/* SPDX-License-Identifier: GPL-2.0-or-later */
/* selfballoond configuration: defaults, the table of keys, --set overrides, checks across keys. */

#include "agent_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "confkey.h"
#include "parse.h"
#include "util.h"

void agent_conf_defaults(struct agent_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->driver, sizeof(c->driver), "auto");
	c->mode = MODE_ADAPTIVE;
	c->interval_ms = 5000;
	c->reserved = (struct size_pct){ .permille = 100, .is_percent = true };
	c->down_hysteresis = 8;
	c->up_hysteresis = 1;
	c->min_auto = true;
	c->max_auto = true;
	c->on_exit = ON_EXIT_RESTORE;
	c->sysfs_unit = UNIT_KB;
	c->chunk_bytes = 64ULL << 20;
	c->watch_interval_ms = 100;
	c->fill_rate = (struct size_pct){ .bytes = 6000ULL << 20 }; /* earlyoom's mem_fill_rate */
	c->psi_stall_us = 100000;
	c->psi_window_us = 1000000;
	c->psi_threshold = 1000; /* 10.00 % */
	c->refault_rate = 2560;  /* 10 MiB/s of 4 KiB pages */
	c->swapin_rate = 256;    /* 1 MiB/s */
	c->avail_floor = (struct size_pct){ .permille = 30, .is_percent = true };
	c->headroom = (struct size_pct){ .permille = 30, .is_percent = true };
	c->cooldown_ms = 30000;
	c->inflate_rate = (struct size_pct){ .permille = 50, .is_percent = true };
	snprintf(c->host_port, sizeof(c->host_port), "org.selfballoon.balloon.0");
	c->host_reclaim = HOST_RECLAIM_AUTO;
	c->host_margin = (struct size_pct){ .permille = 250, .is_percent = true };
	c->online = ONLINE_AUTO;
	c->online_retries = 3;
	c->oom_score_adj = -900;
}

uint64_t size_pct_kb(const struct size_pct *s, uint64_t mem_total_kb)
{
	if (s->is_percent)
		return mem_total_kb * s->permille / 1000;
	return s->bytes / 1024;
}

const char *mode_name(enum policy_mode m)
{
	return m == MODE_XEN ? "xen" : "adaptive";
}

static const char *const driver_names[] = { "auto",    "xen",  "sysfs", "userspace",
					    "reclaim", "host", "none",  NULL };
static const char *const mode_names[] = { "adaptive", "xen", NULL };
static const char *const on_exit_names[] = { "keep", "restore", NULL };
static const char *const unit_names[] = { "kB", "pages", "bytes", NULL };
static const char *const host_reclaim_names[] = { "auto", "on", "off", NULL };
static const char *const online_names[] = { "auto", "online", "online_movable", "off", NULL };

/* One of driver_names, stored by name (driver_open looks it up). */
static int set_driver(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	char list[96];
	int i = conf_pick(v, driver_names);

	if (i < 0) {
		snprintf(err, errlen, "'%s' is not %s", v,
			 conf_names(driver_names, list, sizeof(list)));
		return -EINVAL;
	}
	return conf_set_string(k, conf, driver_names[i], err, errlen);
}

/* "auto" (the bool at k->aux) or a size or share (the field), of at least k->min bytes and not 0%. */
static int set_auto_size(const struct conf_key *k, void *conf, const char *v, char *err,
			 size_t errlen)
{
	bool *is_auto = (bool *)((char *)conf + k->aux);
	const struct size_pct *s = conf_field(k, conf);

	if (strcasecmp(v, "auto") == 0) {
		*is_auto = true;
		return 0;
	}
	if (conf_set_size_pct(k, conf, v, err, errlen) < 0) {
		if (strncmp(err, "bad size", 8) == 0)
			snprintf(err, errlen, "bad size '%s' (auto, e.g. 2G, or e.g. 50%%)", v);
		return -EINVAL;
	}
	if (k->min && (s->is_percent ? s->permille == 0 : s->bytes < (uint64_t)k->min)) {
		snprintf(err, errlen,
			 "'%s' would balloon the whole guest (at least %lldM; for no explicit "
			 "ceiling: auto)",
			 v, (long long)(k->min >> 20));
		return -EINVAL;
	}
	*is_auto = false;
	return 0;
}

/* Empty (none) or an absolute path: the daemon runs in "/", a relative one would land there. */
static int set_optional_path(const struct conf_key *k, void *conf, const char *v, char *err,
			     size_t errlen)
{
	return v[0] ? conf_set_path(k, conf, v, err, errlen)
		    : conf_set_string(k, conf, v, err, errlen);
}

/* The userspace balloon's chunk: a size, 1M..1G, a multiple of 4 KiB. */
static int set_chunk(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	uint64_t u;

	if (parse_size(v, &u) < 0 || u < (1u << 20) || u > (1ULL << 30) || u % 4096) {
		snprintf(err, errlen, "bad chunk '%s' (1M..1G, page multiple)", v);
		return -EINVAL;
	}
	((struct agent_conf *)conf)->chunk_bytes = u;
	return 0;
}

/* A share of time above 0%, stored as percent x 100. */
static int set_psi_threshold(const struct conf_key *k, void *conf, const char *v, char *err,
			     size_t errlen)
{
	uint64_t b;
	unsigned pm;
	bool pct;

	if (parse_size_or_percent(v, &b, &pm, &pct) < 0 || !pct || pm == 0) {
		snprintf(err, errlen, "bad psi_threshold '%s' (a percentage, e.g. 10%%)", v);
		return -EINVAL;
	}
	((struct agent_conf *)conf)->psi_threshold = pm * 10;
	return 0;
}

/* A memory size above this is a typo (100T for 100G): more than a guest can have. */
#define MAX_GUEST_BYTES (64LL << 40)

#define K(sec, key, fn, field, ...) CONF_KEY(sec, key, fn, struct agent_conf, field, __VA_ARGS__)
#define AUTO_SIZE(m, least)                                   \
	K("balloon", #m "_memory", set_auto_size, m##_memory, \
	  .aux = offsetof(struct agent_conf, m##_auto), .min = least, .max = MAX_GUEST_BYTES)
#define SIZE_PCT(sec, key, field) K(sec, key, conf_set_size_pct, field, .max = MAX_GUEST_BYTES)

static const struct conf_key keys[] = {
	K("balloon", "driver", set_driver, driver),
	K("balloon", "mode", conf_set_enum, mode, .names = mode_names),
	K("balloon", "interval", conf_set_duration, interval_ms, .min = 100, .max = 3600000),
	SIZE_PCT("balloon", "reserved", reserved),
	K("balloon", "down_hysteresis", conf_set_uint, down_hysteresis, .min = 1, .max = 1000),
	K("balloon", "up_hysteresis", conf_set_uint, up_hysteresis, .min = 1, .max = 1000),
	AUTO_SIZE(min, 0),
	AUTO_SIZE(max, 16LL << 20),
	K("balloon", "on_exit", conf_set_enum, on_exit, .names = on_exit_names),
	K("balloon", "sysfs_target", conf_set_string, sysfs_target),
	K("balloon", "sysfs_current", conf_set_string, sysfs_current),
	K("balloon", "sysfs_unit", conf_set_enum, sysfs_unit, .names = unit_names),
	K("balloon", "chunk", set_chunk, chunk_bytes),
	K("pressure", "watch_interval", conf_set_duration, watch_interval_ms, .min = 10,
	  .max = 60000),
	SIZE_PCT("pressure", "fill_rate", fill_rate),
	K("pressure", "psi_stall", conf_set_duration_us, psi_stall_us, .min = 1, .max = 10000),
	K("pressure", "psi_window", conf_set_duration_us, psi_window_us, .min = 500, .max = 10000),
	K("pressure", "psi_threshold", set_psi_threshold, psi_threshold),
	K("pressure", "refault_rate", conf_set_uint, refault_rate, .max = UINT32_MAX),
	K("pressure", "swapin_rate", conf_set_uint, swapin_rate, .max = UINT32_MAX),
	SIZE_PCT("pressure", "avail_floor", avail_floor),
	SIZE_PCT("pressure", "headroom", headroom),
	K("pressure", "cooldown", conf_set_duration, cooldown_ms, .max = 3600000),
	SIZE_PCT("pressure", "inflate_rate", inflate_rate),
	K("host", "virtio_port", conf_set_string, host_port),
	K("host", "vsock_port", conf_set_uint, vsock_port, .max = UINT32_MAX),
	K("host", "reclaim", conf_set_enum, host_reclaim, .names = host_reclaim_names),
	SIZE_PCT("host", "margin", host_margin),
	K("hotplug", "online", conf_set_enum, online, .names = online_names),
	K("hotplug", "retries", conf_set_uint, online_retries, .max = 100),
	K("metrics", "textfile", set_optional_path, textfile),
	K("daemon", "oom_score_adj", conf_set_int, oom_score_adj, .min = -1000, .max = 1000),
};

static const struct conf_table table = { keys, ARRAY_SIZE(keys) };

/*
 * The checks across keys (psi_stall < psi_window, sysfs needs sysfs_target),
 * done by the loaders and again after command-line overrides. name prefixes
 * the message. Returns 0 or -EINVAL with err set.
 */
static int agent_conf_check(const struct agent_conf *c, const char *name, char *err, size_t errlen)
{
	if (strcmp(c->driver, "sysfs") == 0 && !c->sysfs_target[0]) {
		snprintf(err, errlen, "%s: driver = sysfs needs sysfs_target", name);
		return -EINVAL;
	}
	if (c->psi_stall_us >= c->psi_window_us) {
		snprintf(err, errlen, "%s: psi_stall must be shorter than psi_window", name);
		return -EINVAL;
	}
	/* sizes against sizes, shares against shares; a size against a share waits for MemTotal */
	if (!c->min_auto && !c->max_auto && c->min_memory.is_percent == c->max_memory.is_percent &&
	    (c->min_memory.is_percent ? c->min_memory.permille > c->max_memory.permille
				      : c->min_memory.bytes > c->max_memory.bytes)) {
		snprintf(err, errlen,
			 "%s: [balloon] min_memory is above max_memory (the floor must not be "
			 "above the ceiling)",
			 name);
		return -EINVAL;
	}
	return 0;
}

/*
 * Loads path over what c holds (the defaults, usually). Returns 0 or -errno
 * with err set ("file:line: [section] key: why"), then the checks across keys.
 */
static int agent_conf_load(struct agent_conf *c, const char *path, char *err, size_t errlen)
{
	int r = conf_table_load(&table, c, path, err, errlen);

	return r < 0 ? r : agent_conf_check(c, path, err, errlen);
}

int agent_conf_load_string(struct agent_conf *c, const char *text, char *err, size_t errlen)
{
	int r = conf_table_load_string(&table, c, "<string>", text, err, errlen);

	return r < 0 ? r : agent_conf_check(c, "<string>", err, errlen);
}

int agent_conf_set(struct agent_conf *c, const char *arg, char *err, size_t errlen)
{
	const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
	char sec[32], key[64], why[256];

	if (!dot || !eq || dot > eq || (size_t)(dot - arg) >= sizeof(sec) ||
	    (size_t)(eq - dot - 1) >= sizeof(key)) {
		snprintf(err, errlen, "--set '%s': expected SECTION.KEY=VALUE", arg);
		return -EINVAL;
	}
	snprintf(sec, sizeof(sec), "%.*s", (int)(dot - arg), arg);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - dot - 1), dot + 1);
	if (conf_table_set(&table, c, sec, key, eq + 1, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--set '%s': %s", arg, why);
		return -EINVAL;
	}
	return 0;
}

int agent_conf_build(struct agent_conf *c, const char *path, bool must_exist,
		     const char *const *sets, int nsets, char *err, size_t errlen)
{
	bool loaded = true;
	char name[300];
	int r, i;

	agent_conf_defaults(c);
	r = agent_conf_load(c, path, err, errlen);
	if (r == -ENOENT && !must_exist)
		loaded = false;
	else if (r < 0)
		return r;
	for (i = 0; i < nsets; i++)
		if (agent_conf_set(c, sets[i], err, errlen) < 0)
			return -EINVAL;
	/* The file was checked on its own; the overrides may break what holds across keys. */
	if (nsets == 0)
		return 0;
	snprintf(name, sizeof(name), "%s with --set", loaded ? path : "defaults");
	return agent_conf_check(c, name, err, errlen);
}

static bool same_size_pct(const struct size_pct *a, const struct size_pct *b)
{
	return a->is_percent == b->is_percent &&
	       (a->is_percent ? a->permille == b->permille : a->bytes == b->bytes);
}

/* Appends key to names when it differed; returns 1 when it did. */
static int differed(bool same, const char *key, char *names, size_t len)
{
	size_t n = strlen(names);

	if (same)
		return 0;
	if (n < len)
		snprintf(names + n, len - n, "%s%s", n ? ", " : "", key);
	return 1;
}

int agent_conf_keep_driver(struct agent_conf *next, const struct agent_conf *run, char *names,
			   size_t len)
{
	const struct agent_conf *c = next;
	int n = 0;

	if (len)
		names[0] = '\0';
	n += differed(!strcmp(c->driver, run->driver), "[balloon] driver", names, len);
	n += differed(!strcmp(c->sysfs_target, run->sysfs_target), "[balloon] sysfs_target", names,
		      len);
	n += differed(!strcmp(c->sysfs_current, run->sysfs_current), "[balloon] sysfs_current",
		      names, len);
	n += differed(c->sysfs_unit == run->sysfs_unit, "[balloon] sysfs_unit", names, len);
	n += differed(c->chunk_bytes == run->chunk_bytes, "[balloon] chunk", names, len);
	n += differed(!strcmp(c->host_port, run->host_port), "[host] virtio_port", names, len);
	n += differed(c->vsock_port == run->vsock_port, "[host] vsock_port", names, len);
	n += differed(c->host_reclaim == run->host_reclaim, "[host] reclaim", names, len);
	n += differed(same_size_pct(&c->host_margin, &run->host_margin), "[host] margin", names,
		      len);
	memcpy(next->driver, run->driver, sizeof(next->driver));
	memcpy(next->sysfs_target, run->sysfs_target, sizeof(next->sysfs_target));
	memcpy(next->sysfs_current, run->sysfs_current, sizeof(next->sysfs_current));
	next->sysfs_unit = run->sysfs_unit;
	next->chunk_bytes = run->chunk_bytes;
	memcpy(next->host_port, run->host_port, sizeof(next->host_port));
	next->vsock_port = run->vsock_port;
	next->host_reclaim = run->host_reclaim;
	next->host_margin = run->host_margin;
	return n;
}
