/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for vss/fanotify.c: processes holding fanotify permission marks, on a fake /proc. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fanotify.h"
#include "testutil.h"

/* a fake /proc/PID with one fd: its link target and fdinfo text */
static void fake_proc_fd(const char *proc, int pid, const char *link, const char *fdinfo)
{
	char rel[64], path[PATH_MAX];

	snprintf(rel, sizeof(rel), "%d/comm", pid);
	tu_write(proc, rel, pid == 100 ? "fapolicyd\n" : "other\n");
	snprintf(rel, sizeof(rel), "%d/fdinfo/3", pid);
	tu_write(proc, rel, fdinfo);
	snprintf(path, sizeof(path), "%s/%d/fd", proc, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/fd/3", proc, pid);
	assert_int_equal(symlink(link, path), 0);
}

/* vssctl plan's warning: only a fanotify fd with a permission event in a mark's mask */
static void test_fanotify_perm_holders(void **state)
{
	char *proc = tu_mkdtemp();
	struct fan_holder h[4];

	(void)state;
	fake_proc_fd(proc, 100, "anon_inode:[fanotify]",
		     "pos:\t0\nflags:\t02\nfanotify flags:10 event-flags:0\n"
		     "fanotify mnt_id:20 mflags:0 mask:10000 ignored_mask:0\n");
	fake_proc_fd(proc, 200, "anon_inode:[fanotify]",
		     "fanotify flags:0 event-flags:0\n"
		     "fanotify ino:12 sdev:800001 mflags:0 mask:1 ignored_mask:70000\n");
	fake_proc_fd(proc, 300, "/dev/null", "fanotify mnt_id:20 mflags:0 mask:10000\n");
	assert_int_equal(fanotify_perm_holders(proc, h, 4), 1);
	assert_int_equal(h[0].pid, 100);
	assert_string_equal(h[0].comm, "fapolicyd");
	tu_rmtree(proc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fanotify_perm_holders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
