/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mount selection from mountinfo (libmount): classify, deduplicate, order. */
#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libmount.h>
#include <limits.h>
#include <linux/loop.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"

#define LOOP_MAJOR 7
#define PROC_MAGIC 0x9fa0 /* PROC_SUPER_MAGIC */

const char *fs_state_name(enum fs_state s)
{
	switch (s) {
	case FS_CANDIDATE: return "selected";
	case FS_SKIPPED: return "skipped";
	case FS_FROZEN: return "frozen";
	case FS_THAWED: return "thawed";
	case FS_FOREIGN: return "foreign";
	case FS_FAILED: return "failed";
	}
	return "unknown";
}

static bool glob_any(const char *const *pats, const char *s, const char **which)
{
	for (; pats && *pats; pats++) {
		if (fnmatch(*pats, s, 0) == 0) {
			if (which)
				*which = *pats;
			return true;
		}
	}
	return false;
}

static bool str_any(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* true when child lies strictly below parent in the path hierarchy */
static bool path_under(const char *child, const char *parent)
{
	size_t n = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return child[0] == '/' && child[1] != '\0';
	return strncmp(child, parent, n) == 0 && child[n] == '/';
}

static int read_devno(const char *path, dev_t *dev)
{
	char buf[32];
	unsigned ma, mi;

	if (read_file(path, buf, sizeof(buf)) <= 0 || sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return -EINVAL;
	*dev = makedev(ma, mi);
	return 0;
}

#define MAX_LOOPS 8 /* loop devices looked at below one filesystem (dm over several) */

/* What a filesystem's block device stands on: the loop devices below it, and their files. */
struct backing {
	dev_t loop[MAX_LOOPS]; /* loop devices (the device itself, or dm/md slaves) */
	size_t nloop;
	dev_t dev[MAX_LOOPS]; /* the devices holding their backing files (LOOP_GET_STATUS64) */
	size_t ndev;
	bool by_dev;         /* a dev[] is a candidate's: order by identity, not by path */
	char path[PATH_MAX]; /* the first loop's backing_file (sysfs), "" when unknown */
};

/* A filesystem's backing as the cache keeps it (what backing_of() found, by_dev aside). */
struct kept_backing {
	bool known;
	dev_t dev[MAX_LOOPS];
	size_t ndev;
	char *path; /* NULL for "" */
};

/*
 * The last table read from a procfs mountinfo, and the backing of its loop
 * filesystems, kept while the mount table stays the same: a freeze request
 * then parses nothing and asks sysfs and no loop device. The kernel reports
 * any mount or unmount in the namespace as POLLPRI on an open mountinfo fd
 * (opened before the table it vouches for was read).
 */
static struct {
	int fd; /* -1: nothing cached */
	char path[PATH_MAX], sysfs[PATH_MAX];
	struct mount_set set;
	struct kept_backing *kept; /* per table index */
	bool live;                 /* the table being selected from is this one (same indexes) */
} cache = { .fd = -1 };

static void add_loop(struct backing *b, dev_t loop)
{
	if (b->nloop < MAX_LOOPS)
		b->loop[b->nloop++] = loop;
}

/* The loop devices the block device is, or stands on (dm, md slaves, recursively). */
static void find_loops(const char *sysfs, dev_t dev, int depth, struct backing *b)
{
	char path[PATH_MAX], rel[64];
	struct dirent *e;
	DIR *d;

	if (major(dev) == LOOP_MAJOR) {
		add_loop(b, dev);
		return;
	}
	if (major(dev) == 0 || depth > 8)
		return;
	snprintf(rel, sizeof(rel), "dev/block/%u:%u/slaves", major(dev), minor(dev));
	if (path_join(path, sizeof(path), sysfs, rel) < 0)
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) && b->nloop < MAX_LOOPS) {
		char dpath[PATH_MAX + 300];
		unsigned n;
		dev_t sub;

		if (e->d_name[0] == '.')
			continue;
		snprintf(dpath, sizeof(dpath), "%s/%s/dev", path, e->d_name);
		if (read_devno(dpath, &sub) == 0)
			find_loops(sysfs, sub, depth + 1, b);
		else if (sscanf(e->d_name, "loop%u", &n) == 1)
			add_loop(b, makedev(LOOP_MAJOR, n));
	}
	closedir(d);
}

