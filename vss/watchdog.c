/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vssd's side of the freeze watchdog: spawning it, arming, confirmations, reports. */
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define ARM_REPLY_MS 2000

/* stdin, stdout and stderr from /dev/null: the watchdog never writes anything */
static void null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/* ---- the parent ------------------------------------------------------ */

const char *watchdog_helper(void)
{
	static char path[PATH_MAX];
	char *slash;
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - sizeof("/vssd-watchdog"));

	if (n > 0) {
		path[n] = '\0';
		slash = strrchr(path, '/');
		if (slash) {
			strcpy(slash, "/vssd-watchdog");
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	return access(VSSD_WATCHDOG_PATH, X_OK) == 0 ? VSSD_WATCHDOG_PATH : NULL;
}

/*
 * In the child: the socket as fd 3, the bell as fd 4, nothing else; then the
 * helper, for the kernel's FITHAW, or the loop here (no helper, it cannot
 * run, a test's ops).
 */
static void __attribute__((noreturn)) child(int sock, int bell, const struct watchdog *w)
{
	static char *const argv[] = { "vssd-watchdog", NULL };
	static char *const envp[] = { NULL };
	const struct fs_ops *ops = w->ops ? w->ops : &fs_ops_kernel;
	/* above both targets first, so that neither dup2 closes the other */
	int s = fcntl(sock, F_DUPFD, WATCHDOG_BELL_FD + 1);
	int b = bell >= 0 ? fcntl(bell, F_DUPFD, WATCHDOG_BELL_FD + 1) : -1;

	if (s < 0 || dup2(s, WATCHDOG_SOCK_FD) < 0)
		_exit(1);
	if (b >= 0 && dup2(b, WATCHDOG_BELL_FD) < 0)
		b = -1;
	close_fds_from(b >= 0 ? WATCHDOG_BELL_FD + 1 : WATCHDOG_BELL_FD);
	null_stdio();
	if (w->helper && ops == &fs_ops_kernel)
		execve(w->helper, argv, envp);
	watchdog_main(WATCHDOG_SOCK_FD, b >= 0 ? WATCHDOG_BELL_FD : -1, ops);
}

static void close_bell(struct watchdog *w)
{
	if (w->bell >= 0)
		close(w->bell);
	w->bell = -1;
}

/* Wakes the watchdog to read what waits in its socket. */
static void ring(struct watchdog *w)
{
	uint64_t one = 1;

	if (w->bell >= 0 && write(w->bell, &one, sizeof(one)) < 0)
		return; /* EAGAIN: the count is at its maximum, it rings already */
}

int watchdog_spawn(struct watchdog *w)
{
	int sv[2];
	pid_t pid;

	w->pid = 0;
	w->sock = -1;
	w->bell = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* no bell (no eventfd): the watchdog wakes for every message, as it can */
	w->bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(sv[0]);
		close(sv[1]);
		close_bell(w);
		return e;
	}
	if (pid == 0) {
		/* keep only our socket: no listener, no client, no record, not vssd's end */
		close(sv[0]);
		child(sv[1], w->bell, w);
	}
	close(sv[1]);
	w->pid = pid;
	w->sock = sv[0];
	return 0;
}

