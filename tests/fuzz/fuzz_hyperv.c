/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: arbitrary messages from the Hyper-V VSS device into vssd's
 * channel (hyperv.c). The input is a sequence of chunks, each a length byte
 * and that many bytes (the last one cut short by the input's end); each
 * chunk arrives as one message on a SOCK_SEQPACKET pair standing in for
 * /dev/vmbus/hv_vss, the first after the REGISTER1 handshake. Asserted: every
 * reply is one whole 12-byte message, a channel reset leaves no fd behind,
 * and nothing stays frozen (the configuration selects no filesystem, so no
 * request freezes). Built for libFuzzer with `make fuzz`; replayed over its
 * corpus and mutations in make check (tests/fuzz/vss.sh).
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_vss.h"
#include "hyperv.h"
#include "hyperv_abi.h"
#include "log.h"

/*
 * Reads and checks what vssd wrote to the device: whole 12-byte messages
 * only, and an end of file only when the channel closed its end (a reset).
 */
static void drain(int peer, const struct hv_channel *c)
{
	unsigned char buf[64];
	ssize_t n;

	while ((n = recv(peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		FUZZ_ASSERT(n == (ssize_t)sizeof(struct hv_vss_message));
	if (n == 0)
		FUZZ_ASSERT(c->fd < 0);
	else
		FUZZ_ASSERT(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* A new device end for the channel; returns the test's end, or -1. */
static int attach(struct hv_channel *c)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	if (hv_attach(c, sv[0]) < 0) {
		close(sv[1]);
		return -1;
	}
	drain(sv[1], c); /* REGISTER1 */
	return sv[1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vssd_config cfg;
	static struct engine e;
	struct hv_channel c;
	size_t at = 0;
	int peer;

	fuzz_vss_engine(&cfg, &e);
	hv_init(&c, "/nonexistent-fuzz-hv_vss", &e);
	peer = attach(&c);
	if (peer < 0)
		abort();
	while (at < size) {
		size_t len = data[at++];

		if (len > size - at)
			len = size - at;
		if (c.fd < 0) { /* reset by the last message: the device again, as after a reopen */
			close(peer);
			peer = attach(&c);
			if (peer < 0)
				abort();
		}
		if (send(peer, data + at, len, MSG_DONTWAIT) < 0)
			abort();
		at += len;
		hv_event(&c, POLLIN);
		drain(peer, &c);
		FUZZ_ASSERT(e.state == ENGINE_THAWED);
	}
	hv_close(&c);
	close(peer);
	FUZZ_ASSERT(e.state == ENGINE_THAWED);
	return 0;
}
