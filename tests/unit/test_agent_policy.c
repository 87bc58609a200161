/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for agent/policy.c: the xen formula table, the adaptive pressure response. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "agent_config.h"
#include "testutil.h"
#include "policy.h"
#include "policy_case.h"
#include "util.h"

#define GiB (1024ULL * 1024) /* in kB */
#define MiB 1024ULL

struct xen_case {
	const char *what;
	uint64_t cur, committed, totalreserve, reserved;
	unsigned down, up;
	uint64_t min_kb; /* 0: auto floor */
	uint64_t max_kb; /* 0: none */
	uint64_t boot;
	uint64_t target;
	enum reason reason;
};

/* Hand-computed from xen-selfballoon's rule, in 4 KiB pages. */
static const struct xen_case xen_cases[] = {
	/* goal = 1G + 419430 kB = 367001 pages; 1048576 - (1048576-367001)/8 = 963380 pages */
	{ "down 1/8 of the gap", 4 * GiB, 1 * GiB, 0, 419430, 8, 1, 0, 0, 4 * GiB, 963380 * 4,
	  REASON_GOAL },
	/* down_hysteresis 10 (xenballoond): 1048576 - 681575/10 = 980419 pages */
	{ "down 1/10 of the gap", 4 * GiB, 1 * GiB, 0, 419430, 10, 1, 0, 0, 4 * GiB, 980419 * 4,
	  REASON_GOAL },
	{ "up jumps to the goal", 2 * GiB, 3 * GiB, 0, 0, 8, 1, 0, 0, 4 * GiB, 3 * GiB,
	  REASON_GOAL },
	/* up_hysteresis 2: 524288 + (786432-524288)/2 = 655360 pages */
	{ "up half the gap", 2 * GiB, 3 * GiB, 0, 0, 8, 2, 0, 0, 4 * GiB, 655360 * 4, REASON_GOAL },
	{ "totalreserve counts in the goal", 2 * GiB, 1 * GiB, 1 * GiB, 0, 8, 1, 0, 0, 4 * GiB,
	  2 * GiB, REASON_GOAL },
	{ "at the goal", 2 * GiB, 1 * GiB, 0, 1 * GiB, 8, 1, 0, 0, 4 * GiB, 2 * GiB, REASON_GOAL },
	{ "explicit floor", 4 * GiB, 0, 0, 0, 1, 1, 3 * GiB, 0, 4 * GiB, 3 * GiB, REASON_FLOOR },
	/* auto floor, 1 GiB guest, totalreserve 2048 pages: 2048 + 25344 + (260096-25344)/32 = 34728 pages */
	{ "auto floor 1G", 1 * GiB, 0, 8192, 0, 1, 1, 0, 0, 1 * GiB, 34728 * 4, REASON_FLOOR },
	/* auto floor, 256 MiB guest: 40M + (65536-10240)/8 pages = 10240 + 6912 = 17152 pages */
	{ "auto floor 256M", 256 * MiB, 0, 0, 0, 1, 1, 0, 0, 256 * MiB, 17152 * 4, REASON_FLOOR },
	/* auto floor, 48 MiB guest: 16M + (12288-4096)/2 = 4096 + 4096 pages */
	{ "auto floor 48M", 48 * MiB, 0, 0, 0, 1, 1, 0, 0, 48 * MiB, 8192 * 4, REASON_FLOOR },
	{ "tiny guest is never ballooned", 12 * MiB, 0, 0, 0, 1, 1, 0, 0, 12 * MiB, 12 * MiB,
	  REASON_FLOOR },
	{ "ceiling", 2 * GiB, 8 * GiB, 0, 0, 8, 1, 0, 4 * GiB, 4 * GiB, 4 * GiB, REASON_CEILING },
};

static void setup_conf(struct agent_conf *c, struct policy_conf *pc, enum policy_mode mode,
		       uint64_t memtotal)
{
	agent_conf_defaults(c);
	c->mode = mode;
	policy_conf_resolve(pc, c, memtotal, 4);
}

