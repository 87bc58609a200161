/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/fork-mlock.c: what vssd's per-freeze watchdog spawn costs, in isolation.
 *
 * vssd runs with mlockall(MCL_CURRENT | MCL_FUTURE) and, on every freeze, fork()s a
 * watchdog child that calls mlockall(MCL_CURRENT | MCL_FUTURE) again (locks are not
 * inherited). Populating the child's writable private pages breaks copy-on-write, i.e.
 * copies them, each with a TLB flush. This program times fork() and fork-to-reap of a
 * child that does only that, then exits (as vssd's does at thaw), for a process with
 * ANON_KB of touched anonymous memory.
 *
 *   gcc -O2 -Wall -o /tmp/fork-mlock bench/fork-mlock.c
 *   /tmp/fork-mlock PARENT_MLOCKALL CHILD_MLOCKALL ANON_KB    e.g. 1 1 1000, then 0 0 1000
 * Touches nothing but its own memory; needs no privileges beyond RLIMIT_MEMLOCK (root: none).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 200

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static double tf[N], tw[N];
	int lock, childlock, i;
	size_t kb;
	char *buf;

	if (argc != 4) {
		fprintf(stderr, "usage: %s PARENT_MLOCKALL(0|1) CHILD_MLOCKALL(0|1) ANON_KB\n",
			argv[0]);
		return 2;
	}
	lock = atoi(argv[1]);
	childlock = atoi(argv[2]);
	kb = (size_t)atol(argv[3]);
	buf = malloc(kb * 1024 + 32768);
	if (!buf)
		return 1;
	memset(buf, 1, kb * 1024 + 32768);
	if (lock && mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		perror("mlockall");
	for (i = 0; i < N; i++) {
		double t0 = now_ms(), t1;
		pid_t p = fork();
		int st;

		if (p < 0) {
			perror("fork");
			return 1;
		}
		if (p == 0) {
			if (childlock)
				mlockall(MCL_CURRENT | MCL_FUTURE);
			_exit(0);
		}
		t1 = now_ms();
		memset(buf, i, 32768); /* the parent writes a few pages (COW faults) */
		waitpid(p, &st, 0);
		tf[i] = t1 - t0;
		tw[i] = now_ms() - t0;
		usleep(2000);
	}
	qsort(tf, N, sizeof(double), cmp);
	qsort(tw, N, sizeof(double), cmp);
	printf("parent mlockall=%d child mlockall=%d anon=%zu kB: fork() median %.3f ms, "
	       "fork to child reaped median %.3f ms (p90 %.3f, n=%d)\n",
	       lock, childlock, kb, tf[N / 2], tw[N / 2], tw[N * 9 / 10], N);
	return 0;
}
