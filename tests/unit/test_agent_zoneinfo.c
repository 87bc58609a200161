/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for agent/zoneinfo.c on committed fixtures from several kernels. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "zoneinfo.h"

static char buf[262144];

/* The committed /proc/zoneinfo of a kernel ("" when it cannot be read). */
static const char *fixture(const char *kernel)
{
	char dir[1024], rel[64];

	snprintf(rel, sizeof(rel), "%s/zoneinfo", kernel);
	return tu_read(tu_fixture("agent", dir, sizeof(dir)), rel, buf, sizeof(buf));
}

static void test_zoneinfo(void **state)
{
	uint64_t pages;
	(void)state;
	/* DMA min(3976, 49+3876) + DMA32 (9516+965) + Normal 3156 + Movable 0 */
	assert_int_equal(zoneinfo_totalreserve(fixture("linux-5.10"), &pages), 0);
	assert_int_equal(pages, 3925 + 10481 + 3156);
	/* DMA capped at managed 3840; DMA32 12529+3072; Normal 12750; empty zones 0 */
	assert_int_equal(zoneinfo_totalreserve(fixture("linux-6.18"), &pages), 0);
	assert_int_equal(pages, 3840 + 15601 + 12750);
	assert_int_equal(zoneinfo_totalreserve("garbage\n", &pages), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zoneinfo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
