/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The little HTTP/1.1 Firecracker's and Cloud Hypervisor's API sockets need:
 * one request per connection over a unix socket, a JSON body, a response with
 * Content-Length (or none), bounded in size and time.
 */
#ifndef SB_HOST_HTTP_H
#define SB_HOST_HTTP_H

#include <stddef.h>

#define HTTP_RESPONSE_MAX 65536

/*
 * Sends METHOD PATH with body (NULL: none) to the unix socket sock. On success
 * returns 0 with *status and the body in resp (NUL-terminated). -errno on a
 * transport failure; -EPROTO for a malformed response; -EMSGSIZE when it does not
 * fit in resp.
 */
int http_call(const char *sock, const char *method, const char *path, const char *body, int *status,
	      char *resp, size_t size, int timeout_ms);

/*
 * One JSON call: status want_status expected (else logged; -ENODEV for 400/404,
 * -EIO otherwise); *out gets the parsed object body (a new reference) when out
 * is not NULL.
 */
struct json_object;
int http_json(const char *sock, const char *method, const char *path, const char *body,
	      int want_status, struct json_object **out);

#endif
