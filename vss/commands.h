/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU guest agent commands vssd answers (and vssd-status), on any
 * transport: request text in, reply object out.
 */
#ifndef SB_VSS_COMMANDS_H
#define SB_VSS_COMMANDS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "freeze.h"

struct reply {
	json_object *obj; /* owned by the caller after commands_execute() */
	bool delimited;   /* guest-sync-delimited: send 0xFF before the reply */
	/* in: who gets a freeze's answer when it is parked while its freeze hooks
	 * run (engine_freeze_start); NULL: the freeze waits for its hooks */
	const struct engine_waiter *waiter;
	bool parked;            /* out: the freeze was parked, obj is NULL */
	json_object *parked_id; /* out: then the request's "id" (a reference), or NULL */
};

/* Executes one request (a complete JSON object as text) that came from by. */
void commands_execute(struct engine *e, const struct owner *by, const char *text, size_t len,
		      struct reply *out);

/* The answer of a parked freeze (r and err as engine_freeze's), with id (consumed) when not NULL. */
json_object *commands_parked_reply(int r, const char *err, json_object *id);

/* {"error":{"class":klass,"desc":desc}} */
json_object *commands_error(const char *klass, const char *desc);

/* The vssd-status return value (also used by vssctl status via the socket). */
json_object *commands_status(const struct engine *e);

#endif
