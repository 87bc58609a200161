/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Onlining hot-added memory blocks (libudev monitor + sysfs memoryN/state). */
#ifndef SB_AGENT_HOTPLUG_H
#define SB_AGENT_HOTPLUG_H

#include <stdbool.h>
#include <stddef.h>

#include "agent_config.h"

#define HOTPLUG_MAX_PENDING 64

struct udev;
struct udev_monitor;

struct hotplug {
	char dir[256]; /* <root>/sys/devices/system/memory */
	enum online_policy policy;
	unsigned retries;
	struct {
		unsigned block;
		unsigned tries;
	} pending[HOTPLUG_MAX_PENDING];
	unsigned npending;
	unsigned onlined, failures;
	unsigned rescans;         /* scans after lost events or a changed block list */
	unsigned long scan_nlink; /* links of dir at the last scan: 2 + subdirectories */
	bool have_scan;
	bool incomplete; /* the last scan listed a block whose state file was not there yet */
	struct udev *udev;
	struct udev_monitor *mon;
};

/*
 * Prepares onlining under root. With use_udev, opens a kernel-uevent monitor
 * for subsystem "memory" first, so that blocks added while the initial scan
 * runs are not missed. Returns 0 or -errno (the monitor failing is logged and
 * not fatal: the periodic retry scan still works).
 */
int hotplug_open(struct hotplug *h, const char *root, enum online_policy policy, unsigned retries,
		 bool use_udev);
void hotplug_close(struct hotplug *h);

/* How a state file is written (write_file); tests replace it to inject failures. */
extern int (*hotplug_write)(const char *path, const char *data, size_t len);

/*
 * Attaches to socket fd a filter that lets only the kernel's "add" uevents of
 * memory blocks through (hotplug_open does so on its monitor). 0 or -errno.
 */
int hotplug_filter(int fd);

/* The monitor fd for poll(), or -1. */
int hotplug_fd(const struct hotplug *h);

/*
 * Drains monitor events; each "add" of memoryN goes through hotplug_consider.
 * When a receive fails other than "nothing left" (ENOBUFS: the socket
 * overflowed during a big hot-add and events were lost), rescans every block.
 */
void hotplug_handle_events(struct hotplug *h);

/* The monitor's socket buffer (the kernel default overflows on a hot-add of many blocks). */
#define HOTPLUG_RCVBUF (4 << 20)

/* Scans every memoryN block now (startup). Returns how many were onlined. */
int hotplug_scan(struct hotplug *h);

/* Retries blocks whose onlining failed, at most `retries` times each. */
void hotplug_retry(struct hotplug *h);

/*
 * Each interval tick: hotplug_retry, and a rescan when the block list changed
 * since the last scan (events lost or never delivered). The check is one
 * stat(2) of the memory directory (sysfs counts subdirectories in st_nlink);
 * blocks an administrator offlined on purpose are left alone. Nothing when
 * online = off. Returns how many blocks the rescan onlined.
 */
int hotplug_tick(struct hotplug *h);

/*
 * Onlines block N if it is offline and the policy says so (auto: only when
 * auto_online_blocks is "offline", i.e. the kernel will not do it). Returns
 * 1 onlined, 0 nothing to do, -errno on failure (queued for retry).
 */
int hotplug_consider(struct hotplug *h, unsigned block);

#endif
