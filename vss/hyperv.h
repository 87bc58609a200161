/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Hyper-V VSS channel: /dev/vmbus/hv_vss (hv_utils). Registers with the
 * REGISTER1 handshake, then answers FREEZE, THAW and HOT_BACKUP; after any
 * device error it thaws what vssd froze, closes, reopens and registers again.
 * A FREEZE whose freeze hooks run is answered when they (and the freeze) end,
 * or when a thaw from another channel cancels it; vssd serves meanwhile.
 */
#ifndef SB_VSS_HYPERV_H
#define SB_VSS_HYPERV_H

#include <stdbool.h>
#include <stdint.h>

#include "freeze.h"
#include "hyperv_abi.h"

enum hv_state { HV_CLOSED, HV_REGISTERING, HV_READY };

struct hv_channel {
	char path[256];
	int fd;
	enum hv_state state;
	uint64_t retry_at_ms; /* CLOCK_MONOTONIC ms of the next open attempt, when closed */
	unsigned failures;    /* consecutive open/handshake failures (for backoff and logs) */
	struct engine *engine;
	struct owner owner; /* Hyper-V, and the registration: whose freezes are this channel's */
	bool parked;        /* a FREEZE waits for its freeze hooks: its reply is held */
	struct hv_vss_message parked_msg; /* that request, answered when the freeze ends */
};

void hv_init(struct hv_channel *c, const char *path, struct engine *e);

/* Opens and sends REGISTER1. Returns 0, or -errno (retry later: hv_retry_ms). */
int hv_open(struct hv_channel *c);

/* Registers on an already open fd (the device, or a socket in tests). */
int hv_attach(struct hv_channel *c, int fd);

/* Handles POLLIN/POLLERR/POLLHUP on c->fd. */
void hv_event(struct hv_channel *c, short revents);

/* Closes (thawing first if this channel froze) and schedules a reopen. */
void hv_reset(struct hv_channel *c, const char *why);

void hv_close(struct hv_channel *c);

/* Milliseconds until the next open attempt (-1: none pending). */
int hv_timeout_ms(const struct hv_channel *c);

/* Called by the loop when hv_timeout_ms() has elapsed. */
void hv_tick(struct hv_channel *c);

#endif
