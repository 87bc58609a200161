/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for agent/hotplug.c: hot-added memory onlined on fake sysfs trees, the uevent filter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "testutil.h"
#include "hotplug.h"
#include "util.h"
#include "writefile.h"

#define MEM "sys/devices/system/memory/"

static void make_blocks(const char *root, const char *auto_online)
{
	tu_write(root, MEM "auto_online_blocks", auto_online);
	tu_write(root, MEM "block_size_bytes", "8000000\n");
	tu_write(root, MEM "memory0/state", "online\n");
	tu_write(root, MEM "memory1/state", "offline\n");
	tu_write(root, MEM "memory32/state", "offline\n");
	tu_write(root, MEM "memory33/state", "going-offline\n");
	tu_write(root, MEM "power/state", "offline\n"); /* not a block */
}

static void test_hotplug_auto_when_kernel_leaves_offline(void **state)
{
	char *root = tu_mkdtemp();
	struct hotplug h;
	char b[64];
	(void)state;
	make_blocks(root, "offline\n");
	assert_int_equal(hotplug_open(&h, root, ONLINE_AUTO, 3, false), 0);
	assert_int_equal(hotplug_scan(&h), 2);
	assert_string_equal(tu_read(root, MEM "memory1/state", b, sizeof(b)), "online");
	assert_string_equal(tu_read(root, MEM "memory32/state", b, sizeof(b)), "online");
	assert_string_equal(tu_read(root, MEM "memory33/state", b, sizeof(b)), "going-offline\n");
	assert_string_equal(tu_read(root, MEM "power/state", b, sizeof(b)), "offline\n");
	assert_int_equal(hotplug_scan(&h), 0); /* nothing left */
	hotplug_close(&h);
	tu_rmtree(root);
}

static void test_hotplug_auto_never_fights_kernel(void **state)
{
	char *root = tu_mkdtemp();
	struct hotplug h;
	char b[64];
	(void)state;
	make_blocks(root, "online_movable\n");
	assert_int_equal(hotplug_open(&h, root, ONLINE_AUTO, 3, false), 0);
	assert_int_equal(hotplug_scan(&h), 0);
	assert_string_equal(tu_read(root, MEM "memory1/state", b, sizeof(b)), "offline\n");
	hotplug_close(&h);
	tu_rmtree(root);
}

static void test_hotplug_policies(void **state)
{
	char *root = tu_mkdtemp();
	struct hotplug h;
	char b[64];
	(void)state;
	make_blocks(root, "online\n");
	assert_int_equal(hotplug_open(&h, root, ONLINE_OFF, 3, false), 0);
	assert_int_equal(hotplug_scan(&h), 0);
	assert_string_equal(tu_read(root, MEM "memory1/state", b, sizeof(b)), "offline\n");
	assert_int_equal(hotplug_open(&h, root, ONLINE_MOVABLE, 3, false), 0);
	assert_int_equal(hotplug_consider(&h, 1),
			 1); /* explicit policy: auto_online_blocks does not matter */
	assert_string_equal(tu_read(root, MEM "memory1/state", b, sizeof(b)), "online_movable");
	assert_int_equal(hotplug_open(&h, root, ONLINE_ONLINE, 3, false), 0);
	assert_int_equal(hotplug_consider(&h, 32), 1);
	assert_string_equal(tu_read(root, MEM "memory32/state", b, sizeof(b)), "online");
	assert_int_equal(hotplug_consider(&h, 77), 0); /* gone: nothing to do */
	hotplug_close(&h);
	tu_rmtree(root);
}

/* sends one uevent as the kernel words it; returns whether the filtered end received it */
static bool uevent_passes(int sv[2], const char *msg, size_t len)
{
	char buf[256];

	assert_int_equal(send(sv[0], msg, len, 0), (ssize_t)len);
	return recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == (ssize_t)len;
}

#define UE(s) s, sizeof(s) /* with the trailing NUL of the last key */

