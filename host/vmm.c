/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers the VMM backends share: a bounded unix connect, waits, JSON numbers. */
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "vmm_json.h"

int vmm_wait_fd(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		uint64_t now = now_ms();
		int n;

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)(deadline_ms - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int vmm_connect_unix(const char *path, int timeout_ms)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t alen = sizeof(a);
	int fd, r, err = 0;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (r < 0 && errno == EINPROGRESS) {
		r = vmm_wait_fd(fd, POLLOUT, now_ms() + (uint64_t)timeout_ms);
		if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &alen) == 0 && err)
			r = -err;
	} else if (r < 0) {
		r = -errno;
	}
	if (r == 0 && fcntl(fd, F_SETFL, 0) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int vmm_write_all(int fd, const char *buf, size_t len, uint64_t deadline_ms)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		n = vmm_wait_fd(fd, POLLOUT, deadline_ms);
		if (n < 0)
			return (int)n;
	}
	return 0;
}

int vmm_json_u64(struct json_object *o, const char *path, uint64_t *v)
{
	char key[64];
	const char *p = path;

	while (*p) {
		size_t n = strcspn(p, ".");
		struct json_object *child;

		if (n >= sizeof(key) || !json_object_is_type(o, json_type_object))
			return -EPROTO;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &child))
			return -ENOENT;
		o = child;
		p += n + (p[n] == '.');
	}
	if (!json_object_is_type(o, json_type_int))
		return -EPROTO;
	if (json_object_get_int64(o) < 0)
		return -ERANGE;
	*v = (uint64_t)json_object_get_int64(o);
	return 0;
}
