/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Regressions of the agent's adversarial probe (December 2026; its findings
 * B1-B12 are named at their cases) at unit level: the ceiling and the
 * OOM rule in the policy (B1, B6, B12), saturating arithmetic (B9), driver
 * values (B8), the meminfo intake (B4), bounded writes (B2), the metrics temp
 * file (B3), the PSI trigger (B10).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_config.h"
#include "testutil.h"
#include "driver.h"
#include "fileio.h"
#include "metrics.h"
#include "plausible.h"
#include "policy.h"
#include "policy_case.h"
#include "psi.h"
#include "writefile.h"
#include "zoneinfo.h"

#define GiB (1024ULL * 1024) /* in kB */
#define MiB 1024ULL
#define XEN "sys/devices/system/xen_memory/xen_memory0/"

/* A 4 GiB guest with 1 GiB committed and plenty available (tests/unit/policy_case.h). */
static void pol_init(struct policy_case *p, enum policy_mode mode, uint64_t cur)
{
	policy_case_init(p, mode, cur, 2 * GiB);
}

/* B1 (S20, S21): max_memory below the guest's size, MemAvailable under the floor. */
static void test_ceiling_never_overrides_pressure(void **state)
{
	struct policy_case p;
	(void)state;
	pol_init(&p, MODE_ADAPTIVE, 4 * GiB);
	p.pc.max_kb = 2 * GiB;
	p.s.mi.mem_available = 20 * MiB;
	policy_case_decide(&p);
	assert_true(p.d.pressure & P_AVAILABLE);
	assert_int_equal(p.d.reason, REASON_PRESSURE);
	assert_true(p.d.target_kb >= 4 * GiB);
}

/* B1: without pressure the ceiling is approached at inflate_rate, like any target. */
static void test_ceiling_approached_at_inflate_rate(void **state)
{
	struct policy_case p;
	uint64_t step;
	(void)state;
	pol_init(&p, MODE_ADAPTIVE, 4 * GiB);
	p.pc.max_kb = 2 * GiB;
	p.pc.down_hysteresis = 1;
	p.s.mi.committed_as = 3 * GiB; /* the goal is above the ceiling: the ceiling is the aim */
	step = p.pc.inflate_rate_kb;   /* 1 s since the baseline */
	policy_case_decide(&p);
	assert_int_equal(p.d.pressure, 0);
	assert_int_equal(p.d.target_kb, 4 * GiB - step);
	assert_int_equal(p.d.reason, REASON_RATE);
	/* and it gets there */
	for (int i = 0; i < 100 && p.bv.current_kb > 2 * GiB; i++) {
		p.bv.current_kb = p.d.target_kb;
		p.s.mi.mem_total = p.d.target_kb;
		p.s.now_ms += 1000;
		policy_case_decide(&p);
		assert_true(p.bv.current_kb - p.d.target_kb <= step);
	}
	assert_int_equal(p.d.target_kb, 2 * GiB);
	assert_int_equal(p.d.reason, REASON_CEILING);
}

/* B1 (S22): the userspace balloon OOM-killed with max_memory set: no re-lock in the cool-down. */
static void test_oom_with_ceiling_holds_for_cooldown(void **state)
{
	struct policy_case p;
	(void)state;
	pol_init(&p, MODE_ADAPTIVE, 3 * GiB);
	p.pc.max_kb = 3 * GiB;
	p.bv.own_locked_kb = 1 * GiB;
	/* the child is killed: its memory is back, the guest has its boot size */
	p.bv.current_kb = 4 * GiB;
	p.bv.own_locked_kb = 0;
	p.ev.balloon_oom = true;
	policy_case_decide(&p);
	assert_true(p.d.pressure & P_OOM);
	assert_true(p.d.target_kb >= 4 * GiB);
	p.ev.balloon_oom = false;
	for (uint64_t t = 1000; t < p.pc.cooldown_ms; t += 1000) {
		p.s.now_ms += 1000;
		policy_case_decide(&p);
		assert_true(p.d.target_kb >= 4 * GiB);
	}
	p.s.now_ms += 1000;
	policy_case_decide(&p);
	assert_true(p.d.target_kb < 4 * GiB); /* after the cool-down, toward the ceiling again */
}

