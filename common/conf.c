/* SPDX-License-Identifier: GPL-2.0-or-later */
/* INI files through inih; the first error is reported with its line number. */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A configuration file larger than this is not one (a log, an image given to -c by mistake). */
#define CONF_MAX_BYTES (1024 * 1024)

struct conf_ctx {
	conf_key_fn fn;
	conf_section_fn section_fn;
	void *user;
	FILE *file;       /* reading a file, or */
	const char *text; /* reading a string */
	int line;         /* line most recently handed to inih */
	int read_errno;   /* a read that failed (not the end of the file), 0: none */
	int err_line;
	int long_line; /* first line longer than inih takes, 0: none */
	int in_long;   /* reading the rest of a long line */
	/*
	 * inih's multi-line values: an indented line right after a key is a
	 * continuation and comes back as that key again. What is needed to tell:
	 */
	bool indented;          /* the current line starts with a blank */
	char prev_key[128];     /* the last key of the current section, "": none */
	char cur[INI_MAX_LINE]; /* the current line without blanks around it */
	char first_err[512];
};

/* The next line of the file or the string into buf; its length, or -1 at the end. */
static int next_line(struct conf_ctx *c, char *buf, int size)
{
	int n = 0;

	if (c->file) {
		if (!fgets(buf, size, c->file)) {
			if (ferror(c->file))
				c->read_errno = errno ? errno : EIO;
			return -1;
		}
		return (int)strlen(buf);
	}
	if (!*c->text)
		return -1;
	while (n < size - 1 && c->text[n] && c->text[n] != '\n')
		n++;
	if (n < size - 1 && c->text[n] == '\n')
		n++;
	memcpy(buf, c->text, (size_t)n);
	buf[n] = '\0';
	c->text += n;
	return n;
}

/* A "[name]" header line into name (inih: an indented one only when it cannot continue a value). */
static bool section_header(const struct conf_ctx *c, char *name, size_t size)
{
	const char *line = c->cur, *end;
	size_t n;

	if (*line != '[' || (c->indented && c->prev_key[0]))
		return false;
	end = strchr(line + 1, ']');
	if (!end)
		return false;
	n = (size_t)(end - line - 1);
	if (n >= size)
		n = size - 1;
	memcpy(name, line + 1, n);
	name[n] = '\0';
	return true;
}

/* Reports an error at the current line; false stops reading. */
static bool check_section(struct conf_ctx *c)
{
	char name[128], err[sizeof(c->first_err)] = "";

	if (!section_header(c, name, sizeof(name)))
		return true;
	c->prev_key[0] = '\0';
	if (!c->section_fn || c->section_fn(c->user, name, err, sizeof(err)) == 0)
		return true;
	if (!c->err_line) {
		c->err_line = c->line;
		snprintf(c->first_err, sizeof(c->first_err), "%s",
			 err[0] ? err : "invalid section");
	}
	return false;
}

static void remember(struct conf_ctx *c, const char *buf)
{
	size_t n;

	c->indented = buf[0] == ' ' || buf[0] == '\t';
	buf += strspn(buf, " \t");
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t'))
		n--;
	if (n >= sizeof(c->cur))
		n = sizeof(c->cur) - 1;
	memcpy(c->cur, buf, n);
	c->cur[n] = '\0';
}

/* inih reader that counts lines, so handler errors know where they are. */
static char *reader(char *buf, int size, void *p)
{
	struct conf_ctx *c = p;
	int n = next_line(c, buf, size);
	bool starts_line = !c->in_long;

	if (n < 0)
		return NULL;
	/* inih reads at most size-1 bytes a line: the rest would come back as another line */
	if (starts_line)
		c->line++;
	c->in_long = n == size - 1 && buf[n - 1] != '\n';
	if (c->in_long && !c->long_line)
		c->long_line = c->line;
	if (!starts_line)
		return buf;
	remember(c, buf);
	if (!check_section(c))
		return NULL; /* an unknown section: stop at its header */
	return buf;
}

