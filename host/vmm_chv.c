/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cloud Hypervisor's API socket (vmm/src/api/openapi/cloud-hypervisor.yaml):
 * the balloon set with PUT /api/v1/vm.resize {"desired_balloon": BYTES}; GET
 * /api/v1/vm.info gives the RAM size (config.memory.size) and
 * memory_actual_size, which is that size less what the balloon holds (plus
 * virtio-mem memory; with memory hot-plug the two do not subtract cleanly and
 * the actual size is only an estimate). The VM needs a balloon device
 * (--balloon size=0,...): without config.balloon the relay refuses.
 */
#include "vmm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "http.h"
#include "log.h"
#include "vmm_json.h"

static int ch_query(struct vmm *v, struct vmm_state *st)
{
	struct json_object *o = NULL, *bal;
	uint64_t size, actual;
	int r = http_json(v->path, "GET", "/api/v1/vm.info", NULL, 200, &o);

	if (r == 0 && (vmm_json_u64(o, "config.memory.size", &size) < 0 || size < 1024 ||
		       vmm_json_u64(o, "memory_actual_size", &actual) < 0))
		r = -EPROTO;
	if (r == 0 && !(json_object_object_get_ex(o, "config", &bal) &&
			json_object_object_get_ex(bal, "balloon", &bal) &&
			json_object_is_type(bal, json_type_object)))
		r = -ENODEV;
	json_object_put(o);
	if (r < 0)
		return r;
	st->ram_kb = size / 1024;
	st->actual_kb = actual < size ? (size - actual) / 1024 : 0;
	st->actual_known = true;
	return 0;
}

static int ch_open(struct vmm *v, struct vmm_state *st)
{
	int r;

	v->fd = -1;
	r = ch_query(v, st);
	if (r == -ENODEV)
		log_err("%s: the Cloud Hypervisor VM has no balloon device (start it with "
			"--balloon size=0,deflate_on_oom=on)",
			v->path);
	return r;
}

static int ch_set_balloon(struct vmm *v, uint64_t balloon_kb)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"desired_balloon\":%" PRIu64 "}", balloon_kb * 1024);
	return http_json(v->path, "PUT", "/api/v1/vm.resize", body, 204, NULL);
}

static void ch_close(struct vmm *v)
{
}

const struct vmm_ops vmm_cloud_hypervisor_ops = {
	.name = "cloud-hypervisor",
	.open = ch_open,
	.set_balloon = ch_set_balloon,
	.query = ch_query,
	.close = ch_close,
};
