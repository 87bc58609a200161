/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: an arbitrary mountinfo through vssd's selection and ordering
 * (vss/mounts.c, libmount's parser underneath). The text is handed over as
 * a file (a memfd), as /proc/self/mountinfo would be. Asserted, whenever the
 * table loads: the freeze order holds only candidates, each once, with
 * indexes inside the table; no two share a superblock; every skipped mount
 * says why; children come before the filesystems they lie below (so "/"
 * follows every absolute path). Built for libFuzzer with `make fuzz`;
 * replayed over its corpus and mutations in make check (tests/fuzz/vss.sh).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_vss.h"
#include "mounts.h"

/* child lies strictly below parent ("/a/b" below "/a" and below "/") */
static bool below(const char *child, const char *parent)
{
	size_t n = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return child[0] == '/' && child[1] != '\0';
	return strncmp(child, parent, n) == 0 && child[n] == '/';
}

static void check_order(const struct mount_set *s)
{
	size_t k, j;

	for (k = 0; k < s->norder; k++) {
		const struct vss_mount *m;

		FUZZ_ASSERT(s->order[k] < s->n);
		m = &s->m[s->order[k]];
		FUZZ_ASSERT(m->state == FS_CANDIDATE);
		for (j = k + 1; j < s->norder; j++) {
			const struct vss_mount *later = &s->m[s->order[j]];

			FUZZ_ASSERT(s->order[j] != s->order[k]);
			FUZZ_ASSERT(later->devno != m->devno);
			/* children before parents: nothing frozen later lies below m */
			FUZZ_ASSERT(!below(later->target, m->target));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct select_opts o = { .skip_loop = false, .sysfs = "/nonexistent-fuzz-sys" };
	struct mount_set s;
	char path[64], err[512];
	size_t i;
	int fd;

	log_set_max_level(LOG_CRIT);
	fd = memfd_create("mountinfo", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&s, 0, sizeof(s));
	if (mounts_load(path, &o, NULL, &s, err, sizeof(err)) == 0) {
		check_order(&s);
		for (i = 0; i < s.n; i++)
			FUZZ_ASSERT(s.m[i].state == FS_CANDIDATE || s.m[i].reason[0]);
		mounts_free(&s);
	}
	close(fd);
	return 0;
}