static int send_msg(struct watchdog *w, const struct wd_msg *m, const int *fds, size_t nfds,
		    int flags)
{
	char cbuf[CMSG_SPACE(sizeof(int) * FDS_PER_MSG)];
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (w->sock < 0)
		return -ENOTCONN;
	if (nfds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	for (;;) {
		if (sendmsg(w->sock, &mh, MSG_NOSIGNAL | flags) == (ssize_t)sizeof(*m))
			return 0;
		if (errno == EAGAIN && (flags & MSG_DONTWAIT)) {
			/* its socket is full while it sleeps: wake it, then wait for room */
			ring(w);
			flags &= ~MSG_DONTWAIT;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
}

/* Waits (bounded) for ARMED of the current generation; other reports are stale. */
static int wait_armed(struct watchdog *w)
{
	uint64_t deadline = now_ms() + ARM_REPLY_MS;

	for (;;) {
		struct pollfd p = { .fd = w->sock, .events = POLLIN };
		uint64_t t = now_ms();
		struct wd_msg m;
		ssize_t r;

		if (t >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(deadline - t)) < 0 && errno != EINTR)
			return -errno;
		r = recv(w->sock, &m, sizeof(m), MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r != (ssize_t)sizeof(m))
			return -EPIPE;
		if (m.op == WD_ARMED && m.gen == w->gen)
			return m.arg ? 0 : -EMFILE;
	}
}

int watchdog_arm_send(struct watchdog *w, const int *fds, size_t n, uint64_t timeout_ms)
{
	struct wd_msg m = { .op = WD_FDS };
	size_t off;
	int r;

	if (n > WATCHDOG_MAX_FDS)
		return -E2BIG;
	for (off = 0; off < n; off += FDS_PER_MSG) {
		size_t cnt = n - off < FDS_PER_MSG ? n - off : FDS_PER_MSG;

		m.arg = (uint32_t)cnt;
		r = send_msg(w, &m, fds + off, cnt, 0);
		if (r < 0)
			return r;
	}
	m = (struct wd_msg){
		.op = WD_ARM, .arg = (uint32_t)n, .gen = ++w->gen, .arg64 = timeout_ms
	};
	return send_msg(w, &m, NULL, 0, 0);
}

int watchdog_arm_wait(struct watchdog *w)
{
	return wait_armed(w);
}

int watchdog_start(struct watchdog *w)
{
	struct wd_msg m = { .op = WD_START, .gen = w->gen };

	return send_msg(w, &m, NULL, 0, 0);
}

int watchdog_arm(struct watchdog *w, const int *fds, size_t n, uint64_t timeout_ms)
{
	int r = watchdog_arm_send(w, fds, n, timeout_ms);

	if (r == 0)
		r = wait_armed(w);
	return r < 0 ? r : watchdog_start(w);
}

int watchdog_record(struct watchdog *w, int fd)
{
	struct wd_msg m = { .op = WD_RECORD, .arg = 1 };

	return send_msg(w, &m, &fd, 1, 0);
}

/* no wake-up: they wait in its socket (watchdog_proto.h) */
static int send_index(struct watchdog *w, uint32_t op, size_t i)
{
	struct wd_msg m = { .op = op, .arg = (uint32_t)i, .gen = w->gen };

	return send_msg(w, &m, NULL, 0, MSG_DONTWAIT);
}

int watchdog_freezing(struct watchdog *w, size_t i)
{
	return send_index(w, WD_FREEZING, i);
}

int watchdog_frozen(struct watchdog *w, size_t i)
{
	return send_index(w, WD_FROZEN, i);
}

int watchdog_disown(struct watchdog *w, size_t i)
{
	return send_index(w, WD_DISOWN, i);
}

int watchdog_disarm(struct watchdog *w)
{
	struct wd_msg m = { .op = WD_DISARM, .gen = w->gen };
	int r = send_msg(w, &m, NULL, 0, 0);

	if (r == 0)
		ring(w);
	return r;
}

int watchdog_event(struct watchdog *w, uint32_t *confirmed_upto)
{
	struct wd_msg m;
	ssize_t r;

	if (w->sock < 0)
		return -EPIPE;
	r = recv(w->sock, &m, sizeof(m), MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r != (ssize_t)sizeof(m))
		return -EPIPE;
	if (m.op == WD_FIRED && m.gen == w->gen) {
		*confirmed_upto = m.arg;
		return 1;
	}
	return 0;
}

void watchdog_kill(struct watchdog *w)
{
	if (w->pid <= 0)
		return;
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	w->pid = 0;
}

int watchdog_respawn(struct watchdog *w)
{
	watchdog_kill(w);
	if (w->sock >= 0)
		close(w->sock);
	w->sock = -1;
	close_bell(w);
	return watchdog_spawn(w);
}

bool watchdog_reap(struct watchdog *w)
{
	int status;

	if (w->pid <= 0 || waitpid(w->pid, &status, WNOHANG) != w->pid)
		return false;
	w->pid = 0;
	close(w->sock);
	w->sock = -1;
	close_bell(w);
	return true;
}

void watchdog_stop(struct watchdog *w)
{
	int status, i;

	if (w->pid <= 0)
		return;
	close(w->sock); /* EOF: the watchdog exits (thawing, were anything armed) */
	w->sock = -1;
	close_bell(w);
	for (i = 0; i < 200; i++) {
		if (waitpid(w->pid, &status, WNOHANG) != 0)
			break;
		usleep(10000);
	}
	if (i == 200) {
		kill(w->pid, SIGKILL);
		waitpid(w->pid, &status, 0);
	}
	w->pid = 0;
}
