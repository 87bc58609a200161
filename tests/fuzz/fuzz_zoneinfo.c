/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as /proc/zoneinfo. Sums saturate instead of wrapping:
 * the input with one more zone of the same kind never sums to less.
 * Replayed in make check.
 */
#include "fuzz_agent.h"
#include "zoneinfo.h"

static char buf[256 * 1024]; /* zoneinfo.c's buffer */
static char twice[256 * 1024];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zoneinfo_sum one, two;
	size_t n;
	int r;

	r = zoneinfo_parse(fuzz_text(buf, sizeof(buf), data, size), &one);
	if (r < 0)
		return 0;
	/* the text twice (a second node): every sum at least as large */
	n = strlen(buf);
	if (2 * n + 2 > sizeof(twice))
		return 0;
	memcpy(twice, buf, n);
	twice[n] = '\n';
	memcpy(twice + n + 1, buf, n + 1);
	FUZZ_ASSERT(zoneinfo_parse(twice, &two) == 0);
	FUZZ_ASSERT(two.reserve_pages >= one.reserve_pages);
	FUZZ_ASSERT(two.present_pages >= one.present_pages);
	return 0;
}
