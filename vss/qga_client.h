/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A client of the QEMU guest agent protocol (vssd, or qemu-ga itself):
 * connect over a unix socket, AF_VSOCK or Firecracker's vsock socket,
 * synchronise the channel, send requests and read their replies. One struct
 * per connection, no globals. Every function returns 0 or -errno and then
 * says why in c->err; -EINVAL means the address itself is malformed.
 */
#ifndef SB_VSS_QGA_CLIENT_H
#define SB_VSS_QGA_CLIENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define QGA_REPLY_MAX (1 << 20)

struct qga_client {
	int fd;        /* -1 when not connected */
	char err[320]; /* why the last call failed */
	size_t inlen;  /* bytes received, not yet a reply */
	char in[QGA_REPLY_MAX];
};

void qga_init(struct qga_client *c);

/* The unix socket at path (vssd's, or a QEMU chardev's on the host). */
int qga_connect_unix(struct qga_client *c, const char *path);

/*
 * After qga_connect_unix(): the server must run as uid (vssd: root), by
 * SO_PEERCRED; else -EPERM. A client that trusts the replies (backup says
 * "frozen") must not take them from whoever can bind the socket's path.
 */
int qga_check_peer_uid(struct qga_client *c, uid_t uid);

/* "CID:PORT" over AF_VSOCK. */
int qga_connect_vsock(struct qga_client *c, const char *cid_port);

/* "PATH:PORT": Firecracker's vsock unix socket, then "CONNECT PORT" -> "OK N". */
int qga_connect_firecracker(struct qga_client *c, const char *path_port);

void qga_close(struct qga_client *c);

/*
 * Synchronises the channel: 0xFF (the agent drops any partial input), then
 * guest-sync-delimited with a fresh id; what comes before the agent's 0xFF
 * is stale and dropped, a reply with another id is a leftover (try again).
 */
int qga_sync(struct qga_client *c, int timeout_ms);

/*
 * Sends {"execute": name, "arguments": args} (args is taken, may be NULL)
 * and waits up to timeout_ms for the reply, which *reply receives (the
 * caller puts it).
 */
int qga_call(struct qga_client *c, const char *name, json_object *args, int timeout_ms,
	     json_object **reply);

/* The "return" member of a reply, or NULL; then err gets "what failed: why". */
json_object *qga_result(json_object *reply, const char *what, char *err, size_t errlen);

/* The peer closed the connection (checked without waiting). */
bool qga_hung_up(const struct qga_client *c);

#endif
