/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sb-memhog: a workload for the agent's tests and benches. Allocates and
 * touches BASE MiB at once, then grows by GROW MiB evenly over MS
 * milliseconds (16 MiB steps), holds for HOLD ms and exits 0. Prints one
 * line per phase with timestamps.
 *   sb-memhog BASE_MIB GROW_MIB GROW_MS HOLD_MS
 * With SB_MEMHOG_NORESERVE=1 the growth is mapped MAP_NORESERVE, which the
 * kernel leaves out of Committed_AS (heuristic overcommit): demand that a
 * Committed_AS rule cannot see.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now();
	if (d > 0) {
		struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

struct part {
	char *p;
	size_t len;
};

static void *touch_part(void *arg)
{
	struct part *pt = arg;
	size_t i;

	for (i = 0; i < pt->len; i += 4096)
		pt->p[i] = 1;
	return NULL;
}

/* Maps and touches mib MiB, with one thread per CPU (page faults are slow in some VMs). */
static int map_flags = MAP_PRIVATE | MAP_ANONYMOUS;

static int touch(size_t mib)
{
	size_t len = mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, map_flags, -1, 0);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct part parts[16];
	pthread_t th[16];
	int n = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (int)ncpu, i;
	size_t per;

	if (p == MAP_FAILED)
		return -1;
	madvise(p, len, MADV_HUGEPAGE); /* fewer faults where THP is "madvise" */
	if (mib < 64)
		n = 1;
	per = (len / (size_t)n) & ~(size_t)4095;
	for (i = 0; i < n; i++) {
		parts[i].p = p + per * (size_t)i;
		parts[i].len = i == n - 1 ? len - per * (size_t)i : per;
		if (n == 1 || pthread_create(&th[i], NULL, touch_part, &parts[i]) != 0) {
			touch_part(&parts[i]);
			th[i] = 0;
		}
	}
	for (i = 0; i < n; i++)
		if (th[i])
			pthread_join(th[i], NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const size_t step = 16;
	size_t base, grow, steps, i;
	double grow_s, hold_s, t0, g0;
	const char *nr;

	if (argc != 5) {
		fprintf(stderr, "usage: sb-memhog BASE_MIB GROW_MIB GROW_MS HOLD_MS\n");
		return 2;
	}
	base = strtoul(argv[1], NULL, 10);
	grow = strtoul(argv[2], NULL, 10);
	grow_s = strtod(argv[3], NULL) / 1000;
	hold_s = strtod(argv[4], NULL) / 1000;
	t0 = now();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (base && touch(base) < 0) {
		perror("mmap");
		return 1;
	}
	printf("memhog: base %zu MiB in %.3f s\n", base, now() - t0);
	nr = getenv("SB_MEMHOG_NORESERVE");
	if (nr && *nr == '1')
		map_flags |= MAP_NORESERVE;
	g0 = now();
	steps = (grow + step - 1) / step;
	for (i = 0; i < steps; i++) {
		sleep_until(g0 + grow_s * (double)i / (double)steps);
		if (touch(step) < 0) {
			perror("mmap");
			return 1;
		}
	}
	printf("memhog: grew %zu MiB in %.3f s\n", steps * step, now() - g0);
	sleep_until(now() + hold_s);
	printf("memhog: done after %.3f s\n", now() - t0);
	return 0;
}
