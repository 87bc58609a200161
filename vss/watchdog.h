/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The freeze watchdog: one process, spawned when vssd starts, that never
 * does anything but wait and call FITHAW: the small vssd-watchdog executable
 * (only libc; what it uses is touched at start and locked), or a fork of vssd
 * when that is missing. For each freeze vssd hands it the
 * directory fds (SCM_RIGHTS) and arms it with a timeout; it thaws, in the
 * reverse order of freezing, every fd announced and not disowned, when the
 * timeout passes (and reports it) or the moment vssd goes away (EOF).
 */
#ifndef SB_VSS_WATCHDOG_H
#define SB_VSS_WATCHDOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#include "fsops.h"
#include "watchdog_proto.h"

struct watchdog {
	pid_t pid;                /* 0: not running */
	int sock;                 /* our end of the SEQPACKET pair, -1 when not running */
	int bell;                 /* eventfd that wakes it while the clock runs, or -1 */
	uint32_t gen;             /* generation of the current (or last) arming */
	const struct fs_ops *ops; /* its FITHAW (NULL: the kernel's); taken at spawn */
	const char *helper; /* vssd-watchdog to run (kernel's ops); NULL: the loop in the fork */
};

/*
 * Where vssd-watchdog is: beside the running executable (a build tree), else
 * where it is installed. NULL when neither is executable.
 */
const char *watchdog_helper(void);

/*
 * Forks the watchdog process; with the kernel's ops the child runs w->helper
 * (its socket as fd 3, the bell as fd 4, nothing else open, an empty
 * environment), else, or when that cannot be executed, the same loop itself.
 * Returns 0 or -errno.
 */
int watchdog_spawn(struct watchdog *w);

/*
 * Arming in three steps, so that vssd's syncfs overlaps the watchdog's work:
 * watchdog_arm_send() hands over fds[0..n) (the directories about to be
 * frozen, by index) and the timeout; watchdog_arm_wait() waits (bounded)
 * until the watchdog says it holds every one; watchdog_start() starts the
 * timeout (fix vssd's own deadline before it: the watchdog's is never
 * earlier). Each returns 0 or -errno (then respawn it: its state is unknown).
 */
int watchdog_arm_send(struct watchdog *w, const int *fds, size_t n, uint64_t timeout_ms);
int watchdog_arm_wait(struct watchdog *w);
int watchdog_start(struct watchdog *w);

/* The three at once. */
int watchdog_arm(struct watchdog *w, const int *fds, size_t n, uint64_t timeout_ms);

/*
 * Hands over the freeze record (fd open for writing), before watchdog_arm():
 * when vssd dies the watchdog thaws and then empties it, so the record of a
 * freeze it ended is not replayed later. Returns 0 or -errno.
 */
int watchdog_record(struct watchdog *w, int fd);

/* Announces, before FIFREEZE, that fds[i] is being frozen. */
int watchdog_freezing(struct watchdog *w, size_t i);

/* FIFREEZE on fds[i] succeeded: the timeout thaws only confirmed ones. */
int watchdog_frozen(struct watchdog *w, size_t i);

/* fds[i] turned out not to be ours to thaw (EBUSY, EOPNOTSUPP, error). */
int watchdog_disown(struct watchdog *w, size_t i);

/*
 * vssd thawed itself: the watchdog closes the fds and waits for the next
 * arming (the bell wakes it to read this and what it has not read yet).
 */
int watchdog_disarm(struct watchdog *w);

/*
 * Reads a report (call when w->sock is readable). Returns 1 when the
 * watchdog fired for the current arming: it thawed the confirmed fds with
 * index < *confirmed_upto; vssd must thaw any frozen one at or above it.
 * 0 for nothing relevant (a stale report), -EPIPE when the watchdog is gone.
 */
int watchdog_event(struct watchdog *w, uint32_t *confirmed_upto);

/*
 * SIGKILLs the watchdog (even a stopped one) and reaps it; its socket stays
 * open, so the reports it sent can still be read (watchdog_event()).
 */
void watchdog_kill(struct watchdog *w);

/*
 * Replaces the watchdog (SIGKILL, reap, spawn): after a failed send its
 * state is unknown. Only while nothing is frozen. Returns 0 or -errno.
 */
int watchdog_respawn(struct watchdog *w);

/*
 * Reaps the watchdog process if it has exited (call on SIGCHLD): then it
 * closes our socket and returns true (not running any more).
 */
bool watchdog_reap(struct watchdog *w);

/* Ends the watchdog (vssd is stopping, nothing frozen) and reaps it. */
void watchdog_stop(struct watchdog *w);

#endif
