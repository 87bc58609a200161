/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PSI trigger registration (Documentation/accounting/psi.rst, "Monitoring for pressure thresholds"). */

#include "psi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int psi_trigger_open(const char *path, uint64_t stall_us, uint64_t window_us)
{
	char trig[64];
	int fd, n;

	n = snprintf(trig, sizeof(trig), "some %llu %llu", (unsigned long long)stall_us,
		     (unsigned long long)window_us);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, trig, (size_t)n + 1) < 0) { /* the kernel wants the terminating NUL */
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}
