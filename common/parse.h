/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers for configuration values: sizes, durations, booleans, integers. */
#ifndef SB_COMMON_PARSE_H
#define SB_COMMON_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* Unsigned decimal integer in [min, max]. Returns 0 or -EINVAL / -ERANGE. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Signed decimal integer ("-900", "+5", "42") in [min, max]. Returns 0 or -EINVAL / -ERANGE. */
int parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Size in bytes: "4096", "512K", "512M", "2G", "1T" (binary multiples;
 * an optional trailing "B" or "iB" is accepted: "512MiB").
 */
int parse_size(const char *s, uint64_t *bytes);

/*
 * Size or percentage: "10%" sets *percent (0..100, may have one decimal:
 * stored in tenths), otherwise *bytes. *is_percent tells which.
 */
int parse_size_or_percent(const char *s, uint64_t *bytes, unsigned *permille, bool *is_percent);

/* Duration in milliseconds: "250ms", "5s", "2min", "1h"; a bare number is seconds. */
int parse_duration_ms(const char *s, uint64_t *ms);

/* yes/no, true/false, on/off, 1/0 (case-insensitive). */
int parse_bool(const char *s, bool *out);

/* Formats a duration for messages: "250ms", "5s", "2min". */
const char *format_duration_ms(uint64_t ms, char *buf, unsigned len);

#endif