static void test_xen_table(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < ARRAY_SIZE(xen_cases); i++) {
		const struct xen_case *x = &xen_cases[i];
		struct agent_conf c;
		struct policy_conf pc;
		struct policy_state st = { 0 };
		struct sample s = { 0 };
		struct balloon_view bv = { .current_kb = x->cur, .max_kb = 0, .boot_kb = x->boot };
		struct policy_events ev = { 0 };
		struct decision d;

		setup_conf(&c, &pc, MODE_XEN, x->cur);
		pc.reserved_kb = x->reserved;
		pc.down_hysteresis = x->down;
		pc.up_hysteresis = x->up;
		pc.min_auto = x->min_kb == 0;
		pc.min_kb = x->min_kb;
		pc.max_kb = x->max_kb;
		s.mi.mem_total = x->cur;
		s.mi.committed_as = x->committed;
		s.mi.mem_available =
			x->cur; /* no pressure: the rule alone (see test_xen_mode_holds_under_pressure) */
		s.psi.some.total_us = 999999999;
		s.have_psi = true;
		s.totalreserve_kb = x->totalreserve;
		policy_decide(&pc, &st, &s, &bv, &ev, &d);
		print_message("%s: target %llu reason %s\n", x->what,
			      (unsigned long long)d.target_kb, reason_name(d.reason));
		assert_int_equal(d.target_kb, x->target);
		assert_int_equal(d.reason, x->reason);
		assert_int_equal(d.pressure, 0);
	}
}

static void test_xen_converges(void **state)
{
	struct agent_conf c;
	struct policy_conf pc;
	struct policy_state st = { 0 };
	struct sample s = { 0 };
	struct balloon_view bv = { .current_kb = 8 * GiB, .boot_kb = 8 * GiB };
	struct policy_events ev = { 0 };
	struct decision d;
	int ticks = 0;
	(void)state;

	setup_conf(&c, &pc, MODE_XEN, 8 * GiB);
	assert_int_equal(pc.reserved_kb, 8 * GiB / 10); /* 10 % default */
	s.mi.committed_as = 1 * GiB;
	do {
		s.mi.mem_total = bv.current_kb;
		s.mi.mem_available = bv.current_kb / 2;
		s.now_ms += 5000;
		policy_decide(&pc, &st, &s, &bv, &ev, &d);
		assert_true(d.target_kb <= bv.current_kb);
		bv.current_kb = d.target_kb;
		ticks++;
	} while (d.target_kb > d.goal_kb + 7 * 4 &&
		 ticks < 200); /* (gap)/8 rounds to 0 below 8 pages */
	/* (7/8)^n: the gap of ~6.2 GiB closes to a few pages in about 100 ticks */
	assert_in_range(ticks, 60, 150);
}

/* ---- adaptive ---- */

/* 4 GiB guest, 1 GiB committed, 2.5 GiB available (tests/unit/policy_case.h). */
static void adapt_init(struct policy_case *a)
{
	policy_case_init(a, MODE_ADAPTIVE, 4 * GiB, 2560 * MiB);
}

static void test_adaptive_calm_inflates_rate_limited(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	assert_int_equal(a.d.reason, REASON_RATE);
	policy_case_decide(&a);
	assert_int_equal(a.d.pressure, 0);
	assert_int_equal(a.d.reason, REASON_RATE);
	assert_int_equal(a.d.target_kb, 4 * GiB - a.pc.inflate_rate_kb); /* 5 %/s over 1 s */
}

static void assert_deflates(struct policy_case *a, unsigned bit)
{
	policy_case_decide(a);
	assert_true(a->d.pressure & bit);
	assert_int_equal(a->d.reason, REASON_PRESSURE);
	assert_true(a->d.target_kb >= a->bv.current_kb);
}

static void test_adaptive_psi(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	a.s.psi.some.total_us += 200000; /* 200 ms stalled in 1 s = 20 % */
	assert_deflates(&a, P_PSI);
	assert_int_equal(a.d.psi_some_pct, 2000);
	/* below the threshold: no pressure */
	adapt_init(&a);
	a.s.psi.some.total_us += 50000;
	policy_case_decide(&a);
	assert_int_equal(a.d.pressure, 0);
}

static void test_adaptive_psi_trigger(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	a.ev.psi_trigger = true;
	assert_deflates(&a, P_TRIGGER);
}

static void test_adaptive_refault(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	a.s.vm.refault_file += 3000;
	assert_deflates(&a, P_REFAULT);
	assert_int_equal(a.d.refault_rate, 3000);
}

static void test_adaptive_swapin(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	a.s.vm.pswpin += 1000;
	assert_deflates(&a, P_SWAPIN);
}

