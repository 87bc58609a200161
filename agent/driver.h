/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The balloon driver interface: a small ops table; each driver lives in its own file. */
#ifndef SB_AGENT_DRIVER_H
#define SB_AGENT_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_config.h"
#include "metrics.h"
#include "policy.h"
#include "sample.h"

struct balloon_driver;

struct driver_params {
	const char *root; /* "/" or a fake tree */
	const struct agent_conf *conf;
	unsigned page_kb;
	const struct meminfo *mi; /* at open time (believed: see plausible.h) */
	uint64_t present_kb;      /* zoneinfo's present memory, 0 when unknown */
	bool sync;                /* --once: no worker thread, set_target does the work */
};

/* Something a driver noticed on its own fd. */
struct driver_report {
	bool balloon_oom;  /* the balloon was killed (SIGKILL: the OOM killer) */
	bool balloon_died; /* it exited some other way, or was killed for not moving */
	uint64_t freed_kb; /* what it held */
	int status;        /* wait status */
};

/* Bits of driver_ops.flags: what callers need to know of a driver (never which one it is). */
enum {
	/*
	 * The balloon lives in the daemon (userspace: mlocked memory in its
	 * child), so it is gone when the daemon is: --once does not apply a
	 * target, and the exit path always releases it.
	 */
	DRIVER_DIES_WITH_DAEMON = 1u << 0,
};

struct driver_ops {
	const char *name;
	unsigned flags; /* DRIVER_* */
	/* Optional: what -ENOENT from open() usually means (added to the message). */
	const char *absent_hint;
	/* Checks the driver's files exist and opens it. -ENODEV when absent. */
	int (*open)(struct balloon_driver *d, const struct driver_params *p);
	/* Current/max sizes, MemTotal-equivalent kB (memory the guest keeps). */
	int (*read)(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv);
	/* Moves the balloon so the guest keeps target_kb. */
	int (*set_target)(struct balloon_driver *d, const struct meminfo *mi, uint64_t target_kb);
	/* Optional: an fd to poll (POLLIN) and its handler. */
	int (*poll_fd)(struct balloon_driver *d);
	int (*handle)(struct balloon_driver *d, struct driver_report *r);
	/* Optional: the driver's own numbers (metrics, --once). */
	int (*stats)(struct balloon_driver *d, struct driver_stats *st);
	/* restore: put back what was there at open (sysfs/xen); the userspace balloon is always released. */
	void (*close)(struct balloon_driver *d, bool restore);
};

struct balloon_driver {
	const struct driver_ops *ops;
	void *priv;
	bool writes; /* false for none: decisions are not applied */
	/*
	 * MemTotal-equivalent kB that close(restore) writes back (the target
	 * found at open); 0: nothing. The exit path restores only what the
	 * policy's rule allows (policy_may_lower).
	 */
	uint64_t restore_kb;
	struct balloon_view last_view; /* the last read that succeeded */
	bool have_view;
	char failed[256]; /* the file open() could not use, for the message; "": none */
};

extern const struct driver_ops driver_xen_ops;
extern const struct driver_ops driver_sysfs_ops;
extern const struct driver_ops driver_userspace_ops;
extern const struct driver_ops driver_none_ops;
extern const struct driver_ops driver_reclaim_ops;
extern const struct driver_ops driver_host_ops;

/*
 * The virtio-serial port named name ([host] virtio_port): a path when it
 * holds a '/', else /dev/virtio-ports/NAME, else the /dev/vportNpM whose
 * /sys/class/virtio-ports entry has that name (no udev). Under root.
 * Returns 0 or -ENOENT.
 */
int driver_host_find_port(const char *root, const char *name, char *out, size_t len);

/*
 * The first entry of root/rel (a sysfs class or bus directory) whose file
 * (its first line) match() accepts; its name into entry. 0 or -ENOENT.
 */
int driver_sysfs_scan(const char *root, const char *rel, const char *file,
		      bool (*match)(const char *value, const void *arg), const void *arg,
		      char *entry, size_t len);

