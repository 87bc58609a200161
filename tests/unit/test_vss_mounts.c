/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for vss/mounts.c: mount selection, deduplication and freeze
 * order on committed mountinfo fixtures (tests/fixtures/mountinfo/) and
 * fake sysfs trees built in a temporary directory. The host's /sys is never
 * read; /proc/self/mountinfo only by the cache test, as root, in a private
 * mount namespace of a child process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsops.h"
#include "mounts.h"
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------- */

static char empty_sysfs[PATH_MAX]; /* an empty directory: "no sysfs information" */
/* fake sysfs trees, built by the group setup, removed by its teardown */
static char *sys_loop, *sys_loop_on_dm, *sys_btrfs_loop;

static const char *mi(const char *name)
{
	static char path[PATH_MAX];
	char rel[NAME_MAX + 16];

	snprintf(rel, sizeof(rel), "mountinfo/%s", name);
	return tu_fixture(rel, path, sizeof(path));
}

static struct select_opts opts(void)
{
	struct select_opts o = { .skip_loop = true, .sysfs = empty_sysfs };

	return o;
}

static const struct vss_mount *get(const struct mount_set *s, const char *target)
{
	ssize_t i = mounts_find(s, target);

	if (i < 0)
		fail_msg("no mount %s in the set", target);
	return &s->m[i];
}

/* position of target in the freeze order, or -1 when it is not selected */
static int pos(const struct mount_set *s, const char *target)
{
	size_t k;

	for (k = 0; k < s->norder; k++)
		if (strcmp(s->m[s->order[k]].target, target) == 0)
			return (int)k;
	return -1;
}

static void expect_candidate(const struct mount_set *s, const char *target)
{
	const struct vss_mount *m = get(s, target);

	if (m->state != FS_CANDIDATE)
		fail_msg("%s: expected selected, got %s (%s)", target, fs_state_name(m->state),
			 m->reason);
	if (pos(s, target) < 0)
		fail_msg("%s is selected but not in the freeze order", target);
}

static void expect_skipped(const struct mount_set *s, const char *target, const char *reason)
{
	const struct vss_mount *m = get(s, target);

	if (m->state != FS_SKIPPED)
		fail_msg("%s: expected skipped (%s), got %s", target, reason,
			 fs_state_name(m->state));
	if (reason && !strstr(m->reason, reason))
		fail_msg("%s: reason '%s' does not contain '%s'", target, m->reason, reason);
	if (pos(s, target) >= 0)
		fail_msg("%s is skipped but in the freeze order", target);
}

/* order holds exactly the FS_CANDIDATE mounts, each once */
static void check_order_consistent(const struct mount_set *s)
{
	size_t i, k, n = 0;

	for (i = 0; i < s->n; i++)
		if (s->m[i].state == FS_CANDIDATE)
			n++;
	assert_int_equal(s->norder, n);
	for (k = 0; k < s->norder; k++) {
		assert_true(s->order[k] < s->n);
		assert_int_equal(s->m[s->order[k]].state, FS_CANDIDATE);
		for (i = 0; i < k; i++)
			assert_true(s->order[i] != s->order[k]);
	}
}

static bool is_under(const char *child, const char *parent)
{
	size_t n = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return child[0] == '/' && child[1];
	return strncmp(child, parent, n) == 0 && child[n] == '/';
}

/* every selected mount is frozen before every selected mount above it */
static void check_children_first(const struct mount_set *s)
{
	size_t a, b;

	for (a = 0; a < s->norder; a++)
		for (b = 0; b < s->norder; b++) {
			const char *ta = s->m[s->order[a]].target, *tb = s->m[s->order[b]].target;

			if (is_under(ta, tb) && a > b)
				fail_msg(
					"%s (position %zu) must be frozen before %s (position %zu)",
					ta, a, tb, b);
		}
}

static int load(const char *fixture, const struct select_opts *o, const char *const *list,
		struct mount_set *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	return mounts_load(mi(fixture), o, list, s, err, errlen);
}

static char *loop_sysfs(void);
static char *btrfs_loop_sysfs(void);

