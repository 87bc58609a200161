/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hyper-V VSS device protocol: REGISTER1 handshake and the request loop. */
#include "hyperv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000

void hv_init(struct hv_channel *c, const char *path, struct engine *e)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = -1;
	c->engine = e;
	c->owner.channel = OWNER_HYPERV;
}

static void schedule_retry(struct hv_channel *c)
{
	uint64_t delay = RETRY_MIN_MS;
	unsigned i;

	for (i = 1; i < c->failures && delay < RETRY_MAX_MS; i++)
		delay *= 2;
	if (delay > RETRY_MAX_MS)
		delay = RETRY_MAX_MS;
	c->retry_at_ms = now_ms() + delay;
}

int hv_attach(struct hv_channel *c, int fd)
{
	struct hv_vss_message msg = { 0 };
	ssize_t w;

	c->fd = fd;
	c->owner.conn++;
	msg.hdr.operation = HV_VSS_OP_REGISTER1;
	w = write(c->fd, &msg, sizeof(msg));
	if (w != (ssize_t)sizeof(msg)) {
		int r = w < 0 ? -errno : -EIO;

		log_warn("hyperv: register on %s failed: %s", c->path, strerror(-r));
		close(c->fd);
		c->fd = -1;
		c->failures++;
		schedule_retry(c);
		return r;
	}
	c->state = HV_REGISTERING;
	return 0;
}

int hv_open(struct hv_channel *c)
{
	int fd = open(c->path, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		int r = -errno;

		c->failures++;
		if (c->failures == 1 || r != -ENOENT)
			log_warn("hyperv: cannot open %s: %s%s", c->path, strerror(-r),
				 r == -EBUSY ? " (another VSS daemon is running?)" : "");
		schedule_retry(c);
		return r;
	}
	return hv_attach(c, fd);
}

/* The parked FREEZE's answer will find nobody; the freeze it started is cancelled. */
static void unpark(struct hv_channel *c)
{
	char err[512];

	if (!c->parked)
		return;
	c->parked = false;
	engine_forget(c->engine, c);
	if (engine_thaw(c->engine, &c->owner, err, sizeof(err)) < 0)
		log_err("hyperv: cancelling the freeze of a closed channel: %s", err);
}

void hv_close(struct hv_channel *c)
{
	unpark(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = HV_CLOSED;
}

void hv_reset(struct hv_channel *c, const char *why)
{
	char err[512];

	log_warn("hyperv: %s; reopening %s", why, c->path);
	/* this registration's freeze ends with it (not one another channel made since) */
	if (engine_held_by(c->engine, &c->owner) &&
	    engine_thaw(c->engine, &c->owner, err, sizeof(err)) < 0)
		log_err("hyperv: thaw after a channel error: %s", err);
	hv_close(c);
	c->failures++;
	schedule_retry(c);
}

static void answer(struct hv_channel *c, struct hv_vss_message *msg, uint32_t status);

/* The engine's answer to a parked FREEZE (engine_waiter). */
static void parked_answer(void *ctx, int r, const char *err)
{
	struct hv_channel *c = ctx;

	c->parked = false;
	if (r < 0)
		log_err("hyperv: FREEZE failed: %s", err);
	answer(c, &c->parked_msg, r < 0 ? HV_VSS_E_FAIL : HV_VSS_S_OK);
}

#define HV_PARKED 0xffffffffu /* act(): no answer yet */

/* Acts on one request; returns the status to answer with, or HV_PARKED. */
static uint32_t act(struct hv_channel *c, uint8_t op)
{
	const struct engine_waiter w = { .fn = parked_answer, .ctx = c };
	char err[512];
	int r;

	switch (op) {
	case HV_VSS_OP_FREEZE:
		r = engine_freeze_start(c->engine, &c->owner, NULL, 0, &w, err, sizeof(err));
		if (r == -EINPROGRESS)
			return HV_PARKED;
		if (r < 0) {
			log_err("hyperv: FREEZE failed: %s", err);
			return HV_VSS_E_FAIL;
		}
		return HV_VSS_S_OK;
	case HV_VSS_OP_THAW:
		r = engine_thaw(c->engine, &c->owner, err, sizeof(err));
		if (r == -EPERM) {
			/* not this channel's freeze (its own ended by the watchdog): leave it alone */
			log_info(
				"hyperv: THAW without a freeze from this channel in force; nothing "
				"to do: %s",
				err);
			return HV_VSS_S_OK;
		}
		if (r < 0) {
			log_err("hyperv: THAW failed: %s", err);
			return HV_VSS_E_FAIL;
		}
		return HV_VSS_S_OK;
	case HV_VSS_OP_HOT_BACKUP: return HV_VSS_S_OK;
	default: log_warn("hyperv: unexpected operation %u; answering OK", op); return HV_VSS_S_OK;
	}
}

void hv_event(struct hv_channel *c, short revents)
{
	unsigned char buf[256];
	struct hv_vss_message msg;
	uint32_t status;
	ssize_t n;
	uint8_t op;

	if (c->fd < 0)
		return;
	if (!(revents & POLLIN)) {
		if (revents & (POLLERR | POLLHUP | POLLNVAL))
			hv_reset(c, "the device reported an error");
		return;
	}
	n = read(c->fd, buf, sizeof(buf));
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		hv_reset(c, strerror(errno));
		return;
	}
	if (c->state == HV_REGISTERING) {
		uint32_t version;

		if (n != (ssize_t)sizeof(version)) {
			hv_reset(c, "unexpected handshake reply");
			return;
		}
		memcpy(&version, buf, sizeof(version));
		c->state = HV_READY;
		c->failures = 0;
		log_info("hyperv: registered on %s (kernel protocol %u)", c->path, version);
		return;
	}
	if (n < (ssize_t)sizeof(msg)) {
		hv_reset(c, "short message from the device");
		return;
	}
	memcpy(&msg, buf, sizeof(msg));
	op = msg.hdr.operation;
	log_debug("hyperv: request op %u", op);
	status = act(c, op);
	if (status == HV_PARKED) {
		c->parked_msg = msg;
		c->parked = true;
		return;
	}
	answer(c, &msg, status);
}

static void answer(struct hv_channel *c, struct hv_vss_message *msg, uint32_t status)
{
	uint8_t op = msg->hdr.operation;

	/* as hv_vss_daemon: the status overwrites bytes 0..3, flags stay */
	msg->error = (int32_t)status;
	if (write(c->fd, msg, sizeof(*msg)) != (ssize_t)sizeof(*msg)) {
		char why[96];

		/* EINVAL: the kernel gave up on the transaction (timeout, hibernation) */
		snprintf(why, sizeof(why), "reply to op %u failed: %s", op, strerror(errno));
		hv_reset(c, why);
		return;
	}
	if (op == HV_VSS_OP_FREEZE || op == HV_VSS_OP_THAW)
		log_info("hyperv: op %s: %s", op == HV_VSS_OP_FREEZE ? "FREEZE" : "THAW",
			 status == HV_VSS_S_OK ? "succeeded" : "failed");
}

int hv_timeout_ms(const struct hv_channel *c)
{
	uint64_t now;

	if (c->fd >= 0 || c->retry_at_ms == 0)
		return -1;
	now = now_ms();
	return c->retry_at_ms > now ? (int)(c->retry_at_ms - now) : 0;
}

void hv_tick(struct hv_channel *c)
{
	if (c->fd < 0 && c->retry_at_ms && now_ms() >= c->retry_at_ms)
		hv_open(c);
}
