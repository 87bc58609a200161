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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vssd_config.h"
#include "freeze.h"
#include "log.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vssd_config cfg;
	static struct engine e;
	static struct session s;
	static int ready;
	const char *fixtures = getenv("FIXTURES");

	if (!ready) {
		log_set_max_level(LOG_WARNING);
		vssd_config_defaults(&cfg);
		snprintf(cfg.mountinfo, sizeof(cfg.mountinfo), "%s/vss/fuzz-mountinfo",
			 fixtures ? fixtures : "tests/fixtures");
		snprintf(cfg.include_buf, sizeof(cfg.include_buf), "/nonexistent-fuzz-root/*");
		cfg.include[0] = cfg.include_buf;
		cfg.include[1] = NULL;
		snprintf(cfg.state_dir, sizeof(cfg.state_dir), "/nonexistent-fuzz-state");
		snprintf(cfg.hooks_dir, sizeof(cfg.hooks_dir), "/nonexistent-fuzz-hooks");
		engine_init(&e, &cfg);
		ready = 1;
	}
	session_init(&s, &e, &(struct owner){ .channel = OWNER_UNIX, .conn = 1 });
	session_input(&s, (const char *)data, size);
	/* every reply is complete lines of JSON (0xFF only as a prefix) */
	if (s.outlen && s.out[s.outlen - 1] != '\n')
		abort();
	if (e.state != ENGINE_THAWED)
		abort();
	session_free(&s);
	return 0;
}
