/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the balloon drivers on fake sysfs trees. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "testutil.h"
#include "driver.h"
#include "hotplug.h"
#include "policy.h"
#include "util.h"
#include "writefile.h"

#define XEN "sys/devices/system/xen_memory/xen_memory0/"

static void write_ull(const char *root, const char *rel, unsigned long long v)
{
	char b[32];
	snprintf(b, sizeof(b), "%llu\n", v);
	tu_write(root, rel, b);
}

/*
 * A fake hypervisor: each step moves current_kb at most 256 MiB toward
 * target_kb, as the Xen balloon worker does in rounds. MemTotal follows
 * current_kb minus the memory the guest never sees (here 100 MiB).
 */
static void hypervisor_step(const char *root)
{
	unsigned long long t = tu_read_ull(root, XEN "target_kb"),
			   c = tu_read_ull(root, XEN "info/current_kb");
	unsigned long long step = 256 * 1024;
	if (c > t)
		c = c - t > step ? c - step : t;
	else
		c = t - c > step ? c + step : t;
	write_ull(root, XEN "info/current_kb", c);
}

static void test_xen_with_fake_hypervisor(void **state)
{
	char *root = tu_mkdtemp();
	const unsigned long long hidden = 100 * 1024, boot = 4ULL << 20;
	struct agent_conf c;
	struct policy_conf pc;
	struct policy_state st = { 0 };
	struct meminfo mi = { .mem_total = boot - hidden };
	struct balloon_driver d;
	struct balloon_view bv;
	struct decision dec;
	struct policy_events ev = { 0 };
	struct sample s = { 0 };
	char why[256];
	struct driver_params p = { .root = root, .conf = &c, .page_kb = 4, .mi = &mi };
	int tick;
	(void)state;

	agent_conf_defaults(&c);
	snprintf(c.driver, sizeof(c.driver), "auto");
	c.mode = MODE_XEN;

	/* no Xen sysfs: auto falls back to none and says why */
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_string_equal(driver_name(&d), "none");
	assert_non_null(strstr(why, "no Xen balloon"));
	assert_false(d.writes);
	d.ops->close(&d, false);

	write_ull(root, XEN "target_kb", boot);
	write_ull(root, XEN "info/current_kb", boot);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_string_equal(driver_name(&d), "xen");

	policy_conf_resolve(&pc, &c, mi.mem_total, 4);
	s.mi.committed_as = 1ULL << 20; /* 1 GiB committed */
	for (tick = 0; tick < 60; tick++) {
		s.mi.mem_total = tu_read_ull(root, XEN "info/current_kb") - hidden;
		s.mi.mem_available = s.mi.mem_total / 2; /* no pressure: the rule alone */
		s.now_ms += 5000;
		assert_int_equal(d.ops->read(&d, &s.mi, &bv), 0);
		assert_int_equal(bv.current_kb, s.mi.mem_total);
		policy_decide(&pc, &st, &s, &bv, &ev, &dec);
		assert_int_equal(d.ops->set_target(&d, &s.mi, dec.target_kb), 0);
		/* what is written is the MemTotal target plus the memory MemTotal never shows */
		assert_int_equal(tu_read_ull(root, XEN "target_kb"), dec.target_kb + hidden);
		hypervisor_step(root);
	}
	/* converged near the goal (1 GiB + 10 % reserve), far below the 4 GiB start */
	s.mi.mem_total = tu_read_ull(root, XEN "info/current_kb") - hidden;
	assert_in_range(s.mi.mem_total, dec.goal_kb, dec.goal_kb + dec.goal_kb / 50);
	d.ops->close(&d, true); /* on_exit = restore */
	assert_int_equal(tu_read_ull(root, XEN "target_kb"), boot);
	tu_rmtree(root);
}

/*
 * Adaptive mode, xen driver, max_memory = auto, an OOM kill in vmstat: the
 * measured failure was target UINT64_MAX + (current_kb - MemTotal) wrapping
 * to 199999 in target_kb. The target must stay within [current, boot].
 */
