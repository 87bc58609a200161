/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounds and stability of the numbers the agent reads (see plausible.h). */

#include "plausible.h"

#include <stdio.h>
#include <string.h>

bool plausible_mem_total(uint64_t kb)
{
	return kb >= PLAUSIBLE_MEMTOTAL_MIN_KB && kb <= PLAUSIBLE_MEMTOTAL_MAX_KB;
}

uint64_t plausible_current_max_kb(uint64_t mem_total_kb)
{
	return sat_mul(mem_total_kb, PLAUSIBLE_DRIVER_FACTOR);
}

uint64_t plausible_boot_max_kb(uint64_t mem_total_kb, uint64_t present_kb)
{
	uint64_t base = present_kb > mem_total_kb ? present_kb : mem_total_kb;

	if (!present_kb)
		return sat_mul(mem_total_kb, 32);
	return sat_add(base, base / 8);
}

/* More than PLAUSIBLE_JUMP_FACTOR away from the believed value. */
static bool jumped(uint64_t believed, uint64_t now)
{
	return now > sat_mul(believed, PLAUSIBLE_JUMP_FACTOR) ||
	       now < believed / PLAUSIBLE_JUMP_FACTOR;
}

/* The same value again, give or take 1/64 (a hot-add settling). */
static bool same(uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a;

	return d <= a / 64;
}

bool plausible_jump_ok(struct plausible_jump *j, uint64_t believed, uint64_t value, uint64_t now_ms)
{
	if (!jumped(believed, value)) {
		j->reads = 0;
		return true;
	}
	if (j->reads && same(j->cand, value)) {
		j->reads++;
	} else {
		j->cand = value;
		j->since_ms = now_ms;
		j->reads = 1;
	}
	if (j->reads < PLAUSIBLE_CONFIRM_READS || now_ms - j->since_ms < PLAUSIBLE_CONFIRM_MS)
		return false;
	j->reads = 0;
	return true;
}

static void clamp(uint64_t *v, uint64_t max)
{
	if (*v > max)
		*v = max;
}

int plausible_meminfo(struct plausible *p, int read_r, struct meminfo *mi, uint64_t now_ms)
{
	int r = read_r;

	if (r == 0 && !plausible_mem_total(mi->mem_total))
		r = PLAUSIBLE_OUT_OF_BOUNDS;
	if (r == 0 && p->have_good &&
	    !plausible_jump_ok(&p->total, p->good.mem_total, mi->mem_total, now_ms))
		r = PLAUSIBLE_JUMP;
	if (r == PLAUSIBLE_OK) {
		clamp(&mi->mem_free, mi->mem_total);
		clamp(&mi->mem_available, mi->mem_total);
		clamp(&mi->buffers, mi->mem_total);
		clamp(&mi->cached, mi->mem_total);
		clamp(&mi->shmem, mi->mem_total);
		clamp(&mi->mlocked, mi->mem_total);
		clamp(&mi->unevictable, mi->mem_total);
		clamp(&mi->swap_free, mi->swap_total);
		p->good = *mi;
		p->have_good = true;
		return PLAUSIBLE_OK;
	}
	if (r != PLAUSIBLE_JUMP)
		p->total.reads = 0;
	if (p->have_good)
		*mi = p->good;
	else
		memset(mi, 0, sizeof(*mi));
	return r;
}

const char *plausible_why(int r, char *buf, unsigned len)
{
	if (r == PLAUSIBLE_OUT_OF_BOUNDS)
		snprintf(buf, len, "MemTotal outside %llu kB..%llu kB",
			 (unsigned long long)PLAUSIBLE_MEMTOTAL_MIN_KB,
			 (unsigned long long)PLAUSIBLE_MEMTOTAL_MAX_KB);
	else if (r == PLAUSIBLE_JUMP)
		snprintf(buf, len,
			 "MemTotal changed by more than %dx; believed after %d reads over %d ms",
			 PLAUSIBLE_JUMP_FACTOR, PLAUSIBLE_CONFIRM_READS, PLAUSIBLE_CONFIRM_MS);
	else
		snprintf(buf, len, "%s", strerror(r < 0 ? -r : r));
	return buf;
}
