/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as the numbers of a generated guest (configuration,
 * reloads, samples up to UINT64_MAX, events, a lagging driver), through
 * the policy, with the agent's safety rule (tests/unit/agent_rule.h) as the
 * assertion: never lower the guest's memory under pressure or within the
 * cool-down after an OOM kill, approach a ceiling at inflate_rate, never
 * wrap. Replayed in make check.
 */
#include "fuzz_agent.h"
#include "agent_rule.h"

struct bytes {
	const uint8_t *p;
	size_t left;
};

/* The next 8 bytes as a number; zeroes once the input is used up. */
static uint64_t from_bytes(void *ctx)
{
	struct bytes *b = ctx;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && b->left; i++, b->left--)
		v = v << 8 | *b->p++;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rule_world w;
	struct bytes b = { data, size };

	if (!rule_run(&w, from_bytes, &b, 64)) {
		fprintf(stderr, "rule broken: %s\n", w.err);
		abort();
	}
	return 0;
}