static void test_xen_oom_deflate_is_sane(void **state)
{
	char *root = tu_mkdtemp();
	struct agent_conf c;
	struct policy_conf pc;
	struct policy_state st = { 0 };
	struct sample s = { 0 };
	struct balloon_driver d;
	struct balloon_view bv;
	struct decision dec;
	struct policy_events ev = { 0 };
	char why[256];
	struct driver_params p = { .root = root, .conf = &c, .page_kb = 4, .mi = &s.mi };
	(void)state;

	s.mi.mem_total = 4000000;
	s.mi.committed_as = 1000000;
	s.mi.mem_available = 2500000;
	s.have_vmstat = true;
	s.vm.present = VM_OOM_KILL;
	s.now_ms = 100000;
	agent_conf_defaults(&c);
	snprintf(c.driver, sizeof(c.driver), "xen");
	assert_int_equal(c.mode, MODE_ADAPTIVE);
	assert_true(c.max_auto);
	write_ull(root, XEN "target_kb", 4200000);
	write_ull(root, XEN "info/current_kb", 4200000);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	policy_conf_resolve(&pc, &c, s.mi.mem_total, 4);

	assert_int_equal(d.ops->read(&d, &s.mi, &bv), 0);
	policy_decide(&pc, &st, &s, &bv, &ev, &dec); /* baseline */
	s.now_ms += 5000;
	s.vm.oom_kill++;
	assert_int_equal(d.ops->read(&d, &s.mi, &bv), 0);
	policy_decide(&pc, &st, &s, &bv, &ev, &dec);
	assert_true(dec.pressure & P_OOM);
	assert_int_equal(dec.reason, REASON_PRESSURE);
	assert_true(dec.target_kb >= bv.current_kb);
	assert_true(dec.target_kb <= 4000000); /* the boot size */
	assert_int_equal(d.ops->set_target(&d, &s.mi, dec.target_kb), 0);
	assert_int_equal(tu_read_ull(root, XEN "target_kb"), 4200000);
	d.ops->close(&d, false);
	tu_rmtree(root);
}

/* No driver ever writes more than the boot size / max_memory, or a wrapped value. */
static void test_drivers_never_write_above_max(void **state)
{
	char *root = tu_mkdtemp();
	struct agent_conf c;
	struct meminfo mi = { .mem_total = 4000000 };
	struct balloon_driver d;
	char why[256];
	const uint64_t huge[] = { UINT64_MAX, UINT64_MAX - 150000, UINT64_MAX / 1024 + 1, 5000000 };
	static const struct {
		enum sysfs_unit u;
		unsigned long long max;
	} units[] = {
		{ UNIT_KB, 4000000 },
		{ UNIT_PAGES, 1000000 },
		{ UNIT_BYTES, 4000000ULL * 1024 },
	};
	struct driver_params p = { .root = root, .conf = &c, .page_kb = 4, .mi = &mi };
	unsigned i;
	unsigned u;
	(void)state;

	agent_conf_defaults(&c);
	snprintf(c.driver, sizeof(c.driver), "xen");

	/* xen: 200000 kB never visible in MemTotal */
	write_ull(root, XEN "target_kb", 4200000);
	write_ull(root, XEN "info/current_kb", 4200000);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	for (i = 0; i < ARRAY_SIZE(huge); i++) {
		assert_int_equal(d.ops->set_target(&d, &mi, huge[i]), 0);
		assert_int_equal(tu_read_ull(root, XEN "target_kb"), 4200000);
	}
	assert_int_equal(d.ops->set_target(&d, &mi, 3000000), 0); /* below the maximum: as asked */
	assert_int_equal(tu_read_ull(root, XEN "target_kb"), 3200000);
	d.ops->close(&d, false);

	/* xen restarted while 1 GB is in the balloon: the boot size includes it */
	mi.mem_total = 3000000;
	write_ull(root, XEN "info/current_kb", 3200000);
	write_ull(root, XEN "info/low_kb", 0);
	write_ull(root, XEN "info/high_kb", 1000000);
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_int_equal(d.ops->set_target(&d, &mi, UINT64_MAX), 0);
	assert_int_equal(tu_read_ull(root, XEN "target_kb"), 4200000);
	d.ops->close(&d, false);

	/* an explicit max_memory above the boot size is honoured, and is the limit */
	mi.mem_total = 4000000;
	write_ull(root, XEN "info/current_kb", 4200000);
	write_ull(root, XEN "info/high_kb", 0);
	c.max_auto = false;
	c.max_memory = (struct size_pct){ .bytes = 6000000ULL * 1024 };
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_int_equal(d.ops->set_target(&d, &mi, 5000000), 0);
	assert_int_equal(tu_read_ull(root, XEN "target_kb"), 5200000);
	assert_int_equal(d.ops->set_target(&d, &mi, UINT64_MAX), 0);
	assert_int_equal(tu_read_ull(root, XEN "target_kb"), 6200000);
	d.ops->close(&d, false);
	c.max_auto = true;

	/* sysfs, every unit */
	snprintf(c.driver, sizeof(c.driver), "sysfs");
	snprintf(c.sysfs_target, sizeof(c.sysfs_target), "/sys/fake/balloon/target");
	tu_write(root, "sys/fake/balloon/target", "0\n");
	for (u = 0; u < 3; u++) {
		c.sysfs_unit = units[u].u;
		assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
		for (i = 0; i < ARRAY_SIZE(huge); i++) {
			assert_int_equal(d.ops->set_target(&d, &mi, huge[i]), 0);
			assert_int_equal(tu_read_ull(root, "sys/fake/balloon/target"),
					 units[u].max);
		}
		d.ops->close(&d, false);
	}
	tu_rmtree(root);
}