/*
 * The kernel drops every uevent but a memory block's "add" before it wakes
 * the agent (a loop device's "change" did, each time). The same classic BPF
 * filter runs on an AF_UNIX datagram socket.
 */
static void test_hotplug_filter_only_memory_add(void **state)
{
	int sv[2];
	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_true(uevent_passes(sv, UE("change@/devices/virtual/block/loop4\0ACTION=change")));
	assert_int_equal(hotplug_filter(sv[1]), 0);
	assert_true(uevent_passes(
		sv, UE("add@/devices/system/memory/memory32\0ACTION=add\0SUBSYSTEM=memory")));
	assert_false(uevent_passes(sv, UE("change@/devices/virtual/block/loop4\0ACTION=change")));
	assert_false(uevent_passes(sv, UE("add@/devices/virtual/block/loop4\0ACTION=add")));
	assert_false(uevent_passes(sv, UE("online@/devices/system/memory/memory32\0")));
	assert_false(uevent_passes(sv, UE("add@/devices/system/memorx/memory32\0")));
	assert_false(uevent_passes(sv, UE("add@/devices/system/memory")));
	assert_false(uevent_passes(sv, UE("libudev\0")));
	close(sv[0]);
	close(sv[1]);
}

/*
 * Lost uevents (ENOBUFS during a big hot-add): blocks that appear without an
 * event are found by the interval tick's cheap check (the block list changed)
 * and onlined; an unchanged list is not rescanned, so a block an administrator
 * offlined stays offline (until the next change of the list, like at start).
 */
static void test_hotplug_tick_finds_blocks_without_events(void **state)
{
	char *root = tu_mkdtemp();
	struct hotplug h;
	char b[64];
	(void)state;
	make_blocks(root, "offline\n");
	assert_int_equal(hotplug_open(&h, root, ONLINE_AUTO, 3, false), 0);
	assert_int_equal(hotplug_scan(&h), 2);
	assert_int_equal(hotplug_tick(&h), 0); /* nothing changed */
	assert_int_equal(h.rescans, 0);
	/* three blocks hot-added, their events lost */
	tu_write(root, MEM "memory40/state", "offline\n");
	tu_write(root, MEM "memory41/state", "offline\n");
	tu_write(root, MEM "memory42/state", "online\n");
	assert_int_equal(hotplug_tick(&h), 2);
	assert_int_equal(h.rescans, 1);
	assert_string_equal(tu_read(root, MEM "memory40/state", b, sizeof(b)), "online");
	assert_string_equal(tu_read(root, MEM "memory41/state", b, sizeof(b)), "online");
	/* an administrator offlines a block: the list is the same, no rescan fights it */
	tu_write(root, MEM "memory40/state", "offline\n");
	assert_int_equal(hotplug_tick(&h), 0);
	assert_int_equal(h.rescans, 1);
	assert_string_equal(tu_read(root, MEM "memory40/state", b, sizeof(b)), "offline\n");
	/* online = off: never */
	tu_write(root, MEM "memory43/state", "offline\n");
	h.policy = ONLINE_OFF;
	assert_int_equal(hotplug_tick(&h), 0);
	assert_string_equal(tu_read(root, MEM "memory43/state", b, sizeof(b)), "offline\n");
	h.policy = ONLINE_AUTO;
	/* a changed list rescans everything, as at start: memory43 and memory40 */
	assert_int_equal(hotplug_tick(&h), 2);
	assert_string_equal(tu_read(root, MEM "memory43/state", b, sizeof(b)), "online");
	hotplug_close(&h);
	tu_rmtree(root);
}

/*
 * The kernel makes a block's directory before its files: a scan that lists
 * memory50 before its state file exists must look again at the next tick,
 * although the block list (the directory's link count) no longer changes.
 */
