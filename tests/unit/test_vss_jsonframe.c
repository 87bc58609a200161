/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for vss/jsonframe.c: QGA request framing (back to back, bytewise, resync, bounds). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonframe.h"

struct event {
	enum frame_event ev;
	char *text;
	size_t len;
};

struct collect {
	struct event ev[64];
	size_t n;
};

static void on_event(void *ctx, enum frame_event ev, const char *text, size_t len)
{
	struct collect *c = ctx;

	assert_true(c->n < 64);
	c->ev[c->n].ev = ev;
	c->ev[c->n].len = len;
	c->ev[c->n].text = text ? strndup(text, len) : NULL;
	if (ev == FRAME_OBJECT) {
		assert_non_null(text);
		assert_int_equal(strlen(text), len); /* NUL-terminated at len */
	}
	c->n++;
}

static void collect_free(struct collect *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->ev[i].text);
	c->n = 0;
}

static struct jsonframe *new_frame(void)
{
	struct jsonframe *f = malloc(sizeof(*f));

	assert_non_null(f);
	jsonframe_reset(f);
	return f;
}

static void feed_str(struct jsonframe *f, const char *s, struct collect *c)
{
	jsonframe_feed(f, s, strlen(s), on_event, c);
}

static void feed_bytewise(struct jsonframe *f, const char *s, size_t n, struct collect *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		jsonframe_feed(f, s + i, 1, on_event, c);
}

static void expect_object(const struct collect *c, size_t i, const char *text)
{
	assert_true(i < c->n);
	assert_int_equal(c->ev[i].ev, FRAME_OBJECT);
	assert_string_equal(c->ev[i].text, text);
}

static const char back_to_back[] = "{\"execute\":\"guest-ping\"}{\"b\":[1,{\"c\":2}],\"d\":{}}\n"
				   "  \r\n\t{\"execute\":\"guest-sync\",\"arguments\":{\"id\":7}}";

static void test_frame_back_to_back(void **state)
{
	struct jsonframe *f = new_frame();
	struct collect c = { 0 };

	(void)state;
	feed_str(f, back_to_back, &c);
	assert_int_equal(c.n, 3);
	expect_object(&c, 0, "{\"execute\":\"guest-ping\"}");
	expect_object(&c, 1, "{\"b\":[1,{\"c\":2}],\"d\":{}}");
	expect_object(&c, 2, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":7}}");
	collect_free(&c);
	free(f);
}

static void test_frame_bytewise(void **state)
{
	struct jsonframe *f = new_frame();
	struct collect c = { 0 };

	(void)state;
	feed_bytewise(f, back_to_back, strlen(back_to_back), &c);
	assert_int_equal(c.n, 3);
	expect_object(&c, 0, "{\"execute\":\"guest-ping\"}");
	expect_object(&c, 1, "{\"b\":[1,{\"c\":2}],\"d\":{}}");
	expect_object(&c, 2, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":7}}");
	/* nothing pending afterwards */
	assert_int_equal(f->depth, 0);
	collect_free(&c);
	free(f);
}

static void test_frame_strings(void **state)
{
	/* braces and brackets inside strings, an escaped quote, an escaped backslash */
	const char *a = "{\"s\":\"}{][\\\"}}\",\"t\":\"\\\\\"}";
	const char *b = "{\"u\":\"{\"}";
	struct jsonframe *f = new_frame();
	struct collect c = { 0 };
	char both[128];

	(void)state;
	snprintf(both, sizeof(both), "%s%s", a, b);
	feed_str(f, both, &c);
	assert_int_equal(c.n, 2);
	expect_object(&c, 0, a);
	expect_object(&c, 1, b);
	collect_free(&c);

	feed_bytewise(f, both, strlen(both), &c);
	assert_int_equal(c.n, 2);
	expect_object(&c, 0, a);
	expect_object(&c, 1, b);
	collect_free(&c);
	free(f);
}

static void test_frame_resync(void **state)
{
	struct jsonframe *f = new_frame();
	struct collect c = { 0 };

	(void)state;
	/* a partial object, then 0xFF: the partial input is dropped silently */
	feed_str(f, "{\"execute\":\"guest-sy", &c);
	assert_int_equal(c.n, 0);
	feed_str(f, "\xff{\"x\":1}", &c);
	assert_int_equal(c.n, 1);
	expect_object(&c, 0, "{\"x\":1}");
	collect_free(&c);

	/* inside a string and deep: still a full reset */
	feed_str(f, "{\"a\":[{\"b\":\"}}}", &c);
	feed_str(f, "\xff", &c);
	feed_str(f, "{\"y\":2}", &c);
	assert_int_equal(c.n, 1);
	expect_object(&c, 0, "{\"y\":2}");
	collect_free(&c);

	/* 0xFF between objects is no event */
	feed_str(f, "\xff\xff{\"z\":3}\xff", &c);
	assert_int_equal(c.n, 1);
	expect_object(&c, 0, "{\"z\":3}");
	collect_free(&c);
	free(f);
}

