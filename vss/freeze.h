/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The freeze engine: hooks -> syncfs -> FIFREEZE on the selected
 * filesystems, guarded by the watchdog and the freeze record; thaw in
 * exactly the reverse order on the directory fds opened at freeze time.
 *
 * States: THAWED --engine_freeze()--> FROZEN, and back to THAWED by
 * engine_thaw(), by the watchdog's timeout (engine_watchdog_event()) or by
 * the watchdog's death (engine_reap_watchdog()). A freeze that fails, or
 * freezes nothing, ends THAWED with everything it did undone.
 * engine_freeze_start() does not wait for the freeze hooks: THAWED -> HOOKS
 * while they run (the request parked, the caller's loop watching them), then
 * on to FROZEN (or THAWED) as engine_freeze(); a thaw in HOOKS cancels it.
 *
 * Every freeze has an owner (the channel and connection of its request);
 * a thaw is done only if the owner rule (owner.h) lets the thawing channel
 * end a freeze made through the holder's.
 */
#ifndef SB_VSS_FREEZE_H
#define SB_VSS_FREEZE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsops.h"
#include "hooks.h"
#include "mounts.h"
#include "owner.h"
#include "vssd_config.h"
#include "watchdog.h"

enum engine_state { ENGINE_THAWED, ENGINE_HOOKS, ENGINE_FROZEN };

/* Who gets the answer of a freeze parked while its freeze hooks run: fn(ctx, r, err). */
typedef void engine_reply_fn(void *ctx, int r, const char *err);

struct engine_waiter {
	engine_reply_fn *fn; /* NULL: nobody (its connection closed) */
	void *ctx;
};

struct engine {
	const struct vssd_config *cfg;
	const struct fs_ops *ops; /* fs_ops_kernel, or a fake in unit tests */
	enum engine_state state;
	struct owner holder;  /* who made the freeze in force (channel OWNER_NONE when thawed) */
	struct mount_set set; /* the last request's mounts and their states */
	struct watchdog wd;
	struct hook_run hooks;
	struct owner requester;      /* HOOKS: whose freeze runs its freeze hooks */
	struct engine_waiter waiter; /* HOOKS: who gets its answer */
	uint64_t pending_timeout_ms; /* HOOKS: its timeout (0: the config's) */
	int record_fd;
	uint64_t deadline_ms;    /* CLOCK_MONOTONIC ms when the watchdog thaws */
	uint64_t frozen_at_ms;   /* the watchdog was armed (just before the first FIFREEZE) */
	uint64_t thawed_at_ms;   /* last FITHAW */
	uint64_t last_frozen_ms; /* length of the last frozen window */
	unsigned nfrozen;        /* filesystems vssd holds frozen */
	bool watchdog_fired;     /* the last freeze ended by the watchdog */
	bool thawed_elsewhere;   /* the last freeze: some were thawed by someone else */
	uint64_t freeze_id;      /* the freeze in force, or the last one: 1, 2, ... (0: none yet) */
	char last_error[512];
	char thaw_hook_error[384];    /* the last thaw's first failing thaw hook, "" when none */
	int wd_fds[WATCHDOG_MAX_FDS]; /* the fds handed to the watchdog, in freeze order */
};

void engine_init(struct engine *e, const struct vssd_config *cfg);

/* New settings (a reload); only while thawed. */
void engine_set_config(struct engine *e, const struct vssd_config *cfg);

/* Replaces the filesystem operations (unit tests); before engine_start(). */
void engine_set_fs_ops(struct engine *e, const struct fs_ops *ops);

/* Spawns the watchdog process (before opening sockets, so it inherits none). */
int engine_start(struct engine *e);
void engine_free(struct engine *e);

/*
 * Freezes, for owner by, the eligible filesystems, or exactly the listed
 * ones (list NULL-terminated; NULL = all eligible). timeout_ms 0 uses the
 * config. Returns the number frozen (0: nothing was, state stays thawed) or
 * a negative errno with err set (and last_error, unless the request was
 * refused because a freeze is in force: -EBUSY); on error nothing vssd
 * froze stays frozen and the thaw hooks ran for every freeze hook that ran.
 */
int engine_freeze(struct engine *e, const struct owner *by, const char *const *list,
		  uint64_t timeout_ms, char *err, size_t errlen);

/*
 * engine_freeze() without waiting for the freeze hooks. When hooks run, it
 * returns -EINPROGRESS: the engine is in state HOOKS and the request parked;
 * w->fn gets the answer engine_freeze() would have returned once they ended
 * and the freeze was done (or failed), or -ECANCELED when a thaw cancelled
 * it. The caller's loop watches engine_hook_pollfds() and engine_timeout_ms()
 * and calls engine_hooks_event() and engine_tick(). Any other return is the
 * answer now (no hook, or the freeze refused, failed or done at once).
 */
int engine_freeze_start(struct engine *e, const struct owner *by, const char *const *list,
			uint64_t timeout_ms, const struct engine_waiter *w, char *err,
			size_t errlen);

/* The parked request's waiter with ctx is gone (its connection closed): the freeze goes on. */
void engine_forget(struct engine *e, const void *ctx);

/* HOOKS: the running freeze hook's fds to watch for POLLIN (at most 2); 0 otherwise. */
size_t engine_hook_pollfds(const struct engine *e, struct pollfd *p);

/* One of them is ready (or its time came): the hook exited, or the next one, or the freeze. */
void engine_hooks_event(struct engine *e);

/*
 * The plan of a freeze of list (NULL: every eligible filesystem) without
 * freezing anything: the selection and order a freeze would use now (the
 * same code, the same refusals: too many, or state_dir's filesystem among
 * them). Fills *out (mounts_free() it). Returns 0 or -errno with err.
 */
int engine_plan(const struct engine *e, const char *const *list, struct mount_set *out, char *err,
		size_t errlen);

/*
 * Thaws what vssd froze, if the owner rule lets by's channel end the
 * holder's freeze; else -EPERM with err saying who holds it (nothing
 * changes, last_error included). Returns the number thawed by this call
 * (0 when nothing was frozen), or -errno. In HOOKS, under the same rule, it
 * cancels the freeze: the running hook's process group killed, the thaw
 * hooks of the freeze hooks that ran (the interrupted one's included), the
 * parked request answered -ECANCELED; returns 0 (nothing was frozen), or
 * -EIO when a thaw hook failed.
 */
int engine_thaw(struct engine *e, const struct owner *by, char *err, size_t errlen);

/* What status replies show: a read-only view, valid until the engine's next call. */
struct engine_status {
	const struct owner *holder;     /* NULL when thawed */
	const struct owner *requester;  /* HOOKS: whose freeze runs its hooks; else NULL */
	const char *hook;               /* HOOKS: the freeze hook running */
	uint64_t hook_for_ms;           /* HOOKS: since it started */
	unsigned nfrozen;               /* filesystems vssd holds frozen */
	uint64_t frozen_for_ms;         /* frozen: since the watchdog was armed */
	uint64_t deadline_in_ms;        /* frozen: until the watchdog thaws */
	pid_t watchdog_pid;             /* 0 when not running */
	uint64_t last_frozen_ms;        /* the last frozen window */
	bool watchdog_fired;            /* the last freeze ended by the watchdog */
	bool thawed_elsewhere;          /* the last freeze: some were thawed by someone else */
	uint64_t freeze_id;             /* the freeze in force, or the last one */
	uint64_t timeout_ms;            /* the configured freeze timeout */
	const char *last_error;         /* "" when none */
	const struct vss_mount *mounts; /* the last request's mounts, mountinfo order */
	size_t nmounts;
	const size_t *order; /* freeze order: indexes into mounts */
	size_t norder;
};

void engine_status(const struct engine *e, struct engine_status *st);

/* Neither frozen nor freezing (a reload may apply). */
bool engine_idle(const struct engine *e);

/* A freeze is in force. */
bool engine_frozen(const struct engine *e);

/* Who holds the freeze in force; NULL when thawed. */
const struct owner *engine_holder(const struct engine *e);

/* Does o hold the freeze in force? */
bool engine_held_by(const struct engine *e, const struct owner *o);

/* The watchdog's socket, to poll for its reports (-1 when not running). */
int engine_watchdog_fd(const struct engine *e);

/* The watchdog's socket is readable: a timeout thaw to finish, or it is gone. */
void engine_watchdog_event(struct engine *e);

/*
 * vssd's own deadline, which holds even when the watchdog cannot act (it is
 * stopped, or its cgroup frozen): ms until engine_tick() must run (the
 * watchdog's deadline and a grace of 1 s); in HOOKS, until the running
 * hook's deadline (or its next look); -1 when thawed.
 */
int engine_timeout_ms(const struct engine *e);

/*
 * Past that deadline and still frozen: vssd thaws itself and replaces the
 * watchdog. In HOOKS, after every round: the running hook is looked at
 * (engine_hooks_event(), which does not wait).
 */
void engine_tick(struct engine *e);

/*
 * Called when a child exited (SIGCHLD): if it was the watchdog, thaws what
 * vssd froze and starts a new one. Returns true when it was.
 */
bool engine_reap_watchdog(struct engine *e);

#endif
