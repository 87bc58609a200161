/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus textfile (node_exporter textfile collector format), written atomically. */
#ifndef SB_AGENT_METRICS_H
#define SB_AGENT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "sample.h"

struct metrics {
	uint64_t decisions[REASON_COUNT];
	uint64_t pressure_events;
	uint64_t oom_deflates;
	uint64_t oom_deflated_kb;
	uint64_t set_errors;
	uint64_t balloon_kb; /* memory taken from the guest (boot - current) */
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
