/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for agent/sample.c on committed fixtures from several kernels. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "fileio.h"
#include "sample.h"
#include "zoneinfo.h"

static char buf[262144];

static const char *load(const char *rel)
{
	char name[256], path[512];
	ssize_t n;

	snprintf(name, sizeof(name), "agent/%s", rel);
	n = read_file(tu_fixture(name, path, sizeof(path)), buf, sizeof(buf));
	if (n < 0)
		fail_msg("cannot read fixture %s: %s", path, strerror((int)-n));
	return buf;
}

static void test_meminfo_618(void **state)
{
	struct meminfo m;
	(void)state;
	assert_int_equal(meminfo_parse(load("linux-6.18/meminfo"), &m), 0);
	assert_int_equal(m.mem_total, 24683620);
	assert_int_equal(m.mem_free, 24273352);
	assert_int_equal(m.mem_available, 24329584);
	assert_int_equal(m.buffers, 2100);
	assert_int_equal(m.cached, 251720); /* not SwapCached */
	assert_int_equal(m.swap_total, 0);
	assert_int_equal(m.committed_as, 71108);
	assert_int_equal(m.commit_limit, 12341808);
	assert_int_equal(m.shmem, 8884);
	assert_int_equal(m.mlocked, 16944);
	assert_int_equal(m.unevictable, 17868);
	assert_true(m.present & MI_MEMAVAILABLE);
}

static void test_meminfo_510(void **state)
{
	struct meminfo m;
	(void)state;
	assert_int_equal(meminfo_parse(load("linux-5.10/meminfo"), &m), 0);
	assert_int_equal(m.mem_total, 4028428);
	assert_int_equal(m.mem_available, 1893200);
	assert_int_equal(m.cached, 1702860);
	assert_int_equal(m.swap_total, 2097148);
	assert_int_equal(m.swap_free, 1961212);
	assert_int_equal(m.committed_as, 3562116);
	assert_int_equal(m.mlocked, 18760);
}

static void test_meminfo_32_no_memavailable(void **state)
{
	struct meminfo m;
	(void)state;
	assert_int_equal(meminfo_parse(load("linux-3.2/meminfo"), &m), 0);
	assert_false(m.present & MI_MEMAVAILABLE);
	/* estimate: MemFree + Buffers + Cached - Shmem */
	assert_int_equal(m.mem_available, 21364 + 17948 + 201408 - 3908);
	assert_int_equal(m.committed_as, 580736);
}

static void test_meminfo_malformed(void **state)
{
	struct meminfo m;
	(void)state;
	assert_int_equal(meminfo_parse(load("malformed/meminfo"), &m), 0);
	assert_int_equal(m.mem_total, 2048000);
	assert_int_equal(m.cached, 300000);        /* SwapCached came first */
	assert_false(m.present & MI_MEMFREE);      /* "lots", and a line without colon */
	assert_false(m.present & MI_BUFFERS);      /* trailing junk */
	assert_false(m.present & MI_MEMAVAILABLE); /* "MB" is not kB */
	assert_int_equal(m.shmem, 20000);          /* unit omitted: accepted */
	assert_int_equal(m.mem_available, 300000 - 20000);
	assert_int_equal(m.committed_as, 900000);
	assert_int_equal(m.mlocked, 4096); /* last line without newline */
	assert_int_equal(meminfo_parse(load("malformed/meminfo_no_total"), &m), -EINVAL);
	assert_int_equal(meminfo_parse("", &m), -EINVAL);
}

