/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD shim for tests/integration/agent-faults.sh: write(2) on a file
 * whose path contains $SB_FAULT_PATH fails with errno $SB_FAULT_ERRNO, or
 * returns 0 (accepts nothing, like a broken sysfs store) when that is 0.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t len);

static int faulty(int fd)
{
	const char *want = getenv("SB_FAULT_PATH");
	char link[64], path[4096];
	ssize_t n;

	if (!want || !*want)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	return strstr(path, want) != NULL;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);
	const char *e;

	if (faulty(fd)) {
		e = getenv("SB_FAULT_ERRNO");
		if (!e || atoi(e) == 0)
			return 0;
		errno = atoi(e);
		return -1;
	}
	if (!real)
		real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	return real(fd, buf, len);
}
