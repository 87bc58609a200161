/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Request framing, execution and reply queueing for one connection. */
#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"

void session_init(struct session *s, struct engine *e, const struct owner *owner)
{
	memset(s, 0, sizeof(*s));
	s->engine = e;
	s->owner = *owner;
	jsonframe_reset(&s->frame);
}

/* Its parked freeze's answer will find nobody. */
static void unpark(struct session *s)
{
	if (!s->parked)
		return;
	engine_forget(s->engine, s);
	json_object_put(s->parked_id);
	s->parked_id = NULL;
	s->parked = false;
}

void session_free(struct session *s)
{
	unpark(s);
	free(s->out);
	s->out = NULL;
	s->outlen = s->outcap = 0;
}

void session_reset(struct session *s)
{
	unpark(s);
	jsonframe_reset(&s->frame);
	s->outlen = 0;
	s->overflow = false;
}

static void append(struct session *s, const char *data, size_t n)
{
	if (s->overflow)
		return;
	if (s->outlen + n > SESSION_MAX_OUT) {
		s->overflow = true;
		return;
	}
	if (s->outlen + n > s->outcap) {
		size_t cap = s->outcap ? s->outcap : 4096;
		char *p;

		while (cap < s->outlen + n)
			cap *= 2;
		p = realloc(s->out, cap);
		if (!p) {
			s->overflow = true;
			return;
		}
		s->out = p;
		s->outcap = cap;
	}
	memcpy(s->out + s->outlen, data, n);
	s->outlen += n;
}

void session_queue(struct session *s, const char *json, bool delimited)
{
	if (delimited)
		append(s, "\xff", 1);
	append(s, json, strlen(json));
	append(s, "\n", 1);
}

/* The engine's answer to the parked freeze (engine_waiter). */
static void parked_answer(void *ctx, int r, const char *err)
{
	struct session *s = ctx;
	json_object *o = commands_parked_reply(r, err, s->parked_id);

	s->parked_id = NULL;
	s->parked = false;
	session_queue(s, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), false);
	json_object_put(o);
}

static void on_frame(void *ctx, enum frame_event ev, const char *text, size_t len)
{
	struct session *s = ctx;
	const struct engine_waiter w = { .fn = parked_answer, .ctx = s };
	struct reply r = { .waiter = &w };

	switch (ev) {
	case FRAME_OBJECT:
		commands_execute(s->engine, &s->owner, text, len, &r);
		if (r.parked) {
			s->parked = true;
			s->parked_id = r.parked_id;
			return;
		}
		break;
	case FRAME_TOO_LARGE:
		r.obj = commands_error("GenericError", "request too large (limit 65536 bytes)");
		break;
	case FRAME_GARBAGE:
		r.obj = commands_error("GenericError", "JSON parse error, expecting an object");
		break;
	}
	session_queue(s, json_object_to_json_string_ext(r.obj, JSON_C_TO_STRING_PLAIN),
		      r.delimited);
	json_object_put(r.obj);
}

void session_input(struct session *s, const char *data, size_t n)
{
	jsonframe_feed(&s->frame, data, n, on_frame, s);
}

int session_flush(struct session *s, int fd)
{
	size_t done = 0;

	if (s->overflow)
		return -ENOBUFS;
	while (done < s->outlen) {
		ssize_t w = send(fd, s->out + done, s->outlen - done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, s->out + done, s->outlen - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		done += (size_t)w;
	}
	if (done) { /* nothing sent, nothing to move (out may still be NULL) */
		memmove(s->out, s->out + done, s->outlen - done);
		s->outlen -= done;
	}
	return 0;
}
