/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: arbitrary bytes from a guest into the relay (host/relay.c and
 * the framing in common/balloonproto.c), split at a byte the input chooses.
 * Whatever arrives, the replies stay bounded and made of whole lines, a
 * balloon the relay would apply stays within the host's limits, and within
 * --interval of a change only a smaller balloon is applied. Built for
 * libFuzzer with `make fuzz-relay`, replayed over the committed corpus plus
 * deterministic mutations by tests/fuzz/replay.c in make check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct relay_conf c = { .min_kb = 256 * 1024,
					     .max_kb = 768 * 1024,
					     .interval_ms = 1000,
					     .lines_per_s = 20,
					     .bytes_per_s = 8192 };
	static struct relay r;
	size_t cut = size ? data[0] % (size + 1) : 0;
	uint64_t kb;

	log_set_max_level(LOG_CRIT);
	relay_init(&r, &c);
	relay_set_ram(&r, 1024 * 1024);
	relay_input(&r, (const char *)data, cut, 1000);
	relay_input(&r, (const char *)data + cut, size - cut, 1500);
	if (r.outlen > RELAY_OUT_MAX || (r.outlen && r.out[r.outlen - 1] != '\n'))
		abort();
	if (memchr(r.out, '\0', r.outlen))
		abort();
	if (!relay_due(&r, 3000, &kb))
		return 0;
	if (kb < 256 * 1024 || kb > 768 * 1024)
		abort();
	relay_applied(&r, 3000, 0);
	if (r.target_kb != kb || r.pending)
		abort();
	/* the same bytes again within the interval: only a smaller balloon may be applied */
	relay_input(&r, (const char *)data, size, 3100);
	if (relay_due(&r, 3200, &kb) && (kb >= r.target_kb || kb < 256 * 1024))
		abort();
	return 0;
}