static void test_frame_garbage(void **state)
{
	struct jsonframe *f = new_frame();
	struct collect c = { 0 };

	(void)state;
	feed_str(f, "hello world\n{\"a\":1}\n", &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ev[0].ev, FRAME_GARBAGE);
	expect_object(&c, 1, "{\"a\":1}");
	collect_free(&c);

	/* garbage right before an object: reported once, the object still parses */
	feed_str(f, "]]xx{\"b\":2}", &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ev[0].ev, FRAME_GARBAGE);
	expect_object(&c, 1, "{\"b\":2}");
	collect_free(&c);

	/* pending until the end of the line */
	feed_str(f, "junk", &c);
	assert_int_equal(c.n, 0);
	feed_str(f, " more junk\n\n", &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ev[0].ev, FRAME_GARBAGE);
	collect_free(&c);

	/* whitespace alone is not garbage */
	feed_str(f, " \t\r\n\n   \n", &c);
	assert_int_equal(c.n, 0);
	free(f);
}

static char *big_object(size_t total)
{
	/* {"p":"xxxx...x"} of exactly total bytes */
	char *s = malloc(total + 1);

	assert_non_null(s);
	memcpy(s, "{\"p\":\"", 6);
	memset(s + 6, 'x', total - 8);
	memcpy(s + total - 2, "\"}", 2);
	s[total] = '\0';
	return s;
}

static void test_frame_too_large(void **state)
{
	struct jsonframe *f = new_frame();
	struct collect c = { 0 };
	char *big = big_object(70000);
	size_t i;

	(void)state;
	/* braces inside the string of the discarded part must not end it early */
	big[1000] = '{';
	big[2000] = '}';
	feed_str(f, big, &c);
	feed_str(f, "{\"ok\":1}", &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ev[0].ev, FRAME_TOO_LARGE);
	expect_object(&c, 1, "{\"ok\":1}");
	collect_free(&c);

	/* the same in small chunks */
	for (i = 0; i < 70000; i += 333)
		jsonframe_feed(f, big + i, 70000 - i < 333 ? 70000 - i : 333, on_event, &c);
	feed_str(f, "\n{\"ok\":2}", &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ev[0].ev, FRAME_TOO_LARGE);
	expect_object(&c, 1, "{\"ok\":2}");
	collect_free(&c);
	free(big);

	/* just below the limit: accepted whole */
	big = big_object(JSONFRAME_MAX - 1);
	feed_str(f, big, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ev[0].ev, FRAME_OBJECT);
	assert_int_equal(c.ev[0].len, JSONFRAME_MAX - 1);
	collect_free(&c);
	free(big);

	/* one byte over the limit: too large */
	big = big_object(JSONFRAME_MAX + 1);
	feed_str(f, big, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ev[0].ev, FRAME_TOO_LARGE);
	collect_free(&c);
	free(big);
	free(f);
}

/* JSONFRAME_MAX is the limit ("exceeded JSONFRAME_MAX", "limit 65536 bytes"): exactly that is allowed */
static void test_frame_exact_limit(void **state)
{
	struct jsonframe *f = new_frame();
	struct collect c = { 0 };
	char *big = big_object(JSONFRAME_MAX);

	(void)state;
	feed_str(f, big, &c);
	assert_int_equal(c.n, 1);
	if (c.ev[0].ev != FRAME_OBJECT)
		fail_msg("an object of exactly JSONFRAME_MAX (%d) bytes was rejected",
			 JSONFRAME_MAX);
	assert_int_equal(c.ev[0].len, JSONFRAME_MAX);
	collect_free(&c);
	free(big);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_back_to_back), cmocka_unit_test(test_frame_bytewise),
		cmocka_unit_test(test_frame_strings),      cmocka_unit_test(test_frame_resync),
		cmocka_unit_test(test_frame_garbage),      cmocka_unit_test(test_frame_too_large),
		cmocka_unit_test(test_frame_exact_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
