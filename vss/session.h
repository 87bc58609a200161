/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One protocol session over a byte stream (any transport): input is split
 * into requests, each is executed, replies are queued for writing.
 */
#ifndef SB_VSS_SESSION_H
#define SB_VSS_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "freeze.h"
#include "jsonframe.h"

#define SESSION_MAX_OUT (4 * 1024 * 1024)

struct session {
	struct engine *engine;
	struct owner owner; /* the channel and connection: who its freezes belong to */
	struct jsonframe frame;
	char *out;
	size_t outlen, outcap;
	bool overflow; /* the peer does not read its replies: drop it */
	bool parked;   /* its freeze waits for its freeze hooks; the answer comes later */
	struct json_object *parked_id; /* that request's "id", or NULL */
};

void session_init(struct session *s, struct engine *e, const struct owner *owner);
void session_free(struct session *s);

/*
 * The peer went away: drops any partial request and unsent replies, and the
 * answer of its parked freeze (the freeze goes on, as any freeze outlives
 * its connection).
 */
void session_reset(struct session *s);

/*
 * Feeds received bytes; replies are appended to s->out. A freeze whose
 * freeze hooks run is parked: its reply is appended when it ends, and the
 * requests after it are answered meanwhile (a thaw cancels it: the freeze's
 * error, then the thaw's reply).
 */
void session_input(struct session *s, const char *data, size_t n);

/* Appends a reply object as one line (prefixed by 0xFF if delimited). */
void session_queue(struct session *s, const char *json, bool delimited);

/* Writes what is queued to fd without blocking. Returns 0, or -errno on a dead peer. */
int session_flush(struct session *s, int fd);

#endif
