/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stream listeners (unix, vsock): accept, check the peer, run sessions. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <linux/vm_sockets.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "util.h"

static int another_listener(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return 0;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return r;
}

void control_init(struct control *c, struct engine *e)
{
	memset(c, 0, sizeof(*c));
	c->engine = e;
}

/*
 * The socket's directory must be root's and not writable by group or others:
 * else its owner could move vssd's socket away and answer in its place.
 */
static int trusted_dir(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;

	if (path_dirname(path, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	if (stat(dir, &st) < 0)
		return -errno;
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_err("the socket's directory %s is owned by uid %u with mode %04o: it must be "
			"root's and not writable by group or others",
			dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* defined below: the peer check at accept, and closing a client */
static bool peer_allowed(const struct listener *l, int fd, char *why, size_t len);
static void drop(struct control *c, size_t i);

/* The socket file's group and mode for have_gid/gid: root:gid 0660, or root:root 0600. */
static int apply_mode(const struct listener *l)
{
	if (chown(l->path, 0, l->have_gid ? l->gid : 0) < 0 ||
	    chmod(l->path, l->have_gid ? 0660 : 0600) < 0)
		return -errno;
	return 0;
}

int control_listen_unix(struct control *c, const char *path, bool have_gid, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct listener *l;
	mode_t old;
	int r;

	if (c->nl == CONTROL_MAX_LISTENERS)
		return -ENOSPC;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	r = trusted_dir(path);
	if (r < 0)
		return r;
	if (another_listener(&sa))
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	l = &c->l[c->nl];
	memset(l, 0, sizeof(*l));
	l->kind = LISTEN_UNIX;
	strcpy(l->path, path);
	l->gid = gid;
	l->have_gid = have_gid;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0)
		return -errno;
	old = umask(0177);
	r = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(l->fd, 16) < 0)
		goto fail;
	if (have_gid && apply_mode(l) < 0)
		goto fail;
	c->nl++;
	return 0;
fail:
	r = -errno;
	close(l->fd);
	unlink(path);
	return r;
}

int control_set_unix_group(struct control *c, bool have_gid, gid_t gid)
{
	char why[160];
	size_t i, k;
	int r = 0;

	for (i = 0; i < c->nl; i++) {
		struct listener *l = &c->l[i];

		if (l->kind != LISTEN_UNIX)
			continue;
		/* the credential check takes it at once; the file mode follows */
		l->have_gid = have_gid;
		l->gid = gid;
		if (apply_mode(l) < 0 && r == 0)
			r = -errno;
		for (k = 0; k < CONTROL_MAX_CLIENTS; k++) {
			struct control_client *cl = c->clients[k];

			if (!cl || cl->s.owner.channel != OWNER_UNIX ||
			    peer_allowed(l, cl->fd, why, sizeof(why)))
				continue;
			log_notice("closing a connection whose group lost access to %s", l->path);
			drop(c, k);
		}
	}
	return r;
}

void control_set_vsock_cids(struct control *c, const uint32_t *cids, size_t n)
{
	size_t i;

	if (n > CONTROL_MAX_CIDS)
		n = CONTROL_MAX_CIDS;
	for (i = 0; i < c->nl; i++) {
		if (c->l[i].kind != LISTEN_VSOCK)
			continue;
		memcpy(c->l[i].cids, cids, n * sizeof(cids[0]));
		c->l[i].n_cids = n;
	}
}

int control_listen_vsock(struct control *c, uint32_t port, const uint32_t *cids, size_t n_cids)
{
	struct sockaddr_vm sa = {
		.svm_family = AF_VSOCK,
		.svm_port = port,
		.svm_cid = VMADDR_CID_ANY,
	};
	struct listener *l;
	int r;

	if (c->nl == CONTROL_MAX_LISTENERS)
		return -ENOSPC;
	l = &c->l[c->nl];
	memset(l, 0, sizeof(*l));
	l->kind = LISTEN_VSOCK;
	l->n_cids = n_cids > CONTROL_MAX_CIDS ? CONTROL_MAX_CIDS : n_cids;
	memcpy(l->cids, cids, l->n_cids * sizeof(l->cids[0]));
	l->fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0)
		return -errno;
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l->fd, 16) < 0) {
		r = -errno;
		close(l->fd);
		return r;
	}
	c->nl++;
	return 0;
}

static void drop(struct control *c, size_t i)
{
	struct control_client *cl = c->clients[i];

	close(cl->fd);
	session_free(&cl->s);
	free(cl);
	c->clients[i] = NULL;
}

void control_close(struct control *c)
{
	size_t i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i])
			drop(c, i);
	for (i = 0; i < c->nl; i++) {
		close(c->l[i].fd);
		if (c->l[i].kind == LISTEN_UNIX)
			unlink(c->l[i].path);
	}
	c->nl = 0;
}

