/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest <-> host balloon protocol: line framing and tokenizer (balloonproto.h). */
#include "balloonproto.h"

#include <errno.h>
#include <string.h>

#include "util.h"

void bp_reader_init(struct bp_reader *r)
{
	memset(r, 0, sizeof(*r));
}

static bool byte_ok(unsigned char c)
{
	return (c >= 0x20 && c <= 0x7e) || c == '\t';
}

enum bp_feed bp_feed(struct bp_reader *r, const char *data, size_t len, size_t *used)
{
	enum bp_feed res;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\n')
			break;
		if (r->discarding)
			continue;
		if (r->len >= BP_LINE_MAX - 1) {
			r->discarding = true;
			continue;
		}
		if (!byte_ok(c) && c != '\r')
			r->bad = true;
		r->buf[r->len++] = (char)c;
	}
	*used = i;
	if (i == len)
		return BP_MORE;
	*used = i + 1;
	if (r->len && r->buf[r->len - 1] == '\r')
		r->len--;
	r->buf[r->len] = '\0';
	res = r->discarding ? BP_TOO_LONG : r->bad ? BP_BAD : BP_LINE;
	/* a CR anywhere but at the end is a control byte */
	if (res == BP_LINE && memchr(r->buf, '\r', r->len))
		res = BP_BAD;
	r->len = 0;
	r->discarding = false;
	r->bad = false;
	return res;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* A verb or key: 1..BP_NAME_MAX name characters. */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > BP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

static bool value_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '=')
			return false;
	return true;
}

/* One "key=value" token (NUL-terminated in m->text) into the next argument slot. */
static int add_arg(struct bp_msg *m, char *tok)
{
	char *eq = strchr(tok, '=');

	if (!eq || !name_ok(tok, (size_t)(eq - tok)))
		return -EINVAL;
	*eq = '\0';
	if (!value_ok(eq + 1) || bp_get(m, tok))
		return -EINVAL;
	if (m->nargs == BP_MAX_ARGS)
		return -E2BIG;
	m->key[m->nargs] = tok;
	m->val[m->nargs] = eq + 1;
	m->nargs++;
	return 0;
}

/* The next space- or tab-separated token, NUL-terminated in place; NULL at the end. */
static char *next_token(char **pp)
{
	char *p = *pp, *tok;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return NULL;
	tok = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	*pp = p;
	return tok;
}

int bp_parse(const char *line, struct bp_msg *m)
{
	size_t n = strnlen(line, BP_LINE_MAX);
	char *p, *tok;
	int r;

	memset(m, 0, sizeof(*m));
	if (n == BP_LINE_MAX)
		return -EINVAL;
	memcpy(m->text, line, n + 1);
	p = m->text;
	tok = next_token(&p);
	if (!tok)
		return -ENODATA;
	if (!name_ok(tok, strlen(tok)))
		return -EINVAL;
	m->verb = tok;
	while ((tok = next_token(&p))) {
		r = add_arg(m, tok);
		if (r < 0)
			return r;
	}
	return 0;
}

const char *bp_get(const struct bp_msg *m, const char *key)
{
	for (unsigned i = 0; i < m->nargs; i++)
		if (strcmp(m->key[i], key) == 0)
			return m->val[i];
	return NULL;
}

int bp_get_u64(const struct bp_msg *m, const char *key, uint64_t max, uint64_t *v)
{
	const char *s = bp_get(m, key), *end;
	uint64_t x;

	if (!s)
		return -ENOENT;
	end = s;
	if (!take_u64(&end, &x))
		return *s >= '0' && *s <= '9' ? -ERANGE : -EINVAL;
	if (*end)
		return -EINVAL;
	if (x > max)
		return -ERANGE;
	*v = x;
	return 0;
}