static int setup(void **state)
{
	char *d;

	(void)state;
	d = tu_mkdtemp();
	snprintf(empty_sysfs, sizeof(empty_sysfs), "%s", d);
	free(d);
	sys_loop = loop_sysfs();
	sys_btrfs_loop = btrfs_loop_sysfs();
	/* loop0's backing file lies on /mnt/crypt (dm-0) */
	sys_loop_on_dm = tu_mkdtemp();
	tu_write(sys_loop_on_dm, "dev/block/7:0/loop/backing_file", "/mnt/crypt/inner.img\n");
	return 0;
}

static int teardown(void **state)
{
	char **d[] = { &sys_loop, &sys_btrfs_loop, &sys_loop_on_dm };
	size_t i;

	(void)state;
	tu_rm_rf(empty_sysfs);
	for (i = 0; i < 3; i++) {
		tu_rmtree(*d[i]);
		*d[i] = NULL;
	}
	return 0;
}

/* ---- nested mounts ---------------------------------------------------- */

static void test_nested_order(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("nested.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(s.n, 14);
	check_order_consistent(&s);
	assert_int_equal(s.norder, 8);
	expect_candidate(&s, "/");
	expect_candidate(&s, "/boot");
	expect_candidate(&s, "/boot/efi");
	expect_candidate(&s, "/var");
	expect_candidate(&s, "/var/lib/mysql");
	expect_candidate(&s, "/home");
	expect_candidate(&s, "/homes");
	expect_candidate(&s, "/home/alice/projects");
	check_children_first(&s);
	/* the child listed before its parent in mountinfo is still frozen first */
	assert_true(pos(&s, "/home/alice/projects") < pos(&s, "/home"));
	assert_true(pos(&s, "/boot/efi") < pos(&s, "/boot"));
	assert_true(pos(&s, "/var/lib/mysql") < pos(&s, "/var"));
	assert_int_equal(pos(&s, "/"), (int)s.norder - 1);
	/* fields as read */
	assert_string_equal(get(&s, "/var/lib/mysql")->fstype, "xfs");
	assert_string_equal(get(&s, "/var/lib/mysql")->source, "/dev/sda6");
	assert_int_equal(get(&s, "/var/lib/mysql")->devno, makedev(8, 6));
	assert_int_equal(get(&s, "/home/alice/projects")->devno, makedev(259, 1));
	assert_int_equal(get(&s, "/")->fd, -1);
	assert_false(get(&s, "/")->quiet);
	mounts_free(&s);
	assert_null(s.m);
	assert_int_equal(s.n, 0);
}

static void test_nested_pseudo_skipped(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("nested.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	expect_skipped(&s, "/proc", "pseudo filesystem: proc");
	expect_skipped(&s, "/sys", "pseudo");
	expect_skipped(&s, "/dev", "pseudo");
	expect_skipped(&s, "/dev/shm", "pseudo filesystem: tmpfs");
	expect_skipped(&s, "/run", "pseudo filesystem: tmpfs");
	expect_skipped(&s, "/sys/fs/cgroup", "pseudo filesystem: cgroup2");
	mounts_free(&s);
}

static void test_holding(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("nested.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	assert_int_equal(mounts_holding(&s, "/var/lib/mysql/ibdata1"),
			 mounts_find(&s, "/var/lib/mysql"));
	assert_int_equal(mounts_holding(&s, "/var/lib/mysql"), mounts_find(&s, "/var/lib/mysql"));
	assert_int_equal(mounts_holding(&s, "/var/lib/mysqlx/f"), mounts_find(&s, "/var"));
	assert_int_equal(mounts_holding(&s, "/var/lib"), mounts_find(&s, "/var"));
	assert_int_equal(mounts_holding(&s, "/homes/bob"), mounts_find(&s, "/homes"));
	assert_int_equal(mounts_holding(&s, "/home/alice/projects/x/y"),
			 mounts_find(&s, "/home/alice/projects"));
	assert_int_equal(mounts_holding(&s, "/home/alice"), mounts_find(&s, "/home"));
	assert_int_equal(mounts_holding(&s, "/run/vssd"), mounts_find(&s, "/run"));
	assert_int_equal(mounts_holding(&s, "/etc/fstab"), mounts_find(&s, "/"));
	assert_int_equal(mounts_holding(&s, "/"), mounts_find(&s, "/"));
	assert_int_equal(mounts_holding(&s, "relative/path"), -1);
	assert_int_equal(mounts_find(&s, "/var/lib"), -1);
	assert_int_equal(mounts_find(&s, "/var/"), -1);
	mounts_free(&s);
}

static void test_holding_stacked(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("special.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	/* two mounts on /mnt/stack: the later (xfs) is the visible one */
	assert_string_equal(s.m[mounts_holding(&s, "/mnt/stack/file")].fstype, "xfs");
	assert_string_equal(s.m[mounts_find(&s, "/mnt/stack")].fstype, "xfs");
	mounts_free(&s);
}

/* ---- shared superblocks: bind mounts and btrfs subvolumes -------------- */

static void test_bind_and_subvolumes(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("shared-sb.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	/* btrfs: one anonymous device 0:27 for every subvolume */
	expect_candidate(&s, "/");
	assert_int_equal(get(&s, "/")->devno, makedev(0, 27));
	expect_skipped(&s, "/home", "duplicate of /");
	expect_skipped(&s, "/var/log", "duplicate of /");
	expect_skipped(&s, "/var/lib/libvirt/images", "duplicate of /");
	/* ext4 bind mounts of /dev/sdb1, including a read-only bind */
	expect_candidate(&s, "/data");
	expect_skipped(&s, "/srv/www", "duplicate of /data");
	expect_skipped(&s, "/mnt/data-ro", "duplicate of /data");
	assert_int_equal(s.norder, 2);
	assert_int_equal(pos(&s, "/data"), 0);
	assert_int_equal(pos(&s, "/"), 1);
	mounts_free(&s);
}

/*
 * Probe DOC-5: an excluded filesystem bind-mounted (or another btrfs
 * subvolume of it) at an included path is not frozen there either.
 */
static void test_exclude_is_per_filesystem(void **state)
{
	static const char *const excl[] = { "/data", "/home", NULL };
	const char *list[] = { "/srv/www", NULL };
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	o.exclude = excl;
	assert_int_equal(load("shared-sb.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	expect_skipped(&s, "/data", "excluded by pattern");
	expect_skipped(&s, "/srv/www", "the same filesystem as the excluded /data");
	expect_skipped(&s, "/mnt/data-ro", "the same filesystem as the excluded /data");
	/* the btrfs subvolumes share the superblock of /home: freezing / would freeze it */
	expect_skipped(&s, "/", "the same filesystem as the excluded /home");
	assert_int_equal(s.norder, 0);
	mounts_free(&s);
	assert_int_equal(load("shared-sb.mountinfo", &o, list, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(
		strstr(err, "/srv/www cannot be frozen: the same filesystem as the excluded"));
}

static void test_list_bind_duplicates_collapse(void **state)
{
	const char *list[] = { "/srv/www", "/data", "/mnt/data-ro", NULL };
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("shared-sb.mountinfo", &o, list, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	assert_int_equal(s.norder, 1);
	/* one freeze of /dev/sdb1, whichever path carries it */
	assert_int_equal(s.m[s.order[0]].devno, makedev(8, 17));
	assert_int_equal(get(&s, "/data")->state + get(&s, "/srv/www")->state +
				 get(&s, "/mnt/data-ro")->state,
			 FS_CANDIDATE + 2 * FS_SKIPPED);
	/* not listed: quiet, never frozen */
	expect_skipped(&s, "/", "not listed");
	assert_true(get(&s, "/")->quiet);
	assert_false(get(&s, "/data")->quiet);
	mounts_free(&s);
}

/* ---- skipped kinds: pseudo, containers, network, read-only ------------ */

static void test_skipped_kinds(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("skipped.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	expect_skipped(&s, "/dev/pts", "pseudo");
	expect_skipped(&s, "/dev/mqueue", "pseudo");
	expect_skipped(&s, "/dev/hugepages", "pseudo");
	expect_skipped(&s, "/tmp", "pseudo filesystem: tmpfs");
	expect_skipped(&s, "/var/lib/docker/overlay2/3f5a9c0d2e71/merged",
		       "pseudo filesystem: overlay");
	expect_skipped(&s, "/run/docker/netns/1a2b3c4d5e6f", "pseudo filesystem: nsfs");
	expect_skipped(&s, "/var/lib/docker/containers/3f5a9c0d2e71/mounts/shm", "pseudo");
	expect_skipped(&s, "/mnt/nfs", "network filesystem: nfs4");
	expect_skipped(&s, "/mnt/nfs3", "network filesystem: nfs");
	expect_skipped(&s, "/mnt/share", "network filesystem: cifs");
	expect_skipped(&s, "/mnt/cdrom", "read-only");
	expect_skipped(&s, "/mnt/archive", "read-only");
	assert_int_equal(s.norder, 2);
	assert_int_equal(pos(&s, "/srv"), 0);
	assert_int_equal(pos(&s, "/"), 1);
	mounts_free(&s);
}

/* a listed filesystem that is never frozen anyway is skipped, not an error */
static void test_list_skipped_kinds_not_error(void **state)
{
	const char *list[] = { "/tmp", "/mnt/nfs", "/mnt/archive", NULL };
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("skipped.mountinfo", &o, list, &s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(s.norder, 0);
	expect_skipped(&s, "/tmp", "tmpfs");
	expect_skipped(&s, "/mnt/nfs", "network");
	expect_skipped(&s, "/mnt/archive", "read-only");
	assert_false(get(&s, "/tmp")->quiet);
	assert_true(get(&s, "/srv")->quiet);
	mounts_free(&s);
}

/* a listed request reports only the listed mounts: every other one is quiet */
static void test_list_unlisted_quiet(void **state)
{
	const char *list[] = { "/srv", NULL };
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(load("skipped.mountinfo", &o, list, &s, err, sizeof(err)), 0);
	assert_int_equal(s.norder, 1);
	expect_candidate(&s, "/srv");
	assert_false(get(&s, "/srv")->quiet);
	for (i = 0; i < s.n; i++)
		if (strcmp(s.m[i].target, "/srv") != 0 && !s.m[i].quiet)
			fail_msg("%s (%s, %s) is not listed but not quiet", s.m[i].target,
				 fs_state_name(s.m[i].state), s.m[i].reason);
	mounts_free(&s);
}

/* ---- loop devices ----------------------------------------------------- */

/* sysfs with loop0 backed by a file on /srv and dm-0 (253:0) on top of loop1 */
static char *loop_sysfs(void)
{
	char *d = tu_mkdtemp();

	tu_write(d, "dev/block/7:0/loop/backing_file", "/srv/images/disk.img\n");
	tu_write(d, "dev/block/7:0/dev", "7:0\n");
	tu_write(d, "dev/block/7:1/loop/backing_file", "/srv/images/crypt.img\n");
	tu_write(d, "dev/block/253:0/slaves/loop1/dev", "7:1\n");
	tu_write(d, "dev/block/253:0/dev", "253:0\n");
	return d;
}

static void test_loop_skipped(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256], *sys = sys_loop;

	(void)state;
	o.sysfs = sys;
	assert_int_equal(load("loop.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	expect_skipped(&s, "/mnt/img", "loop-backed");
	expect_skipped(&s, "/mnt/crypt", "loop-backed"); /* dm-crypt on a loop device */
	expect_candidate(&s, "/srv");
	expect_candidate(&s, "/");
	assert_int_equal(s.norder, 2);
	mounts_free(&s);
}

/* without slaves/ information a device-mapper device is not known to be loop-backed */
static void test_loop_dm_needs_sysfs(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("loop.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	expect_skipped(&s, "/mnt/img", "loop-backed"); /* major 7 alone says so */
	expect_candidate(&s, "/mnt/crypt");
	mounts_free(&s);
}

static void test_loop_before_backing_fs(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256], *sys = sys_loop;

	(void)state;
	o.sysfs = sys;
	o.skip_loop = false;
	assert_int_equal(load("loop.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	assert_int_equal(s.norder, 4);
	expect_candidate(&s, "/mnt/img");
	expect_candidate(&s, "/mnt/crypt");
	/*
	 * mountinfo lists /mnt/img before /srv, so "reverse mountinfo order"
	 * alone would freeze /srv first; its backing file is on /srv.
	 */
	assert_true(pos(&s, "/mnt/img") < pos(&s, "/srv"));
	assert_int_equal(pos(&s, "/"), 3);
	mounts_free(&s);
}

/*
 * dm over loop (dm-0 stands on loop1, whose backing file is on /srv): the
 * dm filesystem is frozen before /srv, as a loop filesystem would be
 * (found through sysfs slaves; defect 2 of the adversarial probe).
 */
static void test_dm_over_loop_before_backing_fs(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256], *sys = tu_mkdtemp();

	(void)state;
	/* only the dm device stands on a loop here (loop0 has no backing file) */
	tu_write(sys, "dev/block/7:1/loop/backing_file", "/srv/images/crypt.img\n");
	tu_write(sys, "dev/block/253:0/slaves/loop1/dev", "7:1\n");
	o.sysfs = sys;
	o.skip_loop = false;
	assert_int_equal(load("loop.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	/* mountinfo lists /srv last: reverse mountinfo order alone would freeze it first */
	assert_true(pos(&s, "/mnt/crypt") < pos(&s, "/srv"));
	mounts_free(&s);
	tu_rmtree(sys);
}

/* a loop filesystem whose backing file lies on another (dm) filesystem: freeze it first */
static void test_loop_backing_on_other_fs(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256], *sys = sys_loop_on_dm;

	(void)state;
	o.sysfs = sys;
	o.skip_loop = false;
	assert_int_equal(load("loop.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	assert_int_equal(s.norder, 4);
	/* mountinfo: /mnt/img, then /mnt/crypt; reverse order would freeze /mnt/crypt first */
	assert_true(pos(&s, "/mnt/img") < pos(&s, "/mnt/crypt"));
	assert_int_equal(pos(&s, "/"), 3);
	mounts_free(&s);
}

static void test_loop_listed_allowed(void **state)
{
	const char *list[] = { "/mnt/img", NULL };
	struct select_opts o = opts();
	struct mount_set s;
	char err[256], *sys = sys_loop;

	(void)state;
	o.sysfs = sys;
	assert_true(o.skip_loop);
	assert_int_equal(load("loop.mountinfo", &o, list, &s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	check_order_consistent(&s);
	assert_int_equal(s.norder, 1);
	expect_candidate(&s, "/mnt/img");
	expect_skipped(&s, "/srv", "not listed");
	mounts_free(&s);
}

/*
 * btrfs reports an anonymous device (0:N) in mountinfo even on a loop
 * device: the source (/dev/loop2) is what tells it is loop-backed.
 */
static char *btrfs_loop_sysfs(void)
{
	char *d = tu_mkdtemp();

	tu_write(d, "dev/block/7:2/loop/backing_file", "/srv/images/btr.img\n");
	tu_write(d, "dev/block/7:2/dev", "7:2\n");
	tu_write(d, "class/block/loop2/dev", "7:2\n");
	tu_write(d, "class/block/loop2/loop/backing_file", "/srv/images/btr.img\n");
	return d;
}

static void test_btrfs_on_loop_skipped(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256], *sys = sys_btrfs_loop;

	(void)state;
	o.sysfs = sys;
	assert_int_equal(load("btrfs-loop.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	expect_candidate(&s, "/srv");
	expect_skipped(&s, "/mnt/btr", "loop-backed");
	mounts_free(&s);
}

static void test_btrfs_on_loop_order(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256], *sys = sys_btrfs_loop;

	(void)state;
	o.sysfs = sys;
	o.skip_loop = false;
	assert_int_equal(load("btrfs-loop.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	expect_candidate(&s, "/mnt/btr");
	/* its backing file is on /srv: /srv frozen first would block the loop device */
	if (pos(&s, "/mnt/btr") > pos(&s, "/srv"))
		fail_msg("btrfs on /dev/loop2 (backing file on /srv) is frozen after /srv");
	mounts_free(&s);
}

/* ---- escapes, stacking, exact matching -------------------------------- */

static void test_escaped_mountpoint(void **state)
{
	const char *odd = "/mnt/my disk\ttab\\back";
	const char *list[] = { odd, NULL };
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("special.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	expect_candidate(&s, odd);
	assert_int_equal(get(&s, odd)->devno, makedev(8, 65));
	assert_int_equal(mounts_find(&s, "/mnt/my\\040disk\\011tab\\134back"), -1);
	assert_int_equal(mounts_holding(&s, "/mnt/my disk\ttab\\back/f"), mounts_find(&s, odd));
	assert_int_equal(mounts_holding(&s, "/mnt/my/f"), mounts_find(&s, "/mnt/my"));
	mounts_free(&s);

	assert_int_equal(load("special.mountinfo", &o, list, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	assert_int_equal(s.norder, 1);
	assert_string_equal(s.m[s.order[0]].target, odd);
	expect_skipped(&s, "/mnt/my", "not listed"); /* a prefix is not a match */
	mounts_free(&s);

	/* the escaped spelling is not the mountpoint */
	{
		const char *esc[] = { "/mnt/my\\040disk\\011tab\\134back", NULL };

		assert_int_equal(load("special.mountinfo", &o, esc, &s, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "is not a mountpoint"));
	}
}

static void test_stacked_mounts(void **state)
{
	const char *list[] = { "/mnt/stack", NULL };
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];
	size_t i;
	int hidden = 0;

	(void)state;
	assert_int_equal(load("special.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	for (i = 0; i < s.n; i++) {
		if (strcmp(s.m[i].target, "/mnt/stack") != 0)
			continue;
		if (strcmp(s.m[i].fstype, "ext4") == 0) {
			assert_int_equal(s.m[i].state, FS_SKIPPED);
			assert_non_null(strstr(s.m[i].reason, "hidden"));
			hidden++;
		} else {
			assert_string_equal(s.m[i].fstype, "xfs");
			assert_int_equal(s.m[i].state, FS_CANDIDATE);
		}
	}
	assert_int_equal(hidden, 1);
	expect_candidate(&s, "/mnt/stack");
	assert_int_equal(get(&s, "/mnt/stack")->devno, makedev(8, 97));
	mounts_free(&s);

	/* listed: the visible one is frozen, no error */
	assert_int_equal(load("special.mountinfo", &o, list, &s, err, sizeof(err)), 0);
	assert_int_equal(s.norder, 1);
	assert_int_equal(s.m[s.order[0]].devno, makedev(8, 97));
	mounts_free(&s);
}

/*
 * /opt/data was mounted first, then /opt on top of it (both with parent 29):
 * the path /opt/data now leads into /opt's filesystem, so the first mount is
 * not reachable and must not be "frozen" through that path.
 */
static void test_overmounted_by_parent(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("overmounted.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	expect_candidate(&s, "/opt");
	expect_candidate(&s, "/");
	expect_skipped(&s, "/opt/data", "hidden");
	mounts_free(&s);
}

/* ---- explicit lists --------------------------------------------------- */

static void expect_list_error(const char *fixture, const struct select_opts *o,
			      const char *const *list, const char *msg)
{
	struct mount_set s;
	char err[256];

	assert_int_equal(load(fixture, o, list, &s, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("error '%s' does not contain '%s'", err, msg);
	/* nothing selected, nothing to free */
	assert_null(s.m);
	assert_int_equal(s.norder, 0);
}

/* a listed mountpoint that a later mount hides cannot be frozen: an error, not 0 */
static void test_list_hidden_is_error(void **state)
{
	struct select_opts o = opts();
	const char *list[] = { "/opt/data", NULL };

	(void)state;
	expect_list_error("overmounted.mountinfo", &o, list, "/opt/data cannot be frozen: hidden");
}

static void test_list_exact_only(void **state)
{
	const char *slash[] = { "/var/", NULL };
	const char *sub[] = { "/var", "/var/lib", NULL };
	const char *none[] = { "/nonexistent", NULL };
	const char *rel[] = { "var", NULL };
	const char *empty[] = { NULL };
	struct select_opts o = opts();

	(void)state;
	expect_list_error("nested.mountinfo", &o, slash, "/var/ is not a mountpoint");
	expect_list_error("nested.mountinfo", &o, sub, "/var/lib is not a mountpoint");
	expect_list_error("nested.mountinfo", &o, none, "/nonexistent is not a mountpoint");
	expect_list_error("nested.mountinfo", &o, rel, "var is not a mountpoint");
	expect_list_error("nested.mountinfo", &o, empty, "empty");
}

static void test_list_selects_exactly(void **state)
{
	const char *list[] = { "/", "/var/lib/mysql", "/home", NULL };
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_int_equal(load("nested.mountinfo", &o, list, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	assert_int_equal(s.norder, 3);
	assert_int_equal(pos(&s, "/"), 2);
	expect_candidate(&s, "/var/lib/mysql");
	expect_candidate(&s, "/home");
	expect_skipped(&s, "/var", "not listed");
	expect_skipped(&s, "/home/alice/projects", "not listed");
	assert_true(get(&s, "/var")->quiet);
	mounts_free(&s);
}

static void test_list_excluded_is_error(void **state)
{
	const char *const ex[] = { "/home*", NULL };
	const char *const types[] = { "vfat", NULL };
	const char *const inc[] = { "/var*", NULL };
	const char *home[] = { "/var", "/home", NULL };
	const char *efi[] = { "/boot/efi", NULL };
	const char *boot[] = { "/boot", NULL };
	struct select_opts o = opts();

	(void)state;
	o.exclude = ex;
	expect_list_error("nested.mountinfo", &o, home,
			  "/home cannot be frozen: excluded by pattern /home*");
	o = opts();
	o.exclude_types = types;
	expect_list_error("nested.mountinfo", &o, efi,
			  "/boot/efi cannot be frozen: excluded type vfat");
	o = opts();
	o.include = inc;
	expect_list_error("nested.mountinfo", &o, boot, "/boot cannot be frozen: not included");
}

/* ---- configuration filters -------------------------------------------- */

static void test_include_exclude(void **state)
{
	const char *const inc[] = { "/var*", "/home", NULL };
	const char *const ex[] = { "/var/lib/*", NULL };
	const char *const types[] = { "vfat", "xfs", NULL };
	const char *const none[] = { NULL };
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	o.include = inc;
	o.exclude = ex;
	assert_int_equal(load("nested.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	expect_candidate(&s, "/var");
	expect_candidate(&s, "/home");
	expect_skipped(&s, "/var/lib/mysql", "excluded by pattern /var/lib/*");
	expect_skipped(&s, "/", "not included");
	expect_skipped(&s, "/homes", "not included");
	expect_skipped(&s, "/home/alice/projects", "not included"); /* no implicit subtree */
	expect_skipped(&s, "/boot", "not included");
	assert_int_equal(s.norder, 2);
	mounts_free(&s);

	o = opts();
	o.exclude_types = types;
	assert_int_equal(load("nested.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	check_order_consistent(&s);
	expect_skipped(&s, "/boot/efi", "excluded type vfat");
	expect_skipped(&s, "/var/lib/mysql", "excluded type xfs");
	expect_skipped(&s, "/home/alice/projects", "excluded type xfs");
	expect_candidate(&s, "/boot");
	assert_int_equal(s.norder, 5);
	mounts_free(&s);

	/* an empty include list means everything */
	o = opts();
	o.include = none;
	assert_int_equal(load("nested.mountinfo", &o, NULL, &s, err, sizeof(err)), 0);
	assert_int_equal(s.norder, 8);
	mounts_free(&s);
}

static void test_missing_mountinfo(void **state)
{
	struct select_opts o = opts();
	struct mount_set s;
	char err[256];

	(void)state;
	assert_true(load("does-not-exist.mountinfo", &o, NULL, &s, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "does-not-exist.mountinfo"));
}

#define MI_ROOT "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
/* the kernel's mount ID of fd as /proc/self/fdinfo words it (mountinfo's first field) */
static int fdinfo_mnt_id(int fd)
{
	char path[64], buf[512], *p;
	FILE *f;
	int id = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	p = strstr(buf, "mnt_id:");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "mnt_id: %d", &id), 1);
	return id;
}

/* The defect-4 check's mount ID (statx, fdinfo where statx lacks it) is mountinfo's. */
static void test_kernel_mount_id(void **state)
{
	const char *dirs[] = { "/", "/proc", "/sys", "/dev" };
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int fd = fs_ops_kernel.open(dirs[i]);

		assert_true(fd >= 0);
		assert_int_equal(fs_ops_kernel.mount_id(fd), fdinfo_mnt_id(fd));
		close(fd);
	}
}

#define MI_DATA "21 20 8:2 / /data rw,relatime - ext4 /dev/sda2 rw\n"

/* A mountinfo that is a plain file is read again every time (nothing cached). */
static void test_file_read_every_time(void **state)
{
	struct select_opts o = opts();
	const char *const list[] = { "/data", NULL };
	char *dir = tu_mkdtemp(), path[PATH_MAX], err[256];
	struct mount_set s = { 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/mountinfo", dir);
	tu_write(dir, "mountinfo", MI_ROOT);
	assert_int_equal(mounts_load(path, &o, list, &s, err, sizeof(err)), -EINVAL);
	tu_write(dir, "mountinfo", MI_ROOT MI_DATA);
	assert_int_equal(mounts_load(path, &o, list, &s, err, sizeof(err)), 0);
	assert_int_equal(s.norder, 1);
	mounts_free(&s);
	tu_write(dir, "mountinfo", MI_ROOT);
	assert_int_equal(mounts_load(path, &o, list, &s, err, sizeof(err)), -EINVAL);
	tu_rmtree(dir);
}

/* in the child: is dir a mountpoint in /proc/self/mountinfo, as mounts_load() sees it? */
static int proc_has(const char *dir)
{
	struct select_opts o = { .sysfs = "/sys" };
	struct mount_set s = { 0 };
	char err[256];
	int found;

	if (mounts_load("/proc/self/mountinfo", &o, NULL, &s, err, sizeof(err)) < 0)
		_exit(10);
	found = mounts_find(&s, dir) >= 0;
	mounts_free(&s);
	return found;
}

/* the cache test's child, in its own mount namespace: exit status 0 or the failed step */
static void __attribute__((noreturn)) cache_child(const char *dir)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(11);
	if (proc_has(dir) || proc_has(dir)) /* the second one from the cache */
		_exit(1);
	if (mount("sbtest", dir, "tmpfs", 0, "size=64k") < 0)
		_exit(12);
	if (!proc_has(dir) || !proc_has(dir))
		_exit(2); /* the mount was not seen: a stale cache */
	if (umount(dir) < 0)
		_exit(13);
	_exit(proc_has(dir) ? 3 : 0);
}

/* The table read from /proc is kept, and dropped the moment a mount comes or goes. */
static void test_proc_cache_follows_mounts(void **state)
{
	char *dir;
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		tu_skip("needs root (a private mount namespace)");
	dir = tu_mkdtemp();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		cache_child(dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	tu_rmtree(dir);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(fs_state_name(FS_CANDIDATE), "selected");
	assert_string_equal(fs_state_name(FS_SKIPPED), "skipped");
	assert_string_equal(fs_state_name(FS_FROZEN), "frozen");
	assert_string_equal(fs_state_name(FS_THAWED), "thawed");
	assert_string_equal(fs_state_name(FS_FOREIGN), "foreign");
	assert_string_equal(fs_state_name(FS_FAILED), "failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_order),
		cmocka_unit_test(test_nested_pseudo_skipped),
		cmocka_unit_test(test_holding),
		cmocka_unit_test(test_holding_stacked),
		cmocka_unit_test(test_bind_and_subvolumes),
		cmocka_unit_test(test_list_bind_duplicates_collapse),
		cmocka_unit_test(test_skipped_kinds),
		cmocka_unit_test(test_list_skipped_kinds_not_error),
		cmocka_unit_test(test_list_unlisted_quiet),
		cmocka_unit_test(test_loop_skipped),
		cmocka_unit_test(test_loop_dm_needs_sysfs),
		cmocka_unit_test(test_loop_before_backing_fs),
		cmocka_unit_test(test_dm_over_loop_before_backing_fs),
		cmocka_unit_test(test_exclude_is_per_filesystem),
		cmocka_unit_test(test_loop_backing_on_other_fs),
		cmocka_unit_test(test_loop_listed_allowed),
		cmocka_unit_test(test_btrfs_on_loop_skipped),
		cmocka_unit_test(test_btrfs_on_loop_order),
		cmocka_unit_test(test_escaped_mountpoint),
		cmocka_unit_test(test_stacked_mounts),
		cmocka_unit_test(test_overmounted_by_parent),
		cmocka_unit_test(test_list_hidden_is_error),
		cmocka_unit_test(test_list_exact_only),
		cmocka_unit_test(test_list_selects_exactly),
		cmocka_unit_test(test_list_excluded_is_error),
		cmocka_unit_test(test_include_exclude),
		cmocka_unit_test(test_missing_mountinfo),
		cmocka_unit_test(test_file_read_every_time),
		cmocka_unit_test(test_proc_cache_follows_mounts),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_kernel_mount_id),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