/* B6 (S47): mode xen sees an OOM kill, gives memory back and holds it for the cool-down. */
static void test_xen_mode_oom(void **state)
{
	struct policy_case p;
	(void)state;
	pol_init(&p, MODE_XEN, 3 * GiB);
	p.s.mi.committed_as = 0; /* the xen rule alone would shrink the guest */
	p.s.vm.present |= VM_OOM_KILL;
	p.s.vm.oom_kill++;
	policy_case_decide(&p);
	assert_true(p.d.pressure & P_OOM);
	assert_int_equal(p.d.reason, REASON_PRESSURE);
	assert_int_equal(p.d.target_kb, 4 * GiB);
	p.s.now_ms += 5000;
	policy_case_decide(&p);
	assert_true(p.d.target_kb >= 3 * GiB);
	/* the balloon was OOM-killed (userspace driver in xen mode) */
	pol_init(&p, MODE_XEN, 3 * GiB);
	p.s.mi.committed_as = 0;
	p.ev.balloon_oom = true;
	policy_case_decide(&p);
	assert_true(p.d.pressure & P_OOM);
	assert_true(p.d.target_kb >= 3 * GiB);
}

/* The rule holds in mode xen too: MemAvailable under the floor, a PSI trigger: never lower. */
static void test_xen_mode_never_lowers_under_pressure(void **state)
{
	struct policy_case p;
	(void)state;
	pol_init(&p, MODE_XEN, 4 * GiB);
	p.s.mi.committed_as = 0;
	p.s.mi.mem_available = 1;
	policy_case_decide(&p);
	assert_true(p.d.pressure & P_AVAILABLE);
	assert_true(p.d.target_kb >= 4 * GiB);
	p.s.mi.mem_available = 2 * GiB;
	p.ev.psi_trigger = true;
	policy_case_decide(&p);
	assert_true(p.d.target_kb >= 4 * GiB);
	p.ev.psi_trigger = false;
	policy_case_decide(&p); /* calm: the xen rule again, 1/8 of the gap */
	assert_int_equal(p.d.pressure, 0);
	assert_true(p.d.target_kb < 4 * GiB);
}

/* B12: a step smaller than the driver's granule accumulates instead of stalling. */
static void test_granule_does_not_stall(void **state)
{
	struct policy_case p;
	uint64_t start;
	(void)state;
	pol_init(&p, MODE_ADAPTIVE, 2 * GiB);
	p.pc.inflate_rate_kb = 100 * MiB; /* per second */
	p.bv.granule_kb = 64 * MiB;
	p.bv.current_kb = start = 2 * GiB;
	p.bv.boot_kb = p.bv.max_kb = 2 * GiB;
	p.s.mi.committed_as = 0;
	for (int i = 0; i < 40; i++) { /* 300 ms apart: 30 MB a step */
		p.s.now_ms += 300;
		policy_case_decide(&p);
		assert_true(p.d.target_kb <= p.bv.current_kb);
		/* the driver rounds toward a smaller balloon, as driver_userspace does */
		p.bv.current_kb -=
			(p.bv.current_kb - p.d.target_kb) / p.bv.granule_kb * p.bv.granule_kb;
	}
	/* 12 s at 100 MB/s is far more than the 64 MiB the stall allowed */
	assert_true(start - p.bv.current_kb >= 10 * 64 * MiB);
}

