/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Splits a byte stream into JSON objects the way QEMU guest agent clients
 * send them: objects may follow each other with or without newlines, a
 * 0xFF byte discards any partial input, and input is bounded in size.
 */
#ifndef SB_VSS_JSONFRAME_H
#define SB_VSS_JSONFRAME_H

#include <stdbool.h>
#include <stddef.h>

#define JSONFRAME_MAX 65536

enum frame_event {
	FRAME_OBJECT,    /* text/len hold one complete top-level object */
	FRAME_TOO_LARGE, /* an object exceeded JSONFRAME_MAX: it is discarded */
	FRAME_GARBAGE,   /* input outside an object that is not whitespace */
};

typedef void (*frame_fn)(void *ctx, enum frame_event ev, const char *text, size_t len);

struct jsonframe {
	char buf[JSONFRAME_MAX + 1]; /* + NUL */
	size_t len;
	unsigned depth;
	bool in_string, escape;
	bool discarding; /* inside an oversized object */
	bool garbage;    /* inside a run of non-JSON input */
};

void jsonframe_reset(struct jsonframe *f);
void jsonframe_feed(struct jsonframe *f, const char *data, size_t n, frame_fn fn, void *ctx);

#endif
