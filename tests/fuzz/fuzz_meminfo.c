/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as /proc/meminfo, through the parser and the intake
 * (plausible.c). Whatever the input, a parsed meminfo has MemTotal and
 * Committed_AS, and a believed one has MemTotal within bounds and every
 * field the intake clamps within MemTotal; a refused one is the last
 * believed meminfo. Replayed in make check (tests/fuzz/agent.sh).
 */
#include "fuzz_agent.h"
#include "plausible.h"
#include "sample.h"

static char buf[8192]; /* sample.c's meminfo buffer */

static void check_believed(const struct meminfo *m)
{
	FUZZ_ASSERT(plausible_mem_total(m->mem_total));
	FUZZ_ASSERT(m->mem_available <= m->mem_total && m->mem_free <= m->mem_total);
	FUZZ_ASSERT(m->mlocked <= m->mem_total && m->unevictable <= m->mem_total);
	FUZZ_ASSERT(m->buffers <= m->mem_total && m->cached <= m->mem_total);
	FUZZ_ASSERT(m->shmem <= m->mem_total && m->swap_free <= m->swap_total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plausible p = { 0 };
	struct meminfo m, first;
	int r, rr;

	r = meminfo_parse(fuzz_text(buf, sizeof(buf), data, size), &m);
	if (r == 0)
		FUZZ_ASSERT((m.present & MI_MEMTOTAL) && (m.present & MI_COMMITTED_AS));
	rr = plausible_meminfo(&p, r, &m, 0);
	if (rr == PLAUSIBLE_OK) {
		check_believed(&m);
	} else {
		FUZZ_ASSERT(m.mem_total == 0 && m.committed_as == 0); /* nothing believed yet */
		return 0;
	}
	/* the same input again, a minute later: believed again, identical */
	first = m;
	r = meminfo_parse(buf, &m);
	FUZZ_ASSERT(plausible_meminfo(&p, r, &m, 60000) == PLAUSIBLE_OK);
	FUZZ_ASSERT(memcmp(&first, &m, sizeof(m)) == 0);
	/* a MemTotal 1000 times larger at once is a glitch: the believed one stays */
	m.mem_total = sat_mul(first.mem_total, 1000);
	rr = plausible_meminfo(&p, 0, &m, 60001);
	FUZZ_ASSERT(rr != PLAUSIBLE_OK && m.mem_total == first.mem_total);
	return 0;
}
