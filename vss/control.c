/* Unix control socket: accept, check peer credentials, run sessions. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"

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

int control_open(struct control *c, const struct vssd_config *cfg, struct engine *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int r;

	memset(c, 0, sizeof(*c));
	c->lfd = -1;
	c->engine = e;
	c->gid = cfg->socket_gid;
	c->have_gid = cfg->have_gid;
	if (strlen(cfg->socket) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, cfg->socket);
	strcpy(c->path, cfg->socket);
	if (another_listener(&sa))
		return -EADDRINUSE;
	if (unlink(cfg->socket) < 0 && errno != ENOENT)
		return -errno;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->lfd < 0)
		return -errno;
	old = umask(0177);
	r = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(c->lfd, 16) < 0)
		goto fail;
	if (c->have_gid && (chown(cfg->socket, 0, c->gid) < 0 || chmod(cfg->socket, 0660) < 0))
		goto fail;
	return 0;
fail:
	r = -errno;
	close(c->lfd);
	c->lfd = -1;
	return r;
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
	if (c->lfd >= 0) {
		close(c->lfd);
		unlink(c->path);
	}
	c->lfd = -1;
}

size_t control_pollfds(struct control *c, struct pollfd *p, size_t max)
{
	size_t n = 0, i;

	if (c->lfd >= 0 && n < max)
		p[n++] = (struct pollfd){ .fd = c->lfd, .events = POLLIN };
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

static void accept_one(struct control *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char why[160];
	size_t i;
	int fd;

	fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("accept on %s: %m", c->path);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("SO_PEERCRED: %m");
		close(fd);
		return;
	}
	if (cred.uid != 0 && !(c->have_gid && cred.gid == c->gid)) {
		snprintf(why, sizeof(why), "permission denied: uid %u may not use vssd",
			 (unsigned)cred.uid);
		log_notice("refused a client with uid %u pid %d", (unsigned)cred.uid, (int)cred.pid);
		refuse(fd, why);
		return;
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (!c->clients[i])
			break;
	if (i == CONTROL_MAX_CLIENTS) {
		refuse(fd, "too many clients");
		return;
	}
	c->clients[i] = calloc(1, sizeof(*c->clients[i]));
	if (!c->clients[i]) {
		close(fd);
		return;
	}
	c->clients[i]->fd = fd;
	session_init(&c->clients[i]->s, c->engine);
}

void control_dispatch(struct control *c, const struct pollfd *p, size_t n)
{
	size_t k, i;

	for (k = 0; k < n; k++) {
		struct control_client *cl = NULL;

		if (!p[k].revents)
			continue;
		if (p[k].fd == c->lfd) {
			accept_one(c);
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
			if (r > 0)
				session_input(&cl->s, buf, (size_t)r);
		} else if (p[k].revents & (POLLHUP | POLLERR)) {
			drop(c, i);
			continue;
		}
		if (session_flush(&cl->s, cl->fd) < 0)
			drop(c, i);
	}
}
