/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Freeze watchdog process: receives fds, polls, ioctl(FITHAW). No other I/O. */
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define FDS_PER_MSG 250 /* below the kernel's SCM_MAX_FD (253) */
#define ARM_REPLY_MS 2000

/*
 * vssd -> watchdog: FDS (fds ride along), ARM, then per filesystem k in
 * freeze order FREEZING k (before FIFREEZE), FROZEN k (it succeeded) or
 * DISOWN k (not ours), and DISARM when vssd has thawed.
 * watchdog -> vssd: ARMED (ok or not) and FIRED (the timeout thawed).
 */
enum wd_op {
	WD_FDS = 1,  /* arg: how many fds ride along (SCM_RIGHTS) */
	WD_ARM,      /* arg: total fds, gen, arg64: timeout ms */
	WD_FREEZING, /* arg: index */
	WD_FROZEN,   /* arg: index */
	WD_DISOWN,   /* arg: index */
	WD_DISARM,   /* gen */
	WD_ARMED,    /* child -> parent: gen, arg: 1 = holds every fd, 0 = failed */
	WD_FIRED,    /* child -> parent: gen, arg: confirmations seen (indexes below are thawed) */
};

struct wd_msg {
	uint32_t op;
	uint32_t arg;
	uint32_t gen;
	uint32_t pad;
	uint64_t arg64;
};

/* ---- the child ------------------------------------------------------- */

enum { NONE, ANNOUNCED, CONFIRMED };

static int held[WATCHDOG_MAX_FDS];
static uint32_t announced[WATCHDOG_MAX_FDS]; /* order of FREEZING, for the reverse thaw */
static unsigned char fstate[WATCHDOG_MAX_FDS];

struct wd_state {
	const struct fs_ops *ops;
	size_t nheld, nann;
	uint32_t confirmed_upto; /* 1 + the highest index confirmed FROZEN */
	uint64_t deadline;
	uint32_t gen;
	bool armed;
	bool truncated; /* fds were lost (MSG_CTRUNC) since the last arming */
};

static void release(struct wd_state *st)
{
	size_t i;

	for (i = 0; i < st->nheld; i++)
		close(held[i]);
	st->nheld = 0;
	st->nann = 0;
	st->confirmed_upto = 0;
	st->armed = false;
	st->truncated = false;
}

/* thaws, in the reverse order of freezing, the fds at least in state min */
static unsigned thaw_all(const struct wd_state *st, unsigned char min)
{
	unsigned n = 0;
	size_t i;

	for (i = st->nann; i-- > 0;) {
		uint32_t k = announced[i];

		if (k < st->nheld && fstate[k] >= min && st->ops->thaw(held[k]) == 0)
			n++;
	}
	return n;
}

static void reply(int sock, uint32_t op, uint32_t gen, uint32_t arg)
{
	struct wd_msg m = { .op = op, .gen = gen, .arg = arg };

	send(sock, &m, sizeof(m), MSG_NOSIGNAL);
}

/* Keeps the fds that rode along with a message (SCM_RIGHTS). */
static void take_fds(struct wd_state *st, struct msghdr *mh)
{
	struct cmsghdr *c;

	if (mh->msg_flags & MSG_CTRUNC)
		st->truncated = true; /* EMFILE: some fds never arrived */
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t k, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(fd));
			if (st->nheld < WATCHDOG_MAX_FDS)
				held[st->nheld++] = fd;
			else {
				close(fd);
				st->truncated = true;
			}
		}
	}
}

/* ARM: holds exactly the fds sent for this arming, starts the clock, acknowledges. */
static void arm(int sock, struct wd_state *st, const struct wd_msg *m)
{
	bool ok;

	/* drop any fds left from a failed arming */
	if (st->nheld > m->arg) {
		size_t extra = st->nheld - m->arg, k;

		for (k = 0; k < extra; k++)
			close(held[k]);
		memmove(held, held + extra, m->arg * sizeof(held[0]));
		st->nheld = m->arg;
	}
	ok = st->nheld == m->arg && !st->truncated;
	memset(fstate, NONE, sizeof(fstate));
	st->nann = 0;
	st->confirmed_upto = 0;
	st->gen = m->gen;
	if (ok) {
		st->deadline = now_ms() + m->arg64;
		st->armed = true;
	} else {
		release(st);
		st->gen = m->gen;
	}
	reply(sock, WD_ARMED, m->gen, ok);
}

