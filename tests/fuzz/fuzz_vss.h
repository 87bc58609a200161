/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by vssd's fuzz targets: the assertion, and an engine that can never freeze anything. */
#ifndef SB_TESTS_FUZZ_VSS_H
#define SB_TESTS_FUZZ_VSS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "freeze.h"
#include "log.h"
#include "vssd_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The assertion of every target: abort() is what libFuzzer and the replay report. */
#define FUZZ_ASSERT(cond)        \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/*
 * Once per process: the defaults, with a mountinfo fixture (FIXTURES, else
 * tests/fixtures), an include that matches nothing and a state_dir and
 * hooks_dir that do not exist, so no request can freeze or run anything.
 */
static inline void fuzz_vss_engine(struct vssd_config *cfg, struct engine *e)
{
	static int ready;
	const char *fixtures = getenv("FIXTURES");

	if (ready)
		return;
	log_set_max_level(LOG_CRIT);
	vssd_config_defaults(cfg);
	snprintf(cfg->mountinfo, sizeof(cfg->mountinfo), "%s/vss/fuzz-mountinfo",
		 fixtures ? fixtures : "tests/fixtures");
	snprintf(cfg->include_buf, sizeof(cfg->include_buf), "/nonexistent-fuzz-root/*");
	cfg->include[0] = cfg->include_buf;
	cfg->include[1] = NULL;
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/nonexistent-fuzz-state");
	snprintf(cfg->hooks_dir, sizeof(cfg->hooks_dir), "/nonexistent-fuzz-hooks");
	engine_init(e, cfg);
	ready = 1;
}

#endif