static void test_hotplug_tick_retries_half_made_block(void **state)
{
	char *root = tu_mkdtemp();
	char dir[512], b[64];
	struct hotplug h;
	(void)state;
	make_blocks(root, "offline\n");
	assert_int_equal(hotplug_open(&h, root, ONLINE_AUTO, 3, false), 0);
	assert_int_equal(hotplug_scan(&h), 2);
	snprintf(dir, sizeof(dir), "%s/" MEM "memory50", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(hotplug_tick(&h), 0); /* listed, no state file yet */
	assert_int_equal(h.rescans, 1);
	tu_write(root, MEM "memory50/state", "offline\n");
	assert_int_equal(hotplug_tick(&h), 1);
	assert_int_equal(h.rescans, 2);
	assert_string_equal(tu_read(root, MEM "memory50/state", b, sizeof(b)), "online");
	assert_int_equal(hotplug_tick(&h), 0); /* complete now: no more rescans */
	assert_int_equal(h.rescans, 2);
	hotplug_close(&h);
	tu_rmtree(root);
}

/* The monitor's receive, interposed (the executable's definition wins over libudev's). */
static int fake_recv_errno;
struct udev_device *udev_monitor_receive_device(struct udev_monitor *m);
struct udev_device *udev_monitor_receive_device(struct udev_monitor *m)
{
	(void)m;
	errno = fake_recv_errno;
	return NULL;
}

/* A receive that fails with ENOBUFS (uevents dropped) rescans at once; EAGAIN does not. */
static void test_hotplug_lost_events_rescan(void **state)
{
	char *root = tu_mkdtemp();
	struct hotplug h;
	static char fake_monitor;
	char b[64];
	(void)state;
	make_blocks(root, "offline\n");
	assert_int_equal(hotplug_open(&h, root, ONLINE_AUTO, 3, false), 0);
	assert_int_equal(hotplug_scan(&h), 2);
	h.mon = (struct udev_monitor *)&fake_monitor;
	tu_write(root, MEM "memory50/state", "offline\n");
	fake_recv_errno = EAGAIN; /* drained, nothing lost */
	hotplug_handle_events(&h);
	assert_int_equal(h.rescans, 0);
	assert_string_equal(tu_read(root, MEM "memory50/state", b, sizeof(b)), "offline\n");
	fake_recv_errno = ENOBUFS;
	hotplug_handle_events(&h);
	assert_int_equal(h.rescans, 1);
	assert_string_equal(tu_read(root, MEM "memory50/state", b, sizeof(b)), "online");
	h.mon = NULL;
	hotplug_close(&h);
	tu_rmtree(root);
}

static int fail_writes;
static int failing_write(const char *path, const char *data, size_t len)
{
	(void)path;
	(void)data;
	(void)len;
	fail_writes++;
	return -EBUSY;
}

static void test_hotplug_bounded_retries(void **state)
{
	char *root = tu_mkdtemp();
	struct hotplug h;
	int i;
	(void)state;
	make_blocks(root, "offline\n");
	hotplug_write = failing_write;
	fail_writes = 0;
	assert_int_equal(hotplug_open(&h, root, ONLINE_ONLINE, 2, false), 0);
	assert_int_equal(hotplug_consider(&h, 1), -EBUSY);
	assert_int_equal(h.npending, 1);
	for (i = 0; i < 10; i++)
		hotplug_retry(&h);
	assert_int_equal(fail_writes, 3); /* first try + 2 retries, then given up */
	assert_int_equal(h.npending, 0);
	assert_int_equal(h.failures, 3);
	hotplug_write = write_file;
	hotplug_close(&h);
	tu_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotplug_auto_when_kernel_leaves_offline),
		cmocka_unit_test(test_hotplug_auto_never_fights_kernel),
		cmocka_unit_test(test_hotplug_policies),
		cmocka_unit_test(test_hotplug_filter_only_memory_add),
		cmocka_unit_test(test_hotplug_tick_finds_blocks_without_events),
		cmocka_unit_test(test_hotplug_tick_retries_half_made_block),
		cmocka_unit_test(test_hotplug_lost_events_rescan),
		cmocka_unit_test(test_hotplug_bounded_retries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
