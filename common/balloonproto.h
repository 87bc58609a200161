/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest <-> host balloon protocol (selfballoon-host(8), PROTOCOL): lines of
 * printable ASCII, at most BP_LINE_MAX bytes with the newline, each a verb and
 * key=value arguments separated by spaces ("balloon seq=7 kb=524288"). This is
 * the framing and the tokenizer both ends share; what each verb means lives with
 * each end (host/relay.c, agent/driver_host.c). Nothing here allocates.
 */
#ifndef SB_COMMON_BALLOONPROTO_H
#define SB_COMMON_BALLOONPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BP_VERSION 1
#define BP_LINE_MAX 256 /* the longest line, newline included */
#define BP_MAX_ARGS 8
#define BP_NAME_MAX 16 /* verbs and keys */
/* Sizes are KiB; anything above 2^42 KiB (4 PiB) is out of range. */
#define BP_KB_MAX (UINT64_C(1) << 42)
#define BP_SEQ_MAX ((UINT64_C(1) << 53) - 1)

/* Line assembly over a byte stream: complete lines, or the end of one that was too long. */
struct bp_reader {
	char buf[BP_LINE_MAX];
	size_t len;
	bool discarding; /* inside a line that was too long: skip to its newline */
	bool bad;        /* the line holds a byte that is not printable ASCII, space or tab */
};

enum bp_feed {
	BP_MORE,     /* everything was consumed, no complete line yet */
	BP_LINE,     /* r->buf holds a line (NUL-terminated, no newline, no trailing CR) */
	BP_TOO_LONG, /* a line longer than BP_LINE_MAX ended: it is dropped */
	BP_BAD,      /* a line with a NUL, control or non-ASCII byte ended: it is dropped */
};

void bp_reader_init(struct bp_reader *r);

/*
 * Consumes bytes from data[0..len) up to the end of the next line; *used says
 * how many. Call again with the rest until it returns BP_MORE. A CR before the
 * newline is dropped; any other byte outside printable ASCII, space and tab
 * makes the whole line BP_BAD.
 */
enum bp_feed bp_feed(struct bp_reader *r, const char *data, size_t len, size_t *used);

struct bp_msg {
	char text[BP_LINE_MAX]; /* the tokens point into this copy */
	const char *verb;
	unsigned nargs;
	const char *key[BP_MAX_ARGS];
	const char *val[BP_MAX_ARGS];
};

/*
 * Splits a line into verb and arguments. Verbs and keys are 1..BP_NAME_MAX of
 * [a-z0-9_-], values 1..BP_LINE_MAX printable characters without '='. Returns 0,
 * -ENODATA for an empty line, -EINVAL for bad syntax (a key repeated, a stray
 * character), -E2BIG for more than BP_MAX_ARGS arguments.
 */
int bp_parse(const char *line, struct bp_msg *m);

/* The value of key, or NULL. */
const char *bp_get(const struct bp_msg *m, const char *key);

/*
 * An unsigned decimal argument in [0, max] (take_u64: digits only, no sign,
 * no spaces). Returns 0, -ENOENT (absent), -EINVAL, -ERANGE (too large).
 */
int bp_get_u64(const struct bp_msg *m, const char *key, uint64_t max, uint64_t *v);

#endif
