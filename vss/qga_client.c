/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU guest agent protocol client: transports, channel sync, request and reply. */
#include "qga_client.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/vm_sockets.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

#define SYNC_ATTEMPTS 3
#define CONNECT_REPLY_MS 5000

static int __attribute__((format(printf, 3, 4)))
fail(struct qga_client *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return r;
}

void qga_init(struct qga_client *c)
{
	c->fd = -1;
	c->inlen = 0;
	c->err[0] = '\0';
}

void qga_close(struct qga_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	qga_init(c);
}

int qga_connect_unix(struct qga_client *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	qga_close(c);
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(c, -EINVAL, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		qga_close(c);
		return fail(c, r, "cannot connect to %s: %s (%s)", path, strerror(-r),
			    r == -EACCES ? "vssd serves root and its socket_group only: run "
					   "vssctl as root, e.g. with sudo"
			    : r == -ENOENT || r == -ECONNREFUSED
				    ? "is vssd running? systemctl status vssd"
				    : "is the agent running?");
	}
	return 0;
}

int qga_check_peer_uid(struct qga_client *c, uid_t uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return fail(c, -errno, "cannot read the server's credentials: %s", strerror(errno));
	if (cred.uid == uid)
		return 0;
	return fail(c, -EPERM,
		    "the socket is served by uid %u (pid %d), not by uid %u: refusing to talk to "
		    "it (is it an impostor? is the socket directory writable by others?)",
		    (unsigned)cred.uid, (int)cred.pid, (unsigned)uid);
}

int qga_connect_vsock(struct qga_client *c, const char *spec)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
	uint64_t cid, port;
	char buf[64], *colon;
	int r;

	qga_close(c);
	snprintf(buf, sizeof(buf), "%s", spec);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (!colon || parse_uint(buf, 0, 0xffffffffu, &cid) < 0 ||
	    parse_uint(colon + 1, 1, 0xffffffffu, &port) < 0)
		return fail(c, -EINVAL, "--vsock wants CID:PORT, not '%s'", spec);
	sa.svm_cid = (unsigned)cid;
	sa.svm_port = (unsigned)port;
	c->fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		qga_close(c);
		return fail(c, r, "cannot connect to vsock %s: %s", spec, strerror(-r));
	}
	return 0;
}

/* Reads Firecracker's answer line byte by byte: what follows belongs to the guest agent. */
static int connect_answer(struct qga_client *c, const char *path, uint64_t port)
{
	char line[64];
	size_t len = 0;

	while (len < sizeof(line) - 1) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, CONNECT_REPLY_MS) != 1)
			return fail(c, -ETIMEDOUT, "%s: no answer to CONNECT", path);
		n = read(c->fd, line + len, 1);
		if (n <= 0)
			return fail(
				c, -ECONNRESET,
				"%s: connection closed after CONNECT (is the guest listening on "
				"port %llu?)",
				path, (unsigned long long)port);
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	if (strncmp(line, "OK ", 3) != 0)
		return fail(c, -ECONNREFUSED, "%s: CONNECT answered '%s'", path, line);
	return 0;
}

int qga_connect_firecracker(struct qga_client *c, const char *spec)
{
	char path[108];
	const char *colon = strrchr(spec, ':');
	uint64_t port;
	int r;

	if (!colon || (size_t)(colon - spec) >= sizeof(path) ||
	    parse_uint(colon + 1, 1, 0xffffffffu, &port) < 0)
		return fail(c, -EINVAL, "--firecracker wants PATH:PORT, not '%s'", spec);
	memcpy(path, spec, (size_t)(colon - spec));
	path[colon - spec] = '\0';
	r = qga_connect_unix(c, path);
	if (r < 0)
		return r;
	if (dprintf(c->fd, "CONNECT %llu\n", (unsigned long long)port) < 0)
		r = fail(c, -errno, "cannot write to %s: %s", path, strerror(errno));
	else
		r = connect_answer(c, path, port);
	if (r < 0) {
		close(c->fd);
		c->fd = -1;
	}
	return r;
}

/*
 * The error the agent sent before it closed the connection (vssd refuses a
 * client that way), from what was received or is still queued; false if none.
 */
static bool refusal(struct qga_client *c, char *why, size_t len)
{
	json_object *o, *e, *d;
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen, MSG_DONTWAIT);
	char *nl;
	bool found = false;

	if (n > 0)
		c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	nl = strchr(c->in, '\n');
	if (nl)
		*nl = '\0';
	o = json_tokener_parse(c->in);
	if (o && json_object_object_get_ex(o, "error", &e) &&
	    json_object_object_get_ex(e, "desc", &d)) {
		snprintf(why, len, "%s", json_object_get_string(d));
		found = true;
	}
	json_object_put(o);
	return found;
}

/* The connection ended: the agent's refusal if it sent one, else what. */
static int closed(struct qga_client *c, int r, const char *what)
{
	char why[200];

	if (refusal(c, why, sizeof(why)))
		return fail(c, -EACCES, "vssd refused this client: %s (run vssctl as root)", why);
	return fail(c, r, "%s", what);
}

