/* SPDX-License-Identifier: GPL-2.0-or-later */
/* selfballoond configuration: defaults and the INI key handler. */

#include "agent_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "parse.h"

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
	c->psi_stall_us = 100000;
	c->psi_window_us = 1000000;
	c->psi_threshold = 1000; /* 10.00 % */
	c->refault_rate = 2560;  /* 10 MiB/s of 4 KiB pages */
	c->swapin_rate = 256;    /* 1 MiB/s */
	c->avail_floor = (struct size_pct){ .permille = 30, .is_percent = true };
	c->headroom = (struct size_pct){ .permille = 30, .is_percent = true };
	c->cooldown_ms = 30000;
	c->inflate_rate = (struct size_pct){ .permille = 50, .is_percent = true };
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

static int set_size_pct(struct size_pct *out, const char *v, bool allow_pct, char *err,
			size_t errlen)
{
	struct size_pct t = { 0 };

	if (parse_size_or_percent(v, &t.bytes, &t.permille, &t.is_percent) < 0 ||
	    (t.is_percent && !allow_pct)) {
		snprintf(err, errlen, "bad size '%s'%s", v, allow_pct ? " (e.g. 512M or 10%)" : "");
		return -1;
	}
	*out = t;
	return 0;
}

static int set_dur(uint64_t *out, const char *v, uint64_t min_ms, uint64_t max_ms, char *err,
		   size_t errlen)
{
	uint64_t ms;
	char a[16], b[16];

	if (parse_duration_ms(v, &ms) < 0 || ms < min_ms || ms > max_ms) {
		snprintf(err, errlen, "bad duration '%s' (between %s and %s)", v,
			 format_duration_ms(min_ms, a, sizeof(a)),
			 format_duration_ms(max_ms, b, sizeof(b)));
		return -1;
	}
	*out = ms;
	return 0;
}

