/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Freeze hooks: executables in a directory, run in name order with the
 * argument "freeze" before filesystems are frozen, and in reverse order
 * with "thaw" after they are thawed (QEMU fsfreeze-hook.d convention).
 */
#ifndef SB_VSS_HOOKS_H
#define SB_VSS_HOOKS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * One running hook: a child in its own process group, a pidfd that says when
 * it exits (-1 without pidfd_open: look every 20 ms), and its output pipe.
 */
struct hook_proc {
	pid_t pid; /* 0: none running */
	int pidfd, rd;
	bool out_open, reaped;
	int status;
	uint64_t started_ms, deadline_ms; /* CLOCK_MONOTONIC */
	char *out;                        /* the last outlen - 1 bytes of its output */
	size_t outlen, used;
};

struct hook_run {
	char dir[256];
	char **names; /* hooks in name order */
	size_t n;
	size_t started; /* names[0..started) got "freeze" */
	uint64_t timeout_ms;
	struct hook_proc proc; /* the freeze hook running (hooks_freeze_start/step) */
	char out[384];         /* its output */
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
 * Freeze hooks driven by the caller's event loop, one at a time. Start lists
 * the hooks and starts the first; the caller watches hook_pollfds() and
 * hook_wait_ms() of run->proc and calls step on any event or at that time.
 * Both return 1 (a hook runs), 0 (every freeze hook succeeded; run holds them
 * for hooks_thaw) or -1 (one failed: err names it, the thaw hooks of those
 * started ran, the failing one's included, and run is freed).
 */
int hooks_freeze_start(struct hook_run *run, const char *dir, uint64_t timeout_ms, char *err,
		       size_t errlen);
int hooks_freeze_step(struct hook_run *run, char *err, size_t errlen);

/*
 * Stops the running freeze hook (SIGKILL to its process group), then runs
 * "thaw" for every freeze hook started, the interrupted one included, in
 * reverse; frees run. Returns 0, or -1 when a thaw hook failed (err names the first).
 */
int hooks_freeze_cancel(struct hook_run *run, char *err, size_t errlen);

/* The freeze hook running now (its name), or NULL. */
const char *hooks_running(const struct hook_run *run);

/*
 * Runs one program with one argument under a timeout, stdin from /dev/null
 * and output captured (the last part kept in out). Returns the exit status
 * (0..255), -ETIMEDOUT when it was killed for taking too long, or -errno.
 */
int hook_exec(const char *path, const char *arg, uint64_t timeout_ms, char *out, size_t outlen);

/*
 * The pieces hook_exec is made of, for an event loop. hook_spawn starts path
 * with arg in its own process group (output kept in out, as hook_exec).
 * hook_pollfds gives the fds to watch for POLLIN (the pidfd, the output pipe
 * while open), at most 2; hook_wait_ms the ms until it must be looked at
 * again (its deadline, or 20 ms without a pidfd). hook_check reads what it
 * wrote and returns 1 while it runs, 0 once it exited, -ETIMEDOUT past its
 * deadline. hook_end(p, r) ends it: r < 0 (a timeout, a cancel) kills its
 * process group; it reaps, drains, closes, and returns what hook_exec does.
 */
int hook_spawn(struct hook_proc *p, const char *path, const char *arg, uint64_t timeout_ms,
	       char *out, size_t outlen);
size_t hook_pollfds(const struct hook_proc *p, struct pollfd *pfd);
int hook_wait_ms(const struct hook_proc *p);
int hook_check(struct hook_proc *p);
int hook_end(struct hook_proc *p, int r);

#endif
