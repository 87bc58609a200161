/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VMM a relay drives: QEMU (QMP), Firecracker or Cloud Hypervisor (their
 * HTTP APIs on a unix socket). Each backend sets a balloon and reads back its
 * RAM size and what the balloon holds; all sizes are KiB of balloon, never the
 * guest's "MemTotal". Calls block for at most VMM_TIMEOUT_MS.
 */
#ifndef SB_HOST_VMM_H
#define SB_HOST_VMM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#define VMM_TIMEOUT_MS 5000

struct vmm_state {
	uint64_t ram_kb;    /* the guest's RAM size */
	uint64_t actual_kb; /* what the balloon holds now */
	bool actual_known;  /* false when the VMM cannot tell (Firecracker without statistics) */
};

struct vmm;

struct vmm_ops {
	const char *name;
	/* Connects (and handshakes); fills st. -errno on failure. */
	int (*open)(struct vmm *v, struct vmm_state *st);
	int (*set_balloon)(struct vmm *v, uint64_t balloon_kb);
	int (*query)(struct vmm *v, struct vmm_state *st);
	/* QMP only: its event stream. Readable: call event(); 1 = st changed, 0, -errno = lost. */
	int (*event)(struct vmm *v, struct vmm_state *st);
	void (*close)(struct vmm *v);
};

struct vmm {
	const struct vmm_ops *ops;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd; /* the event stream (QMP), else -1 */
	void *priv;
};

extern const struct vmm_ops vmm_qmp_ops;
extern const struct vmm_ops vmm_firecracker_ops;
extern const struct vmm_ops vmm_cloud_hypervisor_ops;

/* Connects a stream socket to path within timeout_ms; the fd is blocking, CLOEXEC. -errno. */
int vmm_connect_unix(const char *path, int timeout_ms);

/* Waits until fd is readable (or writable) within the deadline (CLOCK_MONOTONIC ms). */
int vmm_wait_fd(int fd, short events, uint64_t deadline_ms);

#endif
