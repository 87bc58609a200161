/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The balloon policy. mode xen is xen-selfballoon's rule (Linux
 * drivers/xen/xen-selfballoon.c, removed in 5.3) computed in pages:
 *   goal = Committed_AS + totalreserve + reserved
 *   cur > goal: target = cur - (cur - goal) / down_hysteresis
 *   cur < goal: target = cur + (goal - cur) / up_hysteresis
 *   clamp to [floor, ceiling]
 * mode adaptive adds the pressure response on top (see selfballoond.conf(5)).
 */

#include "policy.h"

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
static uint64_t delta(uint64_t now, uint64_t prev)
{
	return now > prev ? now - prev : 0;
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
	pc->cooldown_ms = c->cooldown_ms;
}

uint64_t policy_auto_floor_kb(uint64_t boot_kb, uint64_t totalreserve_kb, unsigned page_kb)
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

static unsigned pressure_signals(const struct policy_conf *pc, struct policy_state *st,
				 const struct sample *s, const struct policy_events *ev,
				 bool *rate_done, struct decision *d)
{
	uint64_t rate_ms = st->have_prev ? delta(s->now_ms, st->prev_rate_ms) : 0;
	bool fresh = rate_ms >= POLICY_RATE_MIN_MS; /* a rate period just completed */
	unsigned p = 0;

	*rate_done = !st->have_prev || fresh;
	if (st->have_prev && s->have_vmstat && delta(s->vm.oom_kill, st->prev_oom_kill) > 0)
		p |= P_OOM; /* not a rate: at once */
	if (fresh) {
		if (s->have_vmstat) {
			uint64_t refaults =
				delta(s->vm.refault_anon + s->vm.refault_file,
				      st->prev_vm.refault_anon + st->prev_vm.refault_file);
			st->refault_rate = refaults * 1000 / rate_ms;
			st->swapin_rate = delta(s->vm.pswpin, st->prev_vm.pswpin) * 1000 / rate_ms;
		}
		if (s->have_psi) {
			/* stalled us / elapsed us, as percent x 100 */
			uint64_t pct =
				delta(s->psi.some.total_us, st->prev_psi_some_us) * 10 / rate_ms;
			st->psi_some_pct = (unsigned)min_u64(pct, 10000);
		}
	}
	d->refault_rate = st->refault_rate;
	d->swapin_rate = st->swapin_rate;
	d->psi_some_pct = st->psi_some_pct;
	if (pc->mode != MODE_ADAPTIVE)
		return 0;
	if (fresh && d->psi_some_pct >= pc->psi_threshold)
		p |= P_PSI;
	if (ev->psi_trigger)
		p |= P_TRIGGER;
	if (fresh && pc->refault_rate && d->refault_rate >= pc->refault_rate)
		p |= P_REFAULT;
	if (fresh && pc->swapin_rate && d->swapin_rate >= pc->swapin_rate)
		p |= P_SWAPIN;
	if (s->mi.mem_available < pc->avail_floor_kb)
		p |= P_AVAILABLE;
	if (ev->balloon_oom)
		p |= P_OOM;
	return p;
}

void policy_decide(const struct policy_conf *pc, struct policy_state *st, const struct sample *s,
		   const struct balloon_view *bv, const struct policy_events *ev,
		   struct decision *d)
{
	const uint64_t page = pc->page_kb;
	const uint64_t cur = bv->current_kb;
	uint64_t elapsed_ms = st->have_prev ? delta(s->now_ms, st->prev_ms) : 0;
	uint64_t goal, curp, goalp, tgtp, target, floor, ceiling, boot;
	bool rate_done;

	memset(d, 0, sizeof(*d));
	d->current_kb = cur;
	d->pressure = pressure_signals(pc, st, s, ev, &rate_done, d);

