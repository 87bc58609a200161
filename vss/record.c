/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Freeze record under /run: written while freezing, replayed after a crash. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "mounts.h"
#include "util.h"

#define RECORD_NAME "frozen"
#define LOCK_NAME "lock"

static int record_path(char *out, size_t size, const char *state_dir)
{
	int n = snprintf(out, size, "%s/%s", state_dir, RECORD_NAME);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int record_create(const char *state_dir)
{
	char path[PATH_MAX];
	int fd;

	if (record_path(path, sizeof(path), state_dir) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fd;
}

/*
 * One write(2) of a whole line. A short write (ENOSPC, EFBIG) is an error, and
 * the partial line is cut off again so the record stays readable.
 */
static int append_line(int fd, const char *line, size_t len)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	do
		n = write(fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	if (n > 0 && ftruncate(fd, st.st_size) < 0)
		log_warn("cannot cut a partial line off the freeze record: %m");
	return n < 0 ? -errno : -ENOSPC;
}

/* mountpoints are written with \ooo escapes for space, tab, newline, backslash */
static int write_entry(int fd, const char *prefix, dev_t dev, const char *mountpoint)
{
	char line[PATH_MAX * 4 + 32];
	size_t o;
	const unsigned char *p;
	int n;

	n = snprintf(line, sizeof(line), "%s%u:%u ", prefix, major(dev), minor(dev));
	o = (size_t)n;
	for (p = (const unsigned char *)mountpoint; *p && o + 6 < sizeof(line); p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\\')
			o += (size_t)snprintf(line + o, sizeof(line) - o, "\\%03o", *p);
		else
			line[o++] = (char)*p;
	}
	line[o++] = '\n';
	return append_line(fd, line, o);
}

int record_add(int fd, dev_t dev, const char *mountpoint)
{
	return write_entry(fd, "", dev, mountpoint);
}

int record_disown(int fd, dev_t dev, const char *mountpoint)
{
	return write_entry(fd, "!", dev, mountpoint);
}

void record_remove(int fd, const char *state_dir)
{
	char path[PATH_MAX];

	if (fd >= 0)
		close(fd);
	if (record_path(path, sizeof(path), state_dir) == 0 && unlink(path) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %m", path);
}

/* st (of what) is ours and writable by nobody else; else -EPERM with err saying so */
static int trusted(const struct stat *st, const char *what, const char *path, char *err,
		   size_t errlen)
{
	if (st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	snprintf(err, errlen,
		 "%s %s is owned by uid %u with mode %04o: it must be owned by uid %u and not "
		 "writable by group or others",
		 what, path, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777),
		 (unsigned)geteuid());
	return -EPERM;
}

/* state_dir, made if missing, as a trusted directory fd (not a symlink). Returns it or -errno. */
static int open_state_dir(const char *state_dir, char *err, size_t errlen)
{
	struct stat st;
	int dfd, r;

	r = mkdir_p(state_dir, 0700);
	if (r < 0) {
		snprintf(err, errlen, "cannot create state_dir %s: %s", state_dir, strerror(-r));
		return r;
	}
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open state_dir %s: %s%s", state_dir, strerror(-r),
			 r == -ELOOP || r == -ENOTDIR ? " (a symlink is not followed)" : "");
		return r;
	}
	if (fstat(dfd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot stat state_dir %s: %s", state_dir, strerror(-r));
	} else {
		r = trusted(&st, "state_dir", state_dir, err, errlen);
	}
	if (r < 0) {
		close(dfd);
		return r;
	}
	return dfd;
}

int record_lock(const char *state_dir, char *err, size_t errlen)
{
	struct stat st;
	int dfd = open_state_dir(state_dir, err, errlen), fd, r;

	if (dfd < 0)
		return dfd;
	fd = openat(dfd, LOCK_NAME, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : 0;
	close(dfd);
	if (r < 0) {
		snprintf(err, errlen, "cannot open %s/%s: %s", state_dir, LOCK_NAME, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -EPERM;
		snprintf(err, errlen, "%s/%s is not a regular file", state_dir, LOCK_NAME);
	} else {
		r = trusted(&st, "the lock file in state_dir", state_dir, err, errlen);
	}
	if (r == 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		if (r == -EWOULDBLOCK)
			snprintf(err, errlen,
				 "another vssd is running with state_dir %s (it holds %s/%s); "
				 "nothing was done",
				 state_dir, state_dir, LOCK_NAME);
		else
			snprintf(err, errlen, "cannot lock %s/%s: %s", state_dir, LOCK_NAME,
				 strerror(-r));
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static void unescape(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

/* The record's lines, or NULL with *n 0 when it holds none. Returns 0 or -errno. */
static int read_lines(FILE *f, char ***out, size_t *n)
{
	char **lines = NULL, *line = NULL;
	size_t cap = 0, len = 0;
	int r = 0;

	*n = 0;
	while (getline(&line, &len, f) > 0) {
		if (*n == cap) {
			char **nl = realloc(lines, (cap = cap ? cap * 2 : 16) * sizeof(*lines));

			if (!nl) {
				r = -ENOMEM;
				break;
			}
			lines = nl;
		}
		line[strcspn(line, "\n")] = '\0';
		lines[*n] = strdup(line);
		if (!lines[*n]) {
			r = -ENOMEM;
			break;
		}
		(*n)++;
	}
	free(line);
	*out = lines;
	return r;
}

static void free_lines(char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* "!entry" lines cancel the entry before them: not ours to thaw */
static void cancel_disowned(char **lines, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (lines[i][0] != '!')
			continue;
		for (k = i; k-- > 0;) {
			if (lines[k][0] != '!' && lines[k][0] &&
			    strcmp(lines[k], lines[i] + 1) == 0) {
				lines[k][0] = '\0';
				break;
			}
		}
		lines[i][0] = '\0';
	}
}

/* Thaws one entry if the same filesystem is still mounted there. Returns 1 if thawed. */
static int thaw_entry(const struct mount_set *ms, char *line)
{
	unsigned ma, mi;
	char *mp = strchr(line, ' ');
	ssize_t k;
	int fd, r = 0;

	if (!mp || sscanf(line, "%u:%u", &ma, &mi) != 2) {
		log_warn("freeze record: ignoring a malformed line");
		return 0;
	}
	unescape(++mp);
	k = mounts_find(ms, mp);
	if (k < 0 || ms->m[k].devno != makedev(ma, mi)) {
		log_warn("freeze record: %s (%u:%u) is no longer mounted there; not touched", mp,
			 ma, mi);
		return 0;
	}
	fd = open(mp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		log_err("freeze record: cannot open %s: %m", mp);
		return 0;
	}
	if (ioctl(fd, FITHAW, 0) == 0) {
		log_notice("thawed %s (left frozen by a previous vssd)", mp);
		r = 1;
	} else if (errno == EINVAL) {
		log_info("%s was not frozen any more", mp);
	} else {
		log_err("cannot thaw %s: %m", mp);
	}
	close(fd);
	return r;
}

/*
 * Opens the record for reading if it can be trusted: a regular file (not a
 * symlink) owned by us and writable by nobody else. Returns a FILE or NULL with errno.
 */
static FILE *open_record(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		errno = EPERM;
		return NULL;
	}
	f = fdopen(fd, "re");
	if (!f)
		close(fd);
	return f;
}

int record_thaw(const char *state_dir, const char *mountinfo)
{
	struct select_opts all = { .skip_loop = false };
	struct mount_set ms = { 0 };
	char path[PATH_MAX], err[256];
	char **lines = NULL;
	size_t nlines = 0, i;
	int thawed = 0, r;
	FILE *f;

	if (record_path(path, sizeof(path), state_dir) < 0)
		return -ENAMETOOLONG;
	f = open_record(path);
	if (!f) {
		if (errno == EPERM || errno == ELOOP)
			log_err("freeze record %s is not a regular file of ours writable only by "
				"us; not replayed",
				path);
		return -errno; /* -ENOENT: no record, nothing to do */
	}
	r = read_lines(f, &lines, &nlines);
	fclose(f);
	if (r == 0)
		r = mounts_load(mountinfo, &all, NULL, &ms, err, sizeof(err));
	if (r < 0) {
		log_err("freeze record %s: %s", path, r == -ENOMEM ? strerror(ENOMEM) : err);
		goto out;
	}
	cancel_disowned(lines, nlines);
	if (nlines == 0)
		log_notice("found an empty freeze record %s: a previous vssd stopped while frozen "
			   "and its watchdog thawed (or it froze nothing yet)",
			   path);
	else
		log_warn("found freeze record %s with %zu entries: a previous vssd stopped while "
			 "frozen; thawing",
			 path, nlines);
	for (i = nlines; i-- > 0;) {
		if (lines[i][0])
			thawed += thaw_entry(&ms, lines[i]);
	}
	r = thawed;
out:
	mounts_free(&ms);
	free_lines(lines, nlines);
	if (r >= 0)
		record_remove(-1, state_dir);
	return r;
}
