/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The balloon policy. mode xen is xen-selfballoon's rule (Linux
 * drivers/xen/xen-selfballoon.c, removed in 5.3) computed in pages:
 *   goal = Committed_AS + totalreserve + reserved
 *   cur > goal: target = cur - (cur - goal) / down_hysteresis
 *   cur < goal: target = cur + (goal - cur) / up_hysteresis
 *   clamp to [floor, ceiling]
 * (a ceiling below the current size is the aim of that step, not a jump).
 * mode adaptive adds the pressure response on top (see selfballoond.conf(5)).
 * In every mode, lowering_forbidden() is the rule no decision breaks.
 */

#include "policy.h"

#include "plausible.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}
static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

void policy_conf_resolve(struct policy_conf *pc, const struct agent_conf *c, uint64_t mem_total_kb,
			 unsigned page_kb)
{
	memset(pc, 0, sizeof(*pc));
	pc->mode = c->mode;
	pc->page_kb = page_kb ? page_kb : 4;
	pc->down_hysteresis = c->down_hysteresis ? c->down_hysteresis : 1;
	pc->up_hysteresis = c->up_hysteresis ? c->up_hysteresis : 1;
	pc->reserved_kb = size_pct_kb(&c->reserved, mem_total_kb);
	pc->min_auto = c->min_auto;
	pc->min_kb = c->min_auto ? 0 : size_pct_kb(&c->min_memory, mem_total_kb);
	pc->max_kb = c->max_auto ? 0 : size_pct_kb(&c->max_memory, mem_total_kb);
	pc->psi_threshold = c->psi_threshold;
	pc->refault_rate = c->refault_rate;
	pc->swapin_rate = c->swapin_rate;
	pc->avail_floor_kb = size_pct_kb(&c->avail_floor, mem_total_kb);
	pc->headroom_kb = size_pct_kb(&c->headroom, mem_total_kb);
	pc->inflate_rate_kb = size_pct_kb(&c->inflate_rate, mem_total_kb);
	pc->fill_rate_kb = size_pct_kb(&c->fill_rate, mem_total_kb);
	pc->cooldown_ms = c->cooldown_ms;
}

/* The xen-selfballoon automatic floor for a guest of boot_kb (kB). */
static uint64_t policy_auto_floor_kb(uint64_t boot_kb, uint64_t totalreserve_kb, unsigned page_kb)
{
	const uint64_t mb = 1024 / page_kb; /* pages per MiB */
	uint64_t maxp = boot_kb / page_kb, tr = totalreserve_kb / page_kb, useful, f;

	useful = maxp > tr ? maxp - tr : 0;
	if (useful < 16 * mb)
		f = maxp;
	else if (useful < 64 * mb)
		f = tr + 16 * mb + (useful - 16 * mb) / 2;
	else if (useful < 512 * mb)
		f = tr + 40 * mb + (useful - 40 * mb) / 8;
	else
		f = tr + 99 * mb + (useful - 99 * mb) / 32;
	return f * page_kb;
}

bool policy_avail_short(const struct policy_conf *pc, const struct meminfo *mi)
{
	return pc->mode == MODE_ADAPTIVE && mi->mem_available < pc->avail_floor_kb;
}

bool policy_demand_rose(const struct policy_conf *pc, const struct meminfo *last,
			const struct meminfo *mi)
{
	return pc->mode == MODE_ADAPTIVE &&
	       mi->committed_as > sat_add(last->committed_as, max_u64(pc->headroom_kb, 1024));
}

uint64_t policy_watch_sleep_ms(const struct policy_conf *pc, const struct meminfo *mi,
			       uint64_t min_ms, uint64_t max_ms)
{
	uint64_t ms;

	if (pc->mode != MODE_ADAPTIVE)
		return max_ms;
	if (!pc->fill_rate_kb || mi->mem_available <= pc->avail_floor_kb)
		return min_ms < max_ms ? min_ms : max_ms;
	ms = sat_mul(mi->mem_available - pc->avail_floor_kb, 1000) / pc->fill_rate_kb;
	if (ms < min_ms)
		ms = min_ms;
	return ms < max_ms ? ms : max_ms;
}

