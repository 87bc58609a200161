/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
#ifndef SB_COMMON_NOTIFY_H
#define SB_COMMON_NOTIFY_H

/* Sends state ("READY=1", "STATUS=...") if NOTIFY_SOCKET is set. Returns 1 sent, 0 not set, -errno. */
int notify_send(const char *state);

#endif
