/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The balloon policy: a pure function of sample + state + config -> decision. No I/O. */
#ifndef SB_AGENT_POLICY_H
#define SB_AGENT_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_config.h"
#include "sample.h"

enum reason {
	REASON_GOAL,      /* moving toward Committed_AS + reserves (hysteresis applied) */
	REASON_PRESSURE,  /* deflating because the guest is short */
	REASON_FLOOR,     /* held up by min_memory / locked memory */
	REASON_CEILING,   /* held down by max_memory / the driver's maximum */
	REASON_RATE,      /* inflation cut to inflate_rate */
	REASON_COOLDOWN,  /* inflation held back after recent pressure */
	REASON_AVAILABLE, /* inflation stopped to keep MemAvailable above avail_floor + headroom */
	REASON_STALE,     /* inputs not read or not believed: nothing lowered */
	REASON_COUNT
};

/* Bits of decision.pressure: which signals said "short". */
enum {
	P_PSI = 1u << 0,
	P_REFAULT = 1u << 1,
	P_SWAPIN = 1u << 2,
	P_AVAILABLE = 1u << 3,
	P_OOM = 1u << 4,
	P_TRIGGER = 1u << 5,
};

/* Config resolved to kB for one MemTotal (done at start and on reload). */
struct policy_conf {
	enum policy_mode mode;
	unsigned page_kb;
	unsigned down_hysteresis, up_hysteresis;
	uint64_t reserved_kb;
	bool min_auto;
	uint64_t min_kb;                                       /* explicit min_memory */
	uint64_t max_kb;                                       /* 0: driver maximum (or none) */
	unsigned psi_threshold;                                /* percent x 100 */
	uint64_t refault_rate, swapin_rate;                    /* pages/s; 0 = ignore */
	uint64_t avail_floor_kb, headroom_kb, inflate_rate_kb; /* rate per second */
	uint64_t fill_rate_kb;                                 /* per second; 0: no sleep rule */
	uint64_t cooldown_ms;
};

void policy_conf_resolve(struct policy_conf *pc, const struct agent_conf *c, uint64_t mem_total_kb,
			 unsigned page_kb);

/*
 * Rates (refaults, swap-ins, PSI stall share) are measured over at least this
 * long: decisions woken by PSI or the fast watch can be milliseconds apart, and
 * a few refaults in 5 ms are not 1000/s of pressure. An OOM kill acts at once.
 */
#define POLICY_RATE_MIN_MS 1000

/* What the policy remembers between calls (owned by the caller, zeroed at start). */
struct policy_state {
	bool have_prev;
	uint64_t prev_ms; /* the last decision */
	/* counters at the start of the current rate period (prev_rate_ms) */
	struct vmstat prev_vm;
	uint64_t prev_psi_some_us;
	uint64_t prev_rate_ms;
	uint64_t prev_oom_kill; /* at the last decision that read it */
	bool have_oom_kill;
	/* the last complete period's rates, reported until the next one completes */
	uint64_t refault_rate, swapin_rate;
	unsigned psi_some_pct;
	bool pressured_once;
	uint64_t last_pressure_ms;
	bool oom_once; /* an OOM kill was seen, the last at last_oom_ms */
	uint64_t last_oom_ms;
	uint64_t rate_credit_kb; /* inflate_rate saved up for a driver's granule */
	uint64_t prev_target_kb; /* the last decision's target */
};

/* What the driver says about the balloon, MemTotal-equivalent kB. */
struct balloon_view {
	uint64_t current_kb;    /* memory the guest has now */
	uint64_t max_kb;        /* most it can have (0 = unknown) */
	uint64_t boot_kb;       /* size for the auto floor (max_pfn in xen-selfballoon) */
	uint64_t own_locked_kb; /* memory the driver itself holds locked (userspace) */
	uint64_t granule_kb;    /* the driver moves in steps of this (0: any) */
	bool stale;             /* not read this time: a fallback, never lowered from */
};

/* Extra events since the last call. */
struct policy_events {
	bool psi_trigger; /* the PSI trigger fd fired */
	bool balloon_oom; /* the balloon was OOM-killed */
};

struct decision {
	uint64_t target_kb;
	uint64_t current_kb, goal_kb, floor_kb, ceiling_kb;
	enum reason reason;
	bool stale;            /* the inputs were not believed (see REASON_STALE) */
	unsigned pressure;     /* P_* bits */
	unsigned psi_some_pct; /* percent x 100 stalled over the last period (>= 1 s) */
	uint64_t refault_rate, swapin_rate; /* pages/s over the last period (>= 1 s) */
};

void policy_decide(const struct policy_conf *pc, struct policy_state *st, const struct sample *s,
		   const struct balloon_view *bv, const struct policy_events *ev,
		   struct decision *d);

/*
 * The rule for anything that lowers the guest's memory outside a decision
 * (the exit path's restore): may it go from cur_kb to to_kb at once, after
 * decision d on sample s? No while a pressure signal is present, while the
 * inputs are not believed, within the cool-down after an OOM kill (or, mode
 * adaptive, after any pressure), or when MemAvailable cannot spare it above
 * avail_floor + headroom.
 */
bool policy_may_lower(const struct policy_conf *pc, const struct policy_state *st,
		      const struct sample *s, const struct decision *d, uint64_t cur_kb,
		      uint64_t to_kb);

/* Cheap check for the fast watch: is MemAvailable under the floor? */
bool policy_avail_short(const struct policy_conf *pc, const struct meminfo *mi);

/*
 * The other check for the fast watch (mode adaptive): has Committed_AS risen
 * by more than headroom (at least 1 MiB) since the decision that read last?
 * A program that just mapped its memory is about to touch it: the goal moved,
 * and a decision now can grow the guest before the pages are faulted in.
 */
bool policy_demand_rose(const struct policy_conf *pc, const struct meminfo *last,
			const struct meminfo *mi);

/*
 * The sleep rule (mode adaptive): how long the agent may sleep before it
 * reads MemAvailable again. As long as memory filling at fill_rate needs to
 * bring MemAvailable down to avail_floor, but at least min_ms (the fast
 * watch) and at most max_ms (the next full decision). Mode xen, or no
 * fill_rate: max_ms and min_ms.
 */
uint64_t policy_watch_sleep_ms(const struct policy_conf *pc, const struct meminfo *mi,
			       uint64_t min_ms, uint64_t max_ms);

const char *reason_name(enum reason r);
/* "psi,available" into buf ("none" when 0). */
const char *pressure_names(unsigned bits, char *buf, unsigned len);

#endif
