/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A daemon's table of keys over the INI reader: dispatch, unknown names, duplicates, messages. */
#include "confkey.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

struct load {
	const struct conf_table *t;
	void *conf;
	unsigned char seen[CONF_MAX_KEYS]; /* set in this file already */
};

static bool has_section(const struct conf_table *t, const char *section)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->keys[i].section, section) == 0)
			return true;
	return false;
}

/* The i-th key is the first of its section in the table. */
static bool first_of_section(const struct conf_table *t, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(t->keys[j].section, t->keys[i].section) == 0)
			return false;
	return true;
}

/* "[a], [b] or [c]": the table's sections in table order. */
static void section_list(const struct conf_table *t, char *buf, size_t size)
{
	size_t i, n = 0, k = 0, len = 0;
	int w;

	for (i = 0; i < t->n; i++)
		n += first_of_section(t, i);
	buf[0] = '\0';
	for (i = 0; i < t->n; i++) {
		if (!first_of_section(t, i))
			continue;
		k++;
		w = snprintf(buf + len, size - len, "%s[%s]",
			     k == 1   ? ""
			     : k == n ? " or "
				      : ", ",
			     t->keys[i].section);
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
}

static int unknown_section(const struct conf_table *t, const char *section, char *err,
			   size_t errlen)
{
	char list[160];

	section_list(t, list, sizeof(list));
	if (section[0])
		snprintf(err, errlen, "unknown section [%s] (expected %s)", section, list);
	else
		snprintf(err, errlen, "unknown section [] (keys go under %s)", list);
	return -EINVAL;
}

/* Finds section/key; on failure err says which of the two is unknown. */
static const struct conf_key *find(const struct conf_table *t, const char *section, const char *key,
				   char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->keys[i].section, section) == 0 && strcmp(t->keys[i].name, key) == 0)
			return &t->keys[i];
	if (!has_section(t, section))
		unknown_section(t, section, err, errlen);
	else
		snprintf(err, errlen, "[%s] %s: unknown key", section, key);
	return NULL;
}

/* Runs the setter and puts "[section] key: " in front of its message. */
static int set(const struct conf_key *k, void *conf, const char *value, char *err, size_t errlen)
{
	char why[256] = "invalid value";
	int r = k->set(k, conf, value, why, sizeof(why));

	if (r < 0)
		snprintf(err, errlen, "[%s] %s: %s", k->section, k->name, why);
	return r < 0 ? -EINVAL : 0;
}

int conf_table_set(const struct conf_table *t, void *conf, const char *section, const char *key,
		   const char *value, char *err, size_t errlen)
{
	const struct conf_key *k = find(t, section, key, err, errlen);

	return k ? set(k, conf, value, err, errlen) : -EINVAL;
}

static int on_section(void *user, const char *section, char *err, size_t errlen)
{
	struct load *l = user;

	return has_section(l->t, section) ? 0 : unknown_section(l->t, section, err, errlen);
}

static int on_key(void *user, const char *section, const char *key, const char *value, char *err,
		  size_t errlen)
{
	struct load *l = user;
	const struct conf_key *k = find(l->t, section, key, err, errlen);
	size_t i;

	if (!k)
		return -EINVAL;
	i = (size_t)(k - l->t->keys);
	if (l->seen[i]) {
		snprintf(err, errlen, "[%s] %s: given twice in this file (keep one)", section, key);
		return -EINVAL;
	}
	l->seen[i] = 1;
	return set(k, l->conf, value, err, errlen);
}

int conf_table_load(const struct conf_table *t, void *conf, const char *path, char *err,
		    size_t errlen)
{
	struct load l = { .t = t, .conf = conf };

	if (t->n > CONF_MAX_KEYS)
		return -E2BIG;
	return conf_load(path, on_key, on_section, &l, err, errlen);
}

int conf_table_load_string(const struct conf_table *t, void *conf, const char *name,
			   const char *text, char *err, size_t errlen)
{
	struct load l = { .t = t, .conf = conf };

	if (t->n > CONF_MAX_KEYS)
		return -E2BIG;
	return conf_load_string(name, text, on_key, on_section, &l, err, errlen);
}
