/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A streaming splitter for JSON objects: tracks depth, strings and escapes. */
#include "jsonframe.h"

#include <string.h>

void jsonframe_reset(struct jsonframe *f)
{
	f->len = 0;
	f->depth = 0;
	f->in_string = f->escape = f->discarding = f->garbage = false;
}

static void end_garbage(struct jsonframe *f, frame_fn fn, void *ctx)
{
	if (f->garbage) {
		f->garbage = false;
		fn(ctx, FRAME_GARBAGE, NULL, 0);
	}
}

void jsonframe_feed(struct jsonframe *f, const char *data, size_t n, frame_fn fn, void *ctx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = data[i];

		if ((unsigned char)ch == 0xff) { /* resynchronisation */
			jsonframe_reset(f);
			continue;
		}
		if (f->depth == 0) {
			if (ch == '{') {
				end_garbage(f, fn, ctx);
				f->depth = 1;
				f->len = 0;
				f->buf[f->len++] = ch;
				continue;
			}
			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
				if (ch == '\n')
					end_garbage(f, fn, ctx);
				continue;
			}
			f->garbage = true; /* reported at the next newline or '{' */
			continue;
		}
		if (!f->discarding) {
			if (f->len >= JSONFRAME_MAX) {
				f->discarding = true;
				fn(ctx, FRAME_TOO_LARGE, NULL, 0);
			} else {
				f->buf[f->len++] = ch;
			}
		}
		if (f->in_string) {
			if (f->escape)
				f->escape = false;
			else if (ch == '\\')
				f->escape = true;
			else if (ch == '"')
				f->in_string = false;
			continue;
		}
		if (ch == '"')
			f->in_string = true;
		else if (ch == '{' || ch == '[')
			f->depth++;
		else if (ch == '}' || ch == ']') {
			if (--f->depth == 0) {
				if (!f->discarding) {
					f->buf[f->len] = '\0';
					fn(ctx, FRAME_OBJECT, f->buf, f->len);
				}
				jsonframe_reset(f);
			}
		}
	}
}