static unsigned pressure_signals(const struct policy_conf *pc, struct policy_state *st,
				 const struct sample *s, const struct policy_events *ev,
				 bool *rate_done, struct decision *d)
{
	uint64_t rate_ms = st->have_prev ? sat_sub(s->now_ms, st->prev_rate_ms) : 0;
	bool fresh = rate_ms >= POLICY_RATE_MIN_MS; /* a rate period just completed */
	uint64_t refaults, pct;
	unsigned p = 0;

	*rate_done = !st->have_prev || fresh;
	if (st->have_prev && st->have_oom_kill && (s->vm.present & VM_OOM_KILL) &&
	    s->vm.oom_kill > st->prev_oom_kill)
		p |= P_OOM; /* not a rate: at once */
	if (fresh) {
		if (s->have_vmstat) {
			refaults = sat_sub(
				sat_add(s->vm.refault_anon, s->vm.refault_file),
				sat_add(st->prev_vm.refault_anon, st->prev_vm.refault_file));
			st->refault_rate = sat_mul(refaults, 1000) / rate_ms;
			st->swapin_rate =
				sat_mul(sat_sub(s->vm.pswpin, st->prev_vm.pswpin), 1000) / rate_ms;
		}
		if (s->have_psi) {
			/* stalled us / elapsed us, as percent x 100 */
			pct = sat_mul(sat_sub(s->psi.some.total_us, st->prev_psi_some_us), 10) /
			      rate_ms;
			st->psi_some_pct = (unsigned)min_u64(pct, 10000);
		}
	}
	d->refault_rate = st->refault_rate;
	d->swapin_rate = st->swapin_rate;
	d->psi_some_pct = st->psi_some_pct;
	/* Every signal in every mode: mode xen does not act on them, but never lowers under them. */
	if (fresh && s->have_psi && d->psi_some_pct >= pc->psi_threshold)
		p |= P_PSI;
	if (ev->psi_trigger)
		p |= P_TRIGGER;
	if (fresh && pc->refault_rate && d->refault_rate >= pc->refault_rate)
		p |= P_REFAULT;
	if (fresh && pc->swapin_rate && d->swapin_rate >= pc->swapin_rate)
		p |= P_SWAPIN;
	if (!s->mi_stale && s->mi.mem_available < pc->avail_floor_kb)
		p |= P_AVAILABLE;
	if (ev->balloon_oom)
		p |= P_OOM;
	return p;
}

/*
 * The rule (selfballoond(8), "The rule"): the guest's memory is never
 * lowered while a pressure signal is present, while the inputs are not
 * believed, within the cool-down after an OOM kill, or (mode adaptive)
 * within the cool-down after any pressure. Decisions, the exit path and
 * reloads (which change only what later decisions aim at) all go through it.
 */
static bool lowering_forbidden(const struct policy_conf *pc, const struct policy_state *st,
			       uint64_t now_ms, const struct decision *d, enum reason *why)
{
	*why = REASON_COOLDOWN;
	if (d->pressure) {
		*why = REASON_PRESSURE;
		return true;
	}
	if (d->stale) {
		*why = REASON_STALE;
		return true;
	}
	if (st->oom_once && sat_sub(now_ms, st->last_oom_ms) < pc->cooldown_ms)
		return true;
	return pc->mode == MODE_ADAPTIVE && st->pressured_once &&
	       sat_sub(now_ms, st->last_pressure_ms) < pc->cooldown_ms;
}

/* MemAvailable that may go into the balloon: what is above avail_floor + headroom. */
static uint64_t avail_to_spare(const struct policy_conf *pc, const struct sample *s)
{
	return sat_sub(s->mi.mem_available, sat_add(pc->avail_floor_kb, pc->headroom_kb));
}

bool policy_may_lower(const struct policy_conf *pc, const struct policy_state *st,
		      const struct sample *s, const struct decision *d, uint64_t cur_kb,
		      uint64_t to_kb)
{
	enum reason why;

	if (to_kb >= cur_kb)
		return true;
	if (lowering_forbidden(pc, st, s->now_ms, d, &why))
		return false;
	return cur_kb - to_kb <= avail_to_spare(pc, s);
}

/*
 * Lowering in mode adaptive: at most what MemAvailable can spare and
 * inflate_rate per second. A driver that moves in granules (the userspace
 * balloon's chunks) gets the steps too small to move it as credit, at most
 * one granule, so a slow rate still moves it instead of stalling.
 */