size_t control_pollfds(struct control *c, struct pollfd *p, size_t max)
{
	size_t n = 0, i;

	for (i = 0; i < c->nl && n < max; i++)
		p[n++] = (struct pollfd){ .fd = c->l[i].fd, .events = POLLIN };
	for (i = 0; i < CONTROL_MAX_CLIENTS && n < max; i++) {
		struct control_client *cl = c->clients[i];

		if (!cl)
			continue;
		p[n++] = (struct pollfd){
			.fd = cl->fd,
			.events = (short)(POLLIN | (cl->s.outlen ? POLLOUT : 0)),
		};
	}
	return n;
}

static void refuse(int fd, const char *why)
{
	json_object *o = commands_error("GenericError", why);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	if (send(fd, s, strlen(s), MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		(void)send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	json_object_put(o);
	close(fd);
}

/* Is the peer a member of gid (primary or supplementary group)? */
static bool in_group(int fd, const struct ucred *cred, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	size_t i;

	if (cred->gid == gid)
		return true;
	/* SO_PEERGROUPS: Linux 4.13+; a peer with more groups than this is checked by primary only */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* May this peer talk to us? why gets the reason when not. */
static bool peer_allowed(const struct listener *l, int fd, char *why, size_t len)
{
	if (l->kind == LISTEN_UNIX) {
		struct ucred cred;
		socklen_t sl = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) < 0) {
			snprintf(why, len, "cannot read peer credentials: %s", strerror(errno));
			return false;
		}
		if (cred.uid == 0 || (l->have_gid && in_group(fd, &cred, l->gid)))
			return true;
		snprintf(why, len, "permission denied: uid %u may not use vssd",
			 (unsigned)cred.uid);
		log_notice("refused a client with uid %u pid %d on %s", (unsigned)cred.uid,
			   (int)cred.pid, l->path);
		return false;
	} else {
		struct sockaddr_vm sa;
		socklen_t sl = sizeof(sa);
		size_t i;

		if (getpeername(fd, (struct sockaddr *)&sa, &sl) < 0) {
			snprintf(why, len, "cannot read the peer address: %s", strerror(errno));
			return false;
		}
		for (i = 0; i < l->n_cids; i++)
			if (sa.svm_cid == l->cids[i])
				return true;
		snprintf(why, len, "permission denied: vsock CID %u may not use vssd", sa.svm_cid);
		log_notice("refused a vsock client from CID %u", sa.svm_cid);
		return false;
	}
}

static void accept_one(struct control *c, const struct listener *l)
{
	struct owner owner = { .channel = l->kind == LISTEN_UNIX ? OWNER_UNIX : OWNER_VSOCK };
	char why[160];
	size_t i;
	int fd;

	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("accept: %m");
		return;
	}
	if (!peer_allowed(l, fd, why, sizeof(why))) {
		refuse(fd, why);
		return;
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (!c->clients[i])
			break;
	if (i == CONTROL_MAX_CLIENTS) {
		/*
		 * full: the idlest client goes (never the one holding the freeze, or
		 * waiting for its freeze hooks), so a thaw gets through
		 */
		size_t k, victim = CONTROL_MAX_CLIENTS;

		for (k = 0; k < CONTROL_MAX_CLIENTS; k++) {
			if (engine_held_by(c->engine, &c->clients[k]->s.owner) ||
			    c->clients[k]->s.parked)
				continue;
			if (victim == CONTROL_MAX_CLIENTS ||
			    c->clients[k]->last_ms < c->clients[victim]->last_ms)
				victim = k;
		}
		log_notice("too many clients: closing the one idle longest");
		drop(c, victim);
		i = victim;
	}
	c->clients[i] = calloc(1, sizeof(*c->clients[i]));
	if (!c->clients[i]) {
		close(fd);
		return;
	}
	c->clients[i]->fd = fd;
	c->clients[i]->last_ms = now_ms();
	owner.conn = ++c->connections;
	session_init(&c->clients[i]->s, c->engine, &owner);
}

void control_dispatch(struct control *c, const struct pollfd *p, size_t n)
{
	size_t k, i;

	for (k = 0; k < n; k++) {
		struct control_client *cl = NULL;

		if (!p[k].revents)
			continue;
		for (i = 0; i < c->nl; i++)
			if (p[k].fd == c->l[i].fd)
				break;
		if (i < c->nl) {
			accept_one(c, &c->l[i]);
			continue;
		}
		for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
			if (c->clients[i] && c->clients[i]->fd == p[k].fd)
				break;
		if (i == CONTROL_MAX_CLIENTS)
			continue;
		cl = c->clients[i];
		if (p[k].revents & POLLIN) {
			char buf[8192];
			ssize_t r = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				drop(c, i);
				continue;
			}
			if (r > 0) {
				cl->last_ms = now_ms();
				session_input(&cl->s, buf, (size_t)r);
			}
		} else if (p[k].revents & (POLLHUP | POLLERR)) {
			drop(c, i);
			continue;
		}
		if (session_flush(&cl->s, cl->fd) < 0)
			drop(c, i);
	}
}
