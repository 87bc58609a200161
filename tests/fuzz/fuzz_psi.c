/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as /proc/pressure/memory. A parsed file has its
 * "some" line; every average is a percentage (at most 100.99 as x100).
 * Replayed in make check.
 */
#include "fuzz_agent.h"
#include "sample.h"

static char buf[512]; /* sample.c's PSI buffer */

static void check_line(const struct psi_line *l)
{
	if (!l->present) {
		FUZZ_ASSERT(l->avg10 == 0 && l->avg60 == 0 && l->avg300 == 0 && l->total_us == 0);
		return;
	}
	FUZZ_ASSERT(l->avg10 <= 10099 && l->avg60 <= 10099 && l->avg300 <= 10099);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psi p;
	int r = psi_parse(fuzz_text(buf, sizeof(buf), data, size), &p);

	FUZZ_ASSERT((r == 0) == p.some.present);
	check_line(&p.some);
	check_line(&p.full);
	return 0;
}
