/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/fileio.c: paths under a root, files read with read(2) into the caller's buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

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
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
