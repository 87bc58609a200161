/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the agent's fuzz targets: the input as a NUL-terminated buffer of a reader's size. */
#ifndef SB_TESTS_FUZZ_AGENT_H
#define SB_TESTS_FUZZ_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* At most size-1 bytes of data into buf, NUL-terminated, as read_file() leaves it. */
static inline const char *fuzz_text(char *buf, size_t size, const uint8_t *data, size_t len)
{
	if (len > size - 1)
		len = size - 1;
	memcpy(buf, data, len);
	buf[len] = '\0';
	return buf;
}

/* The assertion of every target: abort() is what libFuzzer and the replay report. */
#define FUZZ_ASSERT(cond)        \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#endif
