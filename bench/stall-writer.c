/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stall-writer: one thread per file appends one byte every millisecond and
 * remembers its longest gap between two completed writes. A write to a frozen
 * filesystem blocks until the thaw, so the longest gap is how long a writer on
 * that filesystem stalled.
 *
 *   stall-writer FILE...      (at most 64 files; commands on stdin, one a line)
 *     reset    forget the longest gaps, answer "ok"
 *     report   one line: "<longest gap us over all writers> <oldest last write, CLOCK_MONOTONIC
 *              ns>" followed by each writer's longest gap in us; a writer blocked
 *              right now counts the time since its last write as a gap
 *   EOF on stdin ends it. Build: cc -O2 -pthread -o stall-writer stall-writer.c
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_WRITERS 64
#define PERIOD_NS 1000000LL

struct writer {
	int fd;
	pthread_t th;
	int64_t last_ns; /* end of the last completed write */
	int64_t max_gap_ns;
};

static struct writer w[MAX_WRITERS];
static int nw;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *run(void *arg)
{
	struct writer *me = arg;
	struct timespec next;
	int64_t t, gap;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += PERIOD_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (write(me->fd, "x", 1) != 1) {
			fprintf(stderr, "stall-writer: write: %s\n", strerror(errno));
			_exit(1);
		}
		t = now_ns();
		gap = t - __atomic_load_n(&me->last_ns, __ATOMIC_RELAXED);
		if (gap > __atomic_load_n(&me->max_gap_ns, __ATOMIC_RELAXED))
			__atomic_store_n(&me->max_gap_ns, gap, __ATOMIC_RELAXED);
		__atomic_store_n(&me->last_ns, t, __ATOMIC_RELEASE);
		/* after a stall, resume the 1 ms cadence from now instead of catching up */
		if (t - ((int64_t)next.tv_sec * 1000000000LL + next.tv_nsec) > PERIOD_NS)
			clock_gettime(CLOCK_MONOTONIC, &next);
	}
	return NULL;
}

static void report(void)
{
	int64_t t = now_ns(), worst = 0, oldest = INT64_MAX, g, last;
	int i;

	for (i = 0; i < nw; i++) {
		last = __atomic_load_n(&w[i].last_ns, __ATOMIC_ACQUIRE);
		g = __atomic_load_n(&w[i].max_gap_ns, __ATOMIC_RELAXED);
		if (t - last > g)
			g = t - last;
		if (g > worst)
			worst = g;
		if (last < oldest)
			oldest = last;
	}
	printf("%lld %lld", (long long)(worst / 1000), (long long)oldest);
	for (i = 0; i < nw; i++) {
		last = __atomic_load_n(&w[i].last_ns, __ATOMIC_ACQUIRE);
		g = __atomic_load_n(&w[i].max_gap_ns, __ATOMIC_RELAXED);
		printf(" %lld", (long long)((t - last > g ? t - last : g) / 1000));
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char line[64];
	int i;

	if (argc < 2 || argc - 1 > MAX_WRITERS) {
		fprintf(stderr, "usage: stall-writer FILE... (1 to %d files)\n", MAX_WRITERS);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		w[nw].fd = open(argv[i], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (w[nw].fd < 0) {
			fprintf(stderr, "stall-writer: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		w[nw].last_ns = now_ns();
		nw++;
	}
	for (i = 0; i < nw; i++) {
		if (pthread_create(&w[i].th, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "stall-writer: pthread_create failed\n");
			return 1;
		}
	}
	while (fgets(line, sizeof(line), stdin)) {
		if (strcmp(line, "reset\n") == 0) {
			for (i = 0; i < nw; i++)
				__atomic_store_n(&w[i].max_gap_ns, 0, __ATOMIC_RELAXED);
			printf("ok\n");
			fflush(stdout);
		} else if (strcmp(line, "report\n") == 0) {
			report();
		} else {
			fprintf(stderr, "stall-writer: unknown command %s", line);
		}
	}
	_exit(0); /* EOF: the caller is gone; do not wait for the writer threads */
}