static void test_sysfs_units(void **state)
{
	char *root = tu_mkdtemp();
	struct agent_conf c;
	struct meminfo mi = { .mem_total = 2097152 };
	struct balloon_driver d;
	struct balloon_view bv;
	char why[256];
	struct driver_params p = { .root = root, .conf = &c, .page_kb = 4, .mi = &mi };
	(void)state;

	agent_conf_defaults(&c);
	snprintf(c.driver, sizeof(c.driver), "sysfs");
	snprintf(c.sysfs_target, sizeof(c.sysfs_target), "/sys/fake/balloon/target_pages");
	snprintf(c.sysfs_current, sizeof(c.sysfs_current), "/sys/fake/balloon/current_pages");
	c.sysfs_unit = UNIT_PAGES;

	assert_true(driver_open(&d, &p, why, sizeof(why)) < 0); /* files missing */
	assert_non_null(strstr(why, "sysfs"));
	tu_write(root, "sys/fake/balloon/target_pages", "524288\n");
	tu_write(root, "sys/fake/balloon/current_pages", "500000\n");
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_int_equal(d.ops->read(&d, &mi, &bv), 0);
	assert_int_equal(bv.current_kb, 2000000);
	assert_int_equal(d.ops->set_target(&d, &mi, 1048576), 0);
	assert_int_equal(tu_read_ull(root, "sys/fake/balloon/target_pages"), 262144);
	d.ops->close(&d, false); /* keep */
	assert_int_equal(tu_read_ull(root, "sys/fake/balloon/target_pages"), 262144);

	c.sysfs_unit = UNIT_BYTES;
	c.sysfs_current[0] = '\0';
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_int_equal(d.ops->read(&d, &mi, &bv), 0);
	assert_int_equal(bv.current_kb, mi.mem_total); /* no current file: MemTotal */
	assert_int_equal(d.ops->set_target(&d, &mi, 1024), 0);
	assert_int_equal(tu_read_ull(root, "sys/fake/balloon/target_pages"), 1048576);
	d.ops->close(&d, true); /* restore */
	assert_int_equal(tu_read_ull(root, "sys/fake/balloon/target_pages"), 262144);
	tu_rmtree(root);
}

/* Waits (bounded) until the userspace balloon reports holding `chunks`. */
static bool wait_held(struct balloon_driver *d, const struct meminfo *mi, uint64_t held_kb,
		      struct driver_report *rep, bool *died)
{
	int i;
	for (i = 0; i < 500; i++) {
		struct pollfd p = { .fd = d->ops->poll_fd(d), .events = POLLIN };
		struct balloon_view bv;
		if (p.fd >= 0 && poll(&p, 1, 10) > 0 && d->ops->handle(d, rep) > 0) {
			*died = true;
			return true;
		}
		d->ops->read(d, mi, &bv);
		if (bv.own_locked_kb == held_kb)
			return true;
	}
	return false;
}

