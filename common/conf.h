/* SPDX-License-Identifier: GPL-2.0-or-later */
/* INI configuration reading (inih) with "file:line: message" errors (confkey.h builds on it). */
#ifndef SB_COMMON_CONF_H
#define SB_COMMON_CONF_H

#include <stddef.h>

/*
 * Called for each key. Returns 0 when the key was accepted; otherwise writes
 * a short reason ("[freeze] bogus: unknown key") into err and returns < 0.
 */
typedef int (*conf_key_fn)(void *user, const char *section, const char *key, const char *value,
			   char *err, size_t errlen);

/*
 * Called at each "[section]" header line, before its keys (optional: NULL).
 * Returns 0, or < 0 with err set: reading stops and the error is reported at
 * the header's line.
 */
typedef int (*conf_section_fn)(void *user, const char *section, char *err, size_t errlen);

/*
 * Parses path: a regular file of at most 1 MiB, or /dev/null (nothing set);
 * a directory, FIFO or device is refused without reading (-EISDIR, -EINVAL).
 * Returns 0, or a negative errno with err holding "path: reason" (cannot
 * open, not a file) or "path:line: reason" (first bad line).
 */
int conf_load(const char *path, conf_key_fn fn, conf_section_fn section_fn, void *user, char *err,
	      size_t errlen);

/* The same for an in-memory text (tests); name is used in messages. */
int conf_load_string(const char *name, const char *text, conf_key_fn fn, conf_section_fn section_fn,
		     void *user, char *err, size_t errlen);

#endif
