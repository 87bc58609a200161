/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vssd-watchdog: vssd's freeze watchdog as its own small executable (only
 * libc, every page it uses locked), so that it does not carry vssd's libraries
 * and heap.
 * vssd starts it with its socket as fd 3; see vss/watchdog.h.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watchdog_proto.h"

int main(void)
{
	static const char msg[] = "vssd-watchdog: started by vssd only (fd 3 is its socket)\n";
	struct stat st;

	if (fstat(WATCHDOG_SOCK_FD, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		ssize_t w = write(2, msg, sizeof(msg) - 1);

		(void)w;
		return 2;
	}
	/* a vssd without the bell leaves fd 4 closed: then every message wakes us */
	watchdog_main(WATCHDOG_SOCK_FD,
		      fcntl(WATCHDOG_BELL_FD, F_GETFD) >= 0 ? WATCHDOG_BELL_FD : -1,
		      &fs_ops_kernel);
}
