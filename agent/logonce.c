/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Once-per-condition error logging (see logonce.h). */

#include "logonce.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void logonce_fail(struct logonce *l, int cond, int prio, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (cond == l->cond) {
		l->count++;
		return;
	}
	if (l->cond && l->count > 1)
		log_info("(the previous condition repeated %llu times)",
			 (unsigned long long)l->count);
	l->cond = cond;
	l->count = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(prio, "%s (logged once while it lasts)", msg);
}

void logonce_ok(struct logonce *l, const char *what)
{
	if (!l->cond)
		return;
	log_notice("%s: recovered after %llu failure%s", what, (unsigned long long)l->count,
		   l->count == 1 ? "" : "s");
	l->cond = 0;
	l->count = 0;
}
