/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Freeze owners and the cross-channel thaw rule. */
#include "owner.h"

#include <stdio.h>

const struct owner owner_vssd = { .channel = OWNER_VSSD, .conn = 1 };

/*
 * may_thaw[thawer][holder]. Three parties can freeze: the guest's
 * administrators (the local socket), the host through the guest agent
 * protocol (virtio port or vsock: a host tool may reconnect over either,
 * vssctl backup does), and the host through Hyper-V. A freeze ends by a
 * thaw from the party that made it, from any connection of it; the local
 * socket (root or socket_group, in the guest) may end any freeze; vssd may
 * always. Otherwise the thaw is refused and the watchdog's timeout remains.
 */
static const bool may_thaw[OWNER_CHANNELS][OWNER_CHANNELS] = {
	[OWNER_VSSD] = { [OWNER_VSSD] = true,
			 [OWNER_UNIX] = true,
			 [OWNER_VIRTIO] = true,
			 [OWNER_VSOCK] = true,
			 [OWNER_HYPERV] = true },
	[OWNER_UNIX] = { [OWNER_VSSD] = true,
			 [OWNER_UNIX] = true,
			 [OWNER_VIRTIO] = true,
			 [OWNER_VSOCK] = true,
			 [OWNER_HYPERV] = true },
	[OWNER_VIRTIO] = { [OWNER_VIRTIO] = true, [OWNER_VSOCK] = true },
	[OWNER_VSOCK] = { [OWNER_VIRTIO] = true, [OWNER_VSOCK] = true },
	[OWNER_HYPERV] = { [OWNER_HYPERV] = true },
};

bool owner_may_thaw(enum owner_channel thawer, enum owner_channel holder)
{
	if (thawer <= OWNER_NONE || thawer >= OWNER_CHANNELS)
		return false;
	if (holder <= OWNER_NONE || holder >= OWNER_CHANNELS)
		return true; /* a freeze nobody owns: anyone may end it */
	return may_thaw[thawer][holder];
}

bool owner_equal(const struct owner *a, const struct owner *b)
{
	return a->channel == b->channel && a->conn == b->conn;
}

static const char *const names[OWNER_CHANNELS] = {
	[OWNER_NONE] = "",         [OWNER_VSSD] = "vssd",   [OWNER_UNIX] = "unix",
	[OWNER_VIRTIO] = "virtio", [OWNER_VSOCK] = "vsock", [OWNER_HYPERV] = "hyperv",
};

const char *owner_channel_name(enum owner_channel c)
{
	return c < OWNER_CHANNELS ? names[c] : "";
}

const char *owner_describe(const struct owner *o, char *buf, size_t len)
{
	switch (o->channel) {
	case OWNER_UNIX:
		snprintf(buf, len, "the local socket (connection %llu)",
			 (unsigned long long)o->conn);
		break;
	case OWNER_VIRTIO: snprintf(buf, len, "the virtio port"); break;
	case OWNER_VSOCK:
		snprintf(buf, len, "vsock (connection %llu)", (unsigned long long)o->conn);
		break;
	case OWNER_HYPERV: snprintf(buf, len, "the Hyper-V channel"); break;
	case OWNER_VSSD: snprintf(buf, len, "vssd"); break;
	default: snprintf(buf, len, "nobody"); break;
	}
	return buf;
}
