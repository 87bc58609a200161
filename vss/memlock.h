/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vssd's memory for the frozen window: everything it runs while filesystems are
 * frozen must already be in memory and locked, so that no page fault of the
 * window has to wait for a (possibly frozen) disk; everything else is left to
 * the kernel, so that vssd's idle Pss is only what it uses.
 */
#ifndef VSS_MEMLOCK_H
#define VSS_MEMLOCK_H

/*
 * Once, before the first request: malloc tuned for a steady heap, mlockall with
 * MCL_ONFAULT (every page touched from now on stays locked), then the whole
 * mappings of the code the frozen window runs (vssd's executable, libc, ld.so,
 * json-c), a stack and a heap reserve. Returns 0, or a negative errno of the
 * first step that failed (vssd runs on unlocked, as before, with a warning).
 */
int memlock_start(void);

#endif
