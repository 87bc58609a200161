/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reclaim driver on fake trees (--root): memory.reclaim in bounded
 * chunks, EAGAIN and swap-out ending a round with a back-off, the
 * drop_caches fallback, compaction of fragmented free memory, the worker
 * stopping when a request no longer shrinks, and the agent's rule (nothing
 * reclaimed under pressure). The kernel's files are regular files here; the
 * writes go through a fake (driver_reclaim_write) that plays the kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <time.h>

#include "testutil.h"
#include "driver.h"
#include "policy.h"
#include "util.h"

#define MiB 1024ULL /* in kB */
#define MEMCG "sys/fs/cgroup/memory.reclaim"
#define DROP "proc/sys/vm/drop_caches"
#define COMPACT "proc/sys/vm/compact_memory"

/* The fake kernel: what each write did, and what it answers. */
static struct {
	const char *root;
	unsigned writes, compacts, drops;
	uint64_t bytes[64];
	unsigned eagain_at;  /* the nth memory.reclaim write fails with EAGAIN (0: never) */
	unsigned swap_at;    /* the nth write swaps 10 pages out (0: never) */
	unsigned slow_ms;    /* each memory.reclaim write takes this long */
	uint64_t free_after; /* drop_caches: MemFree afterwards (kB) */
	uint64_t pswpout;
} k;

static void fake_meminfo(const char *root, uint64_t total, uint64_t free)
{
	char b[256];

	snprintf(
		b, sizeof(b),
		"MemTotal: %llu kB\nMemFree: %llu kB\nMemAvailable: %llu kB\nCommitted_AS: 1000 kB\n",
		(unsigned long long)total, (unsigned long long)free, (unsigned long long)free);
	tu_write(root, "proc/meminfo", b);
}

static void fake_vmstat(const char *root)
{
	char b[64];

	snprintf(b, sizeof(b), "pswpin 0\npswpout %llu\n", (unsigned long long)k.pswpout);
	tu_write(root, "proc/vmstat", b);
}

static int fake_write(const char *path, const char *data, size_t len)
{
	struct timespec ts = { 0, (long)k.slow_ms * 1000000 };

	if (strstr(path, COMPACT)) {
		k.compacts++;
		return 0;
	}
	if (strstr(path, DROP)) {
		k.drops++;
		fake_meminfo(k.root, 1024 * MiB, k.free_after);
		return 0;
	}
	assert_non_null(strstr(path, MEMCG));
	assert_true(len < 32);
	if (k.slow_ms)
		nanosleep(&ts, NULL);
	if (k.writes < 64)
		k.bytes[k.writes] = strtoull(data, NULL, 10);
	k.writes++;
	if (k.swap_at == k.writes) {
		k.pswpout += 10;
		fake_vmstat(k.root);
	}
	return k.eagain_at == k.writes ? -EAGAIN : 0;
}

/* A 1 GiB guest with 200 MiB free, memory.reclaim, no swap-out yet. */
static char *fake_guest(struct agent_conf *c)
{
	char *root = tu_mkdtemp();

	memset(&k, 0, sizeof(k));
	k.root = root;
	agent_conf_defaults(c);
	snprintf(c->driver, sizeof(c->driver), "reclaim");
	fake_meminfo(root, 1024 * MiB, 200 * MiB);
	fake_vmstat(root);
	tu_write(root, MEMCG, "");
	tu_write(root, DROP, "");
	tu_write(root, COMPACT, "");
	driver_reclaim_write = fake_write;
	return root;
}

static void open_reclaim(struct balloon_driver *d, const char *root, struct agent_conf *c,
			 struct meminfo *mi, bool sync)
{
	struct driver_params p = { .root = root, .conf = c, .page_kb = 4, .mi = mi, .sync = sync };
	char why[256];

	assert_int_equal(driver_open(d, &p, why, sizeof(why)), 0);
	assert_string_equal(driver_name(d), "reclaim");
}

static void test_reclaim_chunks_to_target(void **state)
{
	struct agent_conf c;
	char *root = fake_guest(&c);
	struct meminfo mi = { .mem_total = 1024 * MiB, .mem_free = 200 * MiB };
	struct balloon_driver d;
	struct balloon_view bv;
	struct driver_stats st;
	unsigned i;
	(void)state;

	open_reclaim(&d, root, &c, &mi, true);
	assert_int_equal(d.ops->read(&d, &mi, &bv), 0);
	assert_int_equal(bv.current_kb, 824 * MiB); /* the footprint: MemTotal - MemFree */
	assert_int_equal(bv.boot_kb, 1024 * MiB);
	/* 824 -> 500 MiB: 324 MiB in writes of at most 64 MiB */
	assert_int_equal(d.ops->set_target(&d, &mi, 500 * MiB), 0);
	assert_int_equal(k.writes, 6);
	for (i = 0; i < 5; i++)
		assert_int_equal(k.bytes[i], 64ULL << 20);
	assert_int_equal(k.bytes[5], 4ULL << 20);
	assert_int_equal(d.ops->stats(&d, &st), 0);
	assert_string_equal(st.kind, "memory.reclaim");
	assert_int_equal(st.reclaimed_kb, 324 * MiB);
	assert_int_equal(st.reclaim_partial, 0);
	/* a target at or above the footprint reclaims nothing; a gap under 2 MiB neither */
	assert_int_equal(d.ops->set_target(&d, &mi, 900 * MiB), 0);
	assert_int_equal(d.ops->set_target(&d, &mi, 824 * MiB - 1024), 0);
	assert_int_equal(k.writes, 6);
	d.ops->close(&d, true);
	tu_rmtree(root);
}

