/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's safety rule as a property over generated inputs (the checker
 * is tests/unit/agent_rule.h, shared with the policy fuzz target): no
 * decision lowers the guest's memory while a pressure signal is present or
 * an OOM kill was seen within the cool-down, whatever the configuration
 * (reloaded at random: max_memory and min_memory up and down), the mode,
 * the samples (values up to UINT64_MAX) and the driver (which may lag or
 * never move); a ceiling below the current size is approached at
 * inflate_rate; nothing wraps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "agent_rule.h"

#define SEQUENCES 20000
#define STEPS 60

static uint64_t xorshift(void *ctx)
{
	uint64_t *x = ctx;

	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_rule_holds_over_generated_inputs(void **state)
{
	static struct rule_world w;
	unsigned long decisions = 0, lowered = 0, held = 0, approaches = 0;
	uint64_t seq, rng;
	(void)state;

	for (seq = 0; seq < SEQUENCES; seq++) {
		rng = 0x9e3779b97f4a7c15ULL ^ (seq * 0x2545f4914f6cdd1dULL) ^ 1;
		if (!rule_run(&w, xorshift, &rng, STEPS))
			fail_msg("sequence %llu: %s", (unsigned long long)seq, w.err);
		decisions += w.decisions;
		lowered += w.lowered;
		held += w.held_by_pressure;
		approaches += w.ceiling_approaches;
	}
	print_message("%lu decisions: %lu lowered the guest, %lu under pressure held or grew, "
		      "%lu approached a ceiling from above\n",
		      decisions, lowered, held, approaches);
	/* the generator must reach every branch the rule is about */
	assert_true(lowered > decisions / 20);
	assert_true(held > decisions / 20);
	assert_true(approaches > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_holds_over_generated_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
