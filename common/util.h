/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers both daemons need: clock, array size, fds of a child, numbers, directories. */
#ifndef SB_COMMON_UTIL_H
#define SB_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in milliseconds and microseconds (never fails on Linux). */
uint64_t now_ms(void);
uint64_t now_us(void);

/*
 * Closes every fd >= first, for a child that must hold nothing else.
 * close_range(2) where the kernel has it (5.9), else every fd listed in
 * /proc/self/fd, else every fd up to the RLIMIT_NOFILE limit. Allocates
 * nothing and calls only async-signal-safe functions: safe between fork and
 * exec.
 */
void close_fds_from(int first);

/* close_fds_from's first fallback (exposed for tests). Returns 0 or -errno (no /proc). */
int close_fds_proc(int first);

/*
 * The decimal parser: reads the unsigned decimal digits at *s (no sign, no
 * blanks) into *out and moves *s past them. Returns false, with *s and *out
 * unchanged, when *s does not start with a digit or the value does not fit in
 * 64 bits.
 */
bool take_u64(const char **s, uint64_t *out);

/*
 * The directory part of path into out: "/a/b" -> "/a", "/a" -> "/",
 * "a" -> ".". Returns 0 or -ENAMETOOLONG.
 */
int path_dirname(const char *path, char *out, size_t size);

/*
 * Creates dir and its missing parents (parents 0755, dir itself mode; an
 * existing directory is not an error, nor changed). Returns 0 or -errno.
 */
int mkdir_p(const char *dir, mode_t mode);

/*
 * path made absolute against the current directory (a daemon that chdirs to
 * "/" would read a relative one elsewhere); 0, or -ENAMETOOLONG, or getcwd's error.
 */
int path_absolute(const char *path, char *out, size_t size);

/*
 * A daemon's signals: SIGPIPE ignored (a peer that goes away is EPIPE, not a
 * death), the signals of the 0-terminated list blocked and delivered through
 * the returned signalfd (non-blocking, close-on-exec). Returns it or -errno.
 */
int daemon_signals(const int *signals);

/* --version: "PROG (selfballoon) VERSION", the one form every program prints. */
void print_version(const char *prog);

#endif