/* Receives and handles one message. Returns its op, 0 when none is waiting, -1 on EOF. */
static int receive(int sock, struct wd_state *st, bool wait)
{
	char cbuf[CMSG_SPACE(sizeof(int) * FDS_PER_MSG)];
	struct wd_msg m;
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	ssize_t r;

	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT));
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN)
		return 0;
	if (r != (ssize_t)sizeof(m))
		return -1; /* EOF: vssd is gone */
	take_fds(st, &mh);
	switch (m.op) {
	case WD_ARM: arm(sock, st, &m); break;
	case WD_FREEZING:
		if (st->armed && m.arg < st->nheld && st->nann < WATCHDOG_MAX_FDS) {
			fstate[m.arg] = ANNOUNCED;
			announced[st->nann++] = m.arg;
		}
		break;
	case WD_FROZEN:
		if (st->armed && m.arg < st->nheld && fstate[m.arg] == ANNOUNCED) {
			fstate[m.arg] = CONFIRMED;
			if (m.arg + 1 > st->confirmed_upto)
				st->confirmed_upto = m.arg + 1;
		}
		break;
	case WD_DISOWN:
		if (m.arg < st->nheld)
			fstate[m.arg] = NONE;
		break;
	case WD_DISARM:
		if (m.gen == st->gen)
			release(st);
		break;
	default: break;
	}
	return (int)m.op;
}

static void __attribute__((noreturn)) watchdog_main(int sock, const struct fs_ops *ops)
{
	struct wd_state st = { .ops = ops };
	struct rlimit rl;
	sigset_t all;
	int op;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL); /* only SIGKILL stops us */
	prctl(PR_SET_NAME, "vssd-watchdog", 0, 0, 0);
	mlockall(MCL_CURRENT | MCL_FUTURE);
	/* room for every fd vssd may hand over */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int timeout = -1;

		if (st.armed) {
			uint64_t t = now_ms();

			if (t >= st.deadline) {
				uint32_t upto;

				/*
				 * First what vssd sent before the deadline (its confirmations), up to
				 * a disarm or a new arming: those end this arming's business.
				 */
				while ((op = receive(sock, &st, false)) > 0 && op != WD_ARM &&
				       op != WD_DISARM)
					;
				if (op < 0)
					break;
				if (!st.armed || now_ms() < st.deadline)
					continue;
				upto = st.confirmed_upto;
				thaw_all(&st, CONFIRMED);
				reply(sock, WD_FIRED, st.gen, upto);
				release(&st);
				continue;
			}
			timeout = (int)(st.deadline - t > 60000 ? 60000 : st.deadline - t);
		}
		if (poll(&p, 1, timeout) <= 0)
			continue;
		if (receive(sock, &st, true) < 0)
			break;
	}
	/* EOF: vssd is gone; thaw every filesystem it announced and did not disown */
	if (st.armed)
		thaw_all(&st, ANNOUNCED);
	_exit(0);
}

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

int watchdog_spawn(struct watchdog *w)
{
	int sv[2];
	pid_t pid;

	w->pid = 0;
	w->sock = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(sv[0]);
		close(sv[1]);
		return e;
	}
	if (pid == 0) {
		/* keep only our socket, as fd 3: no listener, no client, no record, not vssd's end */
		close(sv[0]);
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_fds_from(4);
		null_stdio();
		watchdog_main(3, w->ops ? w->ops : &fs_ops_kernel);
	}
	close(sv[1]);
	w->pid = pid;
	w->sock = sv[0];
	return 0;
}

static int send_msg(struct watchdog *w, const struct wd_msg *m, const int *fds, size_t nfds)
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
		if (sendmsg(w->sock, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(*m))
			return 0;
		if (errno != EINTR)
			return -errno;
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

int watchdog_arm(struct watchdog *w, const int *fds, size_t n, uint64_t timeout_ms)
{
	struct wd_msg m = { .op = WD_FDS };
	size_t off;
	int r;

	if (n > WATCHDOG_MAX_FDS)
		return -E2BIG;
	for (off = 0; off < n; off += FDS_PER_MSG) {
		size_t cnt = n - off < FDS_PER_MSG ? n - off : FDS_PER_MSG;

		m.arg = (uint32_t)cnt;
		r = send_msg(w, &m, fds + off, cnt);
		if (r < 0)
			return r;
	}
	m = (struct wd_msg){
		.op = WD_ARM, .arg = (uint32_t)n, .gen = ++w->gen, .arg64 = timeout_ms
	};
	r = send_msg(w, &m, NULL, 0);
	return r < 0 ? r : wait_armed(w);
}

static int send_index(struct watchdog *w, uint32_t op, size_t i)
{
	struct wd_msg m = { .op = op, .arg = (uint32_t)i, .gen = w->gen };

	return send_msg(w, &m, NULL, 0);
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

	return send_msg(w, &m, NULL, 0);
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

int watchdog_respawn(struct watchdog *w)
{
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		close(w->sock);
	}
	w->pid = 0;
	w->sock = -1;
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
	return true;
}

void watchdog_stop(struct watchdog *w)
{
	int status, i;

	if (w->pid <= 0)
		return;
	close(w->sock); /* EOF: the watchdog exits (thawing, were anything armed) */
	w->sock = -1;
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
