/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PSI trigger registration (Documentation/accounting/psi.rst, "Monitoring for pressure thresholds"). */

#include "psi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

int psi_trigger_open(const char *path, uint64_t stall_us, uint64_t window_us)
{
	char trig[64];
	struct statfs sf;
	int fd, n, e;

	n = snprintf(trig, sizeof(trig), "some %llu %llu", (unsigned long long)stall_us,
		     (unsigned long long)window_us);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* A trigger is written only into the kernel's file: never into a fake tree (--root) or through a link. */
	if (fstatfs(fd, &sf) < 0 || (unsigned long)sf.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return -EMEDIUMTYPE;
	}
	if (write(fd, trig, (size_t)n + 1) < 0) { /* the kernel wants the terminating NUL */
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}
