/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A bounded HTTP/1.1 client for the VMM API sockets (http.h). */
#include "http.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "vmm.h"
#include "vmm_json.h"

/* The value of a header (case-insensitive name) in head, or NULL. */
static const char *header(const char *head, const char *name)
{
	size_t n = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return p + n + 1 + strspn(p + n + 1, " \t");
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/* Status line and Content-Length of a complete head ("...\r\n\r\n"). */
static int parse_head(const char *head, int *status, long *clen)
{
	const char *cl;
	char *end;

	if (strncmp(head, "HTTP/1.", 7) != 0 || (head[7] != '0' && head[7] != '1') ||
	    head[8] != ' ')
		return -EPROTO;
	*status = (int)strtol(head + 9, &end, 10);
	if (end != head + 12 || *status < 100 || *status > 599)
		return -EPROTO;
	*clen = -1;
	cl = header(head, "Content-Length");
	if (cl) {
		*clen = strtol(cl, &end, 10);
		if (end == cl || *clen < 0 || (*end != '\r' && *end != ' '))
			return -EPROTO;
	} else if (*status == 204 || *status == 304 || *status < 200) {
		*clen = 0;
	}
	return 0;
}

/* Reads until the head and the body are complete (or EOF when the length is unknown). */
static int read_response(int fd, char *buf, size_t size, uint64_t deadline, int *status,
			 size_t *body_off, size_t *body_len)
{
	size_t len = 0;
	long clen = -1;
	char *sep = NULL;
	int r;

	for (;;) {
		ssize_t n;

		if (sep && clen >= 0 && len - *body_off >= (size_t)clen)
			break;
		if (len + 1 >= size)
			return -EMSGSIZE;
		r = vmm_wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			return r;
		n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			if (sep && clen < 0)
				break;
			return -EPROTO;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (!sep && (sep = strstr(buf, "\r\n\r\n"))) {
			sep[2] = '\0';
			r = parse_head(buf, status, &clen);
			if (r < 0)
				return r;
			*body_off = (size_t)(sep + 4 - buf);
		}
	}
	*body_len = clen >= 0 ? (size_t)clen : len - *body_off;
	return 0;
}

/*
 * Sends METHOD PATH with body (NULL: none) to the unix socket sock. On success
 * returns 0 with *status and the body in resp (NUL-terminated). -errno on a
 * transport failure; -EPROTO for a malformed response; -EMSGSIZE when it does not
 * fit in resp.
 */
static int http_call(const char *sock, const char *method, const char *path, const char *body,
		     int *status, char *resp, size_t size, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	static char buf[HTTP_RESPONSE_MAX + 4096];
	size_t blen = body ? strlen(body) : 0, off = 0, len = 0;
	int fd, r, n;

	n = snprintf(buf, sizeof(buf),
		     "%s %s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
		     "%sContent-Length: %zu\r\n\r\n%s",
		     method, path, body ? "Content-Type: application/json\r\n" : "", blen,
		     body ? body : "");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	fd = vmm_connect_unix(sock, timeout_ms);
	if (fd < 0)
		return fd;
	r = vmm_write_all(fd, buf, (size_t)n, deadline);
	if (r == 0)
		r = read_response(fd, buf, sizeof(buf), deadline, status, &off, &len);
	close(fd);
	if (r < 0)
		return r;
	if (len >= size)
		return -EMSGSIZE;
	memcpy(resp, buf + off, len);
	resp[len] = '\0';
	return 0;
}

/* Logs a failed call with the start of its body, non-printable bytes replaced. */
static void log_failure(const char *what, const char *path, int status, const char *body)
{
	char shown[161];
	size_t i;

	for (i = 0; body[i] && i < sizeof(shown) - 1; i++)
		shown[i] = body[i] >= ' ' && body[i] <= '~' ? body[i] : '?';
	shown[i] = '\0';
	log_warn("%s %s: HTTP %d %s", what, path, status, shown);
}

int http_json(const char *sock, const char *method, const char *path, const char *body,
	      int want_status, struct json_object **out)
{
	static char resp[HTTP_RESPONSE_MAX];
	int status = 0, r;

	r = http_call(sock, method, path, body, &status, resp, sizeof(resp), VMM_TIMEOUT_MS);
	if (out)
		*out = NULL;
	if (r < 0)
		return r;
	if (status != want_status) {
		log_failure(method, path, status, resp);
		return status == 400 || status == 404 ? -ENODEV : -EIO;
	}
	if (!out)
		return 0;
	*out = json_tokener_parse(resp);
	if (!*out || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return -EPROTO;
	}
	return 0;
}