static int send_all(struct qga_client *c, const char *s, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return closed(c, -errno, "cannot send: the agent closed the connection");
		if (n < 0)
			return fail(c, -errno, "cannot send: %s", strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

/* Waits up to timeout_ms for more input; what is kept is c->in[0..inlen). */
static int receive(struct qga_client *c, int timeout_ms, const char *none, const char *closed)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		n = poll(&p, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(c, -errno, "poll: %s", strerror(errno));
		if (n == 0)
			return fail(c, -ETIMEDOUT, "%s", none);
		n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(c, -ECONNRESET, "%s", closed);
		c->inlen += (size_t)n;
		return 0;
	}
}

/*
 * Stale output from an earlier session is dropped, then more is awaited; a
 * channel closed right after an error line is a refusal (vssd's peer check).
 */
static int receive_more(struct qga_client *c, int timeout_ms)
{
	char last[256];
	size_t n = c->inlen < sizeof(last) - 1 ? c->inlen : sizeof(last) - 1;
	int r;

	memcpy(last, c->in, n);
	c->inlen = 0;
	r = receive(c, timeout_ms, "no answer to guest-sync-delimited (is a guest agent running?)",
		    "the channel was closed");
	if (r != -ECONNRESET || !n)
		return r;
	memcpy(c->in, last, n); /* the last words before the close */
	c->inlen = n;
	return closed(c, r, "the channel was closed");
}

/* Drops input up to and including the 0xFF that guest-sync-delimited sends first. */
static int skip_to_sentinel(struct qga_client *c, int timeout_ms)
{
	for (;;) {
		char *ff = memchr(c->in, 0xff, c->inlen);
		int r;

		if (ff) {
			size_t keep = c->inlen - (size_t)(ff + 1 - c->in);

			memmove(c->in, ff + 1, keep);
			c->inlen = keep;
			return 0;
		}
		r = receive_more(c, timeout_ms);
		if (r < 0)
			return r;
	}
}

/* Takes one reply line (0xFF bytes dropped) from the input, waiting at most timeout_ms. */
static int read_reply(struct qga_client *c, int timeout_ms, json_object **reply)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		size_t linelen, i, w = 0;
		int r;

		if (!nl) {
			if (c->inlen == sizeof(c->in) - 1)
				return fail(c, -EMSGSIZE, "reply too large");
			r = receive(c, timeout_ms, "no reply from vssd in time",
				    "vssd closed the connection");
			if (r < 0)
				return r;
			continue;
		}
		linelen = (size_t)(nl - c->in);
		for (i = 0; i < linelen; i++)
			if ((unsigned char)c->in[i] != 0xff)
				c->in[w++] = c->in[i];
		c->in[w] = '\0';
		*reply = json_tokener_parse(c->in);
		memmove(c->in, nl + 1, c->inlen - linelen - 1);
		c->inlen -= linelen + 1;
		return *reply ? 0 : fail(c, -EBADMSG, "vssd sent a reply that is not JSON");
	}
}

static int send_request(struct qga_client *c, const char *prefix, const char *name,
			json_object *args)
{
	json_object *req = json_object_new_object();
	const char *s;
	int r;

	json_object_object_add(req, "execute", json_object_new_string(name));
	if (args)
		json_object_object_add(req, "arguments", args);
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	r = send_all(c, prefix, strlen(prefix));
	if (r == 0)
		r = send_all(c, s, strlen(s));
	if (r == 0)
		r = send_all(c, "\n", 1);
	json_object_put(req);
	return r;
}

int qga_call(struct qga_client *c, const char *name, json_object *args, int timeout_ms,
	     json_object **reply)
{
	int r = send_request(c, "", name, args);

	return r < 0 ? r : read_reply(c, timeout_ms, reply);
}

json_object *qga_result(json_object *reply, const char *what, char *err, size_t errlen)
{
	json_object *r, *e, *d;

	if (json_object_object_get_ex(reply, "return", &r))
		return r;
	if (json_object_object_get_ex(reply, "error", &e) &&
	    json_object_object_get_ex(e, "desc", &d))
		snprintf(err, errlen, "%s failed: %s", what, json_object_get_string(d));
	else
		snprintf(err, errlen, "%s failed: unexpected reply %s", what,
			 json_object_to_json_string(reply));
	return NULL;
}

/* One attempt: 1 when the reply carries id, 0 for a leftover, or -errno. */
static int sync_once(struct qga_client *c, int64_t id, int timeout_ms)
{
	json_object *args = json_object_new_object(), *reply = NULL, *r;
	int ret;

	json_object_object_add(args, "id", json_object_new_int64(id));
	ret = send_request(c, "\xff", "guest-sync-delimited", args);
	if (ret == 0)
		ret = skip_to_sentinel(c, timeout_ms);
	if (ret == 0)
		ret = read_reply(c, timeout_ms, &reply);
	if (ret < 0)
		return ret;
	r = qga_result(reply, "guest-sync-delimited", c->err, sizeof(c->err));
	ret = !r ? -EPROTO : json_object_get_int64(r) == id;
	json_object_put(reply);
	return ret;
}

int qga_sync(struct qga_client *c, int timeout_ms)
{
	struct timespec ts;
	int attempt, r;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (attempt = 0; attempt < SYNC_ATTEMPTS; attempt++) {
		r = sync_once(c, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + attempt,
			      timeout_ms);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return fail(c, -EPROTO, "the channel did not synchronise (stale replies)");
}

bool qga_hung_up(const struct qga_client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}
