/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The typed setters of the configuration vocabulary (confkey.h). */
#include "confkey.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "util.h"

#define LIST_MAX 1024 /* the longest list buffer a table may name */

/* A table names a field the setter cannot store into (a bug in the table). */
static int bad_field(const struct conf_key *k, char *err, size_t errlen)
{
	snprintf(err, errlen, "internal error: %s cannot go into a %zu-byte field", k->name,
		 k->size);
	return -EINVAL;
}

/* Stores v into an unsigned field of 4 or 8 bytes. */
static int store_uint(const struct conf_key *k, void *conf, uint64_t v, char *err, size_t errlen)
{
	uint32_t v32 = (uint32_t)v;

	if (k->size == sizeof(uint64_t))
		memcpy(conf_field(k, conf), &v, sizeof(v));
	else if (k->size == sizeof(uint32_t) && v <= UINT32_MAX)
		memcpy(conf_field(k, conf), &v32, sizeof(v32));
	else
		return bad_field(k, err, errlen);
	return 0;
}

/* The message for an integer parser's -EINVAL (not a number) or -ERANGE. */
static int number_error(const struct conf_key *k, int r, const char *v, char *err, size_t errlen)
{
	if (r == -ERANGE)
		snprintf(err, errlen, "%s is out of range [%lld, %lld]", v, (long long)k->min,
			 (long long)k->max);
	else
		snprintf(err, errlen, "'%s' is not a whole number (from %lld to %lld)", v,
			 (long long)k->min, (long long)k->max);
	return -EINVAL;
}

int conf_set_string(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	size_t len = strlen(v);

	if (len >= k->size) {
		snprintf(err, errlen, "value too long (at most %zu characters)", k->size - 1);
		return -EINVAL;
	}
	memcpy(conf_field(k, conf), v, len + 1);
	return 0;
}

int conf_set_path(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	if (strlen(v) < k->size && v[0] != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path", v);
		return -EINVAL;
	}
	return conf_set_string(k, conf, v, err, errlen);
}

static int duration(const struct conf_key *k, const char *v, uint64_t *ms, char *err, size_t errlen)
{
	char a[32], b[32];

	if (parse_duration_ms(v, ms) < 0) {
		snprintf(err, errlen, "bad duration '%s' (examples: 500ms, 30s, 2min)", v);
		return -EINVAL;
	}
	if (*ms < (uint64_t)k->min || *ms > (uint64_t)k->max) {
		snprintf(err, errlen, "%s is out of range [%s, %s]", v,
			 format_duration_ms((uint64_t)k->min, a, sizeof(a)),
			 format_duration_ms((uint64_t)k->max, b, sizeof(b)));
		return -EINVAL;
	}
	return 0;
}

int conf_set_duration(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	uint64_t ms;

	if (duration(k, v, &ms, err, errlen) < 0)
		return -EINVAL;
	return store_uint(k, conf, ms, err, errlen);
}

int conf_set_duration_us(const struct conf_key *k, void *conf, const char *v, char *err,
			 size_t errlen)
{
	uint64_t ms;

	if (duration(k, v, &ms, err, errlen) < 0)
		return -EINVAL;
	return store_uint(k, conf, ms * 1000, err, errlen);
}

int conf_set_uint(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	uint64_t u;
	int r = parse_uint(v, (uint64_t)k->min, (uint64_t)k->max, &u);

	if (r < 0)
		return number_error(k, r, v, err, errlen);
	return store_uint(k, conf, u, err, errlen);
}

int conf_set_int(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	int64_t i;
	int i32;
	int r = parse_int(v, k->min, k->max, &i);

	if (r < 0)
		return number_error(k, r, v, err, errlen);
	i32 = (int)i;
	if (k->size == sizeof(int64_t))
		memcpy(conf_field(k, conf), &i, sizeof(i));
	else if (k->size == sizeof(int) && i == i32)
		memcpy(conf_field(k, conf), &i32, sizeof(i32));
	else
		return bad_field(k, err, errlen);
	return 0;
}

