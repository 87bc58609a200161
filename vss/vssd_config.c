/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vssd.conf keys, their defaults and their validation. */
#include "vssd_config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "parse.h"

void vssd_config_defaults(struct vssd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "%s/vssd/vssd.sock", RUNSTATEDIR);
	snprintf(c->state_dir, sizeof(c->state_dir), "%s/vssd", RUNSTATEDIR);
	c->timeout_ms = 60000;
	snprintf(c->hooks_dir, sizeof(c->hooks_dir), "%s/selfballoon/freeze-hooks.d", SYSCONFDIR);
	c->hook_timeout_ms = 30000;
	c->skip_loop = true;
	snprintf(c->virtio_port, sizeof(c->virtio_port), "org.selfballoon.vss.0");
	c->vsock_cids[0] = 2; /* the host */
	c->n_vsock_cids = 1;
	c->hyperv = -1;
	snprintf(c->hyperv_device, sizeof(c->hyperv_device), "/dev/vmbus/hv_vss");
	snprintf(c->mountinfo, sizeof(c->mountinfo), "/proc/self/mountinfo");
	snprintf(c->sysfs, sizeof(c->sysfs), "/sys");
}

static int set_str(char *dst, size_t size, const char *v, const char *key, bool absolute, char *err,
		   size_t errlen)
{
	if (strlen(v) >= size) {
		snprintf(err, errlen, "%s: value too long (at most %zu characters)", key, size - 1);
		return -1;
	}
	if (absolute && v[0] != '/') {
		snprintf(err, errlen, "%s: '%s' is not an absolute path", key, v);
		return -1;
	}
	strcpy(dst, v);
	return 0;
}

/* Splits a space-separated list into buf/arr. */
static int set_list(char *buf, size_t size, const char **arr, const char *v, const char *key,
		    bool paths, char *err, size_t errlen)
{
	size_t n = 0;
	char *p, *save = NULL;

	if (set_str(buf, size, v, key, false, err, errlen) < 0)
		return -1;
	for (p = strtok_r(buf, " \t,", &save); p; p = strtok_r(NULL, " \t,", &save)) {
		if (n == VSSD_MAX_PATTERNS) {
			snprintf(err, errlen, "%s: more than %d entries", key, VSSD_MAX_PATTERNS);
			return -1;
		}
		if (paths && p[0] != '/') {
			snprintf(err, errlen, "%s: pattern '%s' must start with /", key, p);
			return -1;
		}
		arr[n++] = p;
	}
	arr[n] = NULL;
	return 0;
}

static int duration(uint64_t *out, const char *v, const char *key, uint64_t min, uint64_t max,
		    char *err, size_t errlen)
{
	uint64_t ms;

	if (parse_duration_ms(v, &ms) < 0) {
		snprintf(err, errlen, "%s: bad duration '%s' (examples: 500ms, 30s, 2min)", key, v);
		return -1;
	}
	if (ms < min || ms > max) {
		char a[32], b[32];

		snprintf(err, errlen, "%s: %s is out of range [%s, %s]", key, v,
			 format_duration_ms(min, a, sizeof(a)),
			 format_duration_ms(max, b, sizeof(b)));
		return -1;
	}
	*out = ms;
	return 0;
}

