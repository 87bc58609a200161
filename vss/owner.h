/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who holds a freeze: the channel its request came on and the connection,
 * and the one rule that says which channel's thaw may end which channel's
 * freeze (documented in vssd(8), OWNERSHIP).
 */
#ifndef SB_VSS_OWNER_H
#define SB_VSS_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum owner_channel {
	OWNER_NONE,   /* nobody (thawed) */
	OWNER_VSSD,   /* vssd itself: stopping, or a channel going away */
	OWNER_UNIX,   /* a client of the local unix socket (root or socket_group) */
	OWNER_VIRTIO, /* the host, through the virtio-serial port */
	OWNER_VSOCK,  /* the host, through AF_VSOCK */
	OWNER_HYPERV, /* the host, through the Hyper-V VSS device */
	OWNER_CHANNELS
};

struct owner {
	enum owner_channel channel;
	uint64_t conn; /* which connection of the channel (counts from 1) */
};

/* vssd's own requests */
extern const struct owner owner_vssd;

/* May a thaw that came on channel `thawer` end a freeze made on channel `holder`? */
bool owner_may_thaw(enum owner_channel thawer, enum owner_channel holder);

/* Same channel and connection. */
bool owner_equal(const struct owner *a, const struct owner *b);

/* "unix", "virtio", "vsock", "hyperv", "vssd" ("" for OWNER_NONE). */
const char *owner_channel_name(enum owner_channel c);

/* For messages: "the local socket (connection 3)", "the Hyper-V channel". */
const char *owner_describe(const struct owner *o, char *buf, size_t len);

#endif
