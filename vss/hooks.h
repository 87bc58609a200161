/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Freeze hooks: executables in a directory, run in name order with the
 * argument "freeze" before filesystems are frozen, and in reverse order
 * with "thaw" after they are thawed (QEMU fsfreeze-hook.d convention).
 */
#ifndef SB_VSS_HOOKS_H
#define SB_VSS_HOOKS_H

#include <stddef.h>
#include <stdint.h>

struct hook_run {
	char dir[256];
	char **names; /* hooks in name order */
	size_t n;
	size_t started; /* names[0..started) got "freeze" */
};

/*
 * Runs every hook with "freeze", each under timeout_ms. On the first
 * failure, runs "thaw" for every hook that was started (the failing one
 * too, in reverse) and returns -1 with err naming the hook and why.
 * A missing directory means no hooks. The directory and every hook must be
 * root's and not writable by group or others (symlinks followed): else the
 * hook is not run, and that is a failure. Returns 0 on success.
 */
int hooks_freeze(struct hook_run *run, const char *dir, uint64_t timeout_ms, char *err,
		 size_t errlen);

/*
 * Runs "thaw" for the hooks started by hooks_freeze, in reverse; frees run.
 * Returns 0, or -1 when one failed, with err (if errlen) naming the first.
 */
int hooks_thaw(struct hook_run *run, uint64_t timeout_ms, char *err, size_t errlen);

/* Runs "thaw" for every hook in dir, in reverse (recovery after a crash). */
void hooks_thaw_all(const char *dir, uint64_t timeout_ms);

/*
 * Runs one program with one argument under a timeout, stdin from /dev/null
 * and output captured (the last part kept in out). Returns the exit status
 * (0..255), -ETIMEDOUT when it was killed for taking too long, or -errno.
 */
int hook_exec(const char *path, const char *arg, uint64_t timeout_ms, char *out, size_t outlen);

#endif
