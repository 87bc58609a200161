/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the cmocka unit tests (include after <cmocka.h>): temporary
 * directory trees (fake /proc, /sys, hook directories), committed fixtures, and
 * skips that name their reason. Errors fail the running test.
 */
#ifndef SB_TESTS_UNIT_TESTUTIL_H
#define SB_TESTS_UNIT_TESTUTIL_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Skips the running test and says why: tests/cmocka-tap.sh puts the reason on
 * the TAP line ("ok N - name # SKIP reason"), which scripts/test lists.
 */
#define tu_skip(reason)                                  \
	do {                                             \
		print_message("# SKIP: %s\n", (reason)); \
		skip();                                  \
	} while (0)

/* Path of a committed fixture: $FIXTURES/rel, else $top_srcdir/tests/fixtures/rel. */
static inline const char *tu_fixture(const char *rel, char *buf, size_t size)
{
	const char *f = getenv("FIXTURES"), *top = getenv("top_srcdir");
	int n;

	if (f && *f)
		n = snprintf(buf, size, "%s/%s", f, rel);
	else
		n = snprintf(buf, size, "%s/tests/fixtures/%s", top && *top ? top : ".", rel);
	if (n < 0 || (size_t)n >= size)
		fail_msg("fixture path too long: %s", rel);
	return buf;
}

/* A new empty directory /tmp/<test program>.XXXXXX; free with tu_rmtree(). */
static inline char *tu_mkdtemp(void)
{
	char *t = NULL;

	if (asprintf(&t, "/tmp/%s.XXXXXX", program_invocation_short_name) < 0)
		fail_msg("asprintf: out of memory");
	if (!mkdtemp(t))
		fail_msg("mkdtemp %s: %s", t, strerror(errno));
	return t;
}

static inline int tu_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* rm -rf dir (nothing if dir is NULL or empty) */
static inline void tu_rm_rf(const char *dir)
{
	if (dir && dir[0])
		nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* rm -rf dir, then free(dir): the counterpart of tu_mkdtemp() */
static inline void tu_rmtree(char *dir)
{
	tu_rm_rf(dir);
	free(dir);
}

/* Creates root/rel, and the directories leading to it, holding text. */
static inline void tu_write(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX], *p;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		fail_msg("path too long: %s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	if (fclose(f) != 0)
		fail_msg("cannot write %s: %s", path, strerror(errno));
}

/* Reads root/rel into buf (trailing newline kept; "" if it cannot be read). */
static inline const char *tu_read(const char *root, const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static inline unsigned long long tu_read_ull(const char *root, const char *rel)
{
	char buf[64];

	return strtoull(tu_read(root, rel, buf, sizeof(buf)), NULL, 10);
}

#endif
