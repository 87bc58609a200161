/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/: value parsers and the INI loader's error reporting. */
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

#include "conf.h"
#include "fileio.h"
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

static int handler(void *user, const char *section, const char *key, const char *value, char *err,
		   size_t errlen)
{
	int *count = user;

	if (strcmp(section, "s") || strcmp(key, "k")) {
		snprintf(err, errlen, "unknown key '%s' in [%s]", key, section);
		return -1;
	}
	(*count)++;
	(void)value;
	return 0;
}

static void test_conf_errors(void **state)
{
	char err[512];
	int count = 0;

	(void)state;
	assert_int_equal(conf_load_string("t.conf", "[s]\nk = 1\n# c\nk=2\n", handler, NULL, &count,
					  err, sizeof(err)),
			 0);
	assert_int_equal(count, 2);

	assert_int_equal(conf_load_string("t.conf", "[s]\nk = 1\n\nbogus = 3\n", handler, NULL,
					  &count, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.conf:4: unknown key 'bogus' in [s]");

	/* a syntax error before a bad key is reported as the syntax error, on its own line */
	assert_int_equal(conf_load_string("t.conf", "[s]\nnot a pair\nbogus = 3\n", handler, NULL,
					  &count, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.conf:2: syntax error (expected 'key = value' or '[section]')");

	/* inih cuts lines at 199 bytes: a longer one is an error on its own line, not a later one */
	{
		char text[600];

		snprintf(text, sizeof(text), "[s]\nk = %0250d\nk = 1\n", 7);
		assert_int_equal(
			conf_load_string("t.conf", text, handler, NULL, &count, err, sizeof(err)),
			-EINVAL);
		assert_string_equal(err, "t.conf:2: line too long (at most 198 characters)");
		snprintf(text, sizeof(text), "[s]\nk = %0190d\nbogus = 1\n", 7);
		assert_int_equal(
			conf_load_string("t.conf", text, handler, NULL, &count, err, sizeof(err)),
			-EINVAL);
		assert_string_equal(err, "t.conf:3: unknown key 'bogus' in [s]");
	}

	assert_int_equal(conf_load("/nonexistent/x.conf", handler, NULL, &count, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/x.conf: No such file or directory");
}

static void test_path_join(void **state)
{
	char p[64];

	(void)state;
	assert_int_equal(path_join(p, sizeof(p), "/", "/proc/meminfo"), 0);
	assert_string_equal(p, "/proc/meminfo");
	assert_int_equal(path_join(p, sizeof(p), "/tmp/root/", "proc/meminfo"), 0);
	assert_string_equal(p, "/tmp/root/proc/meminfo");
	assert_int_equal(path_join(p, 8, "/tmp/root", "proc/meminfo"), -ENAMETOOLONG);
}

static void test_read_file(void **state)
{
	char buf[8];
	char path[] = "/tmp/sbtest.XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
	assert_int_equal(read_file(path, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(read_file(path, buf, 4), -EFBIG);
	unlink(path);
	assert_int_equal(read_file(path, buf, sizeof(buf)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),     cmocka_unit_test(test_percent),
		cmocka_unit_test(test_durations), cmocka_unit_test(test_bools),
		cmocka_unit_test(test_ints),      cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_path_join), cmocka_unit_test(test_read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