/* B9 (S1): Committed_AS of UINT64_MAX saturates the goal; no inflation. */
static void test_goal_saturates(void **state)
{
	struct policy_case p;
	(void)state;
	pol_init(&p, MODE_XEN, 4 * GiB);
	p.s.mi.committed_as = UINT64_MAX;
	p.s.totalreserve_kb = 100 * MiB;
	policy_case_decide(&p);
	assert_int_equal(p.d.goal_kb, UINT64_MAX);
	assert_true(p.d.target_kb >= 4 * GiB);
	pol_init(&p, MODE_ADAPTIVE, 4 * GiB);
	p.s.mi.committed_as = UINT64_MAX - 5;
	p.s.mi.mem_available = 0;
	p.pc.headroom_kb = 1 * GiB;
	policy_case_decide(&p);
	assert_true(p.d.target_kb >= 4 * GiB);
	assert_true(p.d.target_kb <= 4 * GiB); /* and never above the ceiling */
}

/* B9 (S51, S52): zoneinfo's pages x page size and high + protection saturate. */
static void test_zoneinfo_saturates(void **state)
{
	static const char zi[] = "Node 0, zone   Normal\n"
				 "  pages free     1000\n"
				 "        high     4611686018427387904\n"
				 "        managed  4611686018427387904\n"
				 "        protection: (0, 0, 4611686018427387904)\n"
				 "Node 0, zone  Movable\n"
				 "        high     4611686018427387904\n"
				 "        managed  4611686018427387904\n";
	char *root = tu_mkdtemp();
	uint64_t pages = 0, kb = 0;
	(void)state;
	assert_int_equal(zoneinfo_totalreserve(zi, &pages), 0);
	assert_true(pages >= 4611686018427387904ULL);
	tu_write(root, "proc/zoneinfo", zi);
	assert_int_equal(zoneinfo_read_kb(root, 4, &kb), 0);
	assert_int_equal(kb, UINT64_MAX);
	tu_rmtree(root);
}

static void write_ull(const char *root, const char *rel, unsigned long long v)
{
	char b[32];
	snprintf(b, sizeof(b), "%llu\n", v);
	tu_write(root, rel, b);
}

/* B8 (S48): pages that do not fit in kB saturate instead of wrapping. */
static void test_units_saturate(void **state)
{
	(void)state;
	assert_int_equal(driver_from_unit(1ULL << 62, UNIT_PAGES, 4), UINT64_MAX);
	assert_int_equal(driver_from_unit((1ULL << 62) - 1, UNIT_PAGES, 4), UINT64_MAX - 3);
	assert_int_equal(driver_from_unit(1000, UNIT_PAGES, 4), 4000);
	assert_int_equal(driver_to_unit(UINT64_MAX, UNIT_BYTES, 4), UINT64_MAX);
}

/* A sysfs driver on root/sys/fake/{target,cur} (kB), both at kb; the config in *c. */
static void open_fake_sysfs(const char *root, struct agent_conf *c, const struct meminfo *mi,
			    struct balloon_driver *d, unsigned long long kb)
{
	struct driver_params p = { .root = root, .conf = c, .page_kb = 4, .mi = mi };
	char why[256];

	agent_conf_defaults(c);
	snprintf(c->driver, sizeof(c->driver), "sysfs");
	snprintf(c->sysfs_target, sizeof(c->sysfs_target), "/sys/fake/target");
	snprintf(c->sysfs_current, sizeof(c->sysfs_current), "/sys/fake/cur");
	write_ull(root, "sys/fake/target", kb);
	write_ull(root, "sys/fake/cur", kb);
	assert_int_equal(driver_open(d, &p, why, sizeof(why)), 0);
}

