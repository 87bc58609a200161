/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The relay's decisions on guest input: see relay.h and selfballoon-host(8), PROTOCOL. */
#include "relay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define CALM_MS 10000 /* a pause this long after a throttle ends resets its doubling */

void relay_init(struct relay *r, const struct relay_conf *c)
{
	memset(r, 0, sizeof(*r));
	r->conf = *c;
	r->throttle_ms = RELAY_THROTTLE_MIN_MS;
	bp_reader_init(&r->rd);
}

/* The limit's name in the log ("floor", "ceiling"). */
static const char *relay_limit_name(enum relay_limit l)
{
	switch (l) {
	case LIMIT_FLOOR: return "floor";
	case LIMIT_CEILING: return "ceiling";
	default: return "none";
	}
}

/* The balloon range that keeps the guest within [min, max]. */
static void balloon_range(const struct relay *r, uint64_t *lo, uint64_t *hi)
{
	uint64_t ram = r->ram_kb;

	*hi = ram > r->conf.min_kb ? ram - r->conf.min_kb : 0;
	*lo = r->conf.max_kb && r->conf.max_kb < ram ? ram - r->conf.max_kb : 0;
	if (*lo > *hi)
		*lo = *hi;
}

uint64_t relay_clamp(const struct relay *r, uint64_t want_kb, enum relay_limit *lim)
{
	uint64_t lo, hi;

	balloon_range(r, &lo, &hi);
	*lim = LIMIT_NONE;
	if (want_kb > hi) {
		*lim = LIMIT_FLOOR;
		return hi;
	}
	if (want_kb < lo) {
		*lim = LIMIT_CEILING;
		return lo;
	}
	return want_kb;
}

