/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole-file writers over write(2); no allocation. */
#ifndef SB_AGENT_WRITEFILE_H
#define SB_AGENT_WRITEFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes len bytes to an existing regular file (sysfs style, truncating like
 * "echo x > f"), not through a symlink at the last component. Returns 0 or
 * -errno (-EIO for a write() that accepts nothing; the loop is bounded).
 */
int write_file(const char *path, const char *data, size_t len);

/*
 * Replaces a file atomically for its readers: path.tmp is created new
 * (whatever was planted there is removed first, never written through),
 * written, then renamed over path. No fsync: for files that are rewritten
 * often and must never stall the writer (a metrics textfile). Returns 0 or
 * -errno.
 */
int write_file_replace(const char *path, const char *data, size_t len, mode_t mode);

#endif
