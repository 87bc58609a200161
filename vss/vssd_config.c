/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vssd.conf keys, their defaults and their validation. */
#include "vssd_config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>

#include "confkey.h"
#include "parse.h"
#include "util.h"

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

/* A group name, resolved now: the socket is chowned to it. Empty: root only. */
static int set_socket_group(const struct conf_key *k, void *conf, const char *v, char *err,
			    size_t errlen)
{
	struct vssd_config *c = conf;
	struct group *g;

	if (conf_set_string(k, conf, v, err, errlen) < 0)
		return -EINVAL;
	c->have_gid = false;
	if (!v[0])
		return 0;
	g = getgrnam(v);
	if (!g) {
		snprintf(err, errlen, "no group named '%s'", v);
		return -EINVAL;
	}
	c->socket_gid = g->gr_gid;
	c->have_gid = true;
	return 0;
}

static int set_virtio_port(const struct conf_key *k, void *conf, const char *v, char *err,
			   size_t errlen)
{
	if (strchr(v, '/') && v[0] != '/') {
		snprintf(err, errlen, "'%s' is neither a port name nor an absolute path", v);
		return -EINVAL;
	}
	return conf_set_string(k, conf, v, err, errlen);
}

static int set_vsock_port(const struct conf_key *k, void *conf, const char *v, char *err,
			  size_t errlen)
{
	struct vssd_config *c = conf;
	uint64_t port = 0;

	if (v[0] && parse_uint(v, 1, 0xfffffffeu, &port) < 0) {
		snprintf(err, errlen, "'%s' is not a port number (1-4294967294, empty: off)", v);
		return -EINVAL;
	}
	c->vsock_port = (uint32_t)port;
	return 0;
}

static int set_vsock_cids(const struct conf_key *k, void *conf, const char *v, char *err,
			  size_t errlen)
{
	struct vssd_config *c = conf;
	uint32_t cids[VSSD_MAX_PATTERNS];
	char buf[512], *p, *save = NULL;
	size_t n = 0;
	uint64_t cid;

	if (strlen(v) >= sizeof(buf)) {
		snprintf(err, errlen, "value too long (at most %zu characters)", sizeof(buf) - 1);
		return -EINVAL;
	}
	memcpy(buf, v, strlen(v) + 1);
	for (p = strtok_r(buf, " \t,", &save); p; p = strtok_r(NULL, " \t,", &save)) {
		if (n == VSSD_MAX_PATTERNS || parse_uint(p, 0, 0xffffffffu, &cid) < 0) {
			snprintf(err, errlen, "'%s' is not a CID (list of up to %d numbers)", p,
				 VSSD_MAX_PATTERNS);
			return -EINVAL;
		}
		cids[n++] = (uint32_t)cid;
	}
	memcpy(c->vsock_cids, cids, n * sizeof(cids[0]));
	c->n_vsock_cids = n;
	return 0;
}

/* auto, or a boolean: -1, 0, 1 */
static int set_hyperv(const struct conf_key *k, void *conf, const char *v, char *err, size_t errlen)
{
	struct vssd_config *c = conf;
	bool b;

	if (strcmp(v, "auto") == 0) {
		c->hyperv = -1;
		return 0;
	}
	if (parse_bool(v, &b) == 0) {
		c->hyperv = b;
		return 0;
	}
	snprintf(err, errlen, "'%s' is not auto, yes or no", v);
	return -EINVAL;
}

#define K(sec, key, fn, field, ...) CONF_KEY(sec, key, fn, struct vssd_config, field, __VA_ARGS__)
#define DURATION(sec, key, field) K(sec, key, conf_set_duration, field, .min = 100, .max = 3600000)
#define PATTERNS(key, field, flag)                                                               \
	K("freeze", key, conf_set_list, field##_buf, .aux = offsetof(struct vssd_config, field), \
	  .max = VSSD_MAX_PATTERNS, .flags = (flag))

static const struct conf_key keys[] = {
	K("vssd", "socket", conf_set_path, socket),
	K("vssd", "state_dir", conf_set_path, state_dir),
	K("vssd", "socket_group", set_socket_group, socket_group),
	DURATION("freeze", "timeout", timeout_ms),
	DURATION("freeze", "hook_timeout", hook_timeout_ms),
	K("freeze", "hooks_dir", conf_set_path, hooks_dir),
	PATTERNS("include", include, CONF_ABSOLUTE),
	PATTERNS("exclude", exclude, CONF_ABSOLUTE),
	PATTERNS("exclude_types", exclude_types, 0),
	K("freeze", "skip_loop", conf_set_bool, skip_loop),
	K("qga", "virtio_port", set_virtio_port, virtio_port),
	K("qga", "vsock_port", set_vsock_port, vsock_port),
	K("qga", "vsock_allow_cids", set_vsock_cids, vsock_cids),
	K("hyperv", "enable", set_hyperv, hyperv),
	K("hyperv", "device", conf_set_path, hyperv_device),
};

static const struct conf_table table = { keys, ARRAY_SIZE(keys) };

int vssd_config_load(struct vssd_config *c, const char *path, bool must_exist, char *err,
		     size_t errlen)
{
	int r = conf_table_load(&table, c, path, err, errlen);

	if (r == -ENOENT && !must_exist)
		return 0;
	return r;
}

int vssd_config_load_string(struct vssd_config *c, const char *text, char *err, size_t errlen)
{
	return conf_table_load_string(&table, c, "<string>", text, err, errlen);
}
