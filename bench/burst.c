/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * burst: a workload that faults memory in as fast as it can until MemAvailable
 * is BELOW_KB under FLOOR_KB (or MAX_MIB are touched), holds it HOLD_MS, frees
 * it and prints one line (CLOCK_MONOTONIC ns, kB):
 *   t0_ns cross_ns stop_ns avail_start_kb avail_min_kb touched_mib
 * cross_ns is when MemAvailable was first seen under FLOOR_KB (0: never). It
 * reads MemAvailable after every 2 MiB it touches (about 15 us per read).
 *
 *   burst FLOOR_KB BELOW_KB MAX_MIB HOLD_MS [thp]
 * "thp" asks for transparent huge pages (MADV_HUGEPAGE): the fastest faults
 * where THP is "madvise", as on Debian.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (2UL << 20)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mem_available(int fd)
{
	char buf[4096], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "MemAvailable:");
	return p ? strtoll(p + 13, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	long long floor_kb, below_kb, avail, avail0, avail_min;
	unsigned long max_mib, hold_ms, off;
	int64_t t0, cross = 0, stop;
	struct timespec hold;
	size_t len;
	char *m;
	int fd;

	if (argc < 5) {
		fprintf(stderr, "usage: burst FLOOR_KB BELOW_KB MAX_MIB HOLD_MS [thp]\n");
		return 2;
	}
	floor_kb = atoll(argv[1]);
	below_kb = atoll(argv[2]);
	max_mib = strtoul(argv[3], NULL, 10);
	hold_ms = strtoul(argv[4], NULL, 10);
	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (avail0 = mem_available(fd)) < 0) {
		fprintf(stderr, "burst: /proc/meminfo: %s\n", strerror(errno));
		return 1;
	}
	len = (size_t)max_mib << 20;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "burst: mmap %lu MiB: %s\n", max_mib, strerror(errno));
		return 1;
	}
	if (argc > 5 && strcmp(argv[5], "thp") == 0)
		madvise(m, len, MADV_HUGEPAGE);
	avail_min = avail0;
	t0 = now_ns();
	for (off = 0; off < len; off += CHUNK) {
		size_t i;

		for (i = 0; i < CHUNK && off + i < len; i += 4096)
			m[off + i] = 1;
		avail = mem_available(fd);
		if (avail >= 0 && avail < avail_min)
			avail_min = avail;
		if (!cross && avail >= 0 && avail < floor_kb)
			cross = now_ns();
		if (avail >= 0 && avail < floor_kb - below_kb)
			break;
	}
	stop = now_ns();
	hold.tv_sec = (time_t)(hold_ms / 1000);
	hold.tv_nsec = (long)(hold_ms % 1000) * 1000000L;
	nanosleep(&hold, NULL);
	munmap(m, len);
	printf("%lld %lld %lld %lld %lld %lu\n", (long long)t0, (long long)cross, (long long)stop,
	       avail0, avail_min, (unsigned long)((off < len ? off + CHUNK : len) >> 20));
	return 0;
}
