/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus textfile (node_exporter textfile collector format), written atomically. */
#ifndef SB_AGENT_METRICS_H
#define SB_AGENT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "sample.h"

/* What a driver reports on its own (driver_reclaim, driver_host); all 0 when it has nothing. */
struct driver_stats {
	const char *kind; /* reclaim: "memory.reclaim" or "drop_caches"; host: the transport */
	/* reclaim */
	uint64_t reclaimed_kb;    /* freed by memory.reclaim (the kernel's word) or drop_caches */
	uint64_t reclaim_chunks;  /* writes */
	uint64_t reclaim_partial; /* writes that could not reclaim all (EAGAIN) */
	uint64_t reclaim_swapout_kb; /* pswpout while reclaiming */
	uint64_t compactions;
	uint64_t reportable_kb; /* free memory in blocks free page reporting hands back */
	bool have_reportable;
	/* host */
	bool host;
	bool connected;          /* the port or socket is open */
	uint64_t wanted_kb;      /* the balloon last asked for */
	uint64_t applied_kb;     /* the host's last "applied" */
	uint64_t host_actual_kb; /* the host's last "state actual_kb" */
	uint64_t min_kb, max_kb; /* the host's "limits" (0: not heard) */
	uint64_t requests, host_errors;
};

struct metrics {
	uint64_t decisions[REASON_COUNT];
	uint64_t pressure_events;
	uint64_t oom_deflates;
	uint64_t oom_deflated_kb;
	uint64_t set_errors;
	uint64_t balloon_kb;     /* memory taken from the guest (boot - current) */
	struct driver_stats drv; /* the driver's own, at the last decision */
};

/* Formats into buf; returns the length (truncated output is still valid text). */
int metrics_format(char *buf, unsigned size, const struct metrics *m, const struct decision *d,
		   const struct sample *s, const char *driver, const char *mode);

/*
 * Is the textfile's directory in memory (tmpfs, ramfs)? 1 yes, 0 no (a
 * freeze of that filesystem would stall every write), -errno when it cannot
 * be checked. *fs_type gets statfs' f_type.
 */
int metrics_check_fs(const char *path, unsigned long *fs_type);

/*
 * Formats into a static buffer, writes path.tmp and renames it over path,
 * without fsync (never waits for the disk; see metrics.c). Returns 0 or -errno.
 */
int metrics_write(const char *path, const struct metrics *m, const struct decision *d,
		  const struct sample *s, const char *driver, const char *mode);

#endif
