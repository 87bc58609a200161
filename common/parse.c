/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Value parsers shared by both daemons' configuration code. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static bool rest_is_space(const char *s)
{
	return *skip_space(s) == '\0';
}

/* Reads the leading unsigned number (after blanks); *end points past it. s may be NULL. */
static int leading_uint(const char *s, uint64_t *v, const char **end)
{
	if (!s)
		return -EINVAL;
	s = skip_space(s);
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	if (!take_u64(&s, v))
		return -ERANGE;
	*end = s;
	return 0;
}

/* The number and nothing else but blanks. */
static int whole_uint(const char *s, uint64_t *v)
{
	const char *end;
	int r = leading_uint(s, v, &end);

	if (r < 0)
		return r;
	return rest_is_space(end) ? 0 : -EINVAL;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int r;

	r = whole_uint(s, &v);
	if (r < 0)
		return r;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	bool neg = false;
	uint64_t mag;
	int64_t v;
	int r;

	if (!s)
		return -EINVAL;
	s = skip_space(s);
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	r = whole_uint(s, &mag);
	if (r < 0)
		return r;
	if (mag > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int mul_check(uint64_t v, uint64_t m, uint64_t *out)
{
	if (m && v > UINT64_MAX / m)
		return -ERANGE;
	*out = v * m;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	const char *end;
	uint64_t v, mult = 1;
	int r;

	r = leading_uint(s, &v, &end);
	if (r < 0)
		return r;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		mult = 1ULL << 10;
		end++;
		break;
	case 'M':
		mult = 1ULL << 20;
		end++;
		break;
	case 'G':
		mult = 1ULL << 30;
		end++;
		break;
	case 'T':
		mult = 1ULL << 40;
		end++;
		break;
	default: break;
	}
	if (mult > 1 && (end[0] == 'i' || end[0] == 'I') && toupper((unsigned char)end[1]) == 'B')
		end += 2;
	else if (toupper((unsigned char)*end) == 'B')
		end++;
	if (!rest_is_space(end))
		return -EINVAL;
	return mul_check(v, mult, bytes);
}

int parse_size_or_percent(const char *s, uint64_t *bytes, unsigned *permille, bool *is_percent)
{
	const char *end;
	uint64_t whole, tenth = 0;
	int r;

	if (!s)
		return -EINVAL;
	if (!strchr(s, '%')) {
		*is_percent = false;
		return parse_size(s, bytes);
	}
	r = leading_uint(s, &whole, &end);
	if (r < 0)
		return r;
	if (*end == '.') {
		end++;
		if (!isdigit((unsigned char)*end))
			return -EINVAL;
		tenth = (uint64_t)(*end - '0');
		end++;
	}
	if (*end != '%' || !rest_is_space(end + 1))
		return -EINVAL;
	if (whole > 100 || (whole == 100 && tenth))
		return -ERANGE;
	*permille = (unsigned)(whole * 10 + tenth);
	*is_percent = true;
	return 0;
}

int parse_duration_ms(const char *s, uint64_t *ms)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1000 },   { "ms", 1 },      { "s", 1000 },    { "sec", 1000 },
		{ "m", 60000 }, { "min", 60000 }, { "h", 3600000 },
	};
	const char *end;
	char suffix[8];
	size_t i, n = 0;
	uint64_t v;
	int r;

	r = leading_uint(s, &v, &end);
	if (r < 0)
		return r;
	end = skip_space(end);
	while (end[n] && !isspace((unsigned char)end[n])) {
		if (n + 1 >= sizeof(suffix))
			return -EINVAL;
		suffix[n] = end[n];
		n++;
	}
	suffix[n] = '\0';
	if (!rest_is_space(end + n))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (strcasecmp(suffix, units[i].suffix) == 0)
			return mul_check(v, units[i].mult, ms);
	return -EINVAL;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

const char *format_duration_ms(uint64_t ms, char *buf, unsigned len)
{
	if (ms % 60000 == 0 && ms >= 60000)
		snprintf(buf, len, "%llumin", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	return buf;
}
