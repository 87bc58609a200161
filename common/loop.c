/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fd-plus-callback loop: parallel arrays of pollfds and callbacks. See loop.h. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>

int loop_init(struct loop *l, size_t cap)
{
	*l = (struct loop){ 0 };
	l->p = calloc(cap ? cap : 1, sizeof(*l->p));
	l->w = calloc(cap ? cap : 1, sizeof(*l->w));
	if (!l->p || !l->w) {
		loop_free(l);
		return -ENOMEM;
	}
	l->cap = cap;
	return 0;
}

void loop_free(struct loop *l)
{
	free(l->p);
	free(l->w);
	*l = (struct loop){ 0 };
}

static size_t find(const struct loop *l, int fd)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->p[i].fd == fd)
			return i;
	return l->cap;
}

int loop_add(struct loop *l, int fd, short events, loop_fn *fn, void *arg)
{
	size_t i;

	if (fd < 0 || !fn)
		return -EBADF;
	if (find(l, fd) != l->cap)
		return -EEXIST;
	if (l->n < l->cap) {
		i = l->n++;
	} else {
		/* full: a removed watch's slot (its revents cleared: no call this round) */
		i = find(l, -1);
		if (i == l->cap)
			return -ENOSPC;
	}
	l->p[i] = (struct pollfd){ .fd = fd, .events = events };
	l->w[i] = (struct loop_watch){ .fn = fn, .arg = arg };
	return 0;
}

int loop_mod(struct loop *l, int fd, short events)
{
	size_t i = fd < 0 ? l->cap : find(l, fd);

	if (i == l->cap)
		return -ENOENT;
	l->p[i].events = events;
	return 0;
}

int loop_del(struct loop *l, int fd)
{
	size_t i = fd < 0 ? l->cap : find(l, fd);

	if (i == l->cap)
		return -ENOENT;
	l->p[i] = (struct pollfd){ .fd = -1 };
	l->w[i] = (struct loop_watch){ 0 };
	l->holes = true;
	return 0;
}

bool loop_has(const struct loop *l, int fd)
{
	return fd >= 0 && find(l, fd) != l->cap;
}

size_t loop_count(const struct loop *l)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++)
		k += l->p[i].fd >= 0;
	return k;
}

/* Removed watches out, the order of the others kept. */
static void compact(struct loop *l)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++) {
		if (l->p[i].fd < 0)
			continue;
		l->p[k] = l->p[i];
		l->w[k] = l->w[i];
		k++;
	}
	l->n = k;
	l->holes = false;
}

static int dispatch(struct loop *l)
{
	size_t i, n = l->n;
	int calls = 0;

	for (i = 0; i < n && !l->quit; i++) {
		struct loop_watch w = l->w[i];
		short rev = l->p[i].revents;
		int fd = l->p[i].fd;

		if (fd < 0 || !rev)
			continue;
		l->p[i].revents = 0;
		w.fn(fd, rev, w.arg);
		calls++;
		/* a closed fd would make every poll() return at once */
		if ((rev & POLLNVAL) && l->p[i].fd == fd)
			loop_del(l, fd);
	}
	return calls;
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	int r;

	if (l->holes)
		compact(l);
	l->quit = false;
	r = poll(l->p, (nfds_t)l->n, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0)
		return 0;
	return dispatch(l);
}

void loop_quit(struct loop *l)
{
	l->quit = true;
}