static int handler(void *user, const char *section, const char *key, const char *v, char *err,
		   size_t errlen)
{
	struct vssd_config *c = user;

	if (strcmp(section, "vssd") == 0) {
		if (strcmp(key, "socket") == 0)
			return set_str(c->socket, sizeof(c->socket), v, key, true, err, errlen);
		if (strcmp(key, "state_dir") == 0)
			return set_str(c->state_dir, sizeof(c->state_dir), v, key, true, err,
				       errlen);
		if (strcmp(key, "socket_group") == 0) {
			struct group *g;

			if (set_str(c->socket_group, sizeof(c->socket_group), v, key, false, err,
				    errlen) < 0)
				return -1;
			c->have_gid = false;
			if (!v[0])
				return 0;
			g = getgrnam(v);
			if (!g) {
				snprintf(err, errlen, "socket_group: no group named '%s'", v);
				return -1;
			}
			c->socket_gid = g->gr_gid;
			c->have_gid = true;
			return 0;
		}
	} else if (strcmp(section, "freeze") == 0) {
		if (strcmp(key, "timeout") == 0)
			return duration(&c->timeout_ms, v, key, 100, 3600000, err, errlen);
		if (strcmp(key, "hook_timeout") == 0)
			return duration(&c->hook_timeout_ms, v, key, 100, 3600000, err, errlen);
		if (strcmp(key, "hooks_dir") == 0)
			return set_str(c->hooks_dir, sizeof(c->hooks_dir), v, key, true, err,
				       errlen);
		if (strcmp(key, "include") == 0)
			return set_list(c->include_buf, sizeof(c->include_buf), c->include, v, key,
					true, err, errlen);
		if (strcmp(key, "exclude") == 0)
			return set_list(c->exclude_buf, sizeof(c->exclude_buf), c->exclude, v, key,
					true, err, errlen);
		if (strcmp(key, "exclude_types") == 0)
			return set_list(c->exclude_types_buf, sizeof(c->exclude_types_buf),
					c->exclude_types, v, key, false, err, errlen);
		if (strcmp(key, "skip_loop") == 0) {
			if (parse_bool(v, &c->skip_loop) == 0)
				return 0;
			snprintf(err, errlen, "skip_loop: '%s' is not a boolean (yes/no)", v);
			return -1;
		}
	} else if (strcmp(section, "qga") == 0) {
		if (strcmp(key, "virtio_port") == 0) {
			if (strchr(v, '/') && v[0] != '/') {
				snprintf(
					err, errlen,
					"virtio_port: '%s' is neither a port name nor an absolute path",
					v);
				return -1;
			}
			return set_str(c->virtio_port, sizeof(c->virtio_port), v, key, false, err,
				       errlen);
		}
		if (strcmp(key, "vsock_port") == 0) {
			uint64_t port = 0;

			if (v[0] && parse_uint(v, 1, 0xfffffffeu, &port) < 0) {
				snprintf(
					err, errlen,
					"vsock_port: '%s' is not a port number (1-4294967294, empty: off)",
					v);
				return -1;
			}
			c->vsock_port = (uint32_t)port;
			return 0;
		}
		if (strcmp(key, "vsock_allow_cids") == 0) {
			char buf[512], *p, *save = NULL;
			size_t n = 0;

			if (set_str(buf, sizeof(buf), v, key, false, err, errlen) < 0)
				return -1;
			for (p = strtok_r(buf, " \t,", &save); p;
			     p = strtok_r(NULL, " \t,", &save)) {
				uint64_t cid;

				if (n == VSSD_MAX_PATTERNS ||
				    parse_uint(p, 0, 0xffffffffu, &cid) < 0) {
					snprintf(
						err, errlen,
						"vsock_allow_cids: '%s' is not a CID (list of up to %d numbers)",
						p, VSSD_MAX_PATTERNS);
					return -1;
				}
				c->vsock_cids[n++] = (uint32_t)cid;
			}
			c->n_vsock_cids = n;
			return 0;
		}
	} else if (strcmp(section, "hyperv") == 0) {
		if (strcmp(key, "device") == 0)
			return set_str(c->hyperv_device, sizeof(c->hyperv_device), v, key, true,
				       err, errlen);
		if (strcmp(key, "enable") == 0) {
			bool b;

			if (strcmp(v, "auto") == 0) {
				c->hyperv = -1;
				return 0;
			}
			if (parse_bool(v, &b) == 0) {
				c->hyperv = b;
				return 0;
			}
			snprintf(err, errlen, "enable: '%s' is not auto, yes or no", v);
			return -1;
		}
	} else {
		snprintf(err, errlen,
			 "unknown section [%s] (expected [vssd], [freeze], [qga] or [hyperv])",
			 section);
		return -1;
	}
	snprintf(err, errlen, "unknown key '%s' in [%s]", key, section);
	return -1;
}

int vssd_config_load(struct vssd_config *c, const char *path, bool must_exist, char *err,
		     size_t errlen)
{
	int r = conf_load(path, handler, c, err, errlen);

	if (r == -ENOENT && !must_exist)
		return 0;
	return r;
}

int vssd_config_load_string(struct vssd_config *c, const char *text, char *err, size_t errlen)
{
	return conf_load_string("<string>", text, handler, c, err, errlen);
}
