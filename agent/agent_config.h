/* SPDX-License-Identifier: GPL-2.0-or-later */
/* selfballoond configuration: defaults, INI keys (see selfballoond.conf(5)). */
#ifndef SB_AGENT_AGENT_CONFIG_H
#define SB_AGENT_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "confkey.h" /* struct size_pct */

#define SELFBALLOOND_DEFAULT_CONFIG SYSCONFDIR "/selfballoon/selfballoond.conf"

enum policy_mode { MODE_ADAPTIVE, MODE_XEN };
enum online_policy { ONLINE_AUTO, ONLINE_ONLINE, ONLINE_MOVABLE, ONLINE_OFF };
enum on_exit { ON_EXIT_KEEP, ON_EXIT_RESTORE };
enum sysfs_unit { UNIT_KB, UNIT_PAGES, UNIT_BYTES };
enum host_reclaim { HOST_RECLAIM_AUTO, HOST_RECLAIM_ON, HOST_RECLAIM_OFF };

struct agent_conf {
	/* [balloon] */
	char driver[16]; /* auto xen sysfs userspace reclaim host none */
	enum policy_mode mode;
	uint64_t interval_ms;
	struct size_pct reserved;
	unsigned down_hysteresis, up_hysteresis;
	bool min_auto;
	struct size_pct min_memory;
	bool max_auto;
	struct size_pct max_memory;
	enum on_exit on_exit;
	char sysfs_target[256], sysfs_current[256];
	enum sysfs_unit sysfs_unit;
	uint64_t chunk_bytes; /* userspace driver's chunk; reclaim's largest write */
	/* [pressure] (mode adaptive) */
	uint64_t watch_interval_ms;
	struct size_pct fill_rate; /* per second: the sleep rule's assumed fastest fill */
	uint64_t psi_stall_us, psi_window_us;
	unsigned psi_threshold; /* percent x 100 of time stalled ("some") */
	uint64_t refault_rate;  /* pages/s */
	uint64_t swapin_rate;   /* pages/s */
	struct size_pct avail_floor;
	struct size_pct headroom;
	uint64_t cooldown_ms;
	struct size_pct inflate_rate; /* per second */
	/* [host] (driver = host) */
	char host_port[256];            /* virtio-serial port name or path */
	unsigned vsock_port;            /* 0: the virtio port */
	enum host_reclaim host_reclaim; /* trimming by the reclaim worker */
	struct size_pct host_margin;    /* trimming: the guest keeps this above its target */
	/* [hotplug] */
	enum online_policy online;
	unsigned online_retries;
	/* [metrics] */
	char textfile[256];
	/* [daemon] */
	int oom_score_adj;
};

void agent_conf_defaults(struct agent_conf *c);

/*
 * Loads the text of a configuration file over what c holds (the defaults,
 * usually). Returns 0 or -errno with err set ("file:line: [section] key: why"),
 * then the checks across keys.
 */
int agent_conf_load_string(struct agent_conf *c, const char *text, char *err, size_t errlen);

/*
 * One command-line override, "SECTION.KEY=VALUE" ("balloon.driver=none"),
 * through the same table as the file. Returns 0 or -EINVAL with err holding
 * "--set 'ARG': [section] key: why".
 */
int agent_conf_set(struct agent_conf *c, const char *arg, char *err, size_t errlen);

/*
 * What selfballoond runs with: the defaults, then path (skipped when it does
 * not exist, unless must_exist), then each of sets[] (agent_conf_set), then
 * the checks across keys again when there were overrides ("path with --set:
 * psi_stall must be shorter than psi_window"). Returns 0 or -errno, err set.
 */
int agent_conf_build(struct agent_conf *c, const char *path, bool must_exist,
		     const char *const *sets, int nsets, char *err, size_t errlen);

/* Resolves a size/percentage against MemTotal (kB) into kB. */
uint64_t size_pct_kb(const struct size_pct *s, uint64_t mem_total_kb);

const char *mode_name(enum policy_mode m);

/*
 * SIGHUP: the driver's settings ([balloon] driver, sysfs_*, chunk, every
 * [host] key) change only at restart. Copies them from run into next and
 * names the keys that differed in names ("[host] margin, [balloon] chunk").
 * Returns how many differed.
 */
int agent_conf_keep_driver(struct agent_conf *next, const struct agent_conf *run, char *names,
			   size_t len);

#endif
