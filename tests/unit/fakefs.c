/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fake filesystem operations (see fakefs.h). No stdio: the watchdog process calls thaw. */
#include "fakefs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fakefs *fake;

void fake_init(void)
{
	if (!fake) {
		void *p = mmap(NULL, sizeof(*fake), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(99);
		fake = p;
	}
	memset(fake, 0, sizeof(*fake));
	fake->pid = getpid();
}

void fake_close(void)
{
	size_t i;

	for (i = 0; fake && i < fake->n; i++)
		if (fake->fs[i].wfd >= 0)
			close(fake->fs[i].wfd);
	if (fake)
		fake->n = 0;
}

void fake_add(const char *path)
{
	struct fake_fs *f = &fake->fs[fake->n++];

	memset(f, 0, sizeof(*f));
	strncpy(f->path, path, sizeof(f->path) - 1);
	f->wfd = -1;
}

struct fake_fs *fake_find(const char *path)
{
	size_t i;

	for (i = 0; i < fake->n; i++)
		if (strcmp(fake->fs[i].path, path) == 0)
			return &fake->fs[i];
	return NULL;
}

void fake_fail(enum fake_op op, unsigned nth, unsigned times, int err)
{
	fake->script[fake->nscript++] =
		(struct fake_script){ .op = op, .nth = nth, .times = times, .err = err };
}

static struct fake_fs *by_fd(int fd)
{
	struct stat st;
	size_t i;

	if (fstat(fd, &st) < 0)
		return NULL;
	for (i = 0; i < fake->n; i++)
		if (fake->fs[i].wfd >= 0 && fake->fs[i].ino == st.st_ino)
			return &fake->fs[i];
	return NULL;
}

/* Counts a call by the test process; returns the scripted -errno for it, or 0. */
static int call(enum fake_op op)
{
	unsigned nth;
	size_t i;

	if (getpid() != fake->pid)
		return 0; /* the watchdog: never scripted */
	nth = ++fake->calls[op];
	if (fake->before)
		fake->before(op, nth);
	for (i = 0; i < fake->nscript; i++) {
		const struct fake_script *s = &fake->script[i];

		if (s->op == op && nth >= s->nth && nth < s->nth + s->times)
			return -s->err;
	}
	return 0;
}

static int fake_open(const char *path)
{
	struct fake_fs *f = fake_find(path);
	struct stat st;
	int p[2], r = call(FAKE_OPEN);

	if (r < 0)
		return r;
	if (!f)
		return -ENOENT;
	if (pipe2(p, O_CLOEXEC) < 0 || fstat(p[0], &st) < 0)
		return -errno;
	if (f->wfd >= 0)
		close(f->wfd);
	f->wfd = p[1];
	f->ino = st.st_ino;
	return p[0];
}

static int fake_syncfs(int fd)
{
	int r = call(FAKE_SYNCFS);

	if (r < 0)
		return r;
	return by_fd(fd) ? 0 : -EBADF;
}

static int fake_freeze(int fd)
{
	struct fake_fs *f = by_fd(fd);
	int r = call(FAKE_FREEZE);

	if (!f)
		return -EBADF;
	if (r == -EBUSY && !f->frozen)
		f->frozen = f->foreign = true; /* someone else froze it just before */
	if (r < 0)
		return r;
	if (f->frozen)
		return -EBUSY;
	f->frozen = true;
	f->freezes++;
	return 0;
}

static int fake_thaw(int fd)
{
	struct fake_fs *f = by_fd(fd);
	int r = call(FAKE_THAW);

	if (!f)
		return -EBADF;
	if (r < 0) {
		f->failed_thaws++;
		return r;
	}
	if (!f->frozen) {
		f->stray_thaws++;
		return -EINVAL;
	}
	f->frozen = false;
	if (getpid() == fake->pid)
		f->thaws++;
	else
		f->wd_thaws++;
	return 0;
}

const struct fs_ops fake_ops = {
	.open = fake_open,
	.syncfs = fake_syncfs,
	.freeze = fake_freeze,
	.thaw = fake_thaw,
};

static bool all_released(void)
{
	size_t i;

	for (i = 0; i < fake->n; i++) {
		struct pollfd p = { .fd = fake->fs[i].wfd, .events = POLLOUT };

		if (p.fd >= 0 && (poll(&p, 1, 0) != 1 || !(p.revents & POLLERR)))
			return false;
	}
	return true;
}

bool fake_released(int ms)
{
	struct timespec step = { 0, 5 * 1000000L };
	int waited;

	for (waited = 0; waited <= ms; waited += 5) {
		if (all_released())
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}
