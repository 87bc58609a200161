/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which mounted filesystems vssd may freeze, and in what order. */
#ifndef SB_VSS_MOUNTS_H
#define SB_VSS_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum fs_state {
	FS_CANDIDATE, /* selected; not yet touched */
	FS_SKIPPED,   /* not frozen on purpose; reason says why */
	FS_FROZEN,    /* frozen by vssd */
	FS_THAWED,    /* was frozen by vssd, thawed again */
	FS_FOREIGN,   /* FIFREEZE said EBUSY: frozen by someone else, never thawed by vssd */
	FS_FAILED,    /* an error; reason holds it */
};

const char *fs_state_name(enum fs_state s);

struct vss_mount {
	char *target; /* mountpoint, unescaped */
	char *fstype;
	char *source;
	dev_t devno;    /* mountinfo major:minor: the superblock */
	dev_t bdev;     /* block device behind it (devno, or from source when major is 0) */
	int id, parent; /* mountinfo mount IDs */
	enum fs_state state;
	char reason[160];
	int fd;             /* directory fd held from freeze to thaw, else -1 */
	uint64_t sync_us;   /* syncfs() time */
	uint64_t freeze_us; /* FIFREEZE time */
	uint64_t thaw_us;   /* FITHAW time */
	bool quiet;         /* not part of this request (not listed): not reported */
	bool excluded;      /* by an exclude pattern: its superblock is not frozen anywhere */
	char why[192];      /* selected: which later one it must be frozen before, and why */
};

struct mount_set {
	struct vss_mount *m; /* every mount of the table, in mountinfo order */
	size_t n;
	size_t *order; /* indexes of FS_CANDIDATE mounts, freeze order */
	size_t norder;
};

struct select_opts {
	const char *const *include;       /* NULL-terminated globs, NULL or empty: all */
	const char *const *exclude;       /* mountpoint globs */
	const char *const *exclude_types; /* fstype names */
	bool skip_loop;                   /* skip loop-backed filesystems */
	const char *sysfs;                /* sysfs root, "/sys" normally */
};

/*
 * Reads a mountinfo file and classifies every entry. With a list
 * (NULL-terminated, non-empty), only mounts whose target matches a listed
 * path exactly are candidates; a listed path with no mount, or one the
 * configuration excludes, is an error written to err (nothing selected).
 * Without a list (list == NULL) every eligible mount is a candidate.
 * Returns 0 or a negative errno (-EINVAL for list errors).
 */
int mounts_load(const char *mountinfo, const struct select_opts *o, const char *const *list,
		struct mount_set *out, char *err, size_t errlen);

void mounts_free(struct mount_set *s);

/* Index of the mount whose target is path (the visible one), or -1. */
ssize_t mounts_find(const struct mount_set *s, const char *path);

/* Index of the mount that holds path (deepest target containing it), or -1. */
ssize_t mounts_holding(const struct mount_set *s, const char *path);

#endif