/* Queues one reply line; a guest that does not read loses replies, never blocks the relay. */
static void reply(struct relay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(struct relay *r, const char *fmt, ...)
{
	char line[BP_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return;
	line[n++] = '\n';
	if (r->outlen + (size_t)n > sizeof(r->out)) {
		if (r->st.dropped_replies++ == 0)
			log_warn("the guest does not read its port: replies are dropped");
		return;
	}
	memcpy(r->out + r->outlen, line, (size_t)n);
	r->outlen += (size_t)n;
}

static void reply_state(struct relay *r)
{
	char t[48] = "", a[48] = "";

	if (r->applied_any)
		snprintf(t, sizeof(t), " target_kb=%" PRIu64, r->target_kb);
	if (r->actual_known)
		snprintf(a, sizeof(a), " actual_kb=%" PRIu64, r->actual_kb);
	reply(r, "state%s%s", t, a);
}

static void reply_limits(struct relay *r)
{
	uint64_t lo, hi;

	if (!r->ram_kb)
		return;
	balloon_range(r, &lo, &hi);
	reply(r, "limits min_kb=%" PRIu64 " max_kb=%" PRIu64, lo, hi);
}

void relay_set_ram(struct relay *r, uint64_t ram_kb)
{
	if (ram_kb == r->ram_kb)
		return;
	r->ram_kb = ram_kb;
	reply_limits(r);
}

static void bad_line(struct relay *r, const char *code)
{
	r->st.bad_lines++;
	log_debug("guest line rejected: %s", code);
	reply(r, "error code=%s", code);
}

static void on_hello(struct relay *r, const struct bp_msg *m)
{
	uint64_t v;
	int e = bp_get_u64(m, "version", UINT32_MAX, &v);

	if (e < 0) {
		bad_line(r, e == -ERANGE ? "range" : "syntax");
		return;
	}
	if (v < 1) {
		bad_line(r, "version");
		return;
	}
	reply(r, "hello version=%d", BP_VERSION);
	reply_limits(r);
	reply_state(r);
}

static void on_balloon(struct relay *r, const struct bp_msg *m)
{
	uint64_t seq, kb;
	int e1 = bp_get_u64(m, "seq", BP_SEQ_MAX, &seq);
	int e2 = bp_get_u64(m, "kb", BP_KB_MAX, &kb);

	if (e1 < 0 || e2 < 0) {
		bad_line(r, e1 == -ERANGE || e2 == -ERANGE ? "range" : "syntax");
		return;
	}
	r->st.requests++;
	if (r->pending)
		r->st.superseded++;
	r->pending = true;
	r->pending_seq = seq;
	r->pending_kb = kb;
}

static void handle_line(struct relay *r, const char *line)
{
	struct bp_msg m;
	int e = bp_parse(line, &m);

	if (e == -ENODATA)
		return;
	if (e < 0) {
		bad_line(r, "syntax");
		return;
	}
	if (strcmp(m.verb, "hello") == 0)
		on_hello(r, &m);
	else if (strcmp(m.verb, "balloon") == 0)
		on_balloon(r, &m);
	else if (strcmp(m.verb, "query") == 0)
		reply_state(r);
	else
		bad_line(r, "unknown-verb");
}

static void throttle(struct relay *r, uint64_t now_ms)
{
	if (r->calm_since_ms && now_ms - r->calm_since_ms >= CALM_MS)
		r->throttle_ms = RELAY_THROTTLE_MIN_MS;
	r->throttle_until_ms = now_ms + r->throttle_ms;
	r->calm_since_ms = r->throttle_until_ms;
	r->st.throttles++;
	log_warn("the guest floods its port (%u lines, %u bytes in under 1 s; %" PRIu64
		 " bad lines so far): not reading it for %" PRIu64 " ms",
		 r->window_lines, r->window_bytes, r->st.bad_lines, r->throttle_ms);
	reply(r, "error code=throttled ms=%" PRIu64, r->throttle_ms);
	if (r->throttle_ms < RELAY_THROTTLE_MAX_MS)
		r->throttle_ms = r->throttle_ms * 2 > RELAY_THROTTLE_MAX_MS ? RELAY_THROTTLE_MAX_MS
									    : r->throttle_ms * 2;
	bp_reader_init(&r->rd);
}

/* Counts one more line (or len more bytes) in this second; true when that is a flood. */
static bool over_budget(struct relay *r, unsigned lines, size_t len, uint64_t now_ms)
{
	if (now_ms - r->window_ms >= 1000) {
		r->window_ms = now_ms;
		r->window_lines = 0;
		r->window_bytes = 0;
	}
	r->window_lines += lines;
	r->window_bytes +=
		len > UINT32_MAX - r->window_bytes ? UINT32_MAX - r->window_bytes : (unsigned)len;
	return r->window_lines > r->conf.lines_per_s || r->window_bytes > r->conf.bytes_per_s;
}

void relay_input(struct relay *r, const char *data, size_t len, uint64_t now_ms)
{
	size_t used;

	if (over_budget(r, 0, len, now_ms)) {
		throttle(r, now_ms);
		return;
	}
	while (len) {
		enum bp_feed f = bp_feed(&r->rd, data, len, &used);

		data += used;
		len -= used;
		if (f == BP_MORE)
			break;
		r->st.lines++;
		if (over_budget(r, 1, 0, now_ms)) {
			throttle(r, now_ms);
			return;
		}
		if (f == BP_TOO_LONG)
			bad_line(r, "line-too-long");
		else if (f == BP_BAD)
			bad_line(r, "bad-byte");
		else
			handle_line(r, r->rd.buf);
	}
}

void relay_port_reset(struct relay *r)
{
	bp_reader_init(&r->rd);
	r->outlen = 0;
}

void relay_connected(struct relay *r, uint64_t now_ms)
{
	relay_port_reset(r);
	if (over_budget(r, 1, 0, now_ms))
		throttle(r, now_ms);
}

bool relay_reading(const struct relay *r, uint64_t now_ms)
{
	return now_ms >= r->throttle_until_ms;
}

/*
 * When the pending request may be applied: a balloon smaller than the one
 * applied last gives the guest memory and goes at once (a guest short of
 * memory must not wait); a larger one (or the same) waits for --interval after
 * the last change, and so does any request after the backend failed.
 */
static uint64_t due_ms(const struct relay *r, uint64_t kb)
{
	if (r->failing || (r->applied_any && kb >= r->target_kb))
		return r->last_apply_ms + r->conf.interval_ms;
	return 0;
}

bool relay_due(const struct relay *r, uint64_t now_ms, uint64_t *balloon_kb)
{
	enum relay_limit lim;
	uint64_t kb;

	if (!r->pending || !r->ram_kb)
		return false;
	kb = relay_clamp(r, r->pending_kb, &lim);
	if (now_ms < due_ms(r, kb))
		return false;
	*balloon_kb = kb;
	return true;
}

static void log_applied(const struct relay *r, enum relay_limit lim)
{
	log_info("guest asked for a %" PRIu64 " MiB balloon (seq %" PRIu64 "); applied %" PRIu64
		 " MiB%s%s: the guest keeps %" PRIu64 " of %" PRIu64 " MiB",
		 r->pending_kb / 1024, r->pending_seq, r->target_kb / 1024,
		 lim == LIMIT_NONE ? "" : ", clamped at the host's ",
		 lim == LIMIT_NONE ? "" : relay_limit_name(lim), (r->ram_kb - r->target_kb) / 1024,
		 r->ram_kb / 1024);
}

void relay_applied(struct relay *r, uint64_t now_ms, int err)
{
	enum relay_limit lim;
	uint64_t kb = relay_clamp(r, r->pending_kb, &lim);

	r->last_apply_ms = now_ms;
	if (err < 0) {
		r->st.backend_errors++;
		if (!r->failing)
			log_warn("applying a %" PRIu64
				 " MiB balloon failed: %s; retrying every %" PRIu64 " ms",
				 kb / 1024, strerror(-err), r->conf.interval_ms);
		r->failing = true;
		reply(r, "error code=backend");
		return;
	}
	r->failing = false;
	r->applied_any = true;
	r->applied_seq = r->pending_seq;
	r->applied_limit = lim;
	r->target_kb = kb;
	r->pending = false;
	r->st.applied++;
	if (lim != LIMIT_NONE)
		r->st.clamped++;
	log_applied(r, lim);
	reply(r, "applied seq=%" PRIu64 " kb=%" PRIu64 " limit=%s", r->applied_seq, kb,
	      relay_limit_name(lim));
}

void relay_actual(struct relay *r, uint64_t actual_kb)
{
	if (r->actual_known && r->actual_kb == actual_kb)
		return;
	r->actual_known = true;
	r->actual_kb = actual_kb;
	reply_state(r);
}

int relay_timeout_ms(const struct relay *r, uint64_t now_ms)
{
	uint64_t at = UINT64_MAX;

	if (r->throttle_until_ms > now_ms)
		at = r->throttle_until_ms;
	if (r->pending && r->ram_kb) {
		enum relay_limit lim;
		uint64_t due = due_ms(r, relay_clamp(r, r->pending_kb, &lim));

		if (due < at)
			at = due;
	}
	if (at == UINT64_MAX)
		return -1;
	return at <= now_ms ? 0 : at - now_ms > INT32_MAX ? INT32_MAX : (int)(at - now_ms);
}

void relay_consumed(struct relay *r, size_t n)
{
	if (n >= r->outlen) {
		r->outlen = 0;
		return;
	}
	memmove(r->out, r->out + n, r->outlen - n);
	r->outlen -= n;
}