static void test_vmstat(void **state)
{
	struct vmstat v;
	(void)state;
	assert_int_equal(vmstat_parse(load("linux-6.18/vmstat"), &v), 0);
	assert_int_equal(v.refault_file, 105056);
	assert_int_equal(v.pgmajfault, 1402);
	assert_int_equal(v.present, VM_PSWPIN | VM_PSWPOUT | VM_PGMAJFAULT | VM_REFAULT_ANON |
					    VM_REFAULT_FILE | VM_OOM_KILL);

	assert_int_equal(vmstat_parse(load("linux-5.10/vmstat"), &v), 0);
	assert_int_equal(v.pswpin, 33911);
	assert_int_equal(v.pswpout, 68127);
	assert_int_equal(v.refault_anon, 3311);
	assert_int_equal(v.refault_file, 918277);
	assert_int_equal(v.oom_kill, 2);

	assert_int_equal(vmstat_parse(load("linux-4.19/vmstat"), &v), 0);
	assert_int_equal(v.refault_file, 45021); /* the single pre-5.9 counter */
	assert_false(v.present & VM_REFAULT_ANON);

	assert_int_equal(vmstat_parse(load("linux-3.2/vmstat"), &v), 0);
	assert_false(v.present & (VM_OOM_KILL | VM_REFAULT_FILE));
	assert_int_equal(v.pswpin, 1205);

	assert_int_equal(vmstat_parse(load("malformed/vmstat"), &v), 0);
	assert_int_equal(v.present, VM_PSWPIN | VM_REFAULT_FILE);
	assert_int_equal(v.pswpin, 12);
	assert_int_equal(v.refault_file, 77);
	assert_int_equal(vmstat_parse("nothing 1\n", &v), -EINVAL);
}

static void test_psi(void **state)
{
	struct psi p;
	(void)state;
	assert_int_equal(psi_parse(load("linux-5.10/pressure_memory"), &p), 0);
	assert_int_equal(p.some.avg10, 153);
	assert_int_equal(p.some.avg60, 87);
	assert_int_equal(p.some.avg300, 21);
	assert_int_equal(p.some.total_us, 48182331);
	assert_true(p.full.present);
	assert_int_equal(p.full.avg10, 42);
	assert_int_equal(p.full.total_us, 20019784);

	assert_int_equal(psi_parse(load("linux-6.18/pressure_memory"), &p), 0);
	assert_int_equal(p.some.total_us, 0);

	/* some is malformed: the file is unusable, but full still parsed */
	assert_int_equal(psi_parse(load("malformed/pressure_memory"), &p), -EINVAL);
	assert_false(p.some.present);
	assert_true(p.full.present);
	assert_int_equal(p.full.avg10, 550);
	assert_int_equal(p.full.avg60, 100);
	assert_int_equal(p.full.total_us, 900);
	/* pre-5.x "some" only */
	assert_int_equal(psi_parse("some avg10=100.00 avg60=0.00 avg300=0.00 total=5\n", &p), 0);
	assert_int_equal(p.some.avg10, 10000);
	assert_false(p.full.present);
}

static void test_sample_read_fake_root(void **state)
{
	char *root = tu_mkdtemp();
	struct sample_paths sp;
	struct sample s = { 0 };
	uint64_t kb;
	(void)state;

	tu_write(root, "proc/meminfo", load("linux-4.19/meminfo"));
	tu_write(root, "proc/vmstat", load("linux-4.19/vmstat"));
	assert_int_equal(sample_paths_init(&sp, root), 0);
	assert_int_equal(sample_read(&sp, &s), 0);
	assert_int_equal(s.mi.mem_total, 1014552);
	assert_true(s.have_vmstat);
	assert_false(s.have_psi); /* 4.19: no PSI */
	tu_write(root, "proc/pressure/memory", load("linux-5.10/pressure_memory"));
	tu_write(root, "proc/zoneinfo", load("linux-5.10/zoneinfo"));
	assert_int_equal(sample_read(&sp, &s), 0);
	assert_true(s.have_psi);
	assert_int_equal(zoneinfo_read_kb(root, 4, &kb), 0);
	assert_int_equal(kb, (3925 + 10481 + 3156) * 4);
	tu_write(root, "proc/meminfo", "garbage\n");
	assert_int_equal(sample_read(&sp, &s), -EINVAL);
	tu_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo_618),
		cmocka_unit_test(test_meminfo_510),
		cmocka_unit_test(test_meminfo_32_no_memavailable),
		cmocka_unit_test(test_meminfo_malformed),
		cmocka_unit_test(test_vmstat),
		cmocka_unit_test(test_psi),
		cmocka_unit_test(test_sample_read_fake_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
