/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/parse.c: the value parsers (sizes, shares, durations, booleans, integers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "parse.h"

static void test_sizes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("512M", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(parse_size("2G", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(parse_size("64KiB", &v), 0);
	assert_int_equal(v, 64ULL << 10);
	assert_int_equal(parse_size(" 1t ", &v), 0);
	assert_int_equal(v, 1ULL << 40);
	assert_int_equal(parse_size("12Q", &v), -EINVAL);
	assert_int_equal(parse_size("-1M", &v), -EINVAL);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("M", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(parse_size("17179869184G", &v), -ERANGE);
}

static void test_percent(void **state)
{
	uint64_t b = 0;
	unsigned pm = 0;
	bool pct;

	(void)state;
	assert_int_equal(parse_size_or_percent("10%", &b, &pm, &pct), 0);
	assert_true(pct);
	assert_int_equal(pm, 100);
	assert_int_equal(parse_size_or_percent("2.5%", &b, &pm, &pct), 0);
	assert_int_equal(pm, 25);
	assert_int_equal(parse_size_or_percent("256M", &b, &pm, &pct), 0);
	assert_false(pct);
	assert_int_equal(b, 256ULL << 20);
	assert_int_equal(parse_size_or_percent("101%", &b, &pm, &pct), -ERANGE);
	assert_int_equal(parse_size_or_percent("10%%", &b, &pm, &pct), -EINVAL);
}

static void test_durations(void **state)
{
	uint64_t ms;

	(void)state;
	assert_int_equal(parse_duration_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(parse_duration_ms("5s", &ms), 0);
	assert_int_equal(ms, 5000);
	assert_int_equal(parse_duration_ms("60", &ms), 0);
	assert_int_equal(ms, 60000);
	assert_int_equal(parse_duration_ms("2min", &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(parse_duration_ms("1 h", &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(parse_duration_ms("5 parsecs", &ms), -EINVAL);
	assert_int_equal(parse_duration_ms("5s x", &ms), -EINVAL);
	assert_int_equal(parse_duration_ms("s", &ms), -EINVAL);
}

static void test_bools(void **state)
{
	bool b;

	(void)state;
	assert_int_equal(parse_bool("yes", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("OFF", &b), 0);
	assert_false(b);
	assert_int_equal(parse_bool("maybe", &b), -EINVAL);
}

static void test_ints(void **state)
{
	int64_t v = 7;

	(void)state;
	assert_int_equal(parse_int("-900", -1000, 1000, &v), 0);
	assert_int_equal(v, -900);
	assert_int_equal(parse_int("+5", -1000, 1000, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(parse_int(" 1000 ", -1000, 1000, &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(parse_int("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
	assert_true(v == INT64_MIN);
	v = 7;
	assert_int_equal(parse_int("-1001", -1000, 1000, &v), -ERANGE);
	assert_int_equal(parse_int("1001", -1000, 1000, &v), -ERANGE);
	assert_int_equal(parse_int("9223372036854775808", INT64_MIN, INT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_int("99999999999999999999", INT64_MIN, INT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_int("- 5", -1000, 1000, &v), -EINVAL);
	assert_int_equal(parse_int("-", -1000, 1000, &v), -EINVAL);
	assert_int_equal(parse_int("", -1000, 1000, &v), -EINVAL);
	assert_int_equal(parse_int("5x", -1000, 1000, &v), -EINVAL);
	assert_int_equal(parse_int("0x10", -1000, 1000, &v), -EINVAL);
	assert_int_equal(v, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),     cmocka_unit_test(test_percent),
		cmocka_unit_test(test_durations), cmocka_unit_test(test_bools),
		cmocka_unit_test(test_ints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