static void test_adaptive_memavailable(void **state)
{
	struct policy_case a;
	uint64_t need;
	(void)state;
	adapt_init(&a);
	a.bv.current_kb = 3 * GiB; /* 1 GiB ballooned */
	policy_case_decide(&a);    /* calm: the last target is below 3 GiB */
	a.s.now_ms += 1000;
	a.s.mi.mem_available = 50 * MiB; /* below 3 % of 4 GiB */
	assert_true(policy_avail_short(&a.pc, &a.s.mi));
	assert_deflates(&a, P_AVAILABLE);
	/* at least half of the 1 GiB balloon back */
	need = a.pc.avail_floor_kb + a.pc.headroom_kb - 50 * MiB;
	assert_true(need < 512 * MiB);
	assert_int_equal(a.d.target_kb, 3 * GiB + 512 * MiB);
	/* a small balloon: what MemAvailable needs, when that is more */
	adapt_init(&a);
	a.bv.current_kb = 3840 * MiB; /* 256 MiB ballooned */
	policy_case_decide(&a);
	a.s.now_ms += 1000;
	a.s.mi.mem_available = 50 * MiB;
	assert_deflates(&a, P_AVAILABLE);
	assert_int_equal(a.d.target_kb, 3840 * MiB + need);
}

/*
 * A guest that stalls with its goal met (page cache crowding out a burst)
 * gets half of its balloon back at each pressure decision: the goal alone
 * would hold it where it stalls.
 */
static void test_adaptive_pressure_halves_balloon(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	a.bv.current_kb = 2 * GiB; /* 2 GiB ballooned, the goal (about 1.5 GiB) met */
	policy_case_decide(&a);
	a.s.now_ms += 1000;
	a.s.psi.some.total_us += 300000;
	assert_deflates(&a, P_PSI);
	assert_true(a.d.goal_kb + a.pc.headroom_kb < 2 * GiB);
	assert_int_equal(a.d.target_kb, 3 * GiB);
	/* the next stalled second: half of what is left */
	a.bv.current_kb = 3 * GiB;
	a.s.now_ms += 1000;
	a.s.psi.some.total_us += 300000;
	assert_deflates(&a, P_PSI);
	assert_int_equal(a.d.target_kb, 3584 * MiB);
	/* mode xen holds, never deflates */
	adapt_init(&a);
	a.pc.mode = MODE_XEN;
	a.bv.current_kb = 2 * GiB;
	policy_case_decide(&a);
	a.s.now_ms += 1000;
	a.s.psi.some.total_us += 300000;
	policy_case_decide(&a);
	assert_int_equal(a.d.target_kb, 2 * GiB);
}

/*
 * The fast watch's demand check: Committed_AS up by more than headroom since
 * the last decision wakes one; the decision then grows the guest to the new
 * goal in one step (up_hysteresis 1), not in inflate_rate or tick-sized steps.
 */
static void test_demand_rose(void **state)
{
	struct policy_case a;
	struct meminfo last, now;
	(void)state;
	adapt_init(&a);
	a.bv.current_kb = 1536 * MiB; /* ballooned down to its goal and some */
	last = now = a.s.mi;
	now.committed_as += a.pc.headroom_kb; /* 3 % of 4 GiB: not yet */
	assert_false(policy_demand_rose(&a.pc, &last, &now));
	now.committed_as += 1;
	assert_true(policy_demand_rose(&a.pc, &last, &now));
	now.committed_as = last.committed_as - 100 * MiB; /* demand fell: nothing to hurry */
	assert_false(policy_demand_rose(&a.pc, &last, &now));
	/* a program maps 1 GiB: the decision asks for all of it at once */
	a.s.mi.committed_as += 1 * GiB;
	policy_case_decide(&a);
	assert_int_equal(a.d.pressure, 0);
	assert_true(a.d.target_kb <= a.d.goal_kb && a.d.goal_kb - a.d.target_kb < a.pc.page_kb);
	assert_true(a.d.target_kb > 2 * GiB);
	/* mode xen: the watch stays out of it */
	a.pc.mode = MODE_XEN;
	now.committed_as = last.committed_as + 1 * GiB;
	assert_false(policy_demand_rose(&a.pc, &last, &now));
	/* headroom 0: any rise of more than 1 MiB */
	a.pc.mode = MODE_ADAPTIVE;
	a.pc.headroom_kb = 0;
	now.committed_as = last.committed_as + 1024;
	assert_false(policy_demand_rose(&a.pc, &last, &now));
	now.committed_as++;
	assert_true(policy_demand_rose(&a.pc, &last, &now));
}

