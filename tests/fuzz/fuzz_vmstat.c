/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as /proc/vmstat. The parser succeeds exactly when it
 * found a counter, and sets only counters it found. Replayed in make check.
 */
#include "fuzz_agent.h"
#include "sample.h"

static char buf[32768]; /* sample.c's vmstat buffer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmstat v;
	int r = vmstat_parse(fuzz_text(buf, sizeof(buf), data, size), &v);

	FUZZ_ASSERT((r == 0) == (v.present != 0));
	FUZZ_ASSERT((v.present & VM_OOM_KILL) || v.oom_kill == 0);
	FUZZ_ASSERT((v.present & VM_PSWPIN) || v.pswpin == 0);
	FUZZ_ASSERT((v.present & (VM_REFAULT_ANON | VM_REFAULT_FILE)) ||
		    (v.refault_anon == 0 && v.refault_file == 0));
	return 0;
}