	/* xen-selfballoon, in pages as the kernel did it. */
	/* The userspace balloon's own mappings are in Committed_AS; they are not demand. */
	goal = delta(s->mi.committed_as, bv->own_locked_kb) + s->totalreserve_kb + pc->reserved_kb;
	curp = cur / page;
	goalp = goal / page;
	if (curp > goalp)
		tgtp = curp - (curp - goalp) / pc->down_hysteresis;
	else if (curp < goalp)
		tgtp = curp + (goalp - curp) / pc->up_hysteresis;
	else
		tgtp = curp;
	target = tgtp * page;
	d->reason = REASON_GOAL;

	floor = pc->min_auto ? policy_auto_floor_kb(bv->boot_kb ? bv->boot_kb : s->mi.mem_total,
						    s->totalreserve_kb, pc->page_kb)
			     : pc->min_kb;
	if (pc->mode == MODE_ADAPTIVE) {
		/* Never squeeze below what is locked (not counting our own balloon) plus kernel reserves. */
		uint64_t locked =
			delta(max_u64(s->mi.mlocked, s->mi.unevictable), bv->own_locked_kb);
		floor = max_u64(floor, locked + s->totalreserve_kb);
	}
	/*
	 * No maximum from the config or the driver: the size the guest booted
	 * with (never "unlimited": a driver adds to the target and must not wrap).
	 */
	boot = bv->boot_kb ? bv->boot_kb : s->mi.mem_total;
	ceiling = pc->max_kb ? pc->max_kb : (bv->max_kb ? bv->max_kb : max_u64(boot, cur));
	if (floor > ceiling)
		floor = ceiling;

	if (d->pressure) {
		uint64_t want = goal + pc->headroom_kb;
		uint64_t need_avail = pc->avail_floor_kb + pc->headroom_kb;

		st->pressured_once = true;
		st->last_pressure_ms = s->now_ms;
		if (s->mi.mem_available < need_avail)
			want = max_u64(want, cur + (need_avail - s->mi.mem_available));
		if (d->pressure & P_OOM) /* an OOM kill happened: give everything back */
			want = min_u64(ceiling, max_u64(cur, boot));
		target = max_u64(max_u64(target, want), cur);
		d->reason = REASON_PRESSURE;
	} else if (pc->mode == MODE_ADAPTIVE && target < cur) {
		uint64_t keep = pc->avail_floor_kb + pc->headroom_kb;
		uint64_t allowed = s->mi.mem_available > keep ? s->mi.mem_available - keep : 0;
		uint64_t step = pc->inflate_rate_kb * (elapsed_ms ? elapsed_ms : 1000) / 1000;

		if (st->pressured_once && s->now_ms - st->last_pressure_ms < pc->cooldown_ms) {
			target = cur;
			d->reason = REASON_COOLDOWN;
		} else {
			if (cur - target > allowed) {
				target = cur - allowed;
				d->reason = REASON_AVAILABLE;
			}
			if (cur - target > step) {
				target = cur - step;
				d->reason = REASON_RATE;
			}
		}
	}

	if (target < floor) {
		target = floor;
		if (!d->pressure)
			d->reason = REASON_FLOOR;
	}
	if (target > ceiling) {
		target = ceiling;
		if (!d->pressure)
			d->reason = REASON_CEILING;
	}

	d->target_kb = target;
	d->goal_kb = goal;
	d->floor_kb = floor;
	d->ceiling_kb = ceiling == UINT64_MAX ? 0 : ceiling;

	st->have_prev = true;
	st->prev_ms = s->now_ms;
	if (s->have_vmstat)
		st->prev_oom_kill = s->vm.oom_kill;
	if (rate_done) { /* start the next rate period */
		st->prev_rate_ms = s->now_ms;
		if (s->have_vmstat)
			st->prev_vm = s->vm;
		if (s->have_psi)
			st->prev_psi_some_us = s->psi.some.total_us;
	}
}

const char *reason_name(enum reason r)
{
	static const char *const n[REASON_COUNT] = {
		"goal",       "pressure",  "floor",           "ceiling",
		"rate-limit", "cool-down", "available-floor",
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