/* Is the block device, or anything below it (dm, md slaves), a loop device? */
static bool dev_is_loop(const char *sysfs, dev_t dev)
{
	struct backing b = { .nloop = 0 };

	find_loops(sysfs, dev, 0, &b);
	return b.nloop > 0;
}

/*
 * The device holding loop's backing file, from LOOP_GET_STATUS64 on its node
 * (named by sysfs's uevent, checked to be that device): unlike the backing
 * file's path it stays true when that path is gone or now leads elsewhere.
 */
static int loop_backing_dev(const char *sysfs, dev_t loop, dev_t *out)
{
	char path[PATH_MAX], rel[64], buf[512], node[300];
	struct loop_info64 li;
	struct stat st;
	const char *name;
	int fd, r = -ENOENT;

	snprintf(rel, sizeof(rel), "dev/block/%u:%u/uevent", major(loop), minor(loop));
	if (path_join(path, sizeof(path), sysfs, rel) < 0 || read_file(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	name = strstr(buf, "DEVNAME=");
	if (!name || sscanf(name, "DEVNAME=%255[^\n/]", node + 5) != 1)
		return -ENOENT;
	memcpy(node, "/dev/", 5);
	fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == loop &&
	    ioctl(fd, LOOP_GET_STATUS64, &li) == 0) {
		*out = (dev_t)li.lo_device;
		r = 0;
	}
	close(fd);
	return r;
}

/* Backing file of a loop device, or "" when unknown. */
static void loop_backing(const char *sysfs, dev_t dev, char *out, size_t size)
{
	char path[PATH_MAX], rel[64];
	ssize_t n;

	out[0] = '\0';
	snprintf(rel, sizeof(rel), "dev/block/%u:%u/loop/backing_file", major(dev), minor(dev));
	if (path_join(path, sizeof(path), sysfs, rel) < 0)
		return;
	n = read_file(path, out, size);
	if (n <= 0) {
		out[0] = '\0';
		return;
	}
	if (out[n - 1] == '\n')
		out[n - 1] = '\0';
}

/* What m's filesystem stands on: its loop devices, their backing files' devices and paths. */
static void backing_of(const char *sysfs, const struct vss_mount *m, struct backing *b)
{
	size_t i;

	find_loops(sysfs, m->bdev, 0, b);
	for (i = 0; i < b->nloop; i++) {
		dev_t d;

		if (loop_backing_dev(sysfs, b->loop[i], &d) == 0)
			b->dev[b->ndev++] = d;
		if (!b->path[0])
			loop_backing(sysfs, b->loop[i], b->path, sizeof(b->path));
	}
}

/* reason: a fixed text, followed by arg when given */
static void skip(struct vss_mount *m, const char *reason, const char *arg)
{
	m->state = FS_SKIPPED;
	snprintf(m->reason, sizeof(m->reason), "%s%s%s", reason, arg ? " " : "", arg ? arg : "");
}

void mounts_free(struct mount_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->m[i].target);
		free(s->m[i].fstype);
		free(s->m[i].source);
	}
	free(s->m);
	free(s->order);
	memset(s, 0, sizeof(*s));
}

ssize_t mounts_find(const struct mount_set *s, const char *path)
{
	size_t i = s->n;

	while (i-- > 0) /* the last mount on a path is the visible one */
		if (strcmp(s->m[i].target, path) == 0)
			return (ssize_t)i;
	return -1;
}

ssize_t mounts_holding(const struct mount_set *s, const char *path)
{
	ssize_t best = -1;
	size_t i, bl = 0;

	for (i = 0; i < s->n; i++) {
		const char *t = s->m[i].target;
		size_t tl = strlen(t);

		if ((strcmp(t, path) == 0 || path_under(path, t)) && tl >= bl) {
			best = (ssize_t)i;
			bl = tl;
		}
	}
	return best;
}