/*
 * The virtio balloon device's feature bits as sysfs shows them ("0110...",
 * bit 0 first) into feat; -ENODEV when the guest has no virtio balloon.
 */
int driver_virtio_balloon_features(const char *root, char *feat, size_t len);

/*
 * The reclaim worker: driver = reclaim's, and driver = host's trimming
 * ([host] reclaim). A thread (none with params->sync) that writes root
 * memory.reclaim in chunks of [balloon] chunk, or with drop_ok and no
 * memory.reclaim, drop_caches. reclaimer_open: -ENODEV when neither may be
 * used.
 */
struct reclaimer;
int reclaimer_open(struct reclaimer **out, const struct driver_params *p, bool drop_ok);
/*
 * The latest request (it replaces one under way): reclaim foot_kb -
 * target_kb; when that is 0 (nothing to shrink: pressure, cool-down), the
 * worker stops after the chunk under way. Never blocks on the reclaim
 * (threaded). Returns the error of the last round (once), 0 when none.
 */
int reclaimer_post(struct reclaimer *rc, uint64_t foot_kb, uint64_t target_kb);
/* Its numbers into the reclaim fields of st (the others and kind left alone). */
void reclaimer_stats(struct reclaimer *rc, struct driver_stats *st);
const char *reclaimer_kind(const struct reclaimer *rc); /* "memory.reclaim" or "drop_caches" */
void reclaimer_close(struct reclaimer *rc);             /* NULL: nothing */

/* The reclaim driver's writes go through this (write_file; tests replace it). */
extern int (*driver_reclaim_write)(const char *path, const char *data, size_t len);

/*
 * Free memory in blocks of at least 2^order pages, from a /proc/buddyinfo
 * file, in kB. Returns 0 or -errno.
 */
int driver_reclaim_reportable(const char *buddyinfo, unsigned order, unsigned page_kb,
			      uint64_t *kb);

/*
 * Opens the driver named in the config; "auto" picks xen when its sysfs
 * exists, else host when the relay's port is there, else reclaim when the
 * virtio balloon offers free page reporting, else none, and says why in
 * why[]. Returns 0 or -errno (why set).
 */
int driver_open(struct balloon_driver *d, const struct driver_params *p, char *why, size_t whylen);

static inline const char *driver_name(const struct balloon_driver *d)
{
	return d->ops->name;
}

/*
 * ops->read, and when it fails a view the policy never lowers from: the
 * larger of MemTotal and the last size read, marked stale. Returns the
 * driver's result (log it once: logonce.h).
 */
int driver_read_view(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv);

/* The userspace balloon's child process, or -1 (logs, tests). */
int driver_userspace_child(const struct balloon_driver *d);

/* Unit conversions for sysfs-style values; both saturate at UINT64_MAX. */
uint64_t driver_to_unit(uint64_t kb, enum sysfs_unit u, unsigned page_kb);
uint64_t driver_from_unit(uint64_t v, enum sysfs_unit u, unsigned page_kb);

/*
 * The most a driver may ever ask for (MemTotal-equivalent kB): the boot size,
 * or an explicit max_memory above it. Returns target_kb clamped to it; logs
 * the first clamp of a run of clamps (*warned remembers it).
 */
uint64_t driver_clamp_kb(const char *driver, uint64_t target_kb, uint64_t limit_kb, bool *warned);

/* Explicit max_memory in kB for MemTotal mem_total_kb, 0 when auto. */
uint64_t driver_conf_max_kb(const struct agent_conf *c, uint64_t mem_total_kb);

/* Reads a single unsigned decimal from a sysfs file. */
int driver_read_u64(const char *path, uint64_t *v);
/*
 * Reads a size in unit u and converts it to kB; -ERANGE (nothing set) when
 * it is above max_kb: a glitch is never believed (plausible.h).
 */
int driver_read_kb(const char *path, enum sysfs_unit u, unsigned page_kb, uint64_t max_kb,
		   uint64_t *kb);
int driver_write_u64(const char *path, uint64_t v);

#endif
