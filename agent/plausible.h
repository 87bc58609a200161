/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one place where numbers from the kernel and the balloon drivers enter
 * the agent: bounds and stability checks (a glitch is rejected, and the last
 * believable value kept), and the saturating arithmetic used on every value
 * after it. See selfballoond(8), "Numbers it does not believe".
 */
#ifndef SB_AGENT_PLAUSIBLE_H
#define SB_AGENT_PLAUSIBLE_H

#include <stdbool.h>
#include <stdint.h>

#include "sample.h"

/* MemTotal outside these bounds (kB) is never believed: 16 MiB .. 4 PiB. */
#define PLAUSIBLE_MEMTOTAL_MIN_KB (16ULL * 1024)
#define PLAUSIBLE_MEMTOTAL_MAX_KB (1ULL << 42)
/*
 * A MemTotal more than this factor away from the last believed one is a
 * glitch until it has been read PLAUSIBLE_CONFIRM_READS times in a row, over
 * at least PLAUSIBLE_CONFIRM_MS (a hot-add of much memory is believed then).
 */
#define PLAUSIBLE_JUMP_FACTOR 2
#define PLAUSIBLE_CONFIRM_READS 3
#define PLAUSIBLE_CONFIRM_MS 2000
/* A driver's current size above this multiple of MemTotal is a glitch. */
#define PLAUSIBLE_DRIVER_FACTOR 2

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* a - b, 0 instead of wrapping. */
static inline uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* A jump of a value being confirmed (PLAUSIBLE_JUMP_FACTOR, _CONFIRM_READS, _CONFIRM_MS). */
struct plausible_jump {
	uint64_t cand; /* the new value seen, not yet believed */
	uint64_t since_ms;
	unsigned reads;
};

/*
 * Is value believable after believed? Yes when within PLAUSIBLE_JUMP_FACTOR
 * of it, or when the same new value (give or take 1/64) has been read
 * PLAUSIBLE_CONFIRM_READS times in a row over PLAUSIBLE_CONFIRM_MS.
 */
bool plausible_jump_ok(struct plausible_jump *j, uint64_t believed, uint64_t value,
		       uint64_t now_ms);

/* What the intake remembers: the last believed meminfo and a MemTotal jump being confirmed. */
struct plausible {
	struct meminfo good;
	bool have_good;
	struct plausible_jump total;
};

/* Why a sample was not believed (the condition logged once). */
enum {
	PLAUSIBLE_OK = 0,
	PLAUSIBLE_OUT_OF_BOUNDS = -1000, /* MemTotal outside the absolute bounds */
	PLAUSIBLE_JUMP = -1001,          /* MemTotal jumped; waiting for confirmation */
};

/*
 * Checks MemTotal in a freshly parsed meminfo (read_r is the read/parse
 * result: < 0 means there is nothing to check). On success the other fields
 * are clamped to MemTotal (MemAvailable, MemFree, Mlocked...), *mi is
 * remembered and PLAUSIBLE_OK returned. Otherwise *mi becomes the last
 * believed meminfo (zeroes before the first) and the return value says why:
 * read_r, PLAUSIBLE_OUT_OF_BOUNDS or PLAUSIBLE_JUMP.
 */
int plausible_meminfo(struct plausible *p, int read_r, struct meminfo *mi, uint64_t now_ms);

/* MemTotal within the absolute bounds. */
bool plausible_mem_total(uint64_t kb);

/*
 * The most a driver's current size (MemTotal-equivalent kB) may be for a
 * guest whose believed MemTotal is mem_total_kb.
 */
uint64_t plausible_current_max_kb(uint64_t mem_total_kb);

/*
 * The most the guest's boot size may be: the memory the kernel counts as
 * present (zoneinfo, present_kb; 0 when unknown) plus 1/8, or without it
 * 32 x MemTotal (the auto floor leaves at most about 1/32 of a guest).
 */
uint64_t plausible_boot_max_kb(uint64_t mem_total_kb, uint64_t present_kb);

/* A human word for a plausible_meminfo() result (logs). */
const char *plausible_why(int r, char *buf, unsigned len);

#endif
