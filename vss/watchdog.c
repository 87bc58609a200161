/* Freeze watchdog process: poll, ioctl(FITHAW), exit. No other I/O. */
#include "watchdog.h"

#include <errno.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_STOP      0xffffffffu
#define MSG_DISOWN    0x80000000u
#define MAX_WATCHED   4096

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The child. Every buffer it needs is allocated before the first freeze. */
static void __attribute__((noreturn))
watchdog_main(int sock, const int *fds, size_t n, uint64_t timeout_ms, size_t *announced, bool *ours)
{
	uint64_t deadline = now_ms() + timeout_ms;
	size_t nann = 0, i;
	int code = WATCHDOG_EXIT_TIMEOUT;
	sigset_t all;

	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigprocmask(SIG_SETMASK, &all, NULL);   /* only SIGKILL stops us */
	prctl(PR_SET_NAME, "vssd-watchdog", 0, 0, 0);
	mlockall(MCL_CURRENT | MCL_FUTURE);

	for (;;) {
		uint64_t t = now_ms();
		struct pollfd p = { .fd = sock, .events = POLLIN };
		uint32_t msg;
		ssize_t r;
		int pr;

		if (t >= deadline)
			break;
		pr = poll(&p, 1, (int)(deadline - t > 60000 ? 60000 : deadline - t));
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		r = recv(sock, &msg, sizeof(msg), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(msg)) {
			code = WATCHDOG_EXIT_ORPHANED;   /* EOF: vssd is gone */
			break;
		}
		if (msg == MSG_STOP)
			_exit(WATCHDOG_EXIT_STOOD_DOWN);
		if (msg & MSG_DISOWN) {
			if ((msg & ~MSG_DISOWN) < n)
				ours[msg & ~MSG_DISOWN] = false;
		} else if (msg < n && nann < n) {
			ours[msg] = true;
			announced[nann++] = msg;
		}
	}
	/* thaw in the reverse order of freezing */
	for (i = nann; i-- > 0;)
		if (ours[announced[i]])
			ioctl(fds[announced[i]], FITHAW, 0);
	_exit(code);
}

int watchdog_start(struct watchdog *w, const int *fds, size_t n, uint64_t timeout_ms)
{
	size_t *announced;
	bool *ours;
	int sv[2];
	pid_t pid;

	w->pid = 0;
	w->sock = -1;
	if (n > MAX_WATCHED)
		return -E2BIG;
	announced = calloc(n + 1, sizeof(*announced));
	ours = calloc(n + 1, sizeof(*ours));
	if (!announced || !ours) {
		free(announced);
		free(ours);
		return -ENOMEM;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(announced);
		free(ours);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(sv[0]);
		close(sv[1]);
		free(announced);
		free(ours);
		return e;
	}
	if (pid == 0) {
		close(sv[0]);
		watchdog_main(sv[1], fds, n, timeout_ms, announced, ours);
	}
	close(sv[1]);
	free(announced);
	free(ours);
	w->pid = pid;
	w->sock = sv[0];
	return 0;
}

static int send_msg(struct watchdog *w, uint32_t msg)
{
	if (w->sock < 0)
		return -ENOTCONN;
	for (;;) {
		if (send(w->sock, &msg, sizeof(msg), MSG_NOSIGNAL) == (ssize_t)sizeof(msg))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int watchdog_freezing(struct watchdog *w, size_t i)
{
	return send_msg(w, (uint32_t)i);
}

int watchdog_disown(struct watchdog *w, size_t i)
{
	return send_msg(w, (uint32_t)i | MSG_DISOWN);
}

int watchdog_stop(struct watchdog *w)
{
	int status = 0, pidfd, i;
	pid_t r = 0;

	if (w->pid <= 0)
		return -ECHILD;
	send_msg(w, MSG_STOP);
	/* the child only ever polls or thaws: it answers at once; still, bound the wait */
	pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
	for (i = 0; i < 2 && r == 0; i++) {
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };

			poll(&p, 1, 2000);
		}
		r = waitpid(w->pid, &status, WNOHANG);
		if (r == 0 && i == 0)
			kill(w->pid, SIGKILL);
	}
	if (r == 0)
		r = waitpid(w->pid, &status, 0);
	if (pidfd >= 0)
		close(pidfd);
	close(w->sock);
	w->sock = -1;
	w->pid = 0;
	if (r < 0)
		return -errno;   /* already reaped by someone else */
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}
