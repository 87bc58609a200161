/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole-file I/O helpers for /proc, /sys and small state files. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd, err = 0;

	if (size < 2)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			char probe;

			n = read(fd, &probe, 1);
			if (n > 0)
				err = -EFBIG;
			break;
		}
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const char *data, size_t len)
{
	int fd, r;

	/* O_TRUNC like the shell's "echo x > file": harmless on sysfs, exact on regular files. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int write_file_replace(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[4096];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int path_join(char *out, size_t size, const char *root, const char *rel)
{
	size_t rl;
	int n;

	if (!root || !*root)
		root = "/";
	rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	while (*rel == '/')
		rel++;
	if (rl == 1 && root[0] == '/')
		n = snprintf(out, size, "/%s", rel);
	else
		n = snprintf(out, size, "%.*s/%s", (int)rl, root, rel);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}
