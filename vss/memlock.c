/* SPDX-License-Identifier: GPL-2.0-or-later */
/* memlock: vssd's memory locked for the frozen window (memlock.h). */
#include "memlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

#define STACK_WARM (64 * 1024)      /* far more than the deepest frozen-window call */
#define HEAP_PIECE (16 * 1024)      /* below the mmap threshold: served from the heap */
#define HEAP_PIECES 8               /* 128 KiB of heap faulted in (and so locked) once */
#define TRIM_THRESHOLD (256 * 1024) /* keeps the reserve: above HEAP_PIECE * HEAP_PIECES */
#define MMAP_THRESHOLD (128 * 1024) /* glibc's default, fixed: no dynamic growth */
#define PAGE_STEP 4096

/* the libraries the frozen window runs, by file name prefix (vssd's own executable too) */
static const char *const whole[] = { "libc.so.", "ld-linux", "ld64.so.", "libjson-c.so." };

static char exe[PATH_MAX];
static char mapsbuf[4096];

/* The heap's arenas and thresholds fixed: the heap does not creep up over cycles. */
static void tune_malloc(void)
{
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
}

static bool wanted(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t i;

	if (path[0] != '/')
		return false;
	if (exe[0] && strcmp(path, exe) == 0)
		return true;
	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (strncmp(base, whole[i], strlen(whole[i])) == 0)
			return true;
	return false;
}

static unsigned long hex(const char **s)
{
	unsigned long v = 0;

	for (;; (*s)++) {
		char c = **s;

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned long)(c - 'a' + 10);
		else
			return v;
	}
}

/*
 * One line of /proc/self/maps: "start-end perms offset dev inode   path".
 * Locks the mapping whole if it belongs to a wanted file and is accessible
 * (the PROT_NONE gaps ld.so leaves between segments cannot be populated).
 */
static int lock_line(char *line)
{
	const char *s = line, *path;
	unsigned long start, end;
	int i;

	start = hex(&s);
	if (*s++ != '-')
		return 0;
	end = hex(&s);
	if (*s++ != ' ' || strncmp(s, "---", 3) == 0)
		return 0;
	for (i = 0; i < 4; i++) { /* from the perms over offset, dev, inode to the path */
		s = strchr(s, ' ');
		if (!s)
			return 0;
		while (*s == ' ')
			s++;
	}
	path = s;
	if (!wanted(path) || end <= start)
		return 0;
	return mlock((void *)start, end - start) < 0 ? -errno : 0;
}

/* Every wanted mapping locked whole; reads with one static buffer (no stdio, no malloc). */
static int lock_whole(void)
{
	size_t have = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, mapsbuf + have, sizeof(mapsbuf) - 1 - have);
		char *line = mapsbuf, *nl;

		if (n <= 0)
			break;
		have += (size_t)n;
		mapsbuf[have] = '\0';
		while ((nl = strchr(line, '\n'))) {
			int e;

			*nl = '\0';
			e = lock_line(line);
			if (e < 0 && r == 0)
				r = e;
			line = nl + 1;
		}
		have -= (size_t)(line - mapsbuf);
		memmove(mapsbuf, line, have);
		if (have == sizeof(mapsbuf) - 1)
			have = 0; /* a line longer than the buffer: not a library */
	}
	close(fd);
	return r;
}

/* Faults in (and so locks) this much stack below here. */
static void __attribute__((noinline)) warm_stack(void)
{
	volatile char stack[STACK_WARM];
	size_t i;

	for (i = 0; i < sizeof(stack); i += PAGE_STEP)
		stack[i] = 0;
}

/*
 * A heap reserve faulted in once: freed back to the top chunk, it stays (below
 * the trim threshold) and locked, for the replies of the frozen window.
 */
static void warm_heap(void)
{
	void *p[HEAP_PIECES];
	int i;

	for (i = 0; i < HEAP_PIECES; i++) {
		p[i] = malloc(HEAP_PIECE);
		if (p[i])
			memset(p[i], 0, HEAP_PIECE);
	}
	for (i = HEAP_PIECES - 1; i >= 0; i--)
		free(p[i]);
}

int memlock_start(void)
{
	ssize_t n;
	int r = 0;

	tune_malloc();
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
		r = 1;
	else if (errno != EINVAL || mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		return -errno; /* else before Linux 4.4: everything locked whole, as before */
	warm_stack();
	warm_heap();
	return r == 1 ? lock_whole() : 0;
}