static bool is_ancestor(const struct mount_set *s, size_t a, size_t m)
{
	int id = s->m[m].parent;
	size_t hops, k;

	for (hops = 0; hops < s->n; hops++) {
		if (id == s->m[a].id)
			return true;
		for (k = 0; k < s->n && s->m[k].id != id; k++)
			;
		if (k == s->n || k == m)
			return false;
		id = s->m[k].parent;
	}
	return false;
}

/* A later mount on a parent path that m is not mounted under hides m. */
static size_t covering_mount(const struct mount_set *s, size_t m)
{
	size_t j;

	for (j = m + 1; j < s->n; j++)
		if (path_under(s->m[m].target, s->m[j].target) && !is_ancestor(s, j, m))
			return j;
	return s->n;
}

/* the block device of a mount whose mountinfo devno is anonymous (btrfs) */
static dev_t source_bdev(const char *sysfs, const char *src, dev_t devno)
{
	char path[PATH_MAX], rel[300];
	dev_t d;

	if (major(devno) != 0 || strncmp(src, "/dev/", 5) != 0 || strchr(src + 5, '/'))
		return devno;
	snprintf(rel, sizeof(rel), "class/block/%s/dev", src + 5);
	if (path_join(path, sizeof(path), sysfs, rel) < 0 || read_devno(path, &d) < 0)
		return devno;
	return d;
}

static int read_table(const char *mountinfo, const char *sysfs, struct mount_set *s)
{
	struct libmnt_table *tb;
	struct libmnt_iter *itr;
	struct libmnt_fs *fs;
	int r = 0;

	tb = mnt_new_table();
	if (!tb)
		return -ENOMEM;
	r = mnt_table_parse_file(tb, mountinfo);
	if (r < 0) {
		mnt_unref_table(tb);
		return r;
	}
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	s->m = calloc((size_t)mnt_table_get_nents(tb) + 1, sizeof(*s->m));
	if (!itr || !s->m) {
		r = -ENOMEM;
		goto out;
	}
	while (mnt_table_next_fs(tb, itr, &fs) == 0) {
		struct vss_mount *m = &s->m[s->n];
		const char *tgt = mnt_fs_get_target(fs);
		const char *type = mnt_fs_get_fstype(fs);
		const char *src = mnt_fs_get_source(fs);
		const char *sbopts = mnt_fs_get_fs_options(fs);

		if (!tgt)
			continue;
		m->target = strdup(tgt);
		m->fstype = strdup(type ? type : "");
		m->source = strdup(src ? src : "");
		if (!m->target || !m->fstype || !m->source) {
			s->n++;
			r = -ENOMEM;
			goto out;
		}
		m->devno = mnt_fs_get_devno(fs);
		m->id = mnt_fs_get_id(fs);
		m->parent = mnt_fs_get_parent_id(fs);
		m->bdev = source_bdev(sysfs, m->source, m->devno);
		m->fd = -1;
		m->state = FS_CANDIDATE;
		if (mnt_fs_is_swaparea(fs))
			skip(m, "swap", NULL);
		else if (mnt_fs_is_pseudofs(fs))
			skip(m, "pseudo filesystem:", m->fstype);
		else if (mnt_fs_is_netfs(fs))
			skip(m, "network filesystem:", m->fstype);
		else if (sbopts && mnt_match_options(sbopts, "ro"))
			skip(m, "read-only", NULL);
		s->n++;
	}
out:
	mnt_free_iter(itr);
	mnt_unref_table(tb);
	return r;
}

static void drop_cache(void)
{
	size_t i;

	if (cache.fd >= 0)
		close(cache.fd);
	cache.fd = -1;
	cache.live = false;
	for (i = 0; cache.kept && i < cache.set.n; i++)
		free(cache.kept[i].path);
	free(cache.kept);
	cache.kept = NULL;
	mounts_free(&cache.set);
}

/* A deep copy of the table part (m, n) of src. Returns 0 or -ENOMEM. */
static int copy_table(const struct mount_set *src, struct mount_set *dst)
{
	size_t i;

	dst->m = calloc(src->n + 1, sizeof(*dst->m));
	if (!dst->m)
		return -ENOMEM;
	for (i = 0; i < src->n; i++) {
		struct vss_mount *m = &dst->m[dst->n++];

		*m = src->m[i];
		m->target = strdup(src->m[i].target);
		m->fstype = strdup(src->m[i].fstype);
		m->source = strdup(src->m[i].source);
		if (!m->target || !m->fstype || !m->source)
			return -ENOMEM;
	}
	return 0;
}

