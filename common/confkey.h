/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration vocabulary both daemons share: a table of keys, one line
 * per key, each with a typed setter that parses the value into a field of the
 * daemon's configuration struct. Errors have one format in both daemons:
 *
 *	file:line: [section] key: what is wrong (what is accepted)
 *
 * An unknown section is reported at its header line, an unknown key at its
 * line, a key given twice in one file at its second line.
 */
#ifndef SB_COMMON_CONFKEY_H
#define SB_COMMON_CONFKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_key;

/*
 * Parses value into the key's field of conf (the daemon's configuration
 * struct). Returns 0, or -EINVAL with err saying what is wrong with the value
 * and what is accepted (without the "[section] key: " prefix).
 */
typedef int (*conf_set_fn)(const struct conf_key *k, void *conf, const char *value, char *err,
			   size_t errlen);

struct conf_key {
	const char *section;
	const char *name;
	conf_set_fn set;
	size_t off;       /* of the field in the configuration struct */
	size_t size;      /* sizeof the field (of the buffer, for strings and lists) */
	int64_t min, max; /* integers; durations in ms; sizes: max bytes; lists: most entries */
	const char *const *names; /* enums: the accepted words, NULL-terminated */
	size_t aux;               /* lists: offset of the item array; "auto" sizes: of the bool */
	unsigned flags;           /* CONF_* */
};

enum {
	CONF_ABSOLUTE = 1u << 0, /* lists: every entry starts with '/' */
};

/* One key of a table: CONF_KEY("freeze", "timeout", conf_set_duration, struct vssd_config, timeout_ms, .min = 100) */
#define CONF_KEY(sec, key, fn, type, field, ...)                                            \
	{                                                                                   \
		.section = (sec), .name = (key), .set = (fn), .off = offsetof(type, field), \
		.size = sizeof(((type *)0)->field), __VA_ARGS__                             \
	}

struct conf_table {
	const struct conf_key *keys;
	size_t n; /* at most CONF_MAX_KEYS */
};

#define CONF_MAX_KEYS 64

/* The field of k in conf. */
static inline void *conf_field(const struct conf_key *k, void *conf)
{
	return (char *)conf + k->off;
}

/*
 * Loads path over what conf holds. Returns 0 or -errno, with err holding
 * "path: reason" (cannot open) or "path:line: [section] key: reason" (the
 * first error).
 */
int conf_table_load(const struct conf_table *t, void *conf, const char *path, char *err,
		    size_t errlen);

/* The same for an in-memory text (tests); name stands for the file in messages. */
int conf_table_load_string(const struct conf_table *t, void *conf, const char *name,
			   const char *text, char *err, size_t errlen);

/*
 * Sets one key (a command-line override). Returns 0 or -EINVAL with err
 * holding "[section] key: reason" or "unknown section [x] (...)".
 */
int conf_table_set(const struct conf_table *t, void *conf, const char *section, const char *key,
		   const char *value, char *err, size_t errlen);

/* ---- the typed setters (confset.c) ---- */

/* A string that fits the field's buffer. */
int conf_set_string(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen);
/* The same, and an absolute path. */
int conf_set_path(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen);
/* A duration in [min, max] ms into a uint64_t of ms ("500ms", "30s", "2min"; bare: seconds). */
int conf_set_duration(const struct conf_key *k, void *conf, const char *v, char *err,
		      size_t errlen);
/* The same into a uint64_t of microseconds (the range is still in ms). */
int conf_set_duration_us(const struct conf_key *k, void *conf, const char *v, char *err,
			 size_t errlen);
/* An unsigned integer in [min, max] into an unsigned or a uint64_t field. */
int conf_set_uint(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen);
/* A signed integer in [min, max] into an int or an int64_t field. */
int conf_set_int(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen);
/* A size ("512M") or a share ("10%") into a struct size_pct. */
int conf_set_size_pct(const struct conf_key *k, void *conf, const char *v, char *err,
		      size_t errlen);
/* One of the words in k->names (any case) into an int-sized enum field: its index. */
int conf_set_enum(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen);
/* yes/no, true/false, on/off, 1/0 into a bool. */
int conf_set_bool(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen);
/*
 * Up to max entries separated by blanks or commas: copied into the field's
 * buffer and split there, the array at k->aux (const char *[max + 1]) gets
 * the entries and a NULL. Empty: no entries.
 */
int conf_set_list(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen);

/* Index of v in the NULL-terminated names (any case), or -1. */
int conf_pick(const char *v, const char *const *names);

/* "a, b or c" from the NULL-terminated names into buf, for messages. */
const char *conf_names(const char *const *names, char *buf, size_t size);

/* A size given either in bytes or as a share of something (MemTotal). */
struct size_pct {
	uint64_t bytes;
	unsigned permille;
	bool is_percent;
};

#endif