static void test_reclaim_eagain_and_swap_back_off(void **state)
{
	struct agent_conf c;
	char *root = fake_guest(&c);
	struct meminfo mi = { .mem_total = 1024 * MiB, .mem_free = 200 * MiB };
	struct balloon_driver d;
	struct driver_stats st;
	(void)state;

	/* EAGAIN on the second chunk: the round ends there, and the next is held back */
	k.eagain_at = 2;
	open_reclaim(&d, root, &c, &mi, true);
	assert_int_equal(d.ops->set_target(&d, &mi, 300 * MiB), 0);
	assert_int_equal(k.writes, 2);
	assert_int_equal(d.ops->set_target(&d, &mi, 300 * MiB), 0);
	assert_int_equal(k.writes, 2);
	d.ops->stats(&d, &st);
	assert_int_equal(st.reclaim_partial, 1);
	assert_int_equal(st.reclaimed_kb, 64 * MiB);
	d.ops->close(&d, false);

	/* pswpout rising during a chunk: stop, count what went to swap, hold back */
	memset(&k, 0, sizeof(k));
	k.root = root;
	fake_vmstat(root);
	k.swap_at = 1;
	open_reclaim(&d, root, &c, &mi, true);
	assert_int_equal(d.ops->set_target(&d, &mi, 300 * MiB), 0);
	assert_int_equal(k.writes, 1);
	d.ops->stats(&d, &st);
	assert_int_equal(st.reclaim_swapout_kb, 40);
	assert_int_equal(d.ops->set_target(&d, &mi, 300 * MiB), 0);
	assert_int_equal(k.writes, 1);
	d.ops->close(&d, false);
	tu_rmtree(root);
}

static void test_reclaim_drop_caches_fallback(void **state)
{
	struct agent_conf c;
	char *root = fake_guest(&c);
	struct meminfo mi = { .mem_total = 1024 * MiB, .mem_free = 200 * MiB };
	struct balloon_driver d;
	struct driver_params p = {
		.root = root, .conf = &c, .page_kb = 4, .mi = &mi, .sync = true
	};
	struct driver_stats st;
	char path[512], why[256];
	(void)state;

	snprintf(path, sizeof(path), "%s/" MEMCG, root);
	assert_int_equal(unlink(path), 0);
	k.free_after = 700 * MiB;
	open_reclaim(&d, root, &c, &mi, true);
	assert_int_equal(d.ops->set_target(&d, &mi, 300 * MiB), 0);
	assert_int_equal(k.drops, 1);
	assert_int_equal(k.writes, 0);
	d.ops->stats(&d, &st);
	assert_string_equal(st.kind, "drop_caches");
	assert_int_equal(st.reclaimed_kb, 500 * MiB); /* what MemFree gained */
	/* everything clean went at once: not again within the back-off */
	assert_int_equal(d.ops->set_target(&d, &mi, 300 * MiB), 0);
	assert_int_equal(k.drops, 1);
	d.ops->close(&d, false);

	/* neither file: the driver is not there */
	snprintf(path, sizeof(path), "%s/" DROP, root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), -ENODEV);
	tu_rmtree(root);
}

static void test_reclaim_reportable_and_compaction(void **state)
{
	struct agent_conf c;
	char *root = fake_guest(&c);
	struct meminfo mi = { .mem_total = 1024 * MiB, .mem_free = 200 * MiB };
	struct balloon_driver d;
	struct driver_stats st;
	uint64_t kb;
	(void)state;

	/* order 9 (2 MiB): 10 blocks of order 9 and 2 of order 10 are reportable (28 MiB) */
	tu_write(
		root, "proc/buddyinfo",
		"Node 0, zone      DMA      1      1      1      1      1      1      1      1      1      0      0\n"
		"Node 0, zone    DMA32  40000   2000    100     10      5      4      3      2      1     10      2\n");
	tu_write(root, "sys/module/page_reporting/parameters/page_reporting_order", "9\n");
	assert_int_equal(driver_reclaim_reportable("/nonexistent", 9, 4, &kb), -ENOENT);
	{
		char p[512];
		snprintf(p, sizeof(p), "%s/proc/buddyinfo", root);
		assert_int_equal(driver_reclaim_reportable(p, 9, 4, &kb), 0);
		assert_int_equal(kb, 28 * MiB);
		assert_int_equal(driver_reclaim_reportable(p, 0, 4, &kb), 0);
		assert_true(kb > 190 * MiB);
	}
	/* 200 MiB free, 28 MiB of it reportable: a shrinking round compacts, once a minute */
	open_reclaim(&d, root, &c, &mi, true);
	assert_int_equal(d.ops->set_target(&d, &mi, 700 * MiB), 0);
	assert_int_equal(k.compacts, 1);
	assert_int_equal(d.ops->set_target(&d, &mi, 700 * MiB), 0);
	assert_int_equal(k.compacts, 1);
	d.ops->stats(&d, &st);
	assert_true(st.have_reportable);
	assert_int_equal(st.reportable_kb, 28 * MiB);
	assert_int_equal(st.compactions, 1);
	d.ops->close(&d, false);
	/* a request that does not shrink (held or deflating) never compacts */
	open_reclaim(&d, root, &c, &mi, true);
	assert_int_equal(d.ops->set_target(&d, &mi, 900 * MiB), 0);
	assert_int_equal(k.compacts, 1);
	d.ops->close(&d, false);
	tu_rmtree(root);
}

