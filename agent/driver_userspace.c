/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent holds the balloon itself: a child process (oom_score_adj 1000,
 * so the OOM killer takes it first) keeps anonymous memory mlocked in fixed
 * chunks. The agent sends it the wanted chunk count over a pipe; the child
 * answers with the count it holds after every chunk. When the child dies
 * (the OOM killer's SIGKILL) its pipe closes, the agent reaps it and reports
 * a deflate-on-OOM. A child that does not give memory back when asked (it
 * was stopped, or is stuck) is killed after USERSPACE_STUCK_MS: a balloon
 * must never keep memory the guest needs. This produces the in-guest effect
 * of a balloon on any Linux machine; it does not return memory to a host.
 */

#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "util.h"

struct userspace {
	uint64_t chunk_kb;
	uint64_t mem_total_kb;
	pid_t pid;
	int cmd_fd, rep_fd; /* write wanted count / read held count */
	uint32_t held, wanted, max_chunks;
	uint64_t stuck_since_ms; /* asked to shrink, no progress since (0: not waiting) */
	uint32_t stuck_held;
	bool killed_stuck; /* we killed it: its death is no OOM kill */
};

/* A child that gives nothing back for this long while asked to is killed. */
#define USERSPACE_STUCK_MS 2000

/* ---- the child ---- */

static void child_reply(int fd, uint32_t held)
{
	ssize_t w = write(fd, &held, sizeof(held));
	(void)w;
}

static __attribute__((noreturn)) void child_main(int cmd, int rep, uint64_t chunk,
						 uint32_t max_chunks)
{
	void **chunks = calloc(max_chunks ? max_chunks : 1, sizeof(void *));
	uint32_t held = 0, want = 0;
	sigset_t none;
	int fd, fl;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_NAME, "sb-balloon");
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, "1000", 4);

		(void)w;
		close(fd);
	}
	if (!chunks)
		_exit(2);
	for (;;) {
		uint32_t msg;
		ssize_t n = read(cmd, &msg, sizeof(msg)); /* blocking: wait for work */

		if (n == 0)
			_exit(0); /* agent gone */
		if (n != (ssize_t)sizeof(msg)) {
			if (n < 0 && errno == EINTR)
				continue;
			_exit(3);
		}
		want = msg > max_chunks ? max_chunks : msg;
		while (held != want) {
			if (held > want) {
				held--;
				munmap(chunks[held], chunk);
			} else {
				void *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

				if (p == MAP_FAILED)
					break;
				if (mlock(p, chunk) < 0) { /* faults every page in */
					munmap(p, chunk);
					break;
				}
				chunks[held++] = p;
			}
			child_reply(rep, held);
			/* A newer command wins over the one being worked on (cmd is non-blocking here). */
			fl = fcntl(cmd, F_GETFL);
			fcntl(cmd, F_SETFL, fl | O_NONBLOCK);
			while (read(cmd, &msg, sizeof(msg)) == (ssize_t)sizeof(msg))
				want = msg > max_chunks ? max_chunks : msg;
			fcntl(cmd, F_SETFL, fl);
		}
		child_reply(rep, held);
	}
}

/* ---- the agent side ---- */

