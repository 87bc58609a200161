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
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "mounts.h"

#define RECORD_NAME "frozen"

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
	while (write(fd, line, o) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
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

int record_thaw(const char *state_dir, const char *mountinfo)
{
	struct select_opts all = { .skip_loop = false };
	struct mount_set ms = { 0 };
	char path[PATH_MAX], err[256];
	char **lines = NULL;
	size_t nlines = 0, cap = 0, i;
	char *line = NULL;
	size_t len = 0;
	int thawed = 0, r;
	FILE *f;

	if (record_path(path, sizeof(path), state_dir) < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno; /* -ENOENT: no record, nothing to do */
	while (getline(&line, &len, f) > 0) {
		if (nlines == cap) {
			char **nl = realloc(lines, (cap = cap ? cap * 2 : 16) * sizeof(*lines));

			if (!nl)
				break;
			lines = nl;
		}
		line[strcspn(line, "\n")] = '\0';
		lines[nlines] = strdup(line);
		if (lines[nlines])
			nlines++;
	}
	free(line);
	fclose(f);

	r = mounts_load(mountinfo, &all, NULL, &ms, err, sizeof(err));
	if (r < 0) {
		log_err("freeze record %s: %s", path, err);
		goto out;
	}
	/* "!entry" lines cancel the entry before them: not ours to thaw */
	for (i = 0; i < nlines; i++) {
		size_t k;

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
	log_warn(
		"found freeze record %s with %zu entries: a previous vssd stopped while frozen; thawing",
		path, nlines);
	for (i = nlines; i-- > 0;) {
		unsigned ma, mi;
		char *mp = strchr(lines[i], ' ');
		ssize_t k;
		int fd;

		if (!lines[i][0])
			continue; /* cancelled */
		if (!mp || sscanf(lines[i], "%u:%u", &ma, &mi) != 2) {
			log_warn("freeze record: ignoring malformed line '%s'", lines[i]);
			continue;
		}
		mp++;
		unescape(mp);
		k = mounts_find(&ms, mp);
		if (k < 0 || ms.m[k].devno != makedev(ma, mi)) {
			log_warn(
				"freeze record: %s (%u:%u) is no longer mounted there; not touched",
				mp, ma, mi);
			continue;
		}
		fd = open(mp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			log_err("freeze record: cannot open %s: %m", mp);
			continue;
		}
		if (ioctl(fd, FITHAW, 0) == 0) {
			log_notice("thawed %s (left frozen by a previous vssd)", mp);
			thawed++;
		} else if (errno == EINVAL) {
			log_info("%s was not frozen any more", mp);
		} else {
			log_err("cannot thaw %s: %m", mp);
		}
		close(fd);
	}
	r = thawed;
out:
	mounts_free(&ms);
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	if (r >= 0)
		record_remove(-1, state_dir);
	return r;
}