int conf_set_size_pct(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	struct size_pct t = { 0 };
	int r = parse_size_or_percent(v, &t.bytes, &t.permille, &t.is_percent);

	if (r == -ERANGE && strchr(v, '%')) {
		snprintf(err, errlen,
			 "'%s' is more than 100%% (a share of the memory: 0%% to 100%%)", v);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(err, errlen, "bad size '%s' (e.g. 512M or 10%%)", v);
		return -EINVAL;
	}
	if (!t.is_percent && k->max > 0 && t.bytes > (uint64_t)k->max) {
		snprintf(err, errlen, "'%s' is more than %llu%s", v,
			 (unsigned long long)(k->max >> (k->max % (1LL << 40) ? 30 : 40)),
			 k->max % (1LL << 40) ? "G" : "T");
		return -EINVAL;
	}
	memcpy(conf_field(k, conf), &t, sizeof(t));
	return 0;
}

int conf_pick(const char *v, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcasecmp(v, names[i]) == 0)
			return i;
	return -1;
}

const char *conf_names(const char *const *names, char *buf, size_t size)
{
	size_t len = 0;
	int i, w;

	buf[0] = '\0';
	for (i = 0; names[i]; i++) {
		w = snprintf(buf + len, size - len, "%s%s",
			     i == 0         ? ""
			     : names[i + 1] ? ", "
					    : " or ",
			     names[i]);
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
	return buf;
}

int conf_set_enum(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	char list[160];
	int i = conf_pick(v, k->names);

	if (i < 0) {
		snprintf(err, errlen, "'%s' is not %s", v,
			 conf_names(k->names, list, sizeof(list)));
		return -EINVAL;
	}
	if (k->size != sizeof(int))
		return bad_field(k, err, errlen);
	memcpy(conf_field(k, conf), &i, sizeof(i));
	return 0;
}

int conf_set_bool(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	if (parse_bool(v, (bool *)conf_field(k, conf)) < 0) {
		snprintf(err, errlen, "'%s' is not a boolean (yes/no)", v);
		return -EINVAL;
	}
	return 0;
}

/* Splits tmp in place into item[] (at most k->max); checks each entry. */
static int split(const struct conf_key *k, char *tmp, const char **item, size_t *n, char *err,
		 size_t errlen)
{
	char *p, *save = NULL;
	size_t len;

	*n = 0;
	for (p = strtok_r(tmp, " \t,", &save); p; p = strtok_r(NULL, " \t,", &save)) {
		if (*n == (size_t)k->max) {
			snprintf(err, errlen, "more than %lld entries", (long long)k->max);
			return -EINVAL;
		}
		if ((k->flags & CONF_ABSOLUTE) && p[0] != '/') {
			snprintf(err, errlen, "pattern '%s' must start with /", p);
			return -EINVAL;
		}
		/* a path as mountinfo spells it: "/srv/data/" is "/srv/data" */
		for (len = strlen(p); (k->flags & CONF_ABSOLUTE) && len > 1 && p[len - 1] == '/';)
			p[--len] = '\0';
		item[(*n)++] = p;
	}
	return 0;
}

int conf_set_list(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	char tmp[LIST_MAX], *buf = conf_field(k, conf);
	const char *item[LIST_MAX / 2 + 1];
	const char **out = (const char **)((char *)conf + k->aux);
	size_t n, i;

	if (k->size > sizeof(tmp) || k->max < 0 || (size_t)k->max >= ARRAY_SIZE(item))
		return bad_field(k, err, errlen);
	if (strlen(v) >= k->size) {
		snprintf(err, errlen, "value too long (at most %zu characters)", k->size - 1);
		return -EINVAL;
	}
	memcpy(tmp, v, strlen(v) + 1);
	if (split(k, tmp, item, &n, err, errlen) < 0)
		return -EINVAL;
	/* all checked: only now does the field change */
	memcpy(buf, tmp, strlen(v) + 1);
	for (i = 0; i < n; i++)
		out[i] = buf + (item[i] - tmp);
	out[n] = NULL;
	return 0;
}