/* B8 (S50, S48): a glitched sysfs current file does not poison the boot size. */
static void test_sysfs_current_glitch(void **state)
{
	char *root = tu_mkdtemp();
	struct agent_conf c;
	struct meminfo mi = { .mem_total = 4000000 };
	struct balloon_driver d;
	struct balloon_view bv;
	struct driver_params p = { .root = root, .conf = &c, .page_kb = 4, .mi = &mi };
	char why[256];
	(void)state;

	open_fake_sysfs(root, &c, &mi, &d, 4000000);
	assert_int_equal(d.ops->read(&d, &mi, &bv), 0);
	assert_int_equal(bv.boot_kb, 4000000);
	write_ull(root, "sys/fake/cur", 1000000000000000000ULL);
	assert_true(d.ops->read(&d, &mi, &bv) < 0); /* implausible: rejected */
	write_ull(root, "sys/fake/cur", 3000000);
	assert_int_equal(d.ops->read(&d, &mi, &bv), 0);
	assert_int_equal(bv.current_kb, 3000000);
	assert_int_equal(bv.boot_kb, 4000000);
	assert_int_equal(d.ops->set_target(&d, &mi, UINT64_MAX), 0);
	assert_int_equal(tu_read_ull(root, "sys/fake/target"), 4000000);
	d.ops->close(&d, false);

	/* pages: 2^62 would wrap to 0 kB */
	c.sysfs_unit = UNIT_PAGES;
	write_ull(root, "sys/fake/target", 1000000);
	write_ull(root, "sys/fake/cur", 1000000);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	write_ull(root, "sys/fake/cur", 1ULL << 62);
	assert_true(d.ops->read(&d, &mi, &bv) < 0);
	d.ops->close(&d, false);
	tu_rmtree(root);
}

/* B8 (S71, S72): xen current_kb of 1e18 is never added to a target; low_kb of 50 x is no boot size. */
static void test_xen_values_checked(void **state)
{
	char *root = tu_mkdtemp();
	struct agent_conf c;
	struct meminfo mi = { .mem_total = 4000000 };
	struct balloon_driver d;
	struct balloon_view bv;
	struct driver_params p = { .root = root, .conf = &c, .page_kb = 4, .mi = &mi };
	char why[256];
	(void)state;

	agent_conf_defaults(&c);
	snprintf(c.driver, sizeof(c.driver), "xen");
	write_ull(root, XEN "target_kb", 4100000);
	write_ull(root, XEN "info/current_kb", 4100000);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	write_ull(root, XEN "info/current_kb", 1000000000000000000ULL);
	d.ops->set_target(&d, &mi, 3000000);
	assert_true(tu_read_ull(root, XEN "target_kb") <= 4100000);
	d.ops->close(&d, false);

	write_ull(root, XEN "target_kb", 4100000);
	write_ull(root, XEN "info/current_kb", 4100000);
	write_ull(root, XEN "info/low_kb", 50ULL * 4000000);
	write_ull(root, XEN "info/high_kb", 0);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_int_equal(d.ops->read(&d, &mi, &bv), 0);
	assert_true(bv.boot_kb <= 2 * 4000000ULL);
	assert_int_equal(d.ops->set_target(&d, &mi, UINT64_MAX), 0);
	assert_true(tu_read_ull(root, XEN "target_kb") <= 2 * 4100000ULL);
	d.ops->close(&d, false);
	tu_rmtree(root);
}

/* write(2) interposed: the executable's definition wins over libc's for the code under test. */
static int fake_write; /* 0: real; 1: returns 0; 2: always EINTR */
static unsigned fake_writes;
ssize_t write(int fd, const void *buf, size_t len)
{
	if (fake_write && fd > 2) {
		fake_writes++;
		if (fake_write == 1)
			return 0;
		errno = EINTR;
		return -1;
	}
	return syscall(SYS_write, fd, buf, len);
}

/* B2 (S10): a store that accepts nothing, or is interrupted forever, ends with an error. */
static void test_write_loops_are_bounded(void **state)
{
	char *root = tu_mkdtemp();
	char path[300];
	int r;
	(void)state;
	tu_write(root, "target", "1\n");
	snprintf(path, sizeof(path), "%s/target", root);
	alarm(5); /* the old loop never ends: SIGALRM fails the test */
	fake_write = 1;
	fake_writes = 0;
	r = write_file(path, "42\n", 3);
	fake_write = 0;
	assert_true(r < 0);
	assert_true(fake_writes <= 100);
	fake_write = 2;
	fake_writes = 0;
	r = write_file(path, "42\n", 3);
	fake_write = 0;
	assert_int_equal(r, -EINTR);
	assert_true(fake_writes <= 100);
	alarm(0);
	tu_rmtree(root);
}

