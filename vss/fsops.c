/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's filesystem operations, as struct fs_ops. */
#include "fsops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int kernel_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

static int kernel_syncfs(int fd)
{
	return syncfs(fd) < 0 ? -errno : 0;
}

static int kernel_freeze(int fd)
{
	return ioctl(fd, FIFREEZE, 0) < 0 ? -errno : 0;
}

static int kernel_thaw(int fd)
{
	return ioctl(fd, FITHAW, 0) < 0 ? -errno : 0;
}

/* The "mnt_id:" line of /proc/self/fdinfo/FD (Linux 3.15). */
static int fdinfo_mount_id(int fd)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int pfd, id;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	pfd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	n = read(pfd, buf, sizeof(buf) - 1);
	close(pfd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strstr(buf, "mnt_id:");
	if (!p || sscanf(p, "mnt_id: %d", &id) != 1 || id < 0)
		return -ENOTSUP;
	return id;
}

/* mountinfo's mount ID of fd: one statx (Linux 5.8) instead of open, read, close of fdinfo */
static int kernel_mount_id(int fd)
{
#ifdef STATX_MNT_ID
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) == 0 &&
	    (sx.stx_mask & STATX_MNT_ID) && sx.stx_mnt_id <= INT_MAX)
		return (int)sx.stx_mnt_id;
#endif
	return fdinfo_mount_id(fd);
}

const struct fs_ops fs_ops_kernel = {
	.open = kernel_open,
	.mount_id = kernel_mount_id,
	.syncfs = kernel_syncfs,
	.freeze = kernel_freeze,
	.thaw = kernel_thaw,
};