static bool cache_fresh(const char *mountinfo, const char *sysfs)
{
	struct pollfd p = { .fd = cache.fd, .events = POLLPRI };

	if (cache.fd < 0 || strcmp(cache.path, mountinfo) != 0 || strcmp(cache.sysfs, sysfs) != 0)
		return false;
	if (poll(&p, 1, 0) == 0)
		return true;
	drop_cache(); /* changed (POLLPRI | POLLERR), or cannot tell */
	return false;
}

/* Keeps s's table for the next request when mountinfo is procfs's (fd opened before it was read). */
static void keep_table(int fd, const char *mountinfo, const char *sysfs, const struct mount_set *s)
{
	struct statfs fs;

	drop_cache();
	if (fd < 0 || fstatfs(fd, &fs) < 0 || fs.f_type != PROC_MAGIC ||
	    strlen(mountinfo) >= sizeof(cache.path) || strlen(sysfs) >= sizeof(cache.sysfs) ||
	    !(cache.kept = calloc(s->n + 1, sizeof(*cache.kept))) ||
	    copy_table(s, &cache.set) < 0) {
		if (fd >= 0)
			close(fd);
		drop_cache();
		return;
	}
	cache.fd = fd;
	cache.live = true;
	snprintf(cache.path, sizeof(cache.path), "%s", mountinfo);
	snprintf(cache.sysfs, sizeof(cache.sysfs), "%s", sysfs);
}

/* The table of mountinfo: the cached one while the kernel says it is unchanged. */
static int load_table(const char *mountinfo, const char *sysfs, struct mount_set *s)
{
	int fd, r;

	if (cache_fresh(mountinfo, sysfs)) {
		cache.live = true;
		return copy_table(&cache.set, s);
	}
	cache.live = false;
	fd = open(mountinfo, O_RDONLY | O_CLOEXEC);
	r = read_table(mountinfo, sysfs, s);
	if (r == 0)
		keep_table(fd, mountinfo, sysfs, s);
	else if (fd >= 0)
		close(fd);
	return r;
}

/* Does b's filesystem hold one of a's backing files (by device)? */
static bool holds_backing(const struct mount_set *s, const struct backing *ba, size_t b)
{
	size_t i;

	for (i = 0; i < ba->ndev; i++)
		if (ba->dev[i] == s->m[b].devno || ba->dev[i] == s->m[b].bdev)
			return true;
	return false;
}

/*
 * a must be frozen before b: a is mounted below b, or a stands on a loop
 * device (directly, or dm over loop) whose backing file b's filesystem holds.
 * That is decided by the device of the backing file when it is a
 * candidate's; by its path only when no device is known (btrfs subvolumes
 * report other devices, older sysfs): a stale path must not decide.
 */
static const char *before_why(const struct mount_set *s, size_t a, size_t b,
			      const struct backing *backing)
{
	const struct backing *ba = &backing[a];
	const bool dm = major(s->m[a].bdev) != LOOP_MAJOR;
	const char *bt = s->m[b].target;
	size_t bl = strlen(bt), i;

	if (path_under(s->m[a].target, bt))
		return "mounted below it";
	if (ba->by_dev) {
		if (!holds_backing(s, ba, b))
			return NULL;
		return dm ? "dm over a loop device whose backing file is on it"
			  : "loop device whose backing file is on it";
	}
	if (!ba->path[0] || !(path_under(ba->path, bt) || strcmp(bt, "/") == 0))
		return NULL;
	/* only if b is the deepest candidate holding the file */
	for (i = 0; i < s->norder; i++) {
		size_t c = s->order[i];

		if (c != b && strlen(s->m[c].target) > bl && path_under(s->m[c].target, bt) &&
		    path_under(ba->path, s->m[c].target))
			return NULL;
	}
	return dm ? "dm over a loop device whose backing file's path is on it"
		  : "loop device whose backing file's path is on it";
}