/* metrics_write with nothing in it (the format does not matter here). */
static int metrics_empty(const char *path)
{
	struct metrics m = { 0 };
	struct decision d = { 0 };
	struct sample s = { 0 };

	return metrics_write(path, &m, &d, &s, "none", "adaptive");
}

/* Runs metrics_write in a child; true when it returned within 3 s, its result in *r. */
static bool metrics_in_child(const char *path, int *r)
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(3);
		_exit(-metrics_empty(path));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st))
		return false;
	*r = -WEXITSTATUS(st);
	return true;
}

/* B3 (S42, S43): a FIFO or a hard link planted at the temp name is never written through. */
static void test_metrics_tmp_is_safe(void **state)
{
	char *dir = tu_mkdtemp();
	char path[300], tmp[310], victim[300], buf[64];
	struct stat sb;
	int r = 1;
	(void)state;

	snprintf(path, sizeof(path), "%s/x.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(mkfifo(tmp, 0666), 0);
	assert_true(metrics_in_child(path, &r)); /* the old open blocks on the FIFO */
	assert_int_equal(r, 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));

	tu_write(dir, "victim", "precious\n");
	assert_int_equal(link(victim, tmp), 0);
	assert_int_equal(metrics_empty(path), 0);
	assert_string_equal(tu_read(dir, "victim", buf, sizeof(buf)), "precious\n");
	assert_non_null(strstr(tu_read(dir, "x.prom", buf, sizeof(buf)), "selfballoond_info"));

	/* a symlink at the temp name: not followed */
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(metrics_empty(path), 0);
	assert_string_equal(tu_read(dir, "victim", buf, sizeof(buf)), "precious\n");
	tu_rmtree(dir);
}

/* B10 (S6, S7): the PSI trigger is only registered on procfs; a fake tree's file is untouched. */
static void test_psi_trigger_only_on_procfs(void **state)
{
	char *root = tu_mkdtemp();
	char path[300], link_path[300], buf[256];
	static const char psi[] = "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
				  "full avg10=0.00 avg60=0.00 avg300=0.00 total=3\n";
	int fd;
	(void)state;

	tu_write(root, "proc/pressure/memory", psi);
	snprintf(path, sizeof(path), "%s/proc/pressure/memory", root);
	fd = psi_trigger_open(path, 100000, 1000000);
	assert_true(fd < 0);
	assert_string_equal(tu_read(root, "proc/pressure/memory", buf, sizeof(buf)), psi);
	snprintf(link_path, sizeof(link_path), "%s/proc/pressure/link", root);
	assert_int_equal(symlink(path, link_path), 0);
	fd = psi_trigger_open(link_path, 100000, 1000000);
	assert_true(fd < 0);
	assert_string_equal(tu_read(root, "proc/pressure/memory", buf, sizeof(buf)), psi);
	tu_rmtree(root);
}

