/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whole-file writers over write(2): sysfs/proc knobs, and the metrics
 * textfile. Every file is opened without following a symlink at the last
 * component and without blocking (a FIFO planted at the path), checked with
 * fstat to be a regular file (sysfs and procfs attributes are), and written
 * by a bounded loop in which a write() that accepts nothing is an error.
 */
#include "writefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Short writes and EINTRs one write_all() takes before it gives up. */
#define WRITE_TRIES 100

static int write_all(int fd, const char *data, size_t len)
{
	int tries, err = -EIO;
	ssize_t n;

	for (tries = 0; len && tries < WRITE_TRIES; tries++) {
		n = write(fd, data, len);
		if (n < 0) {
			if (errno != EINTR)
				return -errno;
			err = -EINTR;
			continue;
		}
		if (n == 0)
			return -EIO; /* a store that accepts nothing: never spin on it */
		data += n;
		len -= (size_t)n;
	}
	return len ? err : 0;
}

/* 0 when fd is a regular file with at most max_links names, else -errno. */
static int regular(int fd, nlink_t max_links)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	return sb.st_nlink <= max_links ? 0 : -EEXIST;
}

int write_file(const char *path, const char *data, size_t len)
{
	int fd, r;

	/* O_TRUNC like the shell's "echo x > file": harmless on sysfs, exact on regular files. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = regular(fd, (nlink_t)-1);
	if (r == 0)
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
	/*
	 * Whoever can write the directory may have planted something at the
	 * temporary name (a FIFO, a hard or symbolic link to another file): it
	 * is removed, and the file is created new (O_EXCL: a race that plants
	 * it again fails instead of writing through it) with one link.
	 */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK,
		  mode);
	if (fd < 0)
		return -errno;
	r = regular(fd, 1);
	/* the mode asked for, whatever the umask (the unit's is 0077: node_exporter must read it) */
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0)
		r = write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}