static int trampoline(void *p, const char *section, const char *key, const char *value)
{
	struct conf_ctx *c = p;
	char err[sizeof(c->first_err)] = "";
	bool continued = c->indented && strcmp(key, c->prev_key) == 0 &&
			 strncmp(c->cur, value, strlen(value)) == 0;

	snprintf(c->prev_key, sizeof(c->prev_key), "%s", key);
	if (continued)
		snprintf(err, sizeof(err),
			 "an indented line continues the value of %s above; a value must be on one "
			 "line",
			 key);
	else if (c->fn(c->user, section, key, value, err, sizeof(err)) == 0)
		return 1;
	if (!c->err_line) {
		c->err_line = c->line;
		snprintf(c->first_err, sizeof(c->first_err), "%s", err[0] ? err : "invalid line");
	}
	return 0;
}

static int run(const char *name, struct conf_ctx *c, char *err, size_t errlen)
{
	int r = ini_parse_stream(reader, c, trampoline, c);

	if (c->read_errno) {
		snprintf(err, errlen, "%s:%d: cannot read: %s", name, c->line + 1,
			 strerror(c->read_errno));
		return -c->read_errno;
	}
	if (r == 0 && c->long_line)
		r = c->long_line; /* a long line that happened to parse is still cut */
	if (r == 0 && c->err_line)
		r = c->err_line; /* reading stopped at a bad section */
	if (r == 0)
		return 0;
	if (r == -2) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	if (c->long_line && c->long_line <= r)
		snprintf(err, errlen, "%s:%d: line too long (at most %d characters)", name,
			 c->long_line, INI_MAX_LINE - 2);
	else if (r == c->err_line)
		snprintf(err, errlen, "%s:%d: %s", name, r, c->first_err);
	else
		snprintf(err, errlen, "%s:%d: syntax error (expected 'key = value' or '[section]')",
			 name, r);
	return -EINVAL;
}

/* What a file that is not a configuration file is, for the message. */
static const char *file_kind(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (S_ISCHR(st->st_mode))
		return "a character device";
	if (S_ISBLK(st->st_mode))
		return "a block device";
	if (S_ISSOCK(st->st_mode))
		return "a socket";
	return "not a regular file";
}

/*
 * Opens path for reading if it is a regular file of a sane size, or /dev/null
 * (no settings). Never blocks: a FIFO is refused without waiting for a writer.
 */
static FILE *open_conf(const char *path, char *err, size_t errlen, int *res)
{
	struct stat st;
	bool devnull;
	FILE *f;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0 || fstat(fd, &st) < 0) {
		*res = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-*res));
		goto fail;
	}
	/* /dev/null is an empty configuration, on purpose (-c /dev/null: the built-in defaults) */
	devnull = S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
	if (!S_ISREG(st.st_mode) && !devnull) {
		*res = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(err, errlen, "%s: %s, not a configuration file (expected a regular file)",
			 path, file_kind(&st));
		goto fail;
	} else if (st.st_size > CONF_MAX_BYTES) {
		*res = -EFBIG;
		snprintf(err, errlen, "%s: %lld bytes, not a configuration file (at most %d)", path,
			 (long long)st.st_size, CONF_MAX_BYTES);
		goto fail;
	}
	f = fdopen(fd, "r");
	if (f)
		return f;
	*res = -errno;
	snprintf(err, errlen, "%s: %s", path, strerror(-*res));
fail:
	if (fd >= 0)
		close(fd);
	return NULL;
}

int conf_load(const char *path, conf_key_fn fn, conf_section_fn section_fn, void *user, char *err,
	      size_t errlen)
{
	struct conf_ctx c = { .fn = fn, .section_fn = section_fn, .user = user };
	int r = 0;

	c.file = open_conf(path, err, errlen, &r);
	if (!c.file)
		return r;
	r = run(path, &c, err, errlen);
	fclose(c.file);
	return r;
}

int conf_load_string(const char *name, const char *text, conf_key_fn fn, conf_section_fn section_fn,
		     void *user, char *err, size_t errlen)
{
	struct conf_ctx c = { .fn = fn, .section_fn = section_fn, .user = user, .text = text };

	return run(name, &c, err, errlen);
}
