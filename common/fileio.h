/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small whole-file readers and writers over read(2)/write(2); no allocation. */
#ifndef SB_COMMON_FILEIO_H
#define SB_COMMON_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Reads the whole file into buf (NUL-terminated). Returns its length, or
 * -errno; -EFBIG when the file does not fit in size-1 bytes.
 */
ssize_t read_file(const char *path, char *buf, size_t size);

/* Writes len bytes to an existing file (sysfs style, truncating like "echo x > f"). Returns 0 or -errno. */
int write_file(const char *path, const char *data, size_t len);

/*
 * Replaces a file atomically for its readers: path.tmp is written, then
 * renamed over path. No fsync: for files that are rewritten often and must
 * never stall the writer (a metrics textfile). Returns 0 or -errno.
 */
int write_file_replace(const char *path, const char *data, size_t len, mode_t mode);

/* out = root + "/" + rel without doubled slashes. Returns 0 or -ENAMETOOLONG. */
int path_join(char *out, size_t size, const char *root, const char *rel);

#endif
