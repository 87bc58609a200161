/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The watchdog's side: receives fds, polls, FITHAW. No other I/O, no library
 * but libc (it is also the vssd-watchdog executable).
 */
#include "watchdog_proto.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

enum { NONE, ANNOUNCED, CONFIRMED };

static int held[WATCHDOG_MAX_FDS];
static uint32_t announced[WATCHDOG_MAX_FDS]; /* order of FREEZING, for the reverse thaw */
static unsigned char fstate[WATCHDOG_MAX_FDS];

struct wd_state {
	const struct fs_ops *ops;
	size_t nheld, nann;
	uint32_t confirmed_upto; /* 1 + the highest index confirmed FROZEN */
	uint64_t deadline;       /* UINT64_MAX: armed, the clock not started */
	uint64_t timeout;        /* of the current arming, from ARM */
	uint32_t gen;
	int record; /* the freeze record (write end), -1 when none */
	bool armed;
	bool fired;     /* the timeout thaw is done; a FIFREEZE in progress then stays guarded */
	bool truncated; /* fds were lost (MSG_CTRUNC) since the last arming */
};

static void release(struct wd_state *st)
{
	size_t i;

	for (i = 0; i < st->nheld; i++)
		close(held[i]);
	st->nheld = 0;
	if (st->record >= 0)
		close(st->record);
	st->record = -1;
	st->nann = 0;
	st->confirmed_upto = 0;
	st->armed = false;
	st->fired = false;
	st->truncated = false;
}

/*
 * Thaws, in the reverse order of freezing, the fds at least in state min.
 * Returns how many failed (not frozen any more is no failure).
 */
static unsigned thaw_all(const struct wd_state *st, unsigned char min)
{
	unsigned failed = 0;
	size_t i;

	for (i = st->nann; i-- > 0;) {
		uint32_t k = announced[i];
		int r;

		if (k >= st->nheld || fstate[k] < min)
			continue;
		r = st->ops->thaw(held[k]);
		if (r < 0 && r != -EINVAL)
			failed++;
	}
	return failed;
}

/*
 * After a thaw of the fds in state min or above, with no failure: if that
 * was every fd announced and not disowned, the record is retired (emptied),
 * so a vssd started later does not thaw what someone else froze since. One
 * announced but not confirmed (vssd in the middle of its FIFREEZE at the
 * timeout) is vssd's to thaw: the record must keep it.
 */
static void retire_record(const struct wd_state *st, unsigned char min)
{
	size_t i;

	if (st->record < 0)
		return;
	for (i = 0; i < st->nann; i++)
		if (fstate[announced[i]] != NONE && fstate[announced[i]] < min)
			return;
	if (ftruncate(st->record, 0) < 0)
		return; /* kept: a later vssd finds the filesystems thawed (EINVAL) or another's */
}

static void reply(int sock, uint32_t op, uint32_t gen, uint32_t arg)
{
	struct wd_msg m = { .op = op, .gen = gen, .arg = arg };

	send(sock, &m, sizeof(m), MSG_NOSIGNAL);
}

/* Keeps the fds that rode along with a message (SCM_RIGHTS); RECORD's one as the record. */
static void take_fds(struct wd_state *st, struct msghdr *mh, bool record)
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
			if (record) {
				if (st->record >= 0)
					close(st->record);
				st->record = fd;
				record = false;
			} else if (st->nheld < WATCHDOG_MAX_FDS)
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
	st->fired = false;
	if (ok) {
		st->timeout = m->arg64;
		st->deadline = UINT64_MAX;
		st->armed = true;
	} else {
		release(st);
		st->gen = m->gen;
	}
	reply(sock, WD_ARMED, m->gen, ok);
}

