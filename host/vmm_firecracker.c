/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Firecracker's API socket (src/firecracker/swagger/firecracker.yaml): the RAM
 * size from GET /machine-config (mem_size_mib), the balloon set with PATCH
 * /balloon {"amount_mib": N} (whole MiB: a request is rounded down, never
 * past the host's floor), what it holds from GET /balloon/statistics
 * (actual_mib; only when the balloon was configured with statistics,
 * stats_polling_interval_s > 0, otherwise it is not known).
 */
#include "vmm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "http.h"
#include "log.h"
#include "vmm_json.h"

static int fc_query(struct vmm *v, struct vmm_state *st)
{
	struct json_object *o = NULL;
	uint64_t mib;
	int r = http_json(v->path, "GET", "/machine-config", NULL, 200, &o);

	if (r == 0 && (vmm_json_u64(o, "mem_size_mib", &mib) < 0 || mib == 0 || mib > (1u << 30)))
		r = -EPROTO;
	json_object_put(o);
	if (r < 0)
		return r;
	st->ram_kb = mib * 1024;
	st->actual_known = false;
	/* 400: statistics were not enabled; the actual size stays unknown */
	if (http_json(v->path, "GET", "/balloon/statistics", NULL, 200, &o) == 0 &&
	    vmm_json_u64(o, "actual_mib", &mib) == 0 && mib * 1024 <= st->ram_kb) {
		st->actual_kb = mib * 1024;
		st->actual_known = true;
	}
	json_object_put(o);
	return 0;
}

static int fc_open(struct vmm *v, struct vmm_state *st)
{
	int r;

	v->fd = -1;
	r = http_json(v->path, "GET", "/balloon", NULL, 200, NULL);
	if (r == -ENODEV)
		log_err("%s: Firecracker has no balloon device (configure one with PUT /balloon "
			"before the guest starts)",
			v->path);
	if (r < 0)
		return r;
	return fc_query(v, st);
}

static int fc_set_balloon(struct vmm *v, uint64_t balloon_kb)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"amount_mib\":%" PRIu64 "}", balloon_kb / 1024);
	return http_json(v->path, "PATCH", "/balloon", body, 204, NULL);
}

static void fc_close(struct vmm *v)
{
}

const struct vmm_ops vmm_firecracker_ops = {
	.name = "firecracker",
	.open = fc_open,
	.set_balloon = fc_set_balloon,
	.query = fc_query,
	.close = fc_close,
};