static bool freeze_before(const struct mount_set *s, size_t a, size_t b,
			  const struct backing *backing)
{
	return before_why(s, a, b, backing) != NULL;
}

/* m->why: the first filesystem after it in the order that it must precede, and why */
static void explain_order(struct mount_set *s, const struct backing *backing)
{
	size_t i, j;

	for (i = 0; i < s->norder; i++) {
		struct vss_mount *m = &s->m[s->order[i]];

		m->why[0] = '\0';
		for (j = i + 1; j < s->norder && !m->why[0]; j++) {
			const char *w = before_why(s, s->order[i], s->order[j], backing);

			if (w)
				snprintf(m->why, sizeof(m->why), "before %s: %s",
					 s->m[s->order[j]].target, w);
		}
	}
}

/* backing_of() for table index t, from the cache when it holds it (and into it when not). */
static void backing_cached(const char *sysfs, const struct mount_set *s, size_t t,
			   struct backing *b)
{
	struct kept_backing *k = cache.live && t < cache.set.n ? &cache.kept[t] : NULL;

	if (k && k->known) {
		memcpy(b->dev, k->dev, sizeof(b->dev));
		b->ndev = k->ndev;
		snprintf(b->path, sizeof(b->path), "%s", k->path ? k->path : "");
		return;
	}
	backing_of(sysfs, &s->m[t], b);
	if (!k || (b->path[0] && !(k->path = strdup(b->path))))
		return;
	memcpy(k->dev, b->dev, sizeof(k->dev));
	k->ndev = b->ndev;
	k->known = true;
}

/* The backing of every candidate; by_dev when a backing file's device is a candidate's. */
static void find_backing(struct mount_set *s, const char *sysfs, struct backing *backing)
{
	size_t i, j;

	for (i = 0; i < s->norder; i++) {
		struct backing *b = &backing[s->order[i]];

		backing_cached(sysfs, s, s->order[i], b);
		for (j = 0; j < s->norder && !b->by_dev; j++)
			b->by_dev = j != i && holds_backing(s, b, s->order[j]);
	}
}

/* stable topological sort of s->order; a cycle (should not happen) keeps the rest as is */
static void topo_sort(struct mount_set *s, const struct backing *backing, size_t *sorted,
		      bool *placed)
{
	size_t i, j, k, n = s->norder;

	for (k = 0; k < n; k++) {
		size_t pick = n;

		for (i = 0; i < n && pick == n; i++) {
			bool ready = !placed[i];

			for (j = 0; ready && j < n; j++)
				if (j != i && !placed[j] &&
				    freeze_before(s, s->order[j], s->order[i], backing))
					ready = false;
			if (ready)
				pick = i;
		}
		if (pick == n)
			for (i = 0; i < n && pick == n; i++)
				if (!placed[i])
					pick = i;
		placed[pick] = true;
		sorted[k] = s->order[pick];
	}
	memcpy(s->order, sorted, n * sizeof(*sorted));
}

static int order_candidates(struct mount_set *s, const char *sysfs)
{
	struct backing *backing = NULL;
	size_t *sorted = NULL, i, n = 0;
	bool *placed = NULL;
	int r = -ENOMEM;

	s->order = calloc(s->n + 1, sizeof(*s->order));
	if (!s->order)
		return -ENOMEM;
	for (i = s->n; i-- > 0;) /* reverse mountinfo order: children first */
		if (s->m[i].state == FS_CANDIDATE)
			s->order[n++] = i;
	s->norder = n;
	if (n < 2)
		return 0;

	backing = calloc(s->n, sizeof(*backing));
	sorted = calloc(n, sizeof(*sorted));
	placed = calloc(n, sizeof(*placed));
	if (!backing || !sorted || !placed)
		goto out;
	find_backing(s, sysfs, backing);
	topo_sort(s, backing, sorted, placed);
	explain_order(s, backing);
	r = 0;
out:
	free(backing);
	free(sorted);
	free(placed);
	return r;
}

/*
 * FIFREEZE freezes a superblock, not a path: an excluded filesystem stays
 * unfrozen wherever else it is mounted (a bind mount, another btrfs
 * subvolume). Returns -EINVAL with err when a listed mount is one.
 */