/* The timeout runs from now, once per arming. */
static void start_clock(struct wd_state *st)
{
	if (st->armed && st->deadline == UINT64_MAX)
		st->deadline = now_ms() + st->timeout;
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
	take_fds(st, &mh, m.op == WD_RECORD);
	switch (m.op) {
	case WD_ARM: arm(sock, st, &m); break;
	case WD_START:
		if (st->armed && m.gen == st->gen)
			start_clock(st);
		break;
	case WD_FREEZING:
		start_clock(st); /* a FREEZING without START never goes unguarded */
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

#define STACK_WARM (64 * 1024) /* far more than the loop's deepest call (recvmsg's cbuf) */
#define PAGE_STEP 4096

/* Faults in (and so locks) this much stack below here. */
static void __attribute__((noinline)) warm_stack(void)
{
	volatile char stack[STACK_WARM];
	size_t i;

	for (i = 0; i < sizeof(stack); i += PAGE_STEP)
		stack[i] = 0;
}

static void warm_pages(void *p, size_t len)
{
	volatile char *c = p;
	size_t i;

	for (i = 0; i < len; i += PAGE_STEP)
		c[i] = 0;
	c[len - 1] = 0;
}

/*
 * Only what is touched is locked (MCL_ONFAULT: libc is not locked whole), so
 * everything the loop can need once filesystems are frozen is touched now:
 * the tables, the stack, and the system call wrappers of the thaw path.
 * Nothing of it may have to be read from a disk, or allocated, while frozen.
 */
static void lock_memory(const struct fs_ops *ops)
{
	struct pollfd p = { .fd = -1 };
	struct wd_msg m = { 0 };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
		mlockall(MCL_CURRENT | MCL_FUTURE); /* before Linux 4.4: lock it all */
	warm_pages(held, sizeof(held));
	warm_pages(announced, sizeof(announced));
	warm_pages(fstate, sizeof(fstate));
	warm_stack();
	(void)now_ms();
	(void)poll(&p, 1, 0);
	if (read(-1, &m, sizeof(m)) < 0) /* EBADF: the bell's read wrapper */
		m.op = 0;
	(void)send(-1, &m, sizeof(m), MSG_NOSIGNAL);
	(void)recvmsg(-1, &mh, MSG_DONTWAIT);
	(void)close(-1);
	if (ops == &fs_ops_kernel)
		(void)ops->thaw(-1); /* EBADF: the ioctl wrapper (a test's fake is not called) */
}

/* Handles every message waiting. Returns 0, or -1 on EOF (vssd is gone). */
static int drain(int sock, struct wd_state *st)
{
	int op;

	while ((op = receive(sock, st, false)) > 0)
		;
	return op;
}

/*
 * The bell rang: reset it, then read what vssd sent. A bell that cannot be
 * read is given up (*bell = -1: every message wakes us again). Returns 0, or
 * -1 on EOF.
 */
static int answer_bell(int sock, int *bell, struct wd_state *st)
{
	uint64_t v;

	if (read(*bell, &v, sizeof(v)) < 0 && errno != EAGAIN && errno != EINTR)
		*bell = -1;
	return drain(sock, st);
}

/*
 * After the timeout thaw: what it thawed is never thawed again (someone may
 * have frozen it since), but a filesystem whose FIFREEZE was in progress
 * stays guarded until vssd reports back (FROZEN, DISOWN, then DISARM): if vssd
 * dies the moment that FIFREEZE returns (a SIGKILL waiting for it, as
 * systemd's stop sends after TimeoutStopSec), the EOF thaws it.
 */
static void after_fire(struct wd_state *st)
{
	bool left = false;
	size_t i;

	for (i = 0; i < st->nheld; i++) {
		if (fstate[i] == CONFIRMED)
			fstate[i] = NONE;
		else if (fstate[i] == ANNOUNCED)
			left = true;
	}
	if (left)
		st->fired = true;
	else
		release(st);
}

/*
 * At the deadline: first what vssd sent before it (its confirmations), up to
 * a disarm or a new arming, which end this arming's business; then, still
 * armed, thaw the confirmed ones and report. Returns -1 on EOF, else 0.
 */
static int fire(int sock, struct wd_state *st)
{
	uint32_t upto;
	int op;

	while ((op = receive(sock, st, false)) > 0 && op != WD_ARM && op != WD_DISARM)
		;
	if (op < 0)
		return -1;
	if (!st->armed || now_ms() < st->deadline)
		return 0;
	upto = st->confirmed_upto;
	if (thaw_all(st, CONFIRMED) == 0)
		retire_record(st, CONFIRMED);
	reply(sock, WD_FIRED, st->gen, upto);
	after_fire(st);
	return 0;
}

/*
 * Waits for what comes first: a message (while the clock runs, with a bell:
 * only the bell or vssd's end of file), or the deadline. Returns -1 on EOF.
 */
static int wait_once(int sock, int *bell, struct wd_state *st)
{
	struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
			       { .fd = *bell, .events = POLLIN } };
	int timeout = -1;

	if (st->armed && !st->fired) {
		uint64_t t = now_ms();

		if (t >= st->deadline)
			return fire(sock, st);
		timeout = (int)(st->deadline - t > 60000 ? 60000 : st->deadline - t);
		if (*bell >= 0 && st->deadline != UINT64_MAX)
			p[0].events = 0; /* the clock runs: FREEZING, FROZEN wait in the socket */
	}
	if (poll(p, *bell >= 0 ? 2 : 1, timeout) <= 0)
		return 0;
	if (*bell >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLNVAL)))
		return answer_bell(sock, bell, st);
	return p[0].revents && receive(sock, st, true) < 0 ? -1 : 0;
}

void watchdog_main(int sock, int bell, const struct fs_ops *ops)
{
	struct wd_state st = { .ops = ops, .record = -1 };
	struct rlimit rl;
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL); /* only SIGKILL stops us */
	prctl(PR_SET_NAME, "vssd-watchdog", 0, 0, 0);
	/* room for every fd vssd may hand over */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	lock_memory(ops);
	while (wait_once(sock, &bell, &st) == 0)
		;
	/* EOF: vssd is gone; thaw every filesystem it announced and did not disown */
	if (st.armed && thaw_all(&st, ANNOUNCED) == 0)
		retire_record(&st, ANNOUNCED);
	_exit(0);
}
