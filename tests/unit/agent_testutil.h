/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the agent's unit tests: temporary fake /proc and /sys trees. */
#ifndef SB_TESTS_UNIT_AGENT_TESTUTIL_H
#define SB_TESTS_UNIT_AGENT_TESTUTIL_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates root/rel (and its directories) holding text. */
static inline void tu_write(const char *root, const char *rel, const char *text)
{
	char path[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	fputs(text, f);
	fclose(f);
}

/* Reads root/rel into buf (trailing newline kept). */
static inline const char *tu_read(const char *root, const char *rel, char *buf, size_t size)
{
	char path[512];
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

static inline char *tu_mkdtemp(void)
{
	char *t = strdup("/tmp/sb-agent-test.XXXXXX");

	if (!t || !mkdtemp(t))
		abort();
	return t;
}

static int tu_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void tu_rmtree(char *dir)
{
	if (dir) {
		nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(dir);
	}
}

/* Path of a committed fixture: $FIXTURES/agent/<rel> (falls back to the source tree). */
static inline const char *tu_fixture(const char *rel, char *buf, size_t size)
{
	const char *f = getenv("FIXTURES");

	snprintf(buf, size, "%s/agent/%s", f ? f : "tests/fixtures", rel);
	return buf;
}

#endif
