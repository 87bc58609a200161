/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: formatted into a fixed buffer, written with write(2)/send(2). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 1024
#define HOLD_SIZE (64 * 1024)

static const char *log_ident = "selfballoon";
static int log_targets = LOG_TARGET_STDERR;
static int log_max = LOG_INFO;
static int syslog_fd = -1;

static bool held;
static char hold_buf[HOLD_SIZE]; /* records: prio byte, text, NUL */
static size_t hold_len;
static unsigned hold_dropped;

static void syslog_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (syslog_fd >= 0)
		return;
	syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (syslog_fd < 0)
		return;
	strcpy(sa.sun_path, "/dev/log");
	if (connect(syslog_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(syslog_fd);
		syslog_fd = -1;
	}
}

void log_open(const char *ident, int targets)
{
	log_ident = ident;
	log_targets = targets;
	if (targets & LOG_TARGET_SYSLOG)
		syslog_connect();
}

void log_close(void)
{
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = -1;
}

void log_set_max_level(int level)
{
	log_max = level;
}

static const char *prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

static void emit(int prio, const char *text)
{
	char line[LINE_MAX_LEN + 64];
	int n;

	if (log_targets & LOG_TARGET_STDERR) {
		n = snprintf(line, sizeof(line), "%s: %s: %s\n", log_ident, prio_name(prio), text);
		if (n > 0) {
			if ((size_t)n >= sizeof(line))
				n = sizeof(line) - 1;
			/* best effort: a log line is not worth failing over */
			if (write(STDERR_FILENO, line, (size_t)n) < 0)
				errno = 0;
		}
	}
	if (log_targets & LOG_TARGET_SYSLOG) {
		syslog_connect();
		if (syslog_fd < 0)
			return;
		n = snprintf(line, sizeof(line), "<%d>%s[%ld]: %s", LOG_DAEMON | prio, log_ident,
			     (long)getpid(), text);
		if (n > 0) {
			if ((size_t)n >= sizeof(line))
				n = sizeof(line) - 1;
			/* non-blocking: a full or absent syslog loses the line, never stalls us */
			if (send(syslog_fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
			    errno != EAGAIN) {
				close(syslog_fd);
				syslog_fd = -1;
			}
		}
	}
}

void log_msg(int prio, const char *fmt, ...)
{
	char text[LINE_MAX_LEN];
	va_list ap;
	int saved = errno;
	size_t len;

	if (prio > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);

	if (!held) {
		emit(prio, text);
		errno = saved;
		return;
	}
	len = strlen(text);
	if (hold_len + len + 2 > sizeof(hold_buf)) {
		hold_dropped++;
	} else {
		hold_buf[hold_len++] = (char)prio;
		memcpy(hold_buf + hold_len, text, len + 1);
		hold_len += len + 1;
	}
	errno = saved;
}

void log_hold(void)
{
	held = true;
}

unsigned log_release(void)
{
	size_t off = 0;
	unsigned dropped = hold_dropped;

	held = false;
	while (off < hold_len) {
		int prio = hold_buf[off++];
		const char *text = hold_buf + off;

		emit(prio, text);
		off += strlen(text) + 1;
	}
	hold_len = 0;
	hold_dropped = 0;
	if (dropped) {
		char text[96];

		snprintf(text, sizeof(text), "%u log messages were dropped while held", dropped);
		emit(LOG_WARNING, text);
	}
	return dropped;
}
