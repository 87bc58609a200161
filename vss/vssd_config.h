/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vssd.conf: the daemon's settings. */
#ifndef SB_VSS_VSSD_CONFIG_H
#define SB_VSS_VSSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VSSD_DEFAULT_CONFIG SYSCONFDIR "/selfballoon/vssd.conf"
#define VSSD_MAX_PATTERNS 32

struct vssd_config {
	char socket[108];
	char state_dir[256];
	char socket_group[64]; /* empty: root only */
	gid_t socket_gid;      /* resolved from socket_group */
	bool have_gid;
	uint64_t timeout_ms; /* freeze watchdog */
	char hooks_dir[256];
	uint64_t hook_timeout_ms;
	/* space-separated lists split into NULL-terminated arrays */
	char include_buf[1024], exclude_buf[1024], exclude_types_buf[512];
	const char *include[VSSD_MAX_PATTERNS + 1];
	const char *exclude[VSSD_MAX_PATTERNS + 1];
	const char *exclude_types[VSSD_MAX_PATTERNS + 1];
	bool skip_loop;
	char virtio_port[256]; /* port name or path; empty: off */
	uint32_t vsock_port;   /* 0: off */
	uint32_t vsock_cids[VSSD_MAX_PATTERNS];
	size_t n_vsock_cids;
	int hyperv; /* -1 auto (if the device exists), 0 off, 1 on (keep retrying) */
	char hyperv_device[256];
	char mountinfo[256]; /* /proc/self/mountinfo (tests may point elsewhere) */
	char sysfs[256];
};

void vssd_config_defaults(struct vssd_config *c);

/*
 * Loads path over the defaults. A missing file is an error only when
 * must_exist. err receives "file:line: reason".
 */
int vssd_config_load(struct vssd_config *c, const char *path, bool must_exist, char *err,
		     size_t errlen);

int vssd_config_load_string(struct vssd_config *c, const char *text, char *err, size_t errlen);

#endif
