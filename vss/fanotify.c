/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who holds fanotify permission marks: /proc/PID/fd links and fdinfo mask lines. */
#include "fanotify.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

/* FAN_OPEN_PERM | FAN_ACCESS_PERM | FAN_OPEN_EXEC_PERM (linux/fanotify.h) */
#define FAN_PERM_EVENTS 0x00070000UL

/* Does the fdinfo text of a fanotify fd hold a mark with a permission event? */
static bool perm_marks(const char *info)
{
	const char *p = info;

	while ((p = strstr(p, "fanotify ")) != NULL) {
		const char *eol = strchr(p, '\n'), *m = strstr(p, " mask:");
		unsigned long mask;

		if (m && (!eol || m < eol) && sscanf(m, " mask:%lx", &mask) == 1 &&
		    (mask & FAN_PERM_EVENTS))
			return true;
		p += 9;
	}
	return false;
}

/* Does process dir (proc/PID) hold a fanotify fd with permission marks? */
static bool holds_perm_marks(const char *dir)
{
	static char info[32768]; /* one fdinfo at a time */
	char path[PATH_MAX + 300], link[64];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/fd", dir);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/fd/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:[fanotify]") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/fdinfo/%s", dir, e->d_name);
		found = read_file(path, info, sizeof(info)) > 0 && perm_marks(info);
	}
	closedir(d);
	return found;
}

int fanotify_perm_holders(const char *proc, struct fan_holder *out, size_t max)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	struct dirent *e;
	int n = 0;
	DIR *d = opendir(proc);

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (pid <= 0 || *end)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", proc, e->d_name);
		if (!holds_perm_marks(dir))
			continue;
		if ((size_t)n < max) {
			out[n].pid = (pid_t)pid;
			snprintf(path, sizeof(path), "%s/comm", dir);
			if (read_file(path, out[n].comm, sizeof(out[n].comm)) <= 0)
				snprintf(out[n].comm, sizeof(out[n].comm), "?");
			out[n].comm[strcspn(out[n].comm, "\n")] = '\0';
		}
		n++;
	}
	closedir(d);
	return n;
}