/*
 * The sleep rule: far from avail_floor the agent sleeps as long as memory
 * filling at fill_rate needs to reach it, near it the fast watch, never past
 * the next decision; mode xen and fill_rate = 0 keep the old schedule.
 */
static void test_watch_sleep(void **state)
{
	struct policy_case a;
	struct meminfo mi = { .mem_total = 4 * GiB };
	(void)state;
	adapt_init(&a);
	assert_int_equal(a.pc.fill_rate_kb, 6000 * MiB); /* the default, earlyoom's */
	a.pc.fill_rate_kb = 1 * GiB;                     /* 1 GiB/s */
	mi.mem_available = a.pc.avail_floor_kb + 512 * MiB;
	assert_int_equal(policy_watch_sleep_ms(&a.pc, &mi, 100, 5000), 500);
	mi.mem_available = a.pc.avail_floor_kb + 2 * GiB;
	assert_int_equal(policy_watch_sleep_ms(&a.pc, &mi, 100, 5000), 2000);
	assert_int_equal(policy_watch_sleep_ms(&a.pc, &mi, 100, 1500),
			 1500); /* the next decision */
	mi.mem_available = a.pc.avail_floor_kb + 10 * MiB;
	assert_int_equal(policy_watch_sleep_ms(&a.pc, &mi, 100, 5000),
			 100); /* near: the fast watch */
	mi.mem_available = a.pc.avail_floor_kb - 1;
	assert_int_equal(policy_watch_sleep_ms(&a.pc, &mi, 100, 5000), 100);
	assert_int_equal(policy_watch_sleep_ms(&a.pc, &mi, 100, 30), 30);
	mi.mem_available = UINT64_MAX; /* saturates, stays bounded */
	assert_int_equal(policy_watch_sleep_ms(&a.pc, &mi, 100, 5000), 5000);
	mi.mem_available = a.pc.avail_floor_kb + 2 * GiB;
	a.pc.fill_rate_kb = 0; /* no rule: every watch_interval */
	assert_int_equal(policy_watch_sleep_ms(&a.pc, &mi, 100, 5000), 100);
	a.pc.mode = MODE_XEN; /* no fast watch at all */
	assert_int_equal(policy_watch_sleep_ms(&a.pc, &mi, 100, 5000), 5000);
}

static void test_adaptive_oom(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	a.bv.current_kb = 3 * GiB;
	a.s.vm.oom_kill++;
	assert_deflates(&a, P_OOM);
	assert_int_equal(a.d.target_kb, 4 * GiB); /* everything back */
	adapt_init(&a);
	a.bv.current_kb = 3 * GiB;
	a.ev.balloon_oom = true;
	assert_deflates(&a, P_OOM);
	assert_int_equal(a.d.target_kb, 4 * GiB);
}

/*
 * Decisions woken by PSI or the fast watch can be milliseconds apart: rates
 * are measured over >= 1 s, so a few refaults in 5 ms are no pressure; the
 * same counts over 1 s at the threshold are. An OOM kill still acts at once.
 */
static void test_adaptive_rates_need_a_second(void **state)
{
	struct policy_case a;
	uint64_t t0;
	(void)state;
	adapt_init(&a);
	t0 = a.s.now_ms - 1000; /* the baseline decision */
	a.s.now_ms = t0 + 5;
	a.s.vm.refault_file += 20;     /* 4000/s over 5 ms */
	a.s.vm.pswpin += 5;            /* 1000/s over 5 ms */
	a.s.psi.some.total_us += 2000; /* 40 % of 5 ms */
	policy_case_decide(&a);
	assert_int_equal(a.d.pressure, 0);
	assert_int_not_equal(a.d.reason, REASON_PRESSURE);
	a.s.now_ms = t0 + 500;
	policy_case_decide(&a);
	assert_int_equal(a.d.pressure, 0);
	/* 1 s after the baseline: 2560 refaults = exactly refault_rate */
	a.s.now_ms = t0 + 1000;
	a.s.vm.refault_file = a.pc.refault_rate;
	policy_case_decide(&a);
	assert_true(a.d.pressure & P_REFAULT);
	assert_int_equal(a.d.refault_rate, a.pc.refault_rate);
	assert_int_equal(a.d.reason, REASON_PRESSURE);
	/* the next period starts there: 5 ms later nothing counts again, but an OOM kill does */
	a.s.now_ms += 5;
	a.s.vm.refault_file += 20;
	policy_case_decide(&a);
	assert_false(a.d.pressure & (P_REFAULT | P_SWAPIN | P_PSI));
	a.s.now_ms += 5;
	a.s.vm.oom_kill++;
	policy_case_decide(&a);
	assert_true(a.d.pressure & P_OOM);
	a.s.now_ms += 5;
	policy_case_decide(&a); /* counted once */
	assert_false(a.d.pressure & P_OOM);
}

