/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The relay's decisions, without I/O: what a guest line means, the clamp to
 * the host's limits, the rate limit on inflation (latest request wins; memory
 * back to the guest goes at once), flood control, and the replies.
 * selfballoon-host.c moves the bytes and calls the VMM backend. Everything
 * from the guest is untrusted: lines are bounded, numbers checked, a guest
 * that sends too much is not read for a while, and nothing it sends is logged
 * verbatim.
 */
#ifndef SB_HOST_RELAY_H
#define SB_HOST_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balloonproto.h"

struct relay_conf {
	uint64_t min_kb;      /* the least memory the guest keeps (--min) */
	uint64_t max_kb;      /* the most it may have (--max); 0: its RAM size */
	uint64_t interval_ms; /* a larger balloon once per interval */
	unsigned lines_per_s; /* more lines than this in one second is a flood */
	unsigned bytes_per_s; /* so are more bytes */
};

enum relay_limit { LIMIT_NONE, LIMIT_FLOOR, LIMIT_CEILING };

#define RELAY_OUT_MAX 4096
#define RELAY_THROTTLE_MIN_MS 1000
#define RELAY_THROTTLE_MAX_MS 60000

struct relay_stats {
	uint64_t lines, bad_lines, requests, superseded, applied, clamped, backend_errors;
	uint64_t throttles, dropped_replies;
};

struct relay {
	struct relay_conf conf;
	uint64_t ram_kb; /* the guest's RAM as the VMM reports it; 0: not known yet */
	/* the latest request not applied yet */
	bool pending;
	uint64_t pending_seq, pending_kb;
	/* the last one applied */
	bool applied_any;
	uint64_t applied_seq, target_kb, last_apply_ms;
	enum relay_limit applied_limit;
	bool failing; /* the backend failed the last attempt (logged once a run) */
	bool actual_known;
	uint64_t actual_kb;
	/* flood control: a one-second window, then a doubling pause */
	uint64_t window_ms, throttle_until_ms, throttle_ms, calm_since_ms;
	unsigned window_lines, window_bytes;
	struct bp_reader rd;
	char out[RELAY_OUT_MAX];
	size_t outlen;
	struct relay_stats st;
};

void relay_init(struct relay *r, const struct relay_conf *c);

/* The balloon for a request of want_kb, clamped so the guest keeps [min, max]; *lim says which. */
uint64_t relay_clamp(const struct relay *r, uint64_t want_kb, enum relay_limit *lim);

/* The VMM's RAM size became known (or changed): sends the guest its limits. */
void relay_set_ram(struct relay *r, uint64_t ram_kb);

/* Bytes read from the guest's port. Complete lines are handled; replies queue in out. */
void relay_input(struct relay *r, const char *data, size_t len, uint64_t now_ms);

/* The guest port (re)connected or went away: the partial line and unsent replies are dropped. */
void relay_port_reset(struct relay *r);

/* A guest connection was accepted: it counts as a line against the flood budget. */
void relay_connected(struct relay *r, uint64_t now_ms);

/* False while the guest is being throttled: do not read its port. */
bool relay_reading(const struct relay *r, uint64_t now_ms);

/* A request is due: the balloon to apply now (the caller then calls relay_applied). */
bool relay_due(const struct relay *r, uint64_t now_ms, uint64_t *balloon_kb);

/* The result of applying the due request (0 or -errno from the backend). */
void relay_applied(struct relay *r, uint64_t now_ms, int err);

/* What the VMM says the balloon holds now; tells the guest when it changed. */
void relay_actual(struct relay *r, uint64_t actual_kb);

/* Milliseconds until relay_due or relay_reading may change (-1: nothing pending). */
int relay_timeout_ms(const struct relay *r, uint64_t now_ms);

/* Replies waiting for the guest: write out[0..outlen), then relay_consumed(n). */
void relay_consumed(struct relay *r, size_t n);

#endif
