/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host end of the guest's balloon channel (port.h). */
#include "port.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "vmm.h"

int port_init(struct port *p, const char *path, bool listening)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat sb;

	memset(p, 0, sizeof(*p));
	p->fd = p->lfd = -1;
	p->listen = listening;
	if (strlen(path) >= sizeof(p->path))
		return -ENAMETOOLONG;
	strcpy(p->path, path);
	if (!listening)
		return 0;
	strcpy(a.sun_path, path);
	/* a socket left by an earlier run is replaced; anything else is not touched */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	p->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->lfd < 0)
		return -errno;
	if (bind(p->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(p->lfd, 4) < 0) {
		int e = -errno;
		close(p->lfd);
		p->lfd = -1;
		return e;
	}
	return 0;
}

static void set_conn(struct port *p, int fd)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = fd;
}

int port_try_connect(struct port *p, uint64_t now_ms)
{
	int fd;

	if (p->listen || p->fd >= 0 || now_ms < p->retry_at_ms)
		return 0;
	fd = vmm_connect_unix(p->path, 1000);
	if (fd < 0) {
		if (!p->warned)
			log_warn("guest port %s: %s; retrying every %d ms", p->path, strerror(-fd),
				 PORT_RETRY_MS);
		p->warned = true;
		p->retry_at_ms = now_ms + PORT_RETRY_MS;
		return 0;
	}
	p->warned = false;
	set_conn(p, fd);
	log_info("guest port %s connected", p->path);
	return 1;
}

int port_accept(struct port *p)
{
	int fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return 0;
	/* floods of connections are throttled by the relay (each counts as a line) */
	if (p->fd >= 0)
		log_debug("guest port %s: a new guest connection replaces the current one",
			  p->path);
	else
		log_info("guest port %s: guest connected", p->path);
	set_conn(p, fd);
	return 1;
}

static void gone(struct port *p, uint64_t now_ms, const char *why)
{
	log_info("guest port %s: %s", p->path, why);
	set_conn(p, -1);
	p->retry_at_ms = now_ms + PORT_RETRY_MS;
}

long port_read(struct port *p, char *buf, unsigned long len, uint64_t now_ms)
{
	ssize_t n = recv(p->fd, buf, len, MSG_DONTWAIT);

	if (n > 0)
		return (long)n;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	gone(p, now_ms, n == 0 ? "closed" : strerror(errno));
	return -1;
}

long port_write(struct port *p, const char *buf, unsigned long len, uint64_t now_ms)
{
	ssize_t n = send(p->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n >= 0)
		return (long)n;
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	gone(p, now_ms, strerror(errno));
	return -1;
}

void port_close(struct port *p)
{
	set_conn(p, -1);
	if (p->lfd >= 0) {
		close(p->lfd);
		unlink(p->path);
	}
	p->lfd = -1;
}
