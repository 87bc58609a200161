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
