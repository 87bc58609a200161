/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers both daemons need (util.h). */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

bool take_u64(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	unsigned d;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		p++;
	}
	*s = p;
	*out = v;
	return true;
}

/*
 * One pass over /proc/self/fd with getdents64 into a stack buffer (opendir
 * would allocate). procfs lists fds in ascending order by position, so
 * closing entries already read does not make the listing skip others.
 */
int close_fds_proc(int first)
{
	char buf[4096] __attribute__((aligned(8)));
	const struct dirent64 *d;
	const char *name;
	uint64_t fd;
	ssize_t n, off;
	int dfd;

	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	while ((n = getdents64(dfd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += d->d_reclen) {
			d = (const struct dirent64 *)(buf + off);
			name = d->d_name;
			if (take_u64(&name, &fd) && *name == '\0' && fd >= (uint64_t)first &&
			    fd <= INT_MAX && (int)fd != dfd)
				close((int)fd);
		}
	}
	if (n < 0)
		n = -errno;
	close(dfd);
	return (int)n;
}

void close_fds_from(int first)
{
	struct rlimit rl;
	rlim_t max = 1 << 20, fd;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0)
		return;
#endif
	if (close_fds_proc(first) == 0)
		return;
	/* no /proc: every fd the limit allows (a huge limit is cut at 2^20) */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < max)
		max = rl.rlim_cur;
	for (fd = (rlim_t)first; fd < max; fd++)
		close((int)fd);
}

int path_dirname(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		n = snprintf(out, size, ".");
	else if (slash == path)
		n = snprintf(out, size, "/");
	else
		n = snprintf(out, size, "%.*s", (int)(slash - path), path);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int mkdir_p(const char *dir, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t i;

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (i = 1; tmp[i]; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		tmp[i] = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int daemon_signals(const int *signals)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	for (; *signals; signals++)
		sigaddset(&set, *signals);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

void print_version(const char *prog)
{
	printf("%s (%s) %s\n", prog, PACKAGE_NAME, PACKAGE_VERSION);
}

int path_absolute(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(out, size, "%s", path);
	else if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	else
		n = snprintf(out, size, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
