/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A virtio-serial port (/dev/virtio-ports/NAME) carrying the QEMU guest
 * agent protocol: one session over a character device. When the host end
 * is not connected the port reports POLLHUP; vssd then stops polling it for
 * a moment instead of spinning, and drops any partial request.
 */
#ifndef SB_VSS_VPORT_H
#define SB_VSS_VPORT_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "freeze.h"
#include "session.h"

struct vport {
	char path[256];
	int fd;
	bool host_connected;
	uint64_t resume_at_ms; /* while the host is away: when to poll again */
	unsigned hups;         /* host disconnects seen (status, tests) */
	struct session s;
};

/*
 * Finds the port: NAME under /dev/virtio-ports, or the /dev/vportNpM whose
 * /sys/class/virtio-ports/.../name is NAME (no udev), or an absolute path.
 * Returns 0 or -errno (-ENOENT: no such port).
 */
int vport_resolve(const char *name, const char *sysfs, char *path, size_t size);

int vport_open(struct vport *v, const char *path, struct engine *e);
void vport_close(struct vport *v);

/* The pollfd to wait on (fd -1 while resting after a host disconnect). */
struct pollfd vport_pollfd(const struct vport *v);
void vport_event(struct vport *v, short revents);

/* ms until vport_tick() must run (-1: none). */
int vport_timeout_ms(const struct vport *v);
void vport_tick(struct vport *v);

#endif
