/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystem operations of a freeze: open a mountpoint, syncfs, FIFREEZE,
 * FITHAW. The engine and the watchdog call them through this table; the
 * kernel's are the default, and unit tests put a fake in their place to
 * drive every error path without root.
 */
#ifndef SB_VSS_FSOPS_H
#define SB_VSS_FSOPS_H

struct fs_ops {
	/* Opens the mountpoint directory (O_CLOEXEC, no symlink). Returns an fd or -errno. */
	int (*open)(const char *path);
	/* The mount ID (as mountinfo's) the fd lies on, or -errno; NULL: not known (fakes). */
	int (*mount_id)(int fd);
	/* syncfs(2). Returns 0 or -errno. */
	int (*syncfs)(int fd);
	/* FIFREEZE. Returns 0 or -errno (-EBUSY: frozen by someone else). */
	int (*freeze)(int fd);
	/* FITHAW. Returns 0 or -errno (-EINVAL: was not frozen). */
	int (*thaw)(int fd);
};

/* The real ones: open(2), syncfs(2), ioctl(2). */
extern const struct fs_ops fs_ops_kernel;

#endif
