/* The local control socket: a unix stream socket, root (or one group) only. */
#ifndef VSS_CONTROL_H
#define VSS_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "freeze.h"
#include "session.h"

#define CONTROL_MAX_CLIENTS 16

struct control_client {
	int fd;
	struct session s;
};

struct control {
	int lfd;
	char path[108];
	gid_t gid;
	bool have_gid;
	struct engine *engine;
	struct control_client *clients[CONTROL_MAX_CLIENTS];
};

/*
 * Creates the socket (mode 0600, or 0660 with group gid). Fails with
 * -EADDRINUSE when another process answers on it.
 */
int control_open(struct control *c, const struct vssd_config *cfg, struct engine *e);
void control_close(struct control *c);

/* Adds the listening and client fds to p; returns how many were added. */
size_t control_pollfds(struct control *c, struct pollfd *p, size_t max);

/* Handles the revents of the fds control_pollfds() added. */
void control_dispatch(struct control *c, const struct pollfd *p, size_t n);

#endif