/* B4 (S3, S4, S14): the meminfo intake: bounds, clamps, a glitch rejected, a real change believed. */
static void test_meminfo_intake(void **state)
{
	struct plausible p = { 0 };
	struct meminfo m = { 0 };
	uint64_t t = 1000;
	int i;
	(void)state;

	m.mem_total = 0;
	assert_int_equal(plausible_meminfo(&p, 0, &m, t), PLAUSIBLE_OUT_OF_BOUNDS);
	assert_int_equal(m.mem_total, 0); /* nothing believed yet */
	m.mem_total = 1000000000000000000ULL;
	assert_int_equal(plausible_meminfo(&p, 0, &m, t), PLAUSIBLE_OUT_OF_BOUNDS);
	m = (struct meminfo){ .mem_total = 4 * GiB,
			      .mem_available = UINT64_MAX,
			      .mlocked = 5 * GiB };
	assert_int_equal(plausible_meminfo(&p, 0, &m, t), PLAUSIBLE_OK);
	assert_int_equal(m.mem_available, 4 * GiB); /* cut to MemTotal */
	assert_int_equal(m.mlocked, 4 * GiB);
	/* S14: MemTotal 1e12 kB for a moment: not believed, the last meminfo stands in */
	m.mem_total = 1000000000000ULL; /* within the bounds, but 250000 times the last one */
	assert_int_equal(plausible_meminfo(&p, 0, &m, t += 100), PLAUSIBLE_JUMP);
	assert_int_equal(m.mem_total, 4 * GiB);
	/* halved at once: a glitch until it stays (3 reads over 2 s) */
	for (i = 0; i < 3; i++) {
		m.mem_total = 2 * GiB - 1;
		assert_int_equal(plausible_meminfo(&p, 0, &m, t += 100), PLAUSIBLE_JUMP);
		assert_int_equal(m.mem_total, 4 * GiB);
	}
	m.mem_total = 2 * GiB - 1;
	assert_int_equal(plausible_meminfo(&p, 0, &m, t += 2000), PLAUSIBLE_OK);
	assert_int_equal(m.mem_total, 2 * GiB - 1);
	/* within a factor of 2: at once; a read error keeps the believed values */
	m.mem_total = 3 * GiB;
	assert_int_equal(plausible_meminfo(&p, 0, &m, t += 100), PLAUSIBLE_OK);
	m.mem_total = 77;
	assert_int_equal(plausible_meminfo(&p, -ENOENT, &m, t += 100), -ENOENT);
	assert_int_equal(m.mem_total, 3 * GiB);
}

/* B7 (S13, S58): a balloon that cannot be read gives a stale view no decision lowers from. */
static void test_driver_read_view_fallback(void **state)
{
	char *root = tu_mkdtemp();
	struct agent_conf c;
	struct meminfo mi = { .mem_total = 4000000 };
	struct balloon_driver d;
	struct balloon_view bv;
	char path[400];
	(void)state;

	open_fake_sysfs(root, &c, &mi, &d, 3000000);
	assert_int_equal(driver_read_view(&d, &mi, &bv), 0);
	assert_false(bv.stale);
	assert_int_equal(bv.current_kb, 3000000);
	tu_write(root, "sys/fake/cur", "garbage\n");
	assert_true(driver_read_view(&d, &mi, &bv) < 0);
	assert_true(bv.stale);
	assert_int_equal(bv.current_kb, 4000000); /* the larger of MemTotal and the last read */
	/* S25-like: the current file replaced by a FIFO: refused at once, never blocks */
	snprintf(path, sizeof(path), "%s/sys/fake/cur", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	assert_int_equal(driver_read_view(&d, &mi, &bv), -EINVAL);
	alarm(0);
	assert_true(bv.stale);
	d.ops->close(&d, false);
	tu_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ceiling_never_overrides_pressure),
		cmocka_unit_test(test_ceiling_approached_at_inflate_rate),
		cmocka_unit_test(test_oom_with_ceiling_holds_for_cooldown),
		cmocka_unit_test(test_xen_mode_oom),
		cmocka_unit_test(test_xen_mode_never_lowers_under_pressure),
		cmocka_unit_test(test_granule_does_not_stall),
		cmocka_unit_test(test_goal_saturates),
		cmocka_unit_test(test_zoneinfo_saturates),
		cmocka_unit_test(test_units_saturate),
		cmocka_unit_test(test_sysfs_current_glitch),
		cmocka_unit_test(test_xen_values_checked),
		cmocka_unit_test(test_write_loops_are_bounded),
		cmocka_unit_test(test_metrics_tmp_is_safe),
		cmocka_unit_test(test_psi_trigger_only_on_procfs),
		cmocka_unit_test(test_meminfo_intake),
		cmocka_unit_test(test_driver_read_view_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
