/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the balloon protocol (common/balloonproto.c) and the relay's
 * decisions (host/relay.c): framing, tokenizing, numbers, the clamp, latest
 * request wins, the rate limit, flood control and the bounded reply buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "balloonproto.h"
#include "log.h"
#include "relay.h"

#define MIB 1024ULL

static void test_feed_lines(void **state)
{
	struct bp_reader r;
	const char *in = "hello version=1\r\nbal";
	size_t used;

	(void)state;
	bp_reader_init(&r);
	assert_int_equal(bp_feed(&r, in, strlen(in), &used), BP_LINE);
	assert_string_equal(r.buf, "hello version=1");
	assert_int_equal(used, 17);
	in += used;
	assert_int_equal(bp_feed(&r, in, strlen(in), &used), BP_MORE);
	assert_int_equal(used, 3);
	assert_int_equal(bp_feed(&r, "loon seq=1 kb=2\n", 16, &used), BP_LINE);
	assert_string_equal(r.buf, "balloon seq=1 kb=2");
	/* a CR inside the line, a NUL, an escape: the whole line is bad */
	assert_int_equal(bp_feed(&r, "a\rb\n", 4, &used), BP_BAD);
	assert_int_equal(bp_feed(&r, "a\0b\n", 4, &used), BP_BAD);
	assert_int_equal(bp_feed(&r, "\x1b[2J\n", 5, &used), BP_BAD);
	assert_int_equal(bp_feed(&r, "\xc3\xa9\n", 3, &used), BP_BAD);
	assert_int_equal(bp_feed(&r, "ok\n", 3, &used), BP_LINE);
}

static void test_feed_too_long(void **state)
{
	char big[BP_LINE_MAX * 3];
	struct bp_reader r;
	size_t used;

	(void)state;
	bp_reader_init(&r);
	memset(big, 'x', sizeof(big));
	/* exactly BP_LINE_MAX - 1 bytes and the newline fit */
	big[BP_LINE_MAX - 1] = '\n';
	assert_int_equal(bp_feed(&r, big, BP_LINE_MAX, &used), BP_LINE);
	assert_int_equal(strlen(r.buf), BP_LINE_MAX - 1);
	big[BP_LINE_MAX - 1] = 'x';
	/* one more is too long, even when it comes in pieces; the next line is intact */
	assert_int_equal(bp_feed(&r, big, sizeof(big), &used), BP_MORE);
	assert_int_equal(bp_feed(&r, big, 10, &used), BP_MORE);
	assert_int_equal(bp_feed(&r, "\nquery\n", 7, &used), BP_TOO_LONG);
	assert_int_equal(used, 1);
	assert_int_equal(bp_feed(&r, "query\n", 6, &used), BP_LINE);
	assert_string_equal(r.buf, "query");
}

static void test_parse(void **state)
{
	struct bp_msg m;
	uint64_t v;

	(void)state;
	assert_int_equal(bp_parse("  balloon\tseq=1  kb=524288 ", &m), 0);
	assert_string_equal(m.verb, "balloon");
	assert_int_equal(m.nargs, 2);
	assert_string_equal(bp_get(&m, "kb"), "524288");
	assert_null(bp_get(&m, "k"));
	assert_int_equal(bp_get_u64(&m, "kb", BP_KB_MAX, &v), 0);
	assert_int_equal(v, 524288);
	assert_int_equal(bp_get_u64(&m, "seq", 0, &v), -ERANGE);
	assert_int_equal(bp_get_u64(&m, "nope", 10, &v), -ENOENT);
	assert_int_equal(bp_parse("query", &m), 0);
	assert_int_equal(m.nargs, 0);
	assert_int_equal(bp_parse("", &m), -ENODATA);
	assert_int_equal(bp_parse("   ", &m), -ENODATA);
	assert_int_equal(bp_parse("Balloon kb=1", &m), -EINVAL);
	assert_int_equal(bp_parse("balloon kb=1 kb=2", &m), -EINVAL);
	assert_int_equal(bp_parse("balloon kb", &m), -EINVAL);
	assert_int_equal(bp_parse("balloon kb=", &m), -EINVAL);
	assert_int_equal(bp_parse("balloon =1", &m), -EINVAL);
	assert_int_equal(bp_parse("balloon kb=1=2", &m), -EINVAL);
	assert_int_equal(bp_parse("balloon averyveryverylongkey=1", &m), -EINVAL);
	assert_int_equal(bp_parse("v a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1", &m), 0);
	assert_int_equal(bp_parse("v a=1 b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1", &m), -E2BIG);
}

