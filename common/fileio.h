/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole-file reads over read(2) and path joining; no allocation. */
#ifndef SB_COMMON_FILEIO_H
#define SB_COMMON_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Reads the whole file into buf (NUL-terminated). Returns its length, or
 * -errno; -EFBIG when the file does not fit in size-1 bytes, -EINVAL when
 * it is not a regular file (a FIFO, a device, a directory: never blocks).
 */
ssize_t read_file(const char *path, char *buf, size_t size);

/* read_file() in two halves, for a file kept open: open_file() returns the fd or -errno
 * (-EINVAL: not a regular file); pread_file() reads it whole from offset 0 again. */
int open_file(const char *path);
ssize_t pread_file(int fd, char *buf, size_t size);

/* out = root + "/" + rel without doubled slashes. Returns 0 or -ENAMETOOLONG. */
int path_join(char *out, size_t size, const char *root, const char *rel);

#endif