static uint64_t limit_rate(const struct policy_conf *pc, struct policy_state *st,
			   const struct sample *s, const struct balloon_view *bv,
			   uint64_t elapsed_ms, uint64_t target, struct decision *d)
{
	const uint64_t cur = bv->current_kb;
	uint64_t allowed = avail_to_spare(pc, s);
	uint64_t step = sat_mul(pc->inflate_rate_kb, elapsed_ms ? elapsed_ms : 1000) / 1000;

	if (cur - target > allowed) {
		target = cur - allowed;
		d->reason = REASON_AVAILABLE;
	}
	step = sat_add(step, st->rate_credit_kb);
	if (cur - target > step) {
		target = cur - step;
		d->reason = REASON_RATE;
	}
	st->rate_credit_kb = 0;
	if (bv->granule_kb > pc->page_kb && cur - target < bv->granule_kb) {
		if (d->reason == REASON_RATE) /* only the rate held it back: save it up */
			st->rate_credit_kb = min_u64(step, bv->granule_kb);
		target = cur;
	}
	return target;
}

/* The xen-selfballoon step toward aim, in pages as the kernel did it. */
static uint64_t hysteresis_step(const struct policy_conf *pc, uint64_t cur, uint64_t aim)
{
	uint64_t curp = cur / pc->page_kb, aimp = aim / pc->page_kb, tgtp = curp;

	if (curp > aimp)
		tgtp = curp - (curp - aimp) / pc->down_hysteresis;
	else if (curp < aimp)
		tgtp = curp + (aimp - curp) / pc->up_hysteresis;
	return tgtp * pc->page_kb;
}

/* Floor and ceiling for this decision (d->floor_kb, d->ceiling_kb). */
static void policy_bounds(const struct policy_conf *pc, const struct sample *s,
			  const struct balloon_view *bv, uint64_t boot, struct decision *d)
{
	uint64_t floor, ceiling, locked;

	floor = pc->min_auto ? policy_auto_floor_kb(boot, s->totalreserve_kb, pc->page_kb)
			     : pc->min_kb;
	if (pc->mode == MODE_ADAPTIVE) {
		/* Never squeeze below what is locked (not counting our own balloon) plus kernel reserves. */
		locked = sat_sub(max_u64(s->mi.mlocked, s->mi.unevictable), bv->own_locked_kb);
		floor = max_u64(floor, sat_add(locked, s->totalreserve_kb));
	}
	/*
	 * No maximum from the config or the driver: the size the guest booted
	 * with (never "unlimited": a driver adds to the target and must not wrap).
	 */
	ceiling =
		pc->max_kb ? pc->max_kb : (bv->max_kb ? bv->max_kb : max_u64(boot, bv->current_kb));
	d->floor_kb = min_u64(floor, ceiling);
	d->ceiling_kb = ceiling;
}

/*
 * Under pressure: at least the current size; mode adaptive deflates (the goal
 * plus headroom, what MemAvailable needs, and at least half of the balloon:
 * a guest that stalls with its goal met needs more than the goal says, and
 * how much is unknown, so the balloon shrinks multiplicatively as it grew
 * additively), an OOM kill gives all back.
 */
static uint64_t pressure_target(const struct policy_conf *pc, const struct sample *s,
				const struct balloon_view *bv, uint64_t boot, uint64_t target,
				struct decision *d)
{
	const uint64_t cur = bv->current_kb;
	uint64_t want = cur, need_avail;

	if (pc->mode == MODE_ADAPTIVE) {
		want = max_u64(want, sat_add(d->goal_kb, pc->headroom_kb));
		want = max_u64(want, sat_add(cur, sat_sub(boot, cur) / 2));
		need_avail = sat_add(pc->avail_floor_kb, pc->headroom_kb);
		if (!s->mi_stale && s->mi.mem_available < need_avail)
			want = max_u64(want, sat_add(cur, need_avail - s->mi.mem_available));
	}
	if (d->pressure & P_OOM) /* an OOM kill happened: give everything back */
		want = max_u64(want, boot);
	d->reason = REASON_PRESSURE;
	return max_u64(target, want);
}