static void test_numbers(void **state)
{
	struct bp_msg m;
	uint64_t v;

	(void)state;
	assert_int_equal(bp_parse("x a=007 b=-1 c=+1 d=1k e=18446744073709551615 "
				  "f=18446744073709551616 g=123456789012345678901",
				  &m),
			 0);
	assert_int_equal(bp_get_u64(&m, "a", 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(bp_get_u64(&m, "b", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(bp_get_u64(&m, "c", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(bp_get_u64(&m, "d", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(bp_get_u64(&m, "e", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(bp_get_u64(&m, "f", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(bp_get_u64(&m, "g", UINT64_MAX, &v), -ERANGE);
}

static struct relay_conf conf(uint64_t min_kb, uint64_t max_kb)
{
	struct relay_conf c = { .min_kb = min_kb,
				.max_kb = max_kb,
				.interval_ms = 1000,
				.lines_per_s = 20,
				.bytes_per_s = 8192 };
	return c;
}

static void test_clamp(void **state)
{
	struct relay_conf c = conf(256 * MIB, 768 * MIB);
	enum relay_limit l;
	struct relay r;

	(void)state;
	relay_init(&r, &c);
	relay_set_ram(&r, 1024 * MIB);
	assert_int_equal(relay_clamp(&r, 300 * MIB, &l), 300 * MIB);
	assert_int_equal(l, LIMIT_NONE);
	assert_int_equal(relay_clamp(&r, 900 * MIB, &l), 768 * MIB);
	assert_int_equal(l, LIMIT_FLOOR);
	assert_true(relay_clamp(&r, BP_KB_MAX, &l) == 768 * MIB);
	assert_int_equal(relay_clamp(&r, 0, &l), 256 * MIB);
	assert_int_equal(l, LIMIT_CEILING);
	/* a guest smaller than --min: no balloon at all */
	relay_set_ram(&r, 200 * MIB);
	assert_int_equal(relay_clamp(&r, 100 * MIB, &l), 0);
	assert_int_equal(l, LIMIT_FLOOR);
}

/* Feeds a string; returns the replies so far as one string (and consumes them). */
static const char *feed(struct relay *r, const char *s, uint64_t now)
{
	static char out[RELAY_OUT_MAX + 1];

	relay_input(r, s, strlen(s), now);
	memcpy(out, r->out, r->outlen);
	out[r->outlen] = '\0';
	relay_consumed(r, r->outlen);
	return out;
}

static void test_latest_wins(void **state)
{
	struct relay_conf c = conf(256 * MIB, 0);
	struct relay r;
	uint64_t kb;

	(void)state;
	relay_init(&r, &c);
	assert_string_equal(feed(&r, "balloon seq=1 kb=1024\n", 0), "");
	assert_false(relay_due(&r, 0, &kb)); /* the RAM size is not known yet */
	relay_set_ram(&r, 1024 * MIB);
	assert_string_equal(feed(&r, "", 0), "limits min_kb=0 max_kb=786432\n");
	assert_true(relay_due(&r, 0, &kb));
	assert_int_equal(kb, 1024);
	relay_applied(&r, 0, 0);
	assert_string_equal(feed(&r, "", 0), "applied seq=1 kb=1024 limit=none\n");
	feed(&r, "balloon seq=2 kb=2048\nballoon seq=3 kb=4096\n", 10);
	assert_false(relay_due(&r, 999, &kb));
	assert_int_equal(relay_timeout_ms(&r, 999), 1);
	assert_true(relay_due(&r, 1000, &kb));
	assert_int_equal(kb, 4096);
	/* a failure keeps the request for the next interval */
	relay_applied(&r, 1000, -EIO);
	assert_string_equal(feed(&r, "", 1000), "error code=backend\n");
	assert_false(relay_due(&r, 1500, &kb));
	assert_true(relay_due(&r, 2000, &kb));
	relay_applied(&r, 2000, 0);
	assert_string_equal(feed(&r, "", 2000), "applied seq=3 kb=4096 limit=none\n");
	assert_int_equal(r.st.superseded, 1);
	assert_int_equal(relay_timeout_ms(&r, 2000), -1);
	relay_actual(&r, 4096);
	relay_actual(&r, 4096);
	assert_string_equal(feed(&r, "query\n", 2000),
			    "state target_kb=4096 actual_kb=4096\nstate target_kb=4096 "
			    "actual_kb=4096\n");
}

/* Memory back to the guest goes at once; a larger balloon waits for the interval. */
/* Memory back to the guest goes at once; a larger balloon waits for the interval. */
static void test_deflate_at_once(void **state)
{
	struct relay_conf c = conf(256 * MIB, 768 * MIB); /* balloons of 256..768 MiB */
	struct relay r;
	uint64_t kb;

	(void)state;
	relay_init(&r, &c);
	relay_set_ram(&r, 1024 * MIB);
	/* the first request fails: tried again after the interval, not at once */
	feed(&r, "balloon seq=1 kb=614400\n", 0);
	assert_true(relay_due(&r, 0, &kb));
	relay_applied(&r, 0, -EIO);
	assert_false(relay_due(&r, 1, &kb));
	assert_int_equal(relay_timeout_ms(&r, 1), 999);
	assert_true(relay_due(&r, 1000, &kb));
	relay_applied(&r, 1000, 0);
	/* smaller: at once, however recent the last change */
	feed(&r, "balloon seq=2 kb=409600\n", 1100);
	assert_int_equal(relay_timeout_ms(&r, 1100), 0);
	assert_true(relay_due(&r, 1100, &kb));
	assert_int_equal(kb, 409600);
	relay_applied(&r, 1100, 0);
	/* larger: one interval after the last change */
	feed(&r, "balloon seq=3 kb=716800\n", 1200);
	assert_false(relay_due(&r, 1200, &kb));
	assert_int_equal(relay_timeout_ms(&r, 1200), 900);
	/* replaced by a smaller one before it was due: at once, clamped to --max's 256 MiB */
	feed(&r, "balloon seq=4 kb=102400\n", 1300);
	assert_true(relay_due(&r, 1300, &kb));
	assert_int_equal(kb, 256 * MIB);
	relay_applied(&r, 1300, 0);
	/* clamped to what is applied already: not smaller, so it waits */
	feed(&r, "balloon seq=5 kb=0\n", 1400);
	assert_false(relay_due(&r, 1400, &kb));
	assert_true(relay_due(&r, 2300, &kb));
	relay_applied(&r, 2300, 0);
	assert_int_equal(r.st.clamped, 2);
	/* a smaller one that the backend fails: the next attempt waits for the interval */
	c = conf(16 * MIB, 0);
	relay_init(&r, &c);
	relay_set_ram(&r, 1024 * MIB);
	feed(&r, "balloon seq=1 kb=512000\n", 0);
	assert_true(relay_due(&r, 0, &kb));
	relay_applied(&r, 0, 0);
	feed(&r, "balloon seq=2 kb=0\n", 10);
	assert_true(relay_due(&r, 10, &kb));
	relay_applied(&r, 10, -EIO);
	assert_false(relay_due(&r, 20, &kb));
	assert_true(relay_due(&r, 1010, &kb));
	assert_int_equal(kb, 0);
}

static void test_flood(void **state)
{
	struct relay_conf c = conf(256 * MIB, 0);
	char lines[21 * 8 + 1] = "";
	struct relay r;

	(void)state;
	relay_init(&r, &c);
	for (int i = 0; i < 20; i++)
		strcat(lines, "query\n");
	feed(&r, lines, 5000);
	assert_true(relay_reading(&r, 5000));
	/* the 21st line in the same second: not read for 1 s */
	assert_string_equal(feed(&r, "query\n", 5999), "error code=throttled ms=1000\n");
	assert_false(relay_reading(&r, 6998));
	assert_true(relay_reading(&r, 6999));
	assert_int_equal(relay_timeout_ms(&r, 6000), 999);
	/* flooding again soon after: the pause doubles */
	feed(&r, lines, 7000);
	assert_string_equal(feed(&r, "query\n", 7000), "error code=throttled ms=2000\n");
	assert_false(relay_reading(&r, 8999));
	/* after a calm while it starts over at 1 s */
	feed(&r, lines, 30000);
	assert_string_equal(feed(&r, "query\n", 30000), "error code=throttled ms=1000\n");
	/* bytes count too: one read of 9000 bytes */
	{
		static char blob[9001];
		memset(blob, ' ', 9000);
		assert_string_equal(feed(&r, blob, 60000), "error code=throttled ms=1000\n");
	}
	assert_int_equal(r.st.throttles, 4);
}

static void test_reply_bound(void **state)
{
	struct relay_conf c = conf(256 * MIB, 0);
	struct relay r;

	(void)state;
	c.lines_per_s = 100000;
	relay_init(&r, &c);
	relay_set_ram(&r, 1024 * MIB);
	for (int i = 0; i < 2000; i++)
		relay_input(&r, "hello version=1\n", 16, (uint64_t)i * 1000);
	assert_true(r.outlen <= RELAY_OUT_MAX);
	assert_true(r.st.dropped_replies > 0);
	assert_int_equal(r.out[r.outlen - 1], '\n');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_lines),      cmocka_unit_test(test_feed_too_long),
		cmocka_unit_test(test_parse),           cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_clamp),           cmocka_unit_test(test_latest_wins),
		cmocka_unit_test(test_deflate_at_once), cmocka_unit_test(test_flood),
		cmocka_unit_test(test_reply_bound),
	};

	log_set_max_level(LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
