/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: arbitrary bytes into one protocol session (framing, JSON
 * parsing, command dispatch, reply building). The configuration can never
 * select a filesystem (include matches nothing), so no request freezes.
 * Built for libFuzzer with `make fuzz`, and replayed over the committed
 * corpus plus deterministic mutations by tests/fuzz/replay.c in make check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_vss.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vssd_config cfg;
	static struct engine e;
	static struct session s;

	fuzz_vss_engine(&cfg, &e);
	session_init(&s, &e, &(struct owner){ .channel = OWNER_UNIX, .conn = 1 });
	session_input(&s, (const char *)data, size);
	/* every reply is complete lines of JSON (0xFF only as a prefix) */
	FUZZ_ASSERT(!s.outlen || s.out[s.outlen - 1] == '\n');
	FUZZ_ASSERT(e.state == ENGINE_THAWED);
	session_free(&s);
	return 0;
}