static void remember(struct policy_state *st, const struct sample *s, bool rate_done)
{
	st->have_prev = true;
	st->prev_ms = s->now_ms;
	if (s->have_vmstat && (s->vm.present & VM_OOM_KILL)) {
		st->prev_oom_kill = s->vm.oom_kill;
		st->have_oom_kill = true;
	}
	if (rate_done) { /* start the next rate period */
		st->prev_rate_ms = s->now_ms;
		if (s->have_vmstat)
			st->prev_vm = s->vm;
		if (s->have_psi)
			st->prev_psi_some_us = s->psi.some.total_us;
	}
}

void policy_decide(const struct policy_conf *pc, struct policy_state *st, const struct sample *s,
		   const struct balloon_view *bv, const struct policy_events *ev,
		   struct decision *d)
{
	const uint64_t cur = bv->current_kb;
	uint64_t elapsed_ms = st->have_prev ? sat_sub(s->now_ms, st->prev_ms) : 0;
	uint64_t boot = bv->boot_kb ? bv->boot_kb : s->mi.mem_total;
	uint64_t target, aim, hold;
	enum reason why;
	bool rate_done;

	memset(d, 0, sizeof(*d));
	d->current_kb = cur;
	d->stale = s->mi_stale || bv->stale;
	d->pressure = pressure_signals(pc, st, s, ev, &rate_done, d);
	if (d->pressure) {
		st->pressured_once = true;
		st->last_pressure_ms = s->now_ms;
	}
	if (d->pressure & P_OOM) {
		st->oom_once = true;
		st->last_oom_ms = s->now_ms;
	}
	/* The userspace balloon's own mappings are in Committed_AS; they are not demand. */
	d->goal_kb =
		sat_add(sat_add(sat_sub(s->mi.committed_as, bv->own_locked_kb), s->totalreserve_kb),
			pc->reserved_kb);
	policy_bounds(pc, s, bv, boot, d);

	/* xen-selfballoon's step, toward the goal or the ceiling when that is lower. */
	aim = min_u64(d->goal_kb, d->ceiling_kb);
	target = hysteresis_step(pc, cur, aim);
	d->reason = aim < d->goal_kb ? REASON_CEILING : REASON_GOAL;
	if (d->pressure)
		target = pressure_target(pc, s, bv, boot, target, d);
	target = min_u64(target, max_u64(d->ceiling_kb, cur)); /* never grows past the ceiling */
	if (target < d->floor_kb) {
		target = d->floor_kb;
		if (!d->pressure)
			d->reason = REASON_FLOOR;
	}
	if (d->stale && !d->pressure) { /* nothing believed to move from: stay (not applied) */
		target = cur;
		d->reason = REASON_STALE;
	}
	if (lowering_forbidden(pc, st, s->now_ms, d, &why)) {
		/* hold: what the guest has, and what it was last given (a deflate under way) */
		hold = st->have_prev ? min_u64(st->prev_target_kb, max_u64(d->ceiling_kb, cur))
				     : cur;
		hold = max_u64(hold, cur);
		if (target < hold) {
			target = hold;
			if (d->reason != REASON_PRESSURE)
				d->reason = why;
		}
		st->rate_credit_kb = 0;
	} else if (target < cur && pc->mode == MODE_ADAPTIVE) {
		target = limit_rate(pc, st, s, bv, elapsed_ms, target, d);
	} else {
		st->rate_credit_kb = 0;
	}
	d->target_kb = target;
	if (d->ceiling_kb == UINT64_MAX)
		d->ceiling_kb = 0;
	st->prev_target_kb = target;
	remember(st, s, rate_done);
}

const char *reason_name(enum reason r)
{
	static const char *const n[REASON_COUNT] = {
		"goal",       "pressure",  "floor",           "ceiling",
		"rate-limit", "cool-down", "available-floor", "stale-input",
	};
	return (unsigned)r < REASON_COUNT ? n[r] : "?";
}

const char *pressure_names(unsigned bits, char *buf, unsigned len)
{
	static const char *const n[] = { "psi",          "refault", "swapin",
					 "memavailable", "oom",     "psi-trigger" };
	unsigned used = 0, i;
	int w;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(n); i++) {
		if (!(bits & (1u << i)))
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", n[i]);
		if (w < 0 || (unsigned)w >= len - used)
			break;
		used += (unsigned)w;
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}