static int set_uint(uint64_t *out, const char *v, uint64_t min, uint64_t max, char *err,
		    size_t errlen)
{
	if (parse_uint(v, min, max, out) < 0) {
		snprintf(err, errlen, "bad number '%s' (between %llu and %llu)", v,
			 (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	return 0;
}

static int set_str(char *out, size_t size, const char *v, char *err, size_t errlen)
{
	if (strlen(v) >= size) {
		snprintf(err, errlen, "value too long");
		return -1;
	}
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int pick(const char *v, const char *const *names, int n, int *out)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

static int balloon_key(struct agent_conf *c, const char *k, const char *v, char *err, size_t errlen)
{
	uint64_t u;
	int i;

	if (strcmp(k, "driver") == 0) {
		static const char *const d[] = { "auto", "xen", "sysfs", "userspace", "none" };
		if (pick(v, d, 5, &i) < 0) {
			snprintf(err, errlen,
				 "unknown driver '%s' (auto, xen, sysfs, userspace, none)", v);
			return -1;
		}
		snprintf(c->driver, sizeof(c->driver), "%s", d[i]);
		return 0;
	}
	if (strcmp(k, "mode") == 0) {
		static const char *const m[] = { "adaptive", "xen" };
		if (pick(v, m, 2, &i) < 0) {
			snprintf(err, errlen, "unknown mode '%s' (adaptive, xen)", v);
			return -1;
		}
		c->mode = (enum policy_mode)i;
		return 0;
	}
	if (strcmp(k, "interval") == 0)
		return set_dur(&c->interval_ms, v, 100, 3600000, err, errlen);
	if (strcmp(k, "reserved") == 0)
		return set_size_pct(&c->reserved, v, true, err, errlen);
	if (strcmp(k, "down_hysteresis") == 0 || strcmp(k, "up_hysteresis") == 0) {
		if (set_uint(&u, v, 1, 1000, err, errlen) < 0)
			return -1;
		*(k[0] == 'd' ? &c->down_hysteresis : &c->up_hysteresis) = (unsigned)u;
		return 0;
	}
	if (strcmp(k, "min_memory") == 0 || strcmp(k, "max_memory") == 0) {
		bool is_min = k[1] == 'i';
		bool *autop = is_min ? &c->min_auto : &c->max_auto;
		if (strcasecmp(v, "auto") == 0) {
			*autop = true;
			return 0;
		}
		if (set_size_pct(is_min ? &c->min_memory : &c->max_memory, v, true, err, errlen) <
		    0)
			return -1;
		*autop = false;
		return 0;
	}
	if (strcmp(k, "on_exit") == 0) {
		static const char *const e[] = { "keep", "restore" };
		if (pick(v, e, 2, &i) < 0) {
			snprintf(err, errlen, "bad on_exit '%s' (keep, restore)", v);
			return -1;
		}
		c->on_exit = (enum on_exit)i;
		return 0;
	}
	if (strcmp(k, "sysfs_target") == 0)
		return set_str(c->sysfs_target, sizeof(c->sysfs_target), v, err, errlen);
	if (strcmp(k, "sysfs_current") == 0)
		return set_str(c->sysfs_current, sizeof(c->sysfs_current), v, err, errlen);
	if (strcmp(k, "sysfs_unit") == 0) {
		static const char *const un[] = { "kB", "pages", "bytes" };
		if (pick(v, un, 3, &i) < 0) {
			snprintf(err, errlen, "bad sysfs_unit '%s' (kB, pages, bytes)", v);
			return -1;
		}
		c->sysfs_unit = (enum sysfs_unit)i;
		return 0;
	}
	if (strcmp(k, "chunk") == 0) {
		if (parse_size(v, &u) < 0 || u < (1u << 20) || u > (1ULL << 30) || u % 4096) {
			snprintf(err, errlen, "bad chunk '%s' (1M..1G, page multiple)", v);
			return -1;
		}
		c->chunk_bytes = u;
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s' in [balloon]", k);
	return -1;
}

static int pressure_key(struct agent_conf *c, const char *k, const char *v, char *err,
			size_t errlen)
{
	uint64_t ms;

	if (strcmp(k, "watch_interval") == 0)
		return set_dur(&c->watch_interval_ms, v, 10, 60000, err, errlen);
	if (strcmp(k, "psi_stall") == 0 || strcmp(k, "psi_window") == 0) {
		bool stall = k[4] == 's';
		if (set_dur(&ms, v, stall ? 1 : 500, stall ? 10000 : 10000, err, errlen) < 0)
			return -1;
		*(stall ? &c->psi_stall_us : &c->psi_window_us) = ms * 1000;
		return 0;
	}
	if (strcmp(k, "psi_threshold") == 0) {
		uint64_t b;
		unsigned pm;
		bool pct;
		if (parse_size_or_percent(v, &b, &pm, &pct) < 0 || !pct || pm == 0) {
			snprintf(err, errlen, "bad psi_threshold '%s' (a percentage, e.g. 10%%)",
				 v);
			return -1;
		}
		c->psi_threshold = pm * 10;
		return 0;
	}
	if (strcmp(k, "refault_rate") == 0)
		return set_uint(&c->refault_rate, v, 0, UINT32_MAX, err, errlen);
	if (strcmp(k, "swapin_rate") == 0)
		return set_uint(&c->swapin_rate, v, 0, UINT32_MAX, err, errlen);
	if (strcmp(k, "avail_floor") == 0)
		return set_size_pct(&c->avail_floor, v, true, err, errlen);
	if (strcmp(k, "headroom") == 0)
		return set_size_pct(&c->headroom, v, true, err, errlen);
	if (strcmp(k, "cooldown") == 0)
		return set_dur(&c->cooldown_ms, v, 0, 3600000, err, errlen);
	if (strcmp(k, "inflate_rate") == 0)
		return set_size_pct(&c->inflate_rate, v, true, err, errlen);
	snprintf(err, errlen, "unknown key '%s' in [pressure]", k);
	return -1;
}

int agent_conf_set(struct agent_conf *c, const char *section, const char *key, const char *value,
		   char *err, size_t errlen)
{
	uint64_t u;
	int i;

	if (strcmp(section, "balloon") == 0)
		return balloon_key(c, key, value, err, errlen);
	if (strcmp(section, "pressure") == 0)
		return pressure_key(c, key, value, err, errlen);
	if (strcmp(section, "hotplug") == 0) {
		if (strcmp(key, "online") == 0) {
			static const char *const o[] = { "auto", "online", "online_movable",
							 "off" };
			if (pick(value, o, 4, &i) < 0) {
				snprintf(err, errlen,
					 "bad online '%s' (auto, online, online_movable, off)",
					 value);
				return -1;
			}
			c->online = (enum online_policy)i;
			return 0;
		}
		if (strcmp(key, "retries") == 0) {
			if (set_uint(&u, value, 0, 100, err, errlen) < 0)
				return -1;
			c->online_retries = (unsigned)u;
			return 0;
		}
	} else if (strcmp(section, "metrics") == 0) {
		if (strcmp(key, "textfile") == 0)
			return set_str(c->textfile, sizeof(c->textfile), value, err, errlen);
	} else if (strcmp(section, "daemon") == 0) {
		if (strcmp(key, "oom_score_adj") == 0) {
			int64_t v;

			if (parse_int(value, -1000, 1000, &v) < 0) {
				snprintf(err, errlen, "bad oom_score_adj '%s' (-1000..1000)",
					 value);
				return -1;
			}
			c->oom_score_adj = (int)v;
			return 0;
		}
	} else {
		snprintf(err, errlen, "unknown section [%s]", section);
		return -1;
	}
	snprintf(err, errlen, "unknown key '%s' in [%s]", key, section);
	return -1;
}

static int handler(void *user, const char *section, const char *key, const char *value, char *err,
		   size_t errlen)
{
	return agent_conf_set(user, section, key, value, err, errlen);
}

int agent_conf_check(const struct agent_conf *c, const char *name, char *err, size_t errlen)
{
	if (strcmp(c->driver, "sysfs") == 0 && !c->sysfs_target[0]) {
		snprintf(err, errlen, "%s: driver = sysfs needs sysfs_target", name);
		return -EINVAL;
	}
	if (c->psi_stall_us >= c->psi_window_us) {
		snprintf(err, errlen, "%s: psi_stall must be shorter than psi_window", name);
		return -EINVAL;
	}
	return 0;
}

int agent_conf_load(struct agent_conf *c, const char *path, char *err, size_t errlen)
{
	int r = conf_load(path, handler, c, err, errlen);
	return r < 0 ? r : agent_conf_check(c, path, err, errlen);
}

int agent_conf_load_string(struct agent_conf *c, const char *text, char *err, size_t errlen)
{
	int r = conf_load_string("(string)", text, handler, c, err, errlen);
	return r < 0 ? r : agent_conf_check(c, "(string)", err, errlen);
}
