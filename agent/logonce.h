/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Errors logged once per condition, never per tick: a failure is logged when
 * its condition (an -errno or another code) differs from the one being
 * reported, and counted; when it clears, one line says how many there were.
 */
#ifndef SB_AGENT_LOGONCE_H
#define SB_AGENT_LOGONCE_H

#include <stdint.h>

struct logonce {
	int cond;       /* 0: fine */
	uint64_t count; /* failures since cond began */
};

/* A failure; cond must not be 0. Logs (at prio) only when cond is new. */
void logonce_fail(struct logonce *l, int cond, int prio, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A success: after failures, logs "<what>: recovered after N failures" once. */
void logonce_ok(struct logonce *l, const char *what);

#endif