static int exclude_superblocks(struct mount_set *s, const char *const *list, char *err,
			       size_t errlen)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		struct vss_mount *m = &s->m[i];

		if (m->state != FS_CANDIDATE)
			continue;
		for (j = 0; j < s->n && m->state == FS_CANDIDATE; j++)
			if (s->m[j].excluded && s->m[j].devno == m->devno)
				skip(m, "the same filesystem as the excluded", s->m[j].target);
		if (m->state != FS_CANDIDATE && list && str_any(list, m->target)) {
			snprintf(err, errlen, "%s cannot be frozen: %s", m->target, m->reason);
			return -EINVAL;
		}
	}
	return 0;
}

/* a path the caller listed must be a mountpoint */
static int check_listed(const struct mount_set *s, const char *const *list, char *err,
			size_t errlen)
{
	size_t i;

	for (i = 0; list && list[i]; i++) {
		if (mounts_find(s, list[i]) < 0) {
			snprintf(err, errlen, "%s is not a mountpoint", list[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The selection rules, per mount: a candidate is skipped with the first rule's
 * reason that applies. Returns -EINVAL with err when a listed mount is skipped.
 */
static int select_mounts(struct mount_set *s, const struct select_opts *o, const char *sysfs,
			 const char *const *list, char *err, size_t errlen)
{
	bool have_include = o->include && o->include[0];
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		struct vss_mount *m = &s->m[i];
		const char *pat = NULL;
		bool listed = list && str_any(list, m->target);

		if (list && !listed)
			m->quiet = true;
		m->excluded = glob_any(o->exclude, m->target, NULL);
		if (m->state != FS_CANDIDATE)
			continue;
		if (mounts_find(s, m->target) != (ssize_t)i) {
			skip(m, "hidden by a later mount on the same path", NULL);
			continue;
		}
		if (list && !listed) {
			skip(m, "not listed", NULL);
			continue;
		}
		if ((j = covering_mount(s, i)) != s->n)
			skip(m, "hidden by a later mount on", s->m[j].target);
		else if (str_any(o->exclude_types, m->fstype))
			skip(m, "excluded type", m->fstype);
		else if (have_include && !glob_any(o->include, m->target, NULL))
			skip(m, "not included by configuration", NULL);
		else if (glob_any(o->exclude, m->target, &pat))
			skip(m, "excluded by pattern", pat);
		else if (!list && o->skip_loop && dev_is_loop(sysfs, m->bdev))
			skip(m, "loop-backed (skip_loop)", NULL);
		if (listed && m->state == FS_SKIPPED) {
			snprintf(err, errlen, "%s cannot be frozen: %s", m->target, m->reason);
			return -EINVAL;
		}
	}
	return 0;
}

/* one freeze per superblock: bind mounts and btrfs subvolumes share it */
static void skip_duplicates(struct mount_set *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		if (s->m[i].state != FS_CANDIDATE)
			continue;
		for (j = 0; j < i; j++) {
			if (s->m[j].state == FS_CANDIDATE && s->m[j].devno == s->m[i].devno) {
				skip(&s->m[i], "duplicate of", s->m[j].target);
				break;
			}
		}
	}
}

int mounts_load(const char *mountinfo, const struct select_opts *o, const char *const *list,
		struct mount_set *out, char *err, size_t errlen)
{
	struct mount_set s = { 0 };
	const char *sysfs = o->sysfs ? o->sysfs : "/sys";
	int r;

	err[0] = '\0';
	if (list && !list[0]) {
		snprintf(err, errlen, "the list of mountpoints is empty");
		return -EINVAL;
	}
	r = load_table(mountinfo, sysfs, &s);
	if (r < 0) {
		snprintf(err, errlen, "cannot read %s: %s", mountinfo, strerror(-r));
		goto fail;
	}
	r = check_listed(&s, list, err, errlen);
	if (r == 0)
		r = select_mounts(&s, o, sysfs, list, err, errlen);
	if (r == 0)
		r = exclude_superblocks(&s, list, err, errlen);
	if (r < 0)
		goto fail;
	skip_duplicates(&s);
	r = order_candidates(&s, sysfs);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	mounts_free(&s);
	return r;
}
