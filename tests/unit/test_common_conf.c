/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/conf.c (the INI reader's errors), confkey.c and confset.c (the key table, the typed setters). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "confkey.h"
#include "util.h"

struct t {
	char str[8];
	char path[16];
	uint64_t dur_ms, dur_us, u64;
	unsigned u32;
	int i;
	struct size_pct size;
	int color;
	bool flag;
	char list_buf[32];
	const char *list[4];
	bool twice;
};

static const char *const colors[] = { "red", "green", "blue", NULL };

#define K(sec, key, fn, field, ...) CONF_KEY(sec, key, fn, struct t, field, __VA_ARGS__)

static const struct conf_key keys[] = {
	K("s", "str", conf_set_string, str),
	K("s", "path", conf_set_path, path),
	K("s", "dur", conf_set_duration, dur_ms, .min = 100, .max = 60000),
	K("s", "dur_us", conf_set_duration_us, dur_us, .min = 1, .max = 10000),
	K("s", "u64", conf_set_uint, u64, .max = UINT32_MAX),
	K("s", "u32", conf_set_uint, u32, .min = 1, .max = 1000),
	K("t", "int", conf_set_int, i, .min = -1000, .max = 1000),
	K("t", "size", conf_set_size_pct, size),
	K("t", "color", conf_set_enum, color, .names = colors),
	K("t", "flag", conf_set_bool, flag),
	K("t", "list", conf_set_list, list_buf, .aux = offsetof(struct t, list), .max = 3,
	  .flags = CONF_ABSOLUTE),
	K("t", "str", conf_set_string, str), /* the same key name in another section */
};

static const struct conf_table table = { keys, ARRAY_SIZE(keys) };

static void load_ok(struct t *t, const char *text)
{
	char err[512] = "";

	if (conf_table_load_string(&table, t, "t.conf", text, err, sizeof(err)) != 0)
		fail_msg("rejected: %s", err);
}

/* Loads text into a zeroed struct; expects exactly msg. */
static void expect_error(const char *text, const char *msg)
{
	struct t t = { 0 };
	char err[512] = "";

	if (conf_table_load_string(&table, &t, "t.conf", text, err, sizeof(err)) != -EINVAL)
		fail_msg("accepted: %s", text);
	assert_string_equal(err, msg);
}

static void test_every_type(void **state)
{
	struct t t = { 0 };

	(void)state;
	load_ok(&t, "[s]\nstr = abc\npath = /run/x\ndur = 2s\ndur_us = 250ms\nu64 = 4000000000\n"
		    "u32 = 1000\n[t]\nint = -900\nsize = 2.5%\ncolor = Green\nflag = yes\n"
		    "list = /a, /b\n");
	assert_string_equal(t.str, "abc");
	assert_string_equal(t.path, "/run/x");
	assert_int_equal(t.dur_ms, 2000);
	assert_int_equal(t.dur_us, 250000);
	assert_int_equal(t.u64, 4000000000u);
	assert_int_equal(t.u32, 1000);
	assert_int_equal(t.i, -900);
	assert_true(t.size.is_percent);
	assert_int_equal(t.size.permille, 25);
	assert_int_equal(t.color, 1);
	assert_true(t.flag);
	assert_string_equal(t.list[0], "/a");
	assert_string_equal(t.list[1], "/b");
	assert_null(t.list[2]);
	load_ok(&t, "[t]\nsize = 512M\nlist =\nstr = x\n");
	assert_false(t.size.is_percent);
	assert_int_equal(t.size.bytes, 512 << 20);
	assert_null(t.list[0]);
	assert_string_equal(t.str, "x");
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error("[s]\nstr = 12345678\n",
		     "t.conf:2: [s] str: value too long (at most 7 characters)");
	expect_error("[s]\npath = run/x\n", "t.conf:2: [s] path: 'run/x' is not an absolute path");
	expect_error("[s]\n\ndur = soon\n",
		     "t.conf:3: [s] dur: bad duration 'soon' (examples: 500ms, 30s, 2min)");
	expect_error("[s]\ndur = 50ms\n", "t.conf:2: [s] dur: 50ms is out of range [100ms, 1min]");
	expect_error("[s]\ndur_us = 11s\n", "t.conf:2: [s] dur_us: 11s is out of range [1ms, 10s]");
	expect_error("[s]\nu32 = 0\n", "t.conf:2: [s] u32: 0 is out of range [1, 1000]");
	expect_error("[s]\nu32 = ten\n",
		     "t.conf:2: [s] u32: 'ten' is not a whole number (from 1 to 1000)");
	expect_error("[s]\nu64 = 4294967296\n",
		     "t.conf:2: [s] u64: 4294967296 is out of range [0, 4294967295]");
	expect_error("[t]\nint = -1001\n",
		     "t.conf:2: [t] int: -1001 is out of range [-1000, 1000]");
	expect_error("[t]\nint = 1.5\n",
		     "t.conf:2: [t] int: '1.5' is not a whole number (from -1000 to 1000)");
	expect_error("[t]\nsize = 12Q\n", "t.conf:2: [t] size: bad size '12Q' (e.g. 512M or 10%)");
	expect_error("[t]\ncolor = pink\n",
		     "t.conf:2: [t] color: 'pink' is not red, green or blue");
	expect_error("[t]\nflag = maybe\n",
		     "t.conf:2: [t] flag: 'maybe' is not a boolean (yes/no)");
	expect_error("[t]\nlist = /a b\n", "t.conf:2: [t] list: pattern 'b' must start with /");
	expect_error("[t]\nlist = /a /b /c /d\n", "t.conf:2: [t] list: more than 3 entries");
}

/* A bad list leaves the one already set as it was. */
static void test_list_unchanged_on_error(void **state)
{
	struct t t = { 0 };
	char err[512];

	(void)state;
	load_ok(&t, "[t]\nlist = /x /y\n");
	assert_int_equal(conf_table_load_string(&table, &t, "t.conf", "[t]\nlist = /a b\n", err,
						sizeof(err)),
			 -EINVAL);
	assert_string_equal(t.list[0], "/x");
	assert_string_equal(t.list[1], "/y");
	assert_null(t.list[2]);
}

/* "include = /srv/data/" means the mountpoint /srv/data (mountinfo has no trailing slash); "/" stays */
static void test_list_trailing_slash(void **state)
{
	struct t t = { 0 };

	(void)state;
	load_ok(&t, "[t]\nlist = /srv/data/ / /a//\n");
	assert_string_equal(t.list[0], "/srv/data");
	assert_string_equal(t.list[1], "/");
	assert_string_equal(t.list[2], "/a");
	assert_null(t.list[3]);
}

static void test_unknown_names(void **state)
{
	(void)state;
	expect_error("[s]\nstr = a\nbogus = 1\n", "t.conf:3: [s] bogus: unknown key");
	expect_error("[t]\npath = /x\n", "t.conf:2: [t] path: unknown key");
	/* an unknown section is reported at its header, with or without keys */
	expect_error("[s]\nstr = a\n\n[extra]\nx = 1\n",
		     "t.conf:4: unknown section [extra] (expected [s] or [t])");
	expect_error("[s]\n[extra]\n# nothing here\n",
		     "t.conf:2: unknown section [extra] (expected [s] or [t])");
	expect_error("str = a\n", "t.conf:1: unknown section [] (keys go under [s] or [t])");
	/* the first error wins */
	expect_error("[s]\nfoo = 1\n[extra]\n", "t.conf:2: [s] foo: unknown key");
}

static void test_duplicates(void **state)
{
	struct t t = { 0 };

	(void)state;
	expect_error("[s]\ndur = 1s\nstr = a\n\ndur = 2s\n",
		     "t.conf:5: [s] dur: given twice in this file (keep one)");
	expect_error("[s]\ndur = 1s\n[t]\nflag = no\n[s]\ndur = 2s\n",
		     "t.conf:6: [s] dur: given twice in this file (keep one)");
	/* the same name in two sections, and the same key in two loads, are fine */
	load_ok(&t, "[s]\nstr = a\n[t]\nstr = b\n");
	assert_string_equal(t.str, "b");
	load_ok(&t, "[s]\nstr = c\n");
	assert_string_equal(t.str, "c");
}

/* inih continues a value on an indented line; that is an error, not a silent replacement */
static void test_indented_lines(void **state)
{
	struct t t = { 0 };

	(void)state;
	expect_error("[t]\nlist = /a\n   /b\n",
		     "t.conf:3: an indented line continues the value of list above; a value must "
		     "be on one line");
	expect_error("[t]\nlist = /a\n# comment\n\t/b ; inline\n",
		     "t.conf:4: an indented line continues the value of list above; a value must "
		     "be on one line");
	/* inih reads an indented key after a key as a continuation too */
	expect_error("[s]\nstr = a\n  dur = 1s\n",
		     "t.conf:3: an indented line continues the value of str above; a value must "
		     "be on one line");
	/* indented keys and headers are fine where nothing can be continued */
	load_ok(&t, "  [s]\n  str = a\n[t]\n\tflag = yes\n");
	assert_string_equal(t.str, "a");
	assert_true(t.flag);
	expect_error("  [nope]\n", "t.conf:1: unknown section [nope] (expected [s] or [t])");
}

static void test_set_one(void **state)
{
	struct t t = { 0 };
	char err[512] = "";

	(void)state;
	assert_int_equal(conf_table_set(&table, &t, "t", "color", "blue", err, sizeof(err)), 0);
	assert_int_equal(t.color, 2);
	assert_int_equal(conf_table_set(&table, &t, "t", "color", "x", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "[t] color: 'x' is not red, green or blue");
	assert_int_equal(conf_table_set(&table, &t, "t", "nope", "1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "[t] nope: unknown key");
	assert_int_equal(conf_table_set(&table, &t, "u", "x", "1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown section [u] (expected [s] or [t])");
}

/* Loads path (a file, not a string); returns the result, err gets the message. */
static int load_path(const char *path, char *err, size_t errlen)
{
	struct t t = { 0 };

	err[0] = '\0';
	return conf_table_load(&table, &t, path, err, errlen);
}

/* Only a regular file (or /dev/null) is read; anything else is refused at once, naming what it is. */
static void test_not_a_file(void **state)
{
	char dir[] = "/tmp/sb-conf.XXXXXX", path[64], err[512], want[256];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(load_path(dir, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want),
		 "%s: a directory, not a configuration file (expected a regular file)", dir);
	assert_string_equal(err, want);
	/* a FIFO without a writer: refused, not waited on */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(load_path(path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "fifo: a FIFO, not a configuration file"));
	assert_int_equal(unlink(path), 0);
	/* /dev/zero: refused, not read forever */
	assert_int_equal(load_path("/dev/zero", err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err,
		"/dev/zero: a character device, not a configuration file (expected a regular file)");
	/* /dev/null: the empty configuration */
	assert_int_equal(load_path("/dev/null", err, sizeof(err)), 0);
	/* a file over 1 MiB is not a configuration file */
	snprintf(path, sizeof(path), "%s/big", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 1024 * 1024 + 1), 0);
	fclose(f);
	assert_int_equal(load_path(path, err, sizeof(err)), -EFBIG);
	assert_non_null(
		strstr(err, "big: 1048577 bytes, not a configuration file (at most 1048576)"));
	/* a regular file is read */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[t]\nint = 3\n", f);
	fclose(f);
	assert_int_equal(load_path(path, err, sizeof(err)), 0);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(load_path(path, err, sizeof(err)), -ENOENT);
	assert_int_equal(rmdir(dir), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_list_unchanged_on_error),
		cmocka_unit_test(test_list_trailing_slash),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_indented_lines),
		cmocka_unit_test(test_set_one),
		cmocka_unit_test(test_not_a_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
