/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host end of the guest's balloon channel: a unix stream socket, either
 * connected to (QEMU's chardev with server=on, the virtio-serial port
 * org.selfballoon.balloon.0) or listened on (Firecracker's and Cloud
 * Hypervisor's vsock: a guest connection to host port P arrives on
 * UDS_PATH_P). One guest connection at a time; a new one replaces the old.
 */
#ifndef SB_HOST_PORT_H
#define SB_HOST_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#define PORT_RETRY_MS 1000

struct port {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool listen;
	int fd;  /* the guest connection, or -1 */
	int lfd; /* listening socket (listen mode), or -1 */
	uint64_t retry_at_ms;
	bool warned; /* the connect failure was logged (once until it works) */
};

/* Listen mode binds at once (replacing a stale socket file). 0 or -errno. */
int port_init(struct port *p, const char *path, bool listening);

/* Connect mode: tries to connect when due. Returns 1 when a new connection is up. */
int port_try_connect(struct port *p, uint64_t now_ms);

/* Listen mode: accepts one connection (replacing the current). 1 when a new one is up. */
int port_accept(struct port *p);

/* Reads what is there (at most len bytes): >0 bytes, 0 nothing now, -1 gone (closed). */
long port_read(struct port *p, char *buf, unsigned long len, uint64_t now_ms);

/* Writes without blocking: bytes written (0 if it would block), -1 gone (closed). */
long port_write(struct port *p, const char *buf, unsigned long len, uint64_t now_ms);

void port_close(struct port *p);

#endif