/* The worker: set_target never waits for it, and a request that does not shrink stops it. */
static void test_reclaim_worker_stops_at_once(void **state)
{
	struct agent_conf c;
	char *root = fake_guest(&c);
	struct meminfo mi = { .mem_total = 1024 * MiB, .mem_free = 100 * MiB };
	struct balloon_driver d;
	uint64_t t0;
	unsigned w, i;
	(void)state;

	k.slow_ms = 200; /* 14 chunks would take 2.8 s */
	c.chunk_bytes = 64ULL << 20;
	open_reclaim(&d, root, &c, &mi, false);
	t0 = now_ms();
	assert_int_equal(d.ops->set_target(&d, &mi, 50 * MiB), 0);
	assert_true(now_ms() - t0 < 100); /* posted, not even one chunk done */
	for (i = 0; i < 100 && __atomic_load_n(&k.writes, __ATOMIC_SEQ_CST) < 2; i++)
		usleep(10000);
	assert_true(k.writes >= 2);
	/* pressure: the policy holds at the footprint; the chunk under way is the last */
	assert_int_equal(d.ops->set_target(&d, &mi, 924 * MiB), 0);
	w = __atomic_load_n(&k.writes, __ATOMIC_SEQ_CST);
	usleep(600000);
	assert_true(k.writes <= w + 1);
	assert_true(k.writes < 14);
	d.ops->close(&d, false);
	tu_rmtree(root);
}

/* The agent's rule through the policy: under pressure the target is the footprint or more. */
static void test_reclaim_never_under_pressure(void **state)
{
	struct agent_conf c;
	char *root = fake_guest(&c);
	struct balloon_driver d;
	struct balloon_view bv;
	struct policy_conf pc;
	struct policy_state pst = { 0 };
	struct policy_events ev = { 0 };
	struct decision dec;
	struct sample s = { 0 };
	unsigned i;
	(void)state;

	s.mi = (struct meminfo){ .mem_total = 1024 * MiB,
				 .mem_free = 100 * MiB,
				 .mem_available = 600 * MiB,
				 .committed_as = 100 * MiB };
	open_reclaim(&d, root, &c, &s.mi, true);
	policy_conf_resolve(&pc, &c, s.mi.mem_total, 4);
	s.now_ms = 100000;
	for (i = 0; i < 3; i++) { /* no pressure: it reclaims */
		d.ops->read(&d, &s.mi, &bv);
		policy_decide(&pc, &pst, &s, &bv, &ev, &dec);
		assert_true(dec.target_kb < bv.current_kb);
		assert_int_equal(d.ops->set_target(&d, &s.mi, dec.target_kb), 0);
		s.now_ms += 5000;
	}
	assert_true(k.writes > 0);
	k.writes = 0;
	/* MemAvailable under the floor, then the PSI trigger: nothing more */
	s.mi.mem_available = 10 * MiB;
	for (i = 0; i < 4; i++) {
		ev.psi_trigger = i >= 2;
		d.ops->read(&d, &s.mi, &bv);
		policy_decide(&pc, &pst, &s, &bv, &ev, &dec);
		assert_true(dec.pressure != 0);
		assert_true(dec.target_kb >= bv.current_kb);
		assert_int_equal(d.ops->set_target(&d, &s.mi, dec.target_kb), 0);
		s.now_ms += 1000;
	}
	assert_int_equal(k.writes, 0);
	d.ops->close(&d, false);
	tu_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reclaim_chunks_to_target),
		cmocka_unit_test(test_reclaim_eagain_and_swap_back_off),
		cmocka_unit_test(test_reclaim_drop_caches_fallback),
		cmocka_unit_test(test_reclaim_reportable_and_compaction),
		cmocka_unit_test(test_reclaim_worker_stops_at_once),
		cmocka_unit_test(test_reclaim_never_under_pressure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
