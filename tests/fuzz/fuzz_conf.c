/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: arbitrary text through the INI loader and both daemons' key
 * tables (common/conf.c, common/confkey.c, vss/vssd_config.c,
 * agent/agent_config.c). The first byte picks the table (even: vssd.conf,
 * odd: selfballoond.conf), the rest is the file. Asserted: the loader
 * either accepts the text or says where and what, in the one error format
 * ("<string>:LINE: ..." or "<string>: ..."), and loading the same text again
 * gives the same answer. Built for libFuzzer with `make fuzz`; replayed over
 * its corpus and mutations in make check (tests/fuzz/vss.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agent_config.h"
#include "fuzz_vss.h"

#define NAME "<string>"

static char text[64 * 1024];

static int load(int which, char *err, size_t errlen)
{
	static struct vssd_config vc;
	static struct agent_conf ac;

	err[0] = '\0';
	if (which == 0) {
		vssd_config_defaults(&vc);
		return vssd_config_load_string(&vc, text, err, errlen);
	}
	agent_conf_defaults(&ac);
	return agent_conf_load_string(&ac, text, err, errlen);
}

static void check_error(int r, const char *err)
{
	if (r == 0)
		return;
	FUZZ_ASSERT(r < 0);
	FUZZ_ASSERT(strncmp(err, NAME, strlen(NAME)) == 0);
	FUZZ_ASSERT(err[strlen(NAME)] == ':');
	FUZZ_ASSERT(strlen(err) > strlen(NAME) + 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err1[512], err2[512];
	int which, r1, r2;
	size_t len;

	if (size == 0)
		return 0;
	which = data[0] & 1;
	len = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, len);
	text[len] = '\0';
	log_set_max_level(LOG_CRIT);
	r1 = load(which, err1, sizeof(err1));
	check_error(r1, err1);
	r2 = load(which, err2, sizeof(err2));
	FUZZ_ASSERT(r1 == r2 && strcmp(err1, err2) == 0);
	return 0;
}
