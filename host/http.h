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
 * One JSON call: status want_status expected (else logged; -ENODEV for 400/404,
 * -EIO otherwise); *out gets the parsed object body (a new reference) when out
 * is not NULL.
 */
struct json_object;
int http_json(const char *sock, const char *method, const char *path, const char *body,
	      int want_status, struct json_object **out);

#endif