static void test_userspace_balloon(void **state)
{
	struct agent_conf c;
	struct meminfo mi = { .mem_total = 64 * 1024 }; /* pretend 64 MiB: the balloon stays tiny */
	struct balloon_driver d;
	struct balloon_view bv;
	struct driver_report rep;
	bool died = false;
	char why[256];
	struct driver_params p = { .root = "/", .conf = &c, .page_kb = 4, .mi = &mi };
	struct rlimit rl;
	int fd, child;
	(void)state;

	if (geteuid() != 0 && (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur < (8u << 20))) {
		tu_skip("needs root or RLIMIT_MEMLOCK >= 8 MiB to mlock the balloon");
	}
	agent_conf_defaults(&c);
	snprintf(c.driver, sizeof(c.driver), "userspace");
	c.chunk_bytes = 1 << 20;
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_int_equal(d.ops->poll_fd(&d), -1);                   /* no child until needed */
	assert_int_equal(d.ops->set_target(&d, &mi, 60 * 1024), 0); /* 4 MiB balloon */
	assert_true(wait_held(&d, &mi, 4096, &rep, &died));
	assert_false(died);
	d.ops->read(&d, &mi, &bv);
	assert_int_equal(bv.current_kb, 60 * 1024);
	assert_int_equal(bv.max_kb, 64 * 1024);
	assert_int_equal(d.ops->set_target(&d, &mi, 62 * 1024 + 512),
			 0); /* rounds to a smaller balloon */
	assert_true(wait_held(&d, &mi, 1024, &rep, &died));

	/* the OOM killer's SIGKILL: the agent notices, reports, and the memory is back */
	fd = d.ops->poll_fd(&d);
	assert_true(fd >= 0);
	child = driver_userspace_child(&d);
	assert_true(child > 0);
	assert_int_equal(kill(child, SIGKILL), 0);
	died = false;
	assert_true(wait_held(&d, &mi, (uint64_t)-1, &rep, &died));
	assert_true(died);
	assert_true(rep.balloon_oom);
	assert_int_equal(rep.freed_kb, 1024);
	d.ops->read(&d, &mi, &bv);
	assert_int_equal(bv.current_kb, 64 * 1024);
	/* a new child comes when the balloon is wanted again */
	assert_int_equal(d.ops->set_target(&d, &mi, 62 * 1024), 0);
	died = false;
	assert_true(wait_held(&d, &mi, 2048, &rep, &died));
	assert_false(died);
	d.ops->close(&d, false);
}

/* The balloon child holds its two pipe ends and stdio, nothing else (also above fd 1023). */
static void test_userspace_child_fds(void **state)
{
	struct agent_conf c;
	struct meminfo mi = { .mem_total = 64 * 1024 };
	struct balloon_driver d;
	struct driver_report rep;
	struct driver_params p = { .root = "/", .conf = &c, .page_kb = 4, .mi = &mi };
	struct rlimit rl;
	char dir[64], why[256];
	struct dirent *e;
	bool died = false;
	int n = 0, high = 1500;
	DIR *fds;
	(void)state;

	if (geteuid() != 0 && (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur < (8u << 20))) {
		tu_skip("needs root or RLIMIT_MEMLOCK >= 8 MiB to mlock the balloon");
	}
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur <= (rlim_t)high && rl.rlim_max > (rlim_t)high) {
		rl.rlim_cur = (rlim_t)high + 1;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	if (rl.rlim_cur <= (rlim_t)high)
		high = 1000; /* the hard limit forbids more; still one the child must not keep */
	assert_int_equal(dup2(0, high), high); /* an fd of the agent's, not close-on-exec */
	agent_conf_defaults(&c);
	snprintf(c.driver, sizeof(c.driver), "userspace");
	c.chunk_bytes = 1 << 20;
	assert_int_equal(driver_open(&d, &p, why, sizeof(why)), 0);
	assert_int_equal(d.ops->set_target(&d, &mi, 63 * 1024), 0);
	assert_true(wait_held(&d, &mi, 1024, &rep, &died));
	assert_false(died);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", driver_userspace_child(&d));
	fds = opendir(dir);
	assert_non_null(fds);
	while ((e = readdir(fds)))
		if (e->d_name[0] != '.') {
			print_message("child fd %s\n", e->d_name);
			assert_true(atoi(e->d_name) <= 4);
			n++;
		}
	closedir(fds);
	assert_int_equal(n, 5);
	d.ops->close(&d, false);
	close(high);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xen_with_fake_hypervisor),
		cmocka_unit_test(test_xen_oom_deflate_is_sane),
		cmocka_unit_test(test_drivers_never_write_above_max),
		cmocka_unit_test(test_sysfs_units),
		cmocka_unit_test(test_userspace_balloon),
		cmocka_unit_test(test_userspace_child_fds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
