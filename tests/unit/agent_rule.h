/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's safety rule as a checker, shared by the property test
 * (tests/unit/test_agent_property.c, numbers from a PRNG) and the policy
 * fuzz target (tests/fuzz/fuzz_policy.c, numbers from the fuzzer's bytes):
 * a generated guest, configuration (reloaded at random), samples (values up
 * to UINT64_MAX), events and a driver that lags or never moves; after every
 * decision:
 *  - no decision lowers the guest's memory while a pressure signal is
 *    present (the test's own knowledge of the inputs, or the decision's) or
 *    an OOM kill was seen within the cool-down, or the inputs are stale;
 *  - the exit path's policy_may_lower() agrees;
 *  - lowering in mode adaptive is at most inflate_rate per second (plus one
 *    driver granule); a ceiling below the current size is approached that
 *    way, in mode xen by the hysteresis; nothing wraps.
 */
#ifndef SB_TESTS_UNIT_AGENT_RULE_H
#define SB_TESTS_UNIT_AGENT_RULE_H

#include <stdio.h>
#include <string.h>

#include "agent_config.h"
#include "plausible.h"
#include "policy.h"

typedef uint64_t (*rule_rnd)(void *ctx);

struct rule_world {
	rule_rnd rnd;
	void *ctx;
	struct agent_conf c;
	struct policy_conf pc;
	struct policy_state st;
	struct sample s;
	struct balloon_view bv;
	uint64_t boot, last_oom_ms;
	bool oom_seen;
	unsigned long decisions, lowered, held_by_pressure, ceiling_approaches;
	char err[256];
};

static inline uint64_t rule_below(struct rule_world *w, uint64_t n)
{
	return n ? w->rnd(w->ctx) % n : 0;
}

/* A value for a /proc field: mostly sane, sometimes absurd. */
static inline uint64_t rule_field(struct rule_world *w, uint64_t sane_max)
{
	switch (rule_below(w, 20)) {
	case 0: return UINT64_MAX;
	case 1: return UINT64_MAX - rule_below(w, 1u << 20);
	case 2: return 0;
	case 3: return w->rnd(w->ctx);
	default: return rule_below(w, sane_max + 1);
	}
}

static inline void rule_conf(struct rule_world *w)
{
	struct agent_conf *c = &w->c;

	agent_conf_defaults(c);
	c->mode = rule_below(w, 3) ? MODE_ADAPTIVE : MODE_XEN;
	c->down_hysteresis = 1 + (unsigned)rule_below(w, 16);
	c->up_hysteresis = 1 + (unsigned)rule_below(w, 4);
	c->min_auto = rule_below(w, 2);
	c->min_memory =
		(struct size_pct){ .permille = (unsigned)rule_below(w, 900), .is_percent = true };
	c->max_auto = rule_below(w, 3) == 0;
	if (rule_below(w, 2))
		c->max_memory = (struct size_pct){ .permille = 100 + (unsigned)rule_below(w, 1400),
						   .is_percent = true };
	else
		c->max_memory =
			(struct size_pct){ .bytes = (w->boot / 2 + rule_below(w, w->boot)) * 1024 };
	c->inflate_rate =
		(struct size_pct){ .permille = (unsigned)rule_below(w, 200), .is_percent = true };
	c->avail_floor =
		(struct size_pct){ .permille = (unsigned)rule_below(w, 100), .is_percent = true };
	c->headroom =
		(struct size_pct){ .permille = (unsigned)rule_below(w, 100), .is_percent = true };
	c->cooldown_ms = rule_below(w, 4) ? rule_below(w, 60000) : 0;
	c->psi_threshold = 1 + (unsigned)rule_below(w, 5000);
	c->refault_rate = rule_below(w, 5000);
	c->swapin_rate = rule_below(w, 500);
	policy_conf_resolve(&w->pc, c, w->boot, 4);
}

#define RULE_FAIL(w, ...)                                          \
	do {                                                       \
		snprintf((w)->err, sizeof((w)->err), __VA_ARGS__); \
		return false;                                      \
	} while (0)

/* The checks after one decision d taken at elapsed_ms since the last one (0: the first). */
static inline bool rule_check(struct rule_world *w, const struct decision *d, bool known_pressure,
			      uint64_t elapsed_ms)
{
	const uint64_t cur = w->bv.current_kb;
	bool oom_recent = w->oom_seen && w->s.now_ms - w->last_oom_ms < w->pc.cooldown_ms;
	uint64_t ms, step, gran;

	w->decisions++;
	if (d->target_kb > w->boot && d->target_kb > cur && d->target_kb > w->pc.max_kb)
		RULE_FAIL(w, "target %llu above boot %llu, current %llu and max %llu",
			  (unsigned long long)d->target_kb, (unsigned long long)w->boot,
			  (unsigned long long)cur, (unsigned long long)w->pc.max_kb);
	if (known_pressure || d->pressure || oom_recent || d->stale) {
		if (d->target_kb < cur)
			RULE_FAIL(w,
				  "decision %lu lowers %llu -> %llu under pressure 0x%x (known %d, "
				  "oom within cool-down %d, stale %d, mode %d)",
				  w->decisions, (unsigned long long)cur,
				  (unsigned long long)d->target_kb, d->pressure, known_pressure,
				  oom_recent, d->stale, w->pc.mode);
		if (cur > 1 && policy_may_lower(&w->pc, &w->st, &w->s, d, cur, cur - 1))
			RULE_FAIL(w, "policy_may_lower allows lowering under pressure 0x%x",
				  d->pressure);
		w->held_by_pressure++;
		return true;
	}
	if (d->target_kb >= cur)
		return true;
	w->lowered++;
	if (w->pc.mode == MODE_ADAPTIVE) {
		/* inflate_rate per second over the time since the last decision (1 s at the first) */
		ms = elapsed_ms ? elapsed_ms : 1000;
		step = sat_mul(w->pc.inflate_rate_kb, ms) / 1000;
		gran = w->bv.granule_kb > w->pc.page_kb ? w->bv.granule_kb : w->pc.page_kb;
		if (cur - d->target_kb > sat_add(step, gran))
			RULE_FAIL(w,
				  "decision %lu lowers by %llu kB, more than inflate_rate allows "
				  "(%llu kB in %llu ms)",
				  w->decisions, (unsigned long long)(cur - d->target_kb),
				  (unsigned long long)step, (unsigned long long)ms);
		if (w->pc.max_kb && cur > w->pc.max_kb)
			w->ceiling_approaches++;
	} else if (w->pc.max_kb && cur > w->pc.max_kb && d->goal_kb >= w->pc.max_kb) {
		/* xen: toward the ceiling by 1/down_hysteresis of the gap, like the goal */
		if (cur - d->target_kb >
		    (cur - w->pc.max_kb) / w->pc.down_hysteresis + w->pc.page_kb)
			RULE_FAIL(w, "xen decision %lu jumps %llu -> %llu toward the ceiling %llu",
				  w->decisions, (unsigned long long)cur,
				  (unsigned long long)d->target_kb,
				  (unsigned long long)w->pc.max_kb);
		w->ceiling_approaches++;
	}
	return true;
}

/* New inputs for one decision; returns what the test itself knows is pressure. */
static inline bool rule_inputs(struct rule_world *w, struct policy_events *ev, bool *oom)
{
	uint64_t oom_before = w->s.vm.oom_kill;

	w->s.now_ms += rule_below(w, 4) ? 5 + rule_below(w, 6000) : rule_below(w, 5);
	w->s.mi.mem_total = w->bv.current_kb;
	w->s.mi.mem_available = rule_field(w, w->bv.current_kb);
	w->s.mi.committed_as = rule_field(w, 2 * w->boot);
	w->s.mi.mlocked = rule_field(w, w->bv.current_kb / 4);
	w->s.mi.unevictable = rule_field(w, w->bv.current_kb / 4);
	w->s.mi_stale = rule_below(w, 30) == 0;
	w->bv.stale = rule_below(w, 30) == 0;
	w->s.totalreserve_kb =
		rule_below(w, 10) ? rule_below(w, w->boot / 20) : rule_field(w, w->boot);
	w->s.vm.refault_file += rule_below(w, 4) ? rule_below(w, 100) : rule_below(w, 100000);
	w->s.vm.pswpin += rule_below(w, 4) ? rule_below(w, 10) : rule_below(w, 10000);
	if (rule_below(w, 25) == 0)
		w->s.vm.oom_kill += 1 + rule_below(w, 3);
	w->s.psi.some.total_us += rule_below(w, 3) ? rule_below(w, 10000) : rule_below(w, 2000000);
	memset(ev, 0, sizeof(*ev));
	ev->psi_trigger = rule_below(w, 15) == 0;
	ev->balloon_oom = rule_below(w, 40) == 0;
	*oom = w->st.have_prev && w->s.have_vmstat && (w->s.vm.present & VM_OOM_KILL) &&
	       w->st.have_oom_kill && w->s.vm.oom_kill != oom_before;
	return ev->balloon_oom || ev->psi_trigger || *oom ||
	       (!w->s.mi_stale && w->s.mi.mem_available < w->pc.avail_floor_kb);
}

/* One generated run of `steps` decisions; false with w->err set at the first violation. */
static inline bool rule_run(struct rule_world *w, rule_rnd rnd, void *ctx, int steps)
{
	struct policy_events ev;
	struct decision d;
	uint64_t prev_ms;
	bool known, oom;
	int i;

	memset(w, 0, sizeof(*w));
	w->rnd = rnd;
	w->ctx = ctx;
	w->boot = (64 + rule_below(w, 64 * 1024)) * 1024; /* 64 MiB .. 64 GiB */
	rule_conf(w);
	w->bv.boot_kb = w->boot;
	w->bv.max_kb = rule_below(w, 2) ? w->boot : 0;
	w->bv.current_kb = w->boot / 4 + rule_below(w, w->boot - w->boot / 4);
	w->bv.granule_kb = rule_below(w, 3) == 0 ? 4096 * (1 + rule_below(w, 16)) : 0;
	w->s.now_ms = 1000 + rule_below(w, 100000);
	w->s.have_vmstat = rule_below(w, 8) != 0;
	w->s.vm.present = rule_below(w, 8) ? VM_OOM_KILL : 0;
	w->s.have_psi = rule_below(w, 8) != 0;
	for (i = 0; i < steps; i++) {
		prev_ms = w->st.have_prev ? w->st.prev_ms : 0;
		if (rule_below(w, 10) == 0) /* SIGHUP: a new configuration, same state */
			rule_conf(w);
		known = rule_inputs(w, &ev, &oom);
		policy_decide(&w->pc, &w->st, &w->s, &w->bv, &ev, &d);
		if (ev.balloon_oom || oom) {
			w->oom_seen = true;
			w->last_oom_ms = w->s.now_ms;
		}
		if (!rule_check(w, &d, known, prev_ms ? w->s.now_ms - prev_ms : 0))
			return false;
		/* the driver: at once, half way (in granules), or not at all */
		switch (rule_below(w, 3)) {
		case 0: w->bv.current_kb = d.target_kb; break;
		case 1: w->bv.current_kb = w->bv.current_kb / 2 + d.target_kb / 2; break;
		default: break;
		}
		if (w->bv.current_kb < 16 * 1024)
			w->bv.current_kb = 16 * 1024;
	}
	return true;
}

#endif
