/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole-file I/O helpers for /proc, /sys and small state files. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Retries of a read interrupted by a signal: no loop over a file descriptor is unbounded. */
#define IO_TRIES 100

/* The fd is a regular file (procfs, sysfs and ordinary files all are): not a FIFO, device or directory. */
static int check_regular(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return -errno;
	return S_ISREG(sb.st_mode) ? 0 : -EINVAL;
}

int open_file(const char *path)
{
	/* O_NONBLOCK: a FIFO planted here must not block the open; it is refused below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int err;

	if (fd < 0)
		return -errno;
	err = check_regular(fd);
	if (err < 0) {
		close(fd);
		return err;
	}
	return fd;
}

ssize_t pread_file(int fd, char *buf, size_t size)
{
	size_t len = 0;
	int err = 0, tries;
	ssize_t n;
	char probe;

	if (size < 2)
		return -EINVAL;
	/* each pass reads at least a byte (bounded by size) or counts as a retry */
	for (tries = 0; err == 0;) {
		n = pread(fd, buf + len, size - 1 - len, (off_t)len);
		if (n < 0) {
			if (errno != EINTR || ++tries == IO_TRIES)
				err = -errno;
			continue;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			n = pread(fd, &probe, 1, (off_t)len);
			if (n > 0)
				err = -EFBIG;
			break;
		}
	}
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if (size < 2)
		return -EINVAL;
	fd = open_file(path);
	if (fd < 0) {
		buf[0] = '\0';
		return fd;
	}
	n = pread_file(fd, buf, size);
	close(fd);
	return n;
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