static int spawn(struct userspace *u)
{
	int cmd[2], rep[2];
	pid_t pid;

	if (pipe2(cmd, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(rep, O_CLOEXEC) < 0) {
		int e = errno;

		close(cmd[0]);
		close(cmd[1]);
		return -e;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(cmd[0]);
		close(cmd[1]);
		close(rep[0]);
		close(rep[1]);
		return -e;
	}
	if (pid == 0) {
		pid_t parent = getppid();
		int c, r;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		munlockall(); /* the agent's own mlockall does not belong here */
		/* keep only the two pipe ends, as fds 3 and 4 (copied above 4 first) */
		c = fcntl(cmd[0], F_DUPFD, 5);
		r = fcntl(rep[1], F_DUPFD, 5);
		if (c < 0 || r < 0 || dup2(c, 3) < 0 || dup2(r, 4) < 0)
			_exit(4);
		close_fds_from(5);
		child_main(3, 4, u->chunk_kb * 1024, (uint32_t)(u->mem_total_kb / u->chunk_kb));
	}
	close(cmd[0]);
	close(rep[1]);
	fcntl(cmd[1], F_SETFL, O_NONBLOCK);
	fcntl(rep[0], F_SETFL, O_NONBLOCK);
	u->pid = pid;
	u->cmd_fd = cmd[1];
	u->rep_fd = rep[0];
	u->held = 0;
	u->wanted = 0;
	u->stuck_since_ms = 0;
	u->killed_stuck = false;
	log_info("userspace balloon: child %d started (chunks of %llu kB, oom_score_adj 1000)",
		 (int)pid, (unsigned long long)u->chunk_kb);
	return 0;
}

static int us_open(struct balloon_driver *d, const struct driver_params *p)
{
	struct userspace *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->chunk_kb = p->conf->chunk_bytes / 1024;
	u->mem_total_kb = p->mi->mem_total;
	u->max_chunks = (uint32_t)(u->mem_total_kb / u->chunk_kb);
	u->pid = -1;
	u->cmd_fd = u->rep_fd = -1;
	d->priv = u;
	d->writes = true;
	return 0;
}

static int us_read(struct balloon_driver *d, const struct meminfo *mi, struct balloon_view *bv)
{
	struct userspace *u = d->priv;
	uint64_t held_kb = (uint64_t)u->held * u->chunk_kb;

	memset(bv, 0, sizeof(*bv));
	bv->max_kb = u->mem_total_kb;
	bv->boot_kb = u->mem_total_kb;
	bv->current_kb = u->mem_total_kb > held_kb ? u->mem_total_kb - held_kb : 0;
	bv->own_locked_kb = held_kb;
	bv->granule_kb = u->chunk_kb;
	return 0;
}

/*
 * Asked to hold fewer chunks than it does: the child must make progress.
 * One that does not for USERSPACE_STUCK_MS (SIGSTOPped, or stuck in the
 * kernel) is killed; its memory goes back when it dies.
 */
static void watch_stuck(struct userspace *u, uint32_t want)
{
	uint64_t now;

	if (u->pid < 0 || u->held <= want || u->killed_stuck) {
		u->stuck_since_ms = 0;
		return;
	}
	now = now_ms();
	if (!u->stuck_since_ms || u->held < u->stuck_held) {
		u->stuck_since_ms = now;
		u->stuck_held = u->held;
		return;
	}
	if (now - u->stuck_since_ms < USERSPACE_STUCK_MS)
		return;
	log_warn("userspace balloon: child %d holds %u chunks and gave none back in %d ms "
		 "(stopped or stuck); killed so the guest gets the memory",
		 (int)u->pid, u->held, USERSPACE_STUCK_MS);
	kill(u->pid, SIGKILL);
	u->killed_stuck = true;
}

static int us_set_target(struct balloon_driver *d, const struct meminfo *mi, uint64_t target_kb)
{
	struct userspace *u = d->priv;
	uint64_t balloon_kb = u->mem_total_kb > target_kb ? u->mem_total_kb - target_kb : 0;
	uint32_t want = (uint32_t)(balloon_kb / u->chunk_kb); /* round toward a smaller balloon */
	int r;

	watch_stuck(u, want);
	if (u->pid < 0) {
		if (want == 0)
			return 0;
		r = spawn(u);
		if (r < 0)
			return r;
	}
	if (want == u->wanted || u->killed_stuck)
		return 0;
	if (write(u->cmd_fd, &want, sizeof(want)) != (ssize_t)sizeof(want))
		return errno == EAGAIN
			       ? 0
			       : -errno; /* pipe full: the child is busy; resent next tick */
	u->wanted = want;
	return 0;
}

static int us_poll_fd(struct balloon_driver *d)
{
	struct userspace *u = d->priv;

	return u->rep_fd;
}

static void reap(struct userspace *u, struct driver_report *r)
{
	int st = 0;

	close(u->cmd_fd);
	close(u->rep_fd);
	while (waitpid(u->pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = st;
	r->freed_kb = (uint64_t)u->held * u->chunk_kb;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && !u->killed_stuck)
		r->balloon_oom = true;
	else
		r->balloon_died = true;
	u->pid = -1;
	u->cmd_fd = u->rep_fd = -1;
	u->held = u->wanted = 0;
	u->stuck_since_ms = 0;
	u->killed_stuck = false;
}

static int us_handle(struct balloon_driver *d, struct driver_report *r)
{
	struct userspace *u = d->priv;
	uint32_t buf[64], last;
	ssize_t n;
	int tries;

	memset(r, 0, sizeof(*r));
	if (u->pid < 0)
		return 0;
	for (tries = 0; tries < 64; tries++) { /* bounded: poll wakes us again for the rest */
		n = read(u->rep_fd, buf, sizeof(buf));
		if (n >= (ssize_t)sizeof(uint32_t)) {
			/* the child's count; never more than it can hold */
			last = buf[n / sizeof(uint32_t) - 1];
			u->held = last > u->max_chunks ? u->max_chunks : last;
			continue;
		}
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		reap(u, r); /* EOF: the child is gone */
		return 1;
	}
	return 0;
}

static void us_close(struct balloon_driver *d, bool restore)
{
	struct userspace *u = d->priv;
	struct driver_report r;

	if (!u)
		return;
	if (u->pid > 0) {
		kill(u->pid, SIGKILL);
		reap(u, &r);
	}
	free(u);
	d->priv = NULL;
}

int driver_userspace_child(const struct balloon_driver *d)
{
	const struct userspace *u = d->ops == &driver_userspace_ops ? d->priv : NULL;

	return u ? (int)u->pid : -1;
}

const struct driver_ops driver_userspace_ops = {
	.name = "userspace",
	.flags = DRIVER_DIES_WITH_DAEMON,
	.open = us_open,
	.read = us_read,
	.set_target = us_set_target,
	.poll_fd = us_poll_fd,
	.handle = us_handle,
	.close = us_close,
};