static void test_adaptive_cooldown(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	a.ev.psi_trigger = true;
	policy_case_decide(&a);
	assert_int_equal(a.d.reason, REASON_PRESSURE);
	a.ev.psi_trigger = false;
	a.s.now_ms += 1000;
	policy_case_decide(&a);
	assert_int_equal(a.d.reason, REASON_COOLDOWN);
	assert_int_equal(a.d.target_kb, a.bv.current_kb);
	a.s.now_ms += a.pc.cooldown_ms;
	policy_case_decide(&a);
	assert_int_not_equal(a.d.reason, REASON_COOLDOWN);
	assert_int_equal(a.d.pressure, 0);
	assert_true(a.d.target_kb < a.bv.current_kb);
}

static void test_adaptive_available_floor_limits_inflation(void **state)
{
	struct policy_case a;
	uint64_t keep;
	(void)state;
	adapt_init(&a);
	keep = a.pc.avail_floor_kb + a.pc.headroom_kb;
	a.s.mi.mem_available = keep + 100 * MiB;
	policy_case_decide(&a);
	assert_int_equal(a.d.reason, REASON_AVAILABLE);
	assert_int_equal(a.d.target_kb, 4 * GiB - 100 * MiB);
}

static void test_adaptive_locked_floor(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	a.s.mi.mlocked = 3500 * MiB + 64 * MiB;
	a.bv.own_locked_kb = 64 * MiB; /* our own balloon does not count */
	a.s.mi.mem_available = 4 * GiB;
	a.pc.inflate_rate_kb = 4 * GiB;
	a.pc.down_hysteresis = 1;
	policy_case_decide(&a);
	assert_int_equal(a.d.reason, REASON_FLOOR);
	assert_int_equal(a.d.target_kb, 3500 * MiB);
}

/*
 * Mode xen does not act on pressure (only an OOM kill deflates it), but the
 * rule holds there too: the signals are reported and nothing is lowered
 * while one is present. The fast watch stays adaptive-only.
 */
static void test_xen_mode_holds_under_pressure(void **state)
{
	struct policy_case a;
	(void)state;
	adapt_init(&a);
	a.pc.mode = MODE_XEN;
	a.s.psi.some.total_us += 900000;
	a.s.mi.mem_available = 1;
	a.ev.psi_trigger = true;
	policy_case_decide(&a);
	assert_true(a.d.pressure & (P_PSI | P_AVAILABLE | P_TRIGGER));
	assert_int_equal(a.d.reason, REASON_PRESSURE);
	assert_int_equal(a.d.target_kb, a.bv.current_kb); /* held, not deflated */
	assert_false(policy_avail_short(&a.pc, &a.s.mi));
	/* calm again: the xen rule shrinks toward the goal */
	a.ev.psi_trigger = false;
	a.s.mi.mem_available = 2560 * MiB;
	a.s.now_ms += 1000;
	policy_case_decide(&a);
	assert_int_equal(a.d.pressure, 0);
	assert_int_equal(a.d.reason, REASON_GOAL);
	assert_true(a.d.target_kb < a.bv.current_kb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xen_table),
		cmocka_unit_test(test_xen_converges),
		cmocka_unit_test(test_adaptive_calm_inflates_rate_limited),
		cmocka_unit_test(test_adaptive_psi),
		cmocka_unit_test(test_adaptive_psi_trigger),
		cmocka_unit_test(test_adaptive_refault),
		cmocka_unit_test(test_adaptive_swapin),
		cmocka_unit_test(test_adaptive_memavailable),
		cmocka_unit_test(test_adaptive_oom),
		cmocka_unit_test(test_watch_sleep),
		cmocka_unit_test(test_demand_rose),
		cmocka_unit_test(test_adaptive_pressure_halves_balloon),
		cmocka_unit_test(test_adaptive_rates_need_a_second),
		cmocka_unit_test(test_adaptive_cooldown),
		cmocka_unit_test(test_adaptive_available_floor_limits_inflation),
		cmocka_unit_test(test_adaptive_locked_floor),
		cmocka_unit_test(test_xen_mode_holds_under_pressure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
