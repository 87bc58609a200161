/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-serial port transport: a session on a character device. */
#include "vport.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "util.h"

#define REST_MS 500

int vport_resolve(const char *name, const char *sysfs, char *path, size_t size)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int r = -ENOENT;

	if (name[0] == '/') {
		snprintf(path, size, "%s", name);
		return access(path, F_OK) == 0 ? 0 : -errno;
	}
	snprintf(path, size, "/dev/virtio-ports/%s", name);
	if (access(path, F_OK) == 0)
		return 0;
	if (path_join(dir, sizeof(dir), sysfs, "class/virtio-ports") < 0)
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		char npath[PATH_MAX + 300], pname[256];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(npath, sizeof(npath), "%s/%s/name", dir, e->d_name);
		n = read_file(npath, pname, sizeof(pname));
		if (n <= 0)
			continue;
		pname[strcspn(pname, "\n")] = '\0';
		if (strcmp(pname, name) == 0) {
			snprintf(path, size, "/dev/%s", e->d_name);
			r = access(path, F_OK) == 0 ? 0 : -errno;
			break;
		}
	}
	closedir(d);
	return r;
}

int vport_open(struct vport *v, const char *path, struct engine *e)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->path, sizeof(v->path), "%s", path);
	v->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (v->fd < 0)
		return -errno;
	v->host_connected = true;
	session_init(&v->s, e, &(struct owner){ .channel = OWNER_VIRTIO, .conn = 1 });
	return 0;
}

void vport_close(struct vport *v)
{
	if (v->fd >= 0) {
		close(v->fd);
		session_free(&v->s);
	}
	v->fd = -1;
}

struct pollfd vport_pollfd(const struct vport *v)
{
	struct pollfd p = { .fd = -1 };

	if (v->fd < 0 || v->resume_at_ms)
		return p;
	p.fd = v->fd;
	p.events = (short)(POLLIN | (v->s.outlen ? POLLOUT : 0));
	return p;
}

/* The host closed its end: rest a moment instead of spinning on POLLHUP. */
static void host_gone(struct vport *v)
{
	if (v->host_connected)
		log_info("virtio port %s: host disconnected", v->path);
	v->host_connected = false;
	v->hups++;
	session_reset(&v->s);
	v->resume_at_ms = now_ms() + REST_MS;
}

void vport_event(struct vport *v, short revents)
{
	if (v->fd < 0)
		return;
	if (revents & POLLIN) {
		char buf[8192];
		ssize_t n = read(v->fd, buf, sizeof(buf));

		if (n > 0) {
			if (!v->host_connected) {
				log_info("virtio port %s: host connected", v->path);
				v->s.owner.conn++; /* a new host connection */
			}
			v->host_connected = true;
			session_input(&v->s, buf, (size_t)n);
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			host_gone(v);
			return;
		}
	} else if (revents & (POLLHUP | POLLERR)) {
		host_gone(v);
		return;
	}
	if (session_flush(&v->s, v->fd) < 0) {
		log_warn("virtio port %s: write failed; dropping the replies", v->path);
		host_gone(v);
	}
}

int vport_timeout_ms(const struct vport *v)
{
	uint64_t now;

	if (v->fd < 0 || !v->resume_at_ms)
		return -1;
	now = now_ms();
	return v->resume_at_ms > now ? (int)(v->resume_at_ms - now) : 0;
}

void vport_tick(struct vport *v)
{
	if (v->resume_at_ms && now_ms() >= v->resume_at_ms)
		v->resume_at_ms = 0;
}
