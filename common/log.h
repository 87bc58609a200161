/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging for both daemons: stderr and/or syslog, never blocking while held. */
#ifndef SB_COMMON_LOG_H
#define SB_COMMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum log_target {
	LOG_TARGET_STDERR = 1,
	LOG_TARGET_SYSLOG = 2,
};

/* ident is kept by pointer; targets is a mask of enum log_target. */
void log_open(const char *ident, int targets);
void log_close(void);
void log_set_max_level(int level); /* LOG_DEBUG shows everything */

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * While held, messages are formatted into a fixed in-memory buffer and
 * nothing is written anywhere (the sink may sit on a frozen filesystem).
 * log_release() writes them out and returns how many were dropped because
 * the buffer was full.
 */
void log_hold(void);
unsigned log_release(void);

#endif
