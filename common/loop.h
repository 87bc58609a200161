/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One small fd-plus-callback event loop for both daemons, over poll(2). The
 * capacity is fixed at loop_init() (the only allocation); adding, changing
 * and removing watches, waiting and dispatching allocate nothing, so the loop
 * may run in an mlocked daemon's tick or frozen window.
 *
 * Callbacks run in the order their fds were added. A callback may add,
 * change or remove any watch, its own included: a removed watch gets no
 * further call in that round, one added during a round waits for the next.
 */
#ifndef SB_COMMON_LOOP_H
#define SB_COMMON_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

/* Called with the fd, what poll() reported for it (POLLIN, POLLPRI, POLLHUP...) and arg. */
typedef void loop_fn(int fd, short revents, void *arg);

struct loop_watch {
	loop_fn *fn;
	void *arg;
};

struct loop {
	struct pollfd *p;     /* p[i].fd < 0: a removed watch, reused or compacted later */
	struct loop_watch *w; /* w[i] belongs to p[i] */
	size_t cap, n;        /* n slots in use, removed ones included */
	bool quit;            /* loop_quit() in this round */
	bool holes;           /* some slot below n is a removed watch */
};

/* Room for cap watches. Returns 0 or -ENOMEM. */
int loop_init(struct loop *l, size_t cap);

/* Frees the room; closes nothing. */
void loop_free(struct loop *l);

/*
 * Watches fd for events (POLLIN, POLLPRI, POLLOUT). Returns 0, -EBADF (fd
 * negative or no fn), -EEXIST (fd already watched) or -ENOSPC (full).
 */
int loop_add(struct loop *l, int fd, short events, loop_fn *fn, void *arg);

/* Changes the events of a watched fd. Returns 0 or -ENOENT. */
int loop_mod(struct loop *l, int fd, short events);

/* Stops watching fd (before closing it). Returns 0 or -ENOENT. */
int loop_del(struct loop *l, int fd);

/* Whether fd is watched. */
bool loop_has(const struct loop *l, int fd);

/* How many fds are watched. */
size_t loop_count(const struct loop *l);

/*
 * Waits up to timeout_ms (-1: without a limit, 0: not at all) for any
 * watched fd, then calls the callbacks of those that are ready. A watch
 * whose fd turned out to be closed (POLLNVAL) gets its callback once and is
 * removed. Returns how many callbacks ran (0 on timeout or when a signal
 * interrupted the wait: EINTR is not an error) or -errno from poll().
 */
int loop_run_once(struct loop *l, int timeout_ms);

/* From a callback: no further callback in this round. */
void loop_quit(struct loop *l);

#endif
