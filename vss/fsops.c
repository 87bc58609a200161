/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's filesystem operations, as struct fs_ops. */
#include "fsops.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
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

const struct fs_ops fs_ops_kernel = {
	.open = kernel_open,
	.syncfs = kernel_syncfs,
	.freeze = kernel_freeze,
	.thaw = kernel_thaw,
};
