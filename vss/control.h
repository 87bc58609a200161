/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream listeners and their connections: the local unix socket (root or
 * one group, by SO_PEERCRED) and AF_VSOCK (allowed peer CIDs, by default the
 * host's). Every accepted connection runs one protocol session.
 */
#ifndef SB_VSS_CONTROL_H
#define SB_VSS_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vssd_config.h"
#include "freeze.h"
#include "session.h"

#define CONTROL_MAX_CLIENTS 16
#define CONTROL_MAX_LISTENERS 2
#define CONTROL_MAX_CIDS 32

enum listener_kind { LISTEN_UNIX, LISTEN_VSOCK };

struct listener {
	enum listener_kind kind;
	int fd;
	char path[108]; /* unix: removed at close */
	gid_t gid;      /* unix: group allowed besides root */
	bool have_gid;
	uint32_t cids[CONTROL_MAX_CIDS]; /* vsock: allowed peer CIDs (a copy: reloads replace it) */
	size_t n_cids;
};

struct control_client {
	int fd;
	uint64_t last_ms; /* last input, CLOCK_MONOTONIC: the idlest is evicted when full */
	struct session s; /* s.owner: unix or vsock, and the connection number */
};

struct control {
	struct engine *engine;
	struct listener l[CONTROL_MAX_LISTENERS];
	size_t nl;
	struct control_client *clients[CONTROL_MAX_CLIENTS];
	uint64_t connections; /* accepted so far: the next one's number */
};

void control_init(struct control *c, struct engine *e);

/*
 * The unix socket (mode 0600, or 0660 with the group). Fails with
 * -EADDRINUSE when another process answers on it.
 */
int control_listen_unix(struct control *c, const char *path, bool have_gid, gid_t gid);

/* AF_VSOCK on port, any local CID; peers must come from one of cids. */
int control_listen_vsock(struct control *c, uint32_t port, const uint32_t *cids, size_t n_cids);

/*
 * Replaces the unix listener's group (socket_group, after a reload): the
 * credential check at once, the socket file's group and mode, and connected
 * clients no longer allowed are closed. Returns 0 or -errno (the file's mode
 * could not be set; the credential check holds anyway).
 */
int control_set_unix_group(struct control *c, bool have_gid, gid_t gid);

/* Replaces the vsock listeners' allowed CIDs (after a reload). */
void control_set_vsock_cids(struct control *c, const uint32_t *cids, size_t n);

void control_close(struct control *c);

/* Adds the listening and client fds to p; returns how many were added. */
size_t control_pollfds(struct control *c, struct pollfd *p, size_t max);

/* Handles the revents of the fds control_pollfds() added. */
void control_dispatch(struct control *c, const struct pollfd *p, size_t n);

#endif
