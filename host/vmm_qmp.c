/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU through QMP: `balloon` (value = the guest's RAM after ballooning, bytes),
 * `query-balloon` (actual, the same measure), `query-memory-size-summary` (the
 * RAM size), and the BALLOON_CHANGE event. One connection, kept open: commands
 * carry an id and wait for their answer; events read in between are applied.
 */
#include "vmm.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "vmm_json.h"

#define QMP_BUF 65536 /* QMP lines here are short; a longer one is a protocol error */

struct qmp {
	char buf[QMP_BUF];
	size_t len;
	uint64_t id;
	struct vmm_state st;
	bool changed; /* an event moved st since the caller last looked */
};

/* Reads more bytes into the buffer; blocking until the deadline, or not at all (0). */
static int fill(struct vmm *v, struct qmp *q, uint64_t deadline_ms)
{
	ssize_t n;

	if (q->len == sizeof(q->buf))
		return -EMSGSIZE;
	if (deadline_ms) {
		int r = vmm_wait_fd(v->fd, POLLIN, deadline_ms);
		if (r < 0)
			return r;
	}
	n = recv(v->fd, q->buf + q->len, sizeof(q->buf) - q->len, MSG_DONTWAIT);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	q->len += (size_t)n;
	return 0;
}

/* The next complete line, parsed (the caller puts it), or NULL with *err. */
static struct json_object *take_line(struct qmp *q, int *err)
{
	char *nl = memchr(q->buf, '\n', q->len);
	struct json_object *o;
	size_t n;

	*err = 0;
	if (!nl)
		return NULL;
	*nl = '\0';
	n = (size_t)(nl - q->buf) + 1;
	o = json_tokener_parse(q->buf);
	memmove(q->buf, q->buf + n, q->len - n);
	q->len -= n;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*err = -EPROTO;
		return NULL;
	}
	return o;
}

static void on_event(struct qmp *q, struct json_object *o)
{
	struct json_object *ev;
	uint64_t actual;

	if (!json_object_object_get_ex(o, "event", &ev) ||
	    !json_object_is_type(ev, json_type_string) ||
	    strcmp(json_object_get_string(ev), "BALLOON_CHANGE") != 0)
		return;
	if (vmm_json_u64(o, "data.actual", &actual) < 0 || actual / 1024 > q->st.ram_kb) {
		log_warn("QMP: BALLOON_CHANGE without a plausible data.actual; ignored");
		return;
	}
	q->st.actual_kb = q->st.ram_kb - actual / 1024;
	q->st.actual_known = true;
	q->changed = true;
}

/* Sends one command and waits for its answer; *ret gets the "return" member (a new reference). */
static int command(struct vmm *v, const char *name, const char *args, struct json_object **ret)
{
	struct qmp *q = v->priv;
	uint64_t deadline = now_ms() + VMM_TIMEOUT_MS, id = ++q->id, got;
	char req[256];
	int n = snprintf(req, sizeof(req), "{\"execute\":\"%s\"%s%s,\"id\":%" PRIu64 "}\n", name,
			 args ? ",\"arguments\":" : "", args ? args : "", id);
	int r = vmm_write_all(v->fd, req, (size_t)n, deadline);

	while (r == 0) {
		struct json_object *o = take_line(q, &r), *val;

		if (!o) {
			r = r ? r : fill(v, q, deadline);
			continue;
		}
		on_event(q, o);
		if (vmm_json_u64(o, "id", &got) == 0 && got == id) {
			if (json_object_object_get_ex(o, "return", &val)) {
				*ret = json_object_get(val);
			} else {
				log_warn("QMP: %s failed: %s", name,
					 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
				r = -EIO;
			}
			json_object_put(o);
			return r;
		}
		json_object_put(o);
	}
	return r;
}

static int query(struct vmm *v, struct vmm_state *st)
{
	struct qmp *q = v->priv;
	struct json_object *ret = NULL;
	uint64_t base, plugged = 0, actual;
	int r = command(v, "query-memory-size-summary", NULL, &ret);

	if (r == 0 && vmm_json_u64(ret, "base-memory", &base) < 0)
		r = -EPROTO;
	if (r == 0)
		vmm_json_u64(ret, "plugged-memory", &plugged);
	json_object_put(ret);
	ret = NULL;
	if (r == 0)
		r = command(v, "query-balloon", NULL, &ret);
	if (r == 0 && vmm_json_u64(ret, "actual", &actual) < 0)
		r = -EPROTO;
	json_object_put(ret);
	if (r < 0)
		return r;
	q->st.ram_kb = (base + plugged) / 1024;
	if (q->st.ram_kb == 0 || actual / 1024 > q->st.ram_kb)
		return -EPROTO;
	q->st.actual_kb = q->st.ram_kb - actual / 1024;
	q->st.actual_known = true;
	q->changed = false;
	*st = q->st;
	return 0;
}

static int qmp_open(struct vmm *v, struct vmm_state *st)
{
	struct json_object *ret = NULL, *o;
	struct qmp *q = calloc(1, sizeof(*q));
	uint64_t deadline = now_ms() + VMM_TIMEOUT_MS;
	int r = 0;

	if (!q)
		return -ENOMEM;
	v->priv = q;
	v->fd = vmm_connect_unix(v->path, VMM_TIMEOUT_MS);
	if (v->fd < 0) {
		r = v->fd;
		goto fail;
	}
	while (!(o = take_line(q, &r)) && r == 0)
		r = fill(v, q, deadline);
	if (r == 0 && !json_object_object_get_ex(o, "QMP", NULL))
		r = -EPROTO;
	json_object_put(o);
	if (r == 0)
		r = command(v, "qmp_capabilities", NULL, &ret);
	json_object_put(ret);
	if (r == 0)
		r = query(v, st);
	if (r == 0)
		return 0;
fail:
	v->ops->close(v);
	return r;
}

static int qmp_set_balloon(struct vmm *v, uint64_t balloon_kb)
{
	struct qmp *q = v->priv;
	struct json_object *ret = NULL;
	char args[64];
	int r;

	if (balloon_kb >= q->st.ram_kb)
		return -ERANGE;
	snprintf(args, sizeof(args), "{\"value\":%" PRIu64 "}", (q->st.ram_kb - balloon_kb) * 1024);
	r = command(v, "balloon", args, &ret);
	json_object_put(ret);
	return r;
}

static int qmp_event(struct vmm *v, struct vmm_state *st)
{
	struct qmp *q = v->priv;
	struct json_object *o;
	int r = fill(v, q, 0);

	if (r < 0 && r != -EAGAIN)
		return r;
	while ((o = take_line(q, &r))) {
		on_event(q, o);
		json_object_put(o);
	}
	if (r < 0)
		return r;
	*st = q->st;
	r = q->changed;
	q->changed = false;
	return r;
}

static void qmp_close(struct vmm *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	free(v->priv);
	v->priv = NULL;
}

const struct vmm_ops vmm_qmp_ops = {
	.name = "qmp",
	.open = qmp_open,
	.set_balloon = qmp_set_balloon,
	.query = query,
	.event = qmp_event,
	.close = qmp_close,
};
